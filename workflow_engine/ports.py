"""The ports the platform plugs its machinery into: executors and the scheduler.

Executors (inline for tests, threads by default, Celery for many machines) run runs;
the scheduler (APScheduler, one at a time per database) emits cron ticks, date scans,
wake-ups and sweeps. The engine only names what they must offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Executor(Protocol):
    """Runs automation runs somewhere: inline, in threads, or on Celery workers.

    Attributes:
        name: ``inline``, ``threads``, ``celery`` … (shown in the admin pages).
    """

    name: str

    def start(self) -> None:
        """Start workers (idempotent)."""

    def stop(self) -> None:
        """Stop workers, letting running steps finish or their leases expire."""

    def submit(self, run_ids: Sequence[int]) -> None:
        """Hand these runs to the workers (the database stays the source of truth)."""

    def wake(self) -> None:
        """Ask the dispatcher to look for new events now."""


@runtime_checkable
class Scheduler(Protocol):
    """Emits time-based work; only the leader (it holds the database lock) fires jobs."""

    def start(self) -> None:
        """Start, trying to become the leader."""

    def stop(self) -> None:
        """Stop, releasing the leadership."""

    @property
    def is_leader(self) -> bool:
        """Whether this process holds the scheduler lock."""

# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""Runs and steps: their states, the allowed state changes, retries and idempotency.

A run is created *pending* by the dispatcher, claimed (*running*, with a lease), and
ends *succeeded*, *failed*, *cancelled* or *skipped*. On the way it may be *waiting*
(a ``wait`` step) or *retrying* (a failed step, before its next attempt). A failed run
can be sent back to *pending* by hand ("retry" in the run log).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from form_engine.messages import register_messages, registered_codes, render
from workflow_engine.errors import CodedError, RunError

register_messages(
    {
        "run_bad_transition": {
            "en": "A run cannot go from “{current_status}” to “{new_status}”.",
            "zh-CN": "运行状态不能从“{current_status}”变为“{new_status}”。",
        },
        "run_unknown_status": {
            "en": "“{name}” is not a run status.",
            "zh-CN": "“{name}”不是有效的运行状态。",
        },
        "run_step_failed": {
            "en": "The step failed: {detail}",
            "zh-CN": "步骤执行失败：{detail}",
        },
        "run_chain_too_deep": {
            "en": "Skipped: automations triggered one another more than {max} times in a row.",
            "zh-CN": "已跳过：自动化之间连续触发超过 {max} 次。",
        },
        "run_gave_up": {
            "en": "The step failed {attempts} times; the run stopped. Retry it from the run log.",
            "zh-CN": "该步骤已失败 {attempts} 次，运行已停止。可在执行日志中手动重试。",
        },
        "run_status_pending": {"en": "pending", "zh-CN": "等待执行"},
        "run_status_running": {"en": "running", "zh-CN": "执行中"},
        "run_status_waiting": {"en": "waiting", "zh-CN": "等待中"},
        "run_status_retrying": {"en": "retrying", "zh-CN": "等待重试"},
        "run_status_succeeded": {"en": "succeeded", "zh-CN": "成功"},
        "run_status_failed": {"en": "failed", "zh-CN": "失败"},
        "run_status_cancelled": {"en": "cancelled", "zh-CN": "已取消"},
        "run_status_skipped": {"en": "skipped", "zh-CN": "已跳过"},
    }
)

MAX_CHAIN_DEPTH: Final = 5


class RunStatus(StrEnum):
    """The states of a run."""

    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class StepStatus(StrEnum):
    """The states of one step of a run."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


# A failed run is terminal for the engine; only a person sends it back (failed → pending).
TERMINAL: Final = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.SKIPPED}
)

TRANSITIONS: Final[dict[RunStatus, frozenset[RunStatus]]] = {
    RunStatus.PENDING: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED, RunStatus.SKIPPED}),
    # running → running: a lease renewed, or an expired lease reclaimed by another worker.
    RunStatus.RUNNING: frozenset(
        {
            RunStatus.RUNNING,
            RunStatus.SUCCEEDED,
            RunStatus.FAILED,
            RunStatus.WAITING,
            RunStatus.RETRYING,
        }
    ),
    RunStatus.WAITING: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED}),
    RunStatus.RETRYING: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED}),
    RunStatus.FAILED: frozenset({RunStatus.PENDING}),
    RunStatus.SUCCEEDED: frozenset(),
    RunStatus.CANCELLED: frozenset(),
    RunStatus.SKIPPED: frozenset(),
}


_STATUSES: Final = frozenset(status.value for status in RunStatus)


def status_label(status: str, locale: str | None) -> str:
    """A run status in words ("waiting" / "等待中"); unknown statuses are shown as is."""
    code = f"run_status_{status}"
    return render(code, locale) if code in registered_codes() else status


def can_transition(current: str, new: str) -> bool:
    """Whether a run may go from ``current`` to ``new`` (unknown statuses: False)."""
    try:
        return RunStatus(new) in TRANSITIONS[RunStatus(current)]
    except ValueError:
        return False


def check_transition(current: str, new: str) -> None:
    """Refuse a state change the run state machine does not allow.

    Args:
        current: The run's status now.
        new: The status wanted.

    Raises:
        RunError: ``run_unknown_status`` or ``run_bad_transition`` (a ``WorkflowError``).
    """
    for name in (current, new):
        if name not in _STATUSES:
            raise RunError("run_unknown_status", name=str(name)[:50])
    if not can_transition(current, new):
        raise RunError("run_bad_transition", current_status=current, new_status=new)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for failed steps: 10 s, 20 s, 40 s …, at most 5 attempts.

    Attributes:
        max_attempts: Attempts in all, the first one included.
        base_seconds: The delay after the first failed attempt.
        factor: Each further delay is this much longer.
        max_seconds: No delay is longer than this.
    """

    max_attempts: int = 5
    base_seconds: float = 10.0
    factor: float = 2.0
    max_seconds: float = 3600.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after attempt number ``attempt`` (1-based) failed.

        Raises:
            ValueError: ``attempt`` is below 1.
        """
        if attempt < 1:
            raise ValueError("attempts are numbered from 1")
        # Cap the exponent too: factor ** 10_000 would overflow a float.
        exponent = min(attempt - 1, 1_000)
        try:
            delay = self.base_seconds * self.factor**exponent
        except OverflowError:
            return self.max_seconds
        return min(delay, self.max_seconds)

    def should_retry(self, attempt: int, *, retryable: bool) -> bool:
        """Whether to try again after attempt number ``attempt`` (1-based) failed."""
        return retryable and attempt < self.max_attempts


def idempotency_key(run_id: int, position: int) -> str:
    """The key a step's side effect carries (webhook ``Idempotency-Key``, e-mail outbox).

    The same run and step give the same key on every attempt, so a receiver can drop a
    duplicate after a crash.
    """
    return f"run-{run_id}-step-{position}"


class StepFailure(CodedError):
    """Raised by the platform's action handlers when a step fails.

    Args:
        code: A registered message code; an unregistered one is shown as
            ``run_step_failed`` with ``detail`` (or the code itself).
        retryable: True for passing trouble (a timeout, a 503), False when trying again
            cannot help (a 400, a deleted record).
        params: Values for the message.
    """

    def __init__(self, code: str, *, retryable: bool = True, **params: Any) -> None:
        self.retryable = retryable
        super().__init__(code, **params)

    def message_in(self, locale: str | None) -> str:
        if self.code in registered_codes():
            return super().message_in(locale)
        detail = self.params.get("detail") or self.code
        return render("run_step_failed", locale, detail=detail)

"""The platform's error hierarchy. HTTP codes are chosen once, in ``formwork.web.errors``."""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    """Root of every expected, user-facing failure.

    ``message`` is a lazily translated string, rendered in the user's language;
    ``field`` names the input it concerns, when there is one.
    """

    def __init__(self, message: Any, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(PlatformError):
    """Missing, or not visible to this actor (the two are never told apart)."""


class Forbidden(PlatformError):
    """Visible, but this actor's role does not allow the action."""


class InputError(PlatformError):
    """Something the user entered must be corrected; pages show it next to the field."""


class Invalid(InputError):
    """The input breaks a rule; nothing was changed."""


class Conflict(InputError):
    """The change collides with the current state (a duplicate, a stale version)."""


class RecordInvalid(Invalid):
    """A record's values break the form's rules; ``errors`` holds one entry per field."""

    def __init__(self, message: Any, errors: list[Any]) -> None:
        super().__init__(message)
        self.errors = errors


class StaleRecord(Conflict):
    """Someone saved the record since this edit began; nothing was overwritten.

    ``current`` is the stored data and ``current_version`` its version, so the page can
    show both the stored and the attempted values side by side.
    """

    def __init__(self, message: Any, *, current: dict[str, Any], current_version: int) -> None:
        super().__init__(message)
        self.current = current
        self.current_version = current_version


class RowsInvalid(Invalid):
    """Rows of a batch break the form's rules; ``rows`` maps row number → field errors."""

    def __init__(self, message: Any, rows: dict[int, list[Any]]) -> None:
        super().__init__(message)
        self.rows = rows

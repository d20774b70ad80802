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

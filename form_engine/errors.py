"""One error root for the engine, with structured fields instead of parsed messages."""

from __future__ import annotations


class FormEngineError(Exception):
    """Root of every error the form engine raises.

    Attributes:
        path: Where in the document the problem is, as JSON-pointer-like segments.
        suggestion: A hint for the user ("did you mean …"), when there is one.
    """

    def __init__(
        self, message: str, *, path: tuple[str | int, ...] = (), suggestion: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.suggestion = suggestion

    @property
    def pointer(self) -> str:
        """The path as a JSON Pointer (RFC 6901), e.g. ``/properties/name``."""
        escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in self.path)
        return "".join("/" + part for part in escaped)


class DocumentVersionError(FormEngineError):
    """A document's format ``version`` is missing, unknown or newer than this code."""

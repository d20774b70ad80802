"""One error root for the workflow engine, with structured fields."""

from __future__ import annotations

from form_engine.errors import FormEngineError


class WorkflowError(FormEngineError):
    """Root of every error the workflow engine raises.

    It shares the form engine's structure (``path``, ``suggestion``) so the platform
    reports both the same way; ``rule_id`` names the automation concerned, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        path: tuple[str | int, ...] = (),
        suggestion: str | None = None,
        rule_id: str | None = None,
    ) -> None:
        super().__init__(message, path=path, suggestion=suggestion)
        self.rule_id = rule_id

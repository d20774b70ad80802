"""One error root for the workflow engine, with structured fields.

``WorkflowError`` is the root. ``CodedError`` adds a registered message code and its
parameters, rendered in the user's language only when shown (like the form engine's
``ConditionError``); ``AutomationError`` reports a problem in an automation document,
``TemplateError`` one in a template, ``RunError`` a forbidden run state change.
"""

from __future__ import annotations

from typing import Any

from form_engine.conditions.errors import pointer
from form_engine.errors import FormEngineError
from form_engine.messages import render
from workflow_engine import messages as _messages  # noqa: F401 - registers the catalogue


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


class CodedError(WorkflowError):
    """A ``WorkflowError`` with a registered message code and parameters.

    Attributes:
        code: The registered message code (``automation_unknown_key`` …).
        params: Values for the message. A parameter named ``*_kind`` holds a word that is
            shown translated (``<family>_kind_<value>``, the family being the code's first
            word); one named ``*_status`` holds a run status, shown translated too.
        path: Where the problem is, as JSON-pointer segments into the document.
        suggestion: The closest known name, for "did you mean …".
    """

    def __init__(
        self,
        code: str,
        *,
        path: tuple[str | int, ...] = (),
        suggestion: str | None = None,
        rule_id: str | None = None,
        **params: Any,
    ) -> None:
        self.code = code
        self.params = params
        self.path = path
        self.suggestion = suggestion
        super().__init__(self.message_in("en"), path=path, suggestion=suggestion, rule_id=rule_id)

    def message_in(self, locale: str | None) -> str:
        """The message in ``locale`` (``en``, ``zh-CN``; others fall back to English)."""
        family = self.code.split("_", 1)[0]
        shown: dict[str, Any] = {}
        for key, value in self.params.items():
            if key.endswith("_kind"):
                shown[key] = render(f"{family}_kind_{value}", locale)
            elif key.endswith("_status"):
                shown[key] = render(f"run_status_{value}", locale)
            else:
                shown[key] = value
        if self.path or family != "template":
            where = pointer(self.path)
        else:
            where = render("template_where_text", locale)
        return render(self.code, locale, where=where, suggestion=self.suggestion, **shown)

    def as_dict(self, locale: str | None = None) -> dict[str, Any]:
        """JSON shape for the API: ``{"path": "/actions/1", "code": ..., "message": ...}``."""
        return {
            "path": pointer(self.path) if self.path else "",
            "code": self.code,
            "message": self.message_in(locale),
            "suggestion": self.suggestion,
        }


class AutomationError(CodedError):
    """An automation document is malformed, or does not fit the workspace's forms.

    Codes start with ``automation_``; problems inside the condition keep the condition
    language's ``condition_*`` code and parameters, with the path prefixed by
    ``("condition",)``; problems inside a template are ``TemplateError``\\ s.
    """


class TemplateError(AutomationError):
    """A template string is malformed (codes ``template_*``).

    Attributes:
        offset: The 0-based character offset of the bad placeholder in the template
            string (messages show it 1-based, as ``position``).
    """

    def __init__(
        self,
        code: str,
        *,
        offset: int = 0,
        path: tuple[str | int, ...] = (),
        suggestion: str | None = None,
        **params: Any,
    ) -> None:
        self.offset = offset
        super().__init__(
            code, path=path, suggestion=suggestion, offset=offset, position=offset + 1, **params
        )


class RunError(CodedError):
    """A run or step cannot do what was asked (codes ``run_*``), e.g. a bad transition."""

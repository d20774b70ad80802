"""Checks shared by the automation document's parts: shapes, fields, templates, persons.

``Checker`` collects every problem (not only the first) as ``AutomationError``\\ s with
their path; ``documents.check_automation`` drives it over the trigger, the condition
and the actions (``action_checks``).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from form_engine.conditions import Condition, ConditionError, parse_condition
from workflow_engine.errors import AutomationError, TemplateError
from workflow_engine.model import (
    ACTORLESS_TRIGGERS,
    RECORDLESS_TRIGGERS,
    Catalog,
    FieldShape,
    FormShape,
)
from workflow_engine.templating import MAX_TEMPLATE, Placeholder, parse_template

Path = tuple[str | int, ...]

FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")
TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
TEMPLATE_ROOTS = ("record", "trigger", "workspace", "today", "now", "steps")
RECORD_EXTRAS = frozenset({"id", "url", "owner"})
OWNER_KEYS = ("id", "name", "email")
PERSON_KINDS = ("owner", "actor", "user", "field", "role")
# Workspace roles a person or an owner pool may name, most privileged first; a role means
# everyone holding it or a higher one. Viewers are read-only: never chosen.
ROLES = ("owner", "admin", "member")
MAX_NESTING = 10
MAX_TEXT = 200


def suggest(name: object, known: Iterable[str]) -> str | None:
    """The closest known name, for "did you mean …" (None when nothing is close)."""
    if not isinstance(name, str) or len(name) > 64:
        return None
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def data_fields(form: FormShape) -> list[str]:
    """The keys of the fields that hold data (layout-only sections left out)."""
    return [key for key, shape in form.fields.items() if shape.type != "section"]


def shown(value: object) -> str:
    """A value as it may appear in a message (short)."""
    return (value if isinstance(value, str) else repr(value))[:50]


def _is_json_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def parse_time(text: str) -> time | None:
    """``"HH:MM"`` (00:00-23:59) as a time, else None."""
    match = TIME_OF_DAY.fullmatch(text)
    return time(int(match[1]), int(match[2])) if match else None


@dataclass
class Scope:
    """What the actions can rely on: the trigger's type and form, and the catalog."""

    catalog: Catalog | None
    trigger_type: str | None = None
    form_key: str | None = None
    form: FormShape | None = None
    action_ids: list[str] = field(default_factory=list)

    @property
    def has_record(self) -> bool:
        return self.trigger_type not in RECORDLESS_TRIGGERS

    @property
    def has_actor(self) -> bool:
        return self.trigger_type not in ACTORLESS_TRIGGERS


class Checker:
    """Collects the problems of one document."""

    def __init__(self, catalog: Catalog | None) -> None:
        self.problems: list[AutomationError] = []
        self.scope = Scope(catalog)

    def add(self, code: str, path: Path, *, suggestion: str | None = None, **params: Any) -> None:
        self.problems.append(AutomationError(code, path=path, suggestion=suggestion, **params))

    def add_hinted(self, code: str, path: Path, name: object, known: Iterable[str]) -> None:
        """``code`` or ``code_hint`` with the closest of ``known``."""
        hint = suggest(name, known)
        self.add(f"{code}_hint" if hint else code, path, suggestion=hint, name=shown(name))

    # -- shapes ------------------------------------------------------------------------
    def obj(self, value: Any, path: Path) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
            return value
        self.add("automation_not_object", path)
        return None

    def keys(
        self, obj: Mapping[str, Any], path: Path, allowed: Collection[str], required: Iterable[str]
    ) -> None:
        for key in obj:
            if key not in allowed:
                self.add_hinted("automation_unknown_key", (*path, key), key, allowed)
        for key in required:
            if key not in obj:
                self.add("automation_missing_key", path, name=key)

    def wrong_type(self, path: Path, expected: str) -> None:
        self.add("automation_wrong_type", path, expected_kind=expected)

    def text(
        self, obj: Mapping[str, Any], key: str, path: Path, *, max_len: int = MAX_TEXT
    ) -> str | None:
        """``obj[key]`` as non-empty text of at most ``max_len`` characters, else None."""
        if key not in obj:
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.wrong_type((*path, key), "text")
            return None
        if not value.strip():
            self.add("automation_empty", (*path, key))
            return None
        if len(value) > max_len:
            self.add("automation_too_long", (*path, key), max=max_len)
            return None
        return value

    def integer(
        self, obj: Mapping[str, Any], key: str, path: Path, low: int, high: int
    ) -> int | None:
        if key not in obj:
            return None
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.wrong_type((*path, key), "integer")
            return None
        if not low <= value <= high:
            self.add("automation_out_of_range", (*path, key), min=low, max=high, value=value)
            return None
        return value

    def boolean(self, obj: Mapping[str, Any], key: str, path: Path) -> None:
        if key in obj and not isinstance(obj[key], bool):
            self.wrong_type((*path, key), "boolean")

    def time_of_day(self, obj: Mapping[str, Any], key: str, path: Path) -> None:
        value = self.text(obj, key, path, max_len=5)
        if value is not None and parse_time(value) is None:
            self.add("automation_bad_time", (*path, key), value=value)

    def json_value(self, value: Any, path: Path, depth: int = 0) -> None:
        """Any JSON value (for ``from``/``to`` constants)."""
        if depth > MAX_NESTING:
            self.add("automation_too_deep", path, max=MAX_NESTING)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.json_value(item, (*path, i), depth + 1)
        elif isinstance(value, Mapping):
            if self.obj(value, path) is not None:
                for key, item in value.items():
                    self.json_value(item, (*path, key), depth + 1)
        elif not _is_json_scalar(value):
            self.wrong_type(path, "value")

    # -- catalog -----------------------------------------------------------------------
    def form(self, key: str | None, path: Path) -> FormShape | None:
        catalog = self.scope.catalog
        if key is None or catalog is None:
            return None
        if key not in catalog.forms:
            self.add_hinted("automation_unknown_form", path, key, catalog.forms)
            return None
        return catalog.forms[key]

    def field(self, form: FormShape | None, name: str | None, path: Path) -> FieldShape | None:
        if name is None:
            return None
        if not FIELD_KEY.fullmatch(name):
            self.add("automation_bad_field_key", path, name=shown(name))
            return None
        if form is None:
            return None
        shape = form.fields.get(name)
        if shape is None or shape.type == "section":
            hint = suggest(name, data_fields(form))
            code = "automation_unknown_field_hint" if hint else "automation_unknown_field"
            self.add(code, path, suggestion=hint, name=shown(name), form=form.key)
            return None
        return shape

    # -- conditions --------------------------------------------------------------------
    def condition(self, doc: Any, path: Path, form: FormShape | None) -> Condition | None:
        """Parse a condition with the form's kinds (untyped without a form)."""
        try:
            return parse_condition(doc, fields=form.kinds() if form is not None else None)
        except ConditionError as exc:
            self.problems.append(
                AutomationError(
                    exc.code, path=(*path, *exc.path), suggestion=exc.suggestion, **exc.params
                )
            )
            return None

    # -- templates ---------------------------------------------------------------------
    def templates(self, value: Any, path: Path, *, max_len: int = MAX_TEMPLATE) -> None:
        """Check every template string in a JSON value, and the paths it reads."""
        self._templates(value, path, max_len, 0)

    def _templates(self, value: Any, path: Path, max_len: int, depth: int) -> None:
        if depth > MAX_NESTING:
            self.add("automation_too_deep", path, max=MAX_NESTING)
        elif isinstance(value, str):
            self.template(value, path, max_len)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self._templates(item, (*path, i), max_len, depth + 1)
        elif isinstance(value, Mapping):
            if self.obj(value, path) is not None:
                for key, item in value.items():
                    self._templates(item, (*path, key), max_len, depth + 1)
        else:
            self.json_value(value, path, depth)

    def template(self, text: str, path: Path, max_len: int = MAX_TEMPLATE) -> None:
        if len(text) > max_len:
            self.add("automation_too_long", path, max=max_len)
            return
        try:
            parts = parse_template(text)
        except TemplateError as exc:
            params = {k: v for k, v in exc.params.items() if k not in ("offset", "position")}
            self.problems.append(
                TemplateError(
                    exc.code, offset=exc.offset, path=path, suggestion=exc.suggestion, **params
                )
            )
            return
        for part in parts:
            if isinstance(part, Placeholder):
                self._placeholder(part, path)

    def _placeholder(self, placeholder: Placeholder, path: Path) -> None:
        scope = self.scope
        root, rest = placeholder.path[0], placeholder.path[1:]
        dotted, offset = placeholder.dotted, placeholder.offset
        if root == "record":
            if not scope.has_record:
                self.add("automation_template_no_record", path, placeholder=dotted, offset=offset)
            elif rest[:1] == ("owner",) and len(rest) > 1 and rest[1] not in OWNER_KEYS:
                hint = suggest(rest[1], OWNER_KEYS)
                self.add(
                    "automation_template_owner_hint" if hint else "automation_template_owner",
                    path,
                    suggestion=f"record.owner.{hint}" if hint else None,
                    placeholder=dotted,
                    offset=offset,
                )
            elif rest and scope.form is not None and rest[0] not in RECORD_EXTRAS:
                shape = scope.form.fields.get(rest[0])
                if shape is None or shape.type == "section":
                    hint = suggest(rest[0], data_fields(scope.form))
                    self.add(
                        "automation_template_field_hint" if hint else "automation_template_field",
                        path,
                        suggestion=f"record.{hint}" if hint else None,
                        placeholder=dotted,
                        form=scope.form.key,
                        offset=offset,
                    )
        elif root == "steps":
            name = rest[0] if rest else ""
            if name not in scope.action_ids:
                self.add(
                    "automation_template_step", path, placeholder=dotted, name=name, offset=offset
                )
        elif root not in TEMPLATE_ROOTS:
            self.add_template_root(dotted, root, path, offset)

    def add_template_root(self, dotted: str, root: str, path: Path, offset: int) -> None:
        hint = suggest(root, TEMPLATE_ROOTS)
        self.add(
            "automation_template_root_hint" if hint else "automation_template_root",
            path,
            suggestion=hint,
            placeholder=dotted,
            offset=offset,
        )

    # -- persons -----------------------------------------------------------------------
    def role(self, obj: Mapping[str, Any], key: str, path: Path) -> str | None:
        """``obj[key]`` as one of ``ROLES`` (a viewer is refused with its own message)."""
        value = self.text(obj, key, path, max_len=32)
        if value is None:
            return None
        if value == "viewer":
            self.add("automation_viewer_role", (*path, key))
            return None
        if value not in ROLES:
            self.add_hinted("automation_unknown_role", (*path, key), value, ROLES)
            return None
        return value

    def person(
        self, value: Any, path: Path, *, linked: bool = False, form: FormShape | None = None
    ) -> None:
        """``{"kind": "owner" | "actor"}``, ``{"kind": "user", "id": 7}``,
        ``{"kind": "field", "field": "sales_rep"}`` (a member field of the record) or
        ``{"kind": "role", "role": "admin"}`` (the workspace's members with that role or a
        higher one; needs no record).

        With ``linked``, the action works on a linked record of the form ``form`` (None:
        unknown), whose member fields ``field`` names."""
        obj = self.obj(value, path)
        if obj is None:
            return
        kind = obj.get("kind")
        if "kind" not in obj:
            self.add("automation_missing_key", path, name="kind")
            return
        if kind not in PERSON_KINDS:
            if isinstance(kind, str):
                self.add_hinted("automation_unknown_person", (*path, "kind"), kind, PERSON_KINDS)
            else:
                self.wrong_type((*path, "kind"), "text")
            return
        extra = {"user": "id", "field": "field", "role": "role"}.get(kind)
        self.keys(obj, path, {"kind", extra} if extra else {"kind"}, [extra] if extra else [])
        scope = self.scope
        if kind in ("owner", "field") and not scope.has_record:
            self.add("automation_needs_record", path)
        if kind == "actor" and not scope.has_actor:
            self.add("automation_no_actor", path, trigger=scope.trigger_type)
        if kind == "user":
            user_id = self.integer(obj, "id", path, 1, 2**63 - 1)
            members = scope.catalog.members if scope.catalog else None
            if user_id is not None and members is not None and user_id not in members:
                self.add("automation_unknown_member", (*path, "id"), id=user_id)
        if kind == "role":
            self.role(obj, "role", path)
        if kind == "field" and scope.has_record:
            name = self.text(obj, "field", path, max_len=63)
            shape = self.field(form if linked else scope.form, name, (*path, "field"))
            if shape is not None and shape.type != "member":
                self.add("automation_not_member_field", (*path, "field"), name=name)

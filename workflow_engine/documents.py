"""Automation documents: format versions, checks, and the typed ``Automation``.

The document format is described in docs/automations.md. ``check_automation`` reports
every problem of a document against a workspace's ``Catalog``; ``parse_automation``
returns the typed ``Automation`` or raises the first problem.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from form_engine.conditions import parse_condition, uses_event_operators
from workflow_engine.action_checks import check_actions
from workflow_engine.checks import Checker, Path, parse_time
from workflow_engine.cron import parse_cron
from workflow_engine.errors import AutomationError
from workflow_engine.model import (
    ALL_ACTION_TYPES,
    MISSING,
    RECORDLESS_TRIGGERS,
    TRIGGER_TYPES,
    Action,
    Automation,
    Catalog,
    FieldShape,
    FormShape,
    Trigger,
)
from workflow_engine.tier_checks import check_tier_trigger

__all__ = [
    "ALL_ACTION_TYPES",
    "CURRENT_VERSION",
    "MIGRATIONS",
    "MISSING",
    "TRIGGER_TYPES",
    "Action",
    "Automation",
    "AutomationError",
    "Catalog",
    "FieldShape",
    "FormShape",
    "Trigger",
    "check_automation",
    "parse_automation",
    "parse_cron",
    "upgrade",
]

CURRENT_VERSION: Final = 1
FIRST_VERSION: Final = 1
# MIGRATIONS[n] is the pure ``migrate_vN`` turning a version-n document into n + 1.
# Version 1 is the first format, so the chain is still empty.
MIGRATIONS: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = MappingProxyType({})

DOCUMENT_KEYS = ("version", "trigger", "condition", "actions")
EVENT_CONDITION_TRIGGERS = frozenset({"record_updated", "field_changed"})
DEFAULT_AT = "09:00"
MAX_OFFSET_DAYS = 3650

# trigger type → (keys besides "type", required keys)
TRIGGER_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "record_created": (("form",), ("form",)),
    "record_updated": (("form", "fields"), ("form",)),
    "record_deleted": (("form",), ("form",)),
    "field_changed": (("form", "field", "from", "to"), ("form", "field")),
    "form_submitted": (("form",), ("form",)),
    "survey_submitted": (("form",), ("form",)),
    "tier_changed": (("form", "scheme", "to"), ("form",)),
    "schedule": (("cron",), ("cron",)),
    "date_relative": (("form", "date_field", "offset_days", "at"), ("form", "date_field")),
    "manual": (("form", "label"), ("form",)),
}
assert set(TRIGGER_KEYS) == TRIGGER_TYPES


def upgrade(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Bring an automation document to ``CURRENT_VERSION`` through ``MIGRATIONS``.

    Returns a deep copy; the input is never modified.

    Args:
        doc: The stored document.

    Raises:
        AutomationError: ``automation_not_object``; ``automation_version_missing`` (no
            integer ``version``); ``automation_version_unknown`` (older than the first
            format); ``automation_version_newer`` (written by a newer Formwork).
    """
    if not isinstance(doc, Mapping):
        raise AutomationError("automation_not_object")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise AutomationError("automation_version_missing", path=("version",))
    if version > CURRENT_VERSION:
        raise AutomationError(
            "automation_version_newer", path=("version",), version=version, current=CURRENT_VERSION
        )
    if version < FIRST_VERSION:
        raise AutomationError(
            "automation_version_unknown", path=("version",), version=version, first=FIRST_VERSION
        )
    result: dict[str, Any] = copy.deepcopy(dict(doc))
    while version < CURRENT_VERSION:
        result = MIGRATIONS[version](result)
        version += 1
        result["version"] = version
    return result


def check_automation(doc: Any, catalog: Catalog | None) -> list[AutomationError]:
    """Every problem of an automation document, in document order (empty: it is fine).

    Args:
        doc: The decoded JSON document (any version; it is upgraded first).
        catalog: The workspace's forms, members and available actions. Without it only
            the document's shape is checked (used at run time on a stored document).

    Returns:
        ``AutomationError``\\ s, each with ``code``, ``params``, ``path`` and maybe a
        ``suggestion``; condition problems keep their ``condition_*`` code.
    """
    try:
        document = upgrade(doc)
    except AutomationError as exc:
        return [exc]
    checker = Checker(catalog)
    checker.keys(document, (), DOCUMENT_KEYS, ("trigger", "actions"))
    if "trigger" in document:
        _check_trigger(checker, document["trigger"])
    if document.get("condition") is not None:
        _check_condition(checker, document["condition"])
    if "actions" in document:
        check_actions(checker, document["actions"])
    return checker.problems


def parse_automation(doc: Any, catalog: Catalog | None = None) -> Automation:
    """Upgrade and check a document, and return it typed.

    Args:
        doc: The decoded JSON document.
        catalog: The workspace's catalog; without it only shapes are checked and the
            condition is parsed untyped.

    Raises:
        AutomationError: the first problem ``check_automation`` finds.
    """
    problems = check_automation(doc, catalog)
    if problems:
        raise problems[0]
    document = upgrade(doc)
    trigger = _trigger(document["trigger"])
    form = catalog.forms.get(trigger.form) if catalog and trigger.form else None
    kinds = form.kinds() if form is not None else None
    raw_condition = document.get("condition")
    condition = parse_condition(raw_condition, fields=kinds) if raw_condition is not None else None
    actions = tuple(
        Action(
            id=action["id"],
            type=action["type"],
            config=MappingProxyType(
                {key: value for key, value in action.items() if key not in ("id", "type")}
            ),
        )
        for action in document["actions"]
    )
    return Automation(
        version=document["version"],
        trigger=trigger,
        condition=condition,
        actions=actions,
        document=document,
    )


# -- the trigger -------------------------------------------------------------------------
def _check_trigger(checker: Checker, doc: Any) -> None:
    path: Path = ("trigger",)
    trigger = checker.obj(doc, path)
    if trigger is None:
        return
    kind = trigger.get("type")
    if "type" not in trigger:
        checker.add("automation_missing_key", path, name="type")
        return
    if not isinstance(kind, str):
        checker.wrong_type((*path, "type"), "text")
        return
    scope = checker.scope
    if kind not in TRIGGER_TYPES:
        checker.add_hinted("automation_unknown_trigger", (*path, "type"), kind, TRIGGER_TYPES)
    else:
        allowed, required = TRIGGER_KEYS[kind]
        checker.keys(trigger, path, ("type", *allowed), required)
        scope.trigger_type = kind
    # With an unknown type the form is still checked, so that the condition and the
    # templates are checked against it too.
    if "form" in trigger and kind != "schedule":
        scope.form_key = checker.text(trigger, "form", path, max_len=64)
        scope.form = checker.form(scope.form_key, (*path, "form"))
    form = scope.form
    if kind == "record_updated" and "fields" in trigger:
        fields = trigger["fields"]
        if not isinstance(fields, list):
            checker.wrong_type((*path, "fields"), "list")
        elif not fields:
            checker.add("automation_empty", (*path, "fields"))
        else:
            for i, name in enumerate(fields):
                if isinstance(name, str):
                    checker.field(form, name, (*path, "fields", i))
                else:
                    checker.wrong_type((*path, "fields", i), "text")
    elif kind == "field_changed":
        checker.field(form, checker.text(trigger, "field", path, max_len=63), (*path, "field"))
        for key in ("from", "to"):
            if key in trigger:
                checker.json_value(trigger[key], (*path, key))
    elif kind == "tier_changed":
        check_tier_trigger(checker, trigger, path)
    elif kind == "schedule":
        cron = trigger.get("cron")
        if not isinstance(cron, str) and "cron" in trigger:
            checker.wrong_type((*path, "cron"), "text")
        elif isinstance(cron, str):
            try:
                parse_cron(cron, path=(*path, "cron"))
            except AutomationError as exc:
                checker.problems.append(exc)
    elif kind == "date_relative":
        name = checker.text(trigger, "date_field", path, max_len=63)
        shape = checker.field(form, name, (*path, "date_field"))
        # The kind, not the type: a rollup or lookup of a date (e.g. the last order's
        # date) is a date too.
        if shape is not None and shape.kind not in ("date", "datetime"):
            checker.add("automation_not_date_field", (*path, "date_field"), name=name)
        checker.integer(trigger, "offset_days", path, -MAX_OFFSET_DAYS, MAX_OFFSET_DAYS)
        checker.time_of_day(trigger, "at", path)
    elif kind == "manual":
        checker.text(trigger, "label", path, max_len=100)


def _check_condition(checker: Checker, doc: Any) -> None:
    path: Path = ("condition",)
    scope = checker.scope
    if scope.trigger_type in RECORDLESS_TRIGGERS:
        checker.add("automation_condition_no_record", path)
        return
    condition = checker.condition(doc, path, scope.form)
    if (
        condition is not None
        and scope.trigger_type is not None
        and scope.trigger_type not in EVENT_CONDITION_TRIGGERS
        and uses_event_operators(condition)
    ):
        checker.add("automation_event_condition", path)


def _trigger(doc: Mapping[str, Any]) -> Trigger:
    """The typed trigger of a checked document."""
    kind = doc["type"]
    at = parse_time(doc.get("at", DEFAULT_AT)) if kind == "date_relative" else None
    return Trigger(
        type=kind,
        form=doc.get("form"),
        field=doc.get("field"),
        fields=tuple(doc.get("fields", ())),
        from_value=copy.deepcopy(doc["from"]) if "from" in doc else MISSING,
        to_value=copy.deepcopy(doc["to"]) if "to" in doc else MISSING,
        scheme=doc.get("scheme"),
        cron=parse_cron(doc["cron"]) if kind == "schedule" else None,
        date_field=doc.get("date_field"),
        offset_days=doc.get("offset_days", 0),
        at=at,
        label=doc.get("label"),
    )

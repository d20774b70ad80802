"""Which events fire which automations: ``trigger_matches`` and ``condition_holds``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from form_engine.conditions import EvalContext, evaluate
from form_engine.conditions.values import json_equal
from workflow_engine.model import MISSING, Automation, Trigger

EVENT_TYPES: Final = frozenset(
    {
        "created",
        "updated",
        "deleted",
        "restored",
        "form_submitted",
        "survey_submitted",
        "tier_changed",
        "schedule",
        "date_due",
        "manual",
        "backfill",
    }
)

# trigger type → the event type that fires it (backfill aside).
_FIRED_BY: Final = {
    "record_created": "created",
    "record_updated": "updated",
    "record_deleted": "deleted",
    "field_changed": "updated",
    "form_submitted": "form_submitted",
    "survey_submitted": "survey_submitted",
    "tier_changed": "tier_changed",
    "schedule": "schedule",
    "date_relative": "date_due",
    "manual": "manual",
}
# Triggers a back-fill (running an automation on existing records on purpose) can fire.
BACKFILL_TRIGGERS: Final = frozenset(
    {"record_created", "record_updated", "field_changed", "date_relative", "manual", "tier_changed"}
)


@dataclass(frozen=True)
class Event:
    """Something that happened, as the workflow engine sees it.

    Attributes:
        type: One of ``EVENT_TYPES``.
        form: The form key of the record concerned (None for a schedule tick).
        record: The record's data after the event (None when there is no record).
        previous: The data before (None for a created record).
        changed: The keys of the fields that changed.
        extra: Details of the event, e.g. ``{"scheme": "abc", "from": "B", "to": "A"}``
            for ``tier_changed``.
    """

    type: str
    form: str | None = None
    record: Mapping[str, Any] | None = None
    previous: Mapping[str, Any] | None = None
    changed: frozenset[str] = frozenset()
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def _field_value(record: Mapping[str, Any] | None, key: str | None) -> Any:
    return record.get(key) if record is not None and key is not None else None


def _field_changed(trigger: Trigger, event: Event) -> bool:
    after = _field_value(event.record, trigger.field)
    if event.type == "updated":
        if trigger.field not in event.changed:
            return False
        before = _field_value(event.previous, trigger.field)
    elif event.type == "created":
        if after is None:
            return False
        before = None  # a created record counts as a change from null
    else:
        return False
    if trigger.from_value is not MISSING and not json_equal(before, trigger.from_value):
        return False
    return trigger.to_value is MISSING or json_equal(after, trigger.to_value)


def _backfill(trigger: Trigger, event: Event) -> bool:
    if trigger.type not in BACKFILL_TRIGGERS:
        return False
    if trigger.type == "field_changed" and trigger.to_value is not MISSING:
        return event.record is not None and json_equal(
            _field_value(event.record, trigger.field), trigger.to_value
        )
    return True


def trigger_matches(trigger: Trigger, event: Event) -> bool:
    """Whether ``event`` fires ``trigger`` (the condition is checked separately).

    Form-based triggers need ``event.form == trigger.form``. ``field_changed`` compares
    ``from``/``to`` as raw JSON (``1 == 1.0``, but ``1 != true`` and ``"1" != 1``); a
    created record with a value counts as a change from null. A ``backfill`` event fires
    record_created, record_updated, field_changed (when the record now holds ``to``, if
    given), date_relative, manual and tier_changed triggers of its form — never a
    schedule, a deletion or a submission.

    Args:
        trigger: A checked trigger.
        event: The event.
    """
    if trigger.type != "schedule" and trigger.form != event.form:
        return False
    if event.type == "backfill":
        return _backfill(trigger, event)
    if _FIRED_BY.get(trigger.type) != event.type and trigger.type != "field_changed":
        return False
    if trigger.type == "record_updated" and trigger.fields:
        return not event.changed.isdisjoint(trigger.fields)
    if trigger.type == "field_changed":
        return _field_changed(trigger, event)
    if trigger.type == "tier_changed":
        if trigger.scheme is not None and event.extra.get("scheme") != trigger.scheme:
            return False
        return trigger.to_value is MISSING or json_equal(event.extra.get("to"), trigger.to_value)
    return True


def condition_holds(automation: Automation, event: Event, today: date) -> bool:
    """Whether the automation's condition holds for the event's record.

    No condition: True. A condition but no record (a schedule tick): False.

    Args:
        automation: The automation.
        event: The event; ``previous`` feeds ``changed``/``was``.
        today: The workspace's date, for ``today`` and ``days_since``.
    """
    if automation.condition is None:
        return True
    if event.record is None:
        return False
    context = EvalContext(today=today, previous=event.previous)
    return evaluate(automation.condition, event.record, context=context)

"""Trigger matching (a truth table for every trigger type) and conditions on events."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from form_engine.conditions import parse_condition
from workflow_engine.documents import MISSING, Action, Automation, Trigger
from workflow_engine.triggers import EVENT_TYPES, Event, condition_holds, trigger_matches

CREATED = Event("created", "customers", {"level": "vip", "n": 1}, None, frozenset({"level", "n"}))
CREATED_EMPTY = Event("created", "customers", {"level": None}, None, frozenset())


def updated(before: dict[str, Any], after: dict[str, Any], form: str = "customers") -> Event:
    changed = frozenset(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return Event("updated", form, after, before, changed)


def tier(scheme: str, to: str, form: str = "customers") -> Event:
    return Event(
        "tier_changed", form, {"tier": to}, None, frozenset(), {"scheme": scheme, "to": to}
    )


def T(kind: str, **keys: Any) -> Trigger:
    return Trigger(kind, **({"form": "customers"} | keys))


FC = "field_changed"
TRUTH: list[tuple[str, Trigger, Event, bool]] = [
    # record_created
    ("created fires created", T("record_created"), CREATED, True),
    ("created ignores updated", T("record_created"), updated({"n": 1}, {"n": 2}), False),
    ("created ignores other forms", T("record_created"), Event("created", "orders", {}), False),
    ("created ignores manual", T("record_created"), Event("manual", "customers", {}), False),
    # record_updated
    ("updated fires updated", T("record_updated"), updated({"n": 1}, {"n": 2}), True),
    ("updated ignores created", T("record_updated"), CREATED, False),
    ("updated ignores deleted", T("record_updated"), Event("deleted", "customers", {}), False),
    ("updated other form", T("record_updated"), updated({"n": 1}, {"n": 2}, "orders"), False),
    (
        "fields: one changed",
        T("record_updated", fields=("a", "n")),
        updated({"n": 1}, {"n": 2}),
        True,
    ),
    (
        "fields: none changed",
        T("record_updated", fields=("a",)),
        updated({"n": 1}, {"n": 2}),
        False,
    ),
    # record_deleted
    ("deleted fires deleted", T("record_deleted"), Event("deleted", "customers", {"n": 1}), True),
    ("deleted ignores restored", T("record_deleted"), Event("restored", "customers", {}), False),
    # field_changed
    ("field in changed", T(FC, field="n"), updated({"n": 1}, {"n": 2}), True),
    ("field not in changed", T(FC, field="level"), updated({"n": 1}, {"n": 2}), False),
    ("to matches", T(FC, field="n", to_value=2), updated({"n": 1}, {"n": 2}), True),
    ("to 2.0 equals 2", T(FC, field="n", to_value=2.0), updated({"n": 1}, {"n": 2}), True),
    ("to other value", T(FC, field="n", to_value=3), updated({"n": 1}, {"n": 2}), False),
    ("to true is not 1", T(FC, field="n", to_value=True), updated({"n": 0}, {"n": 1}), False),
    ("to '1' is not 1", T(FC, field="n", to_value="1"), updated({"n": 0}, {"n": 1}), False),
    ("to null: cleared", T(FC, field="n", to_value=None), updated({"n": 1}, {"n": None}), True),
    ("to null: removed", T(FC, field="n", to_value=None), updated({"n": 1}, {}), True),
    ("from matches", T(FC, field="n", from_value=1), updated({"n": 1}, {"n": 2}), True),
    ("from other value", T(FC, field="n", from_value=5), updated({"n": 1}, {"n": 2}), False),
    ("from and to", T(FC, field="n", from_value=1, to_value=2), updated({"n": 1}, {"n": 2}), True),
    (
        "from ok, to not",
        T(FC, field="n", from_value=1, to_value=3),
        updated({"n": 1}, {"n": 2}),
        False,
    ),
    ("from null, set", T(FC, field="n", from_value=None), updated({}, {"n": 2}), True),
    ("lists by value", T(FC, field="t", to_value=["a", 1]), updated({}, {"t": ["a", 1.0]}), True),
    ("created with value", T(FC, field="level"), CREATED, True),
    ("created with to", T(FC, field="level", to_value="vip"), CREATED, True),
    ("created, other to", T(FC, field="level", to_value="gold"), CREATED, False),
    ("created from null", T(FC, field="level", from_value=None), CREATED, True),
    ("created from value", T(FC, field="level", from_value="x"), CREATED, False),
    ("created without value", T(FC, field="level"), CREATED_EMPTY, False),
    ("created, field absent", T(FC, field="other"), CREATED, False),
    ("field other form", T(FC, field="n"), updated({"n": 1}, {"n": 2}, "orders"), False),
    ("field ignores deleted", T(FC, field="n"), Event("deleted", "customers", {"n": 1}), False),
    # submissions
    ("form submitted", T("form_submitted"), Event("form_submitted", "customers", {}), True),
    ("form vs survey", T("form_submitted"), Event("survey_submitted", "customers", {}), False),
    ("survey submitted", T("survey_submitted"), Event("survey_submitted", "customers", {}), True),
    ("survey vs created", T("survey_submitted"), CREATED, False),
    ("submitted other form", T("form_submitted"), Event("form_submitted", "orders", {}), False),
    # tier_changed
    ("tier any", T("tier_changed"), tier("rfm", "a"), True),
    ("tier scheme matches", T("tier_changed", scheme="rfm"), tier("rfm", "a"), True),
    ("tier other scheme", T("tier_changed", scheme="abc"), tier("rfm", "a"), False),
    ("tier to matches", T("tier_changed", to_value="a"), tier("rfm", "a"), True),
    ("tier other to", T("tier_changed", to_value="b"), tier("rfm", "a"), False),
    ("tier other form", T("tier_changed"), tier("rfm", "a", "orders"), False),
    ("tier vs updated", T("tier_changed"), updated({"n": 1}, {"n": 2}), False),
    # schedule
    ("schedule tick", Trigger("schedule", cron="0 9 * * *"), Event("schedule"), True),
    ("schedule ignores form", Trigger("schedule", cron="* * * * *"), Event("schedule", "x"), True),
    ("schedule vs created", Trigger("schedule", cron="* * * * *"), CREATED, False),
    # date_relative
    ("date due", T("date_relative", date_field="d"), Event("date_due", "customers", {}), True),
    ("date other form", T("date_relative", date_field="d"), Event("date_due", "orders", {}), False),
    ("date vs updated", T("date_relative", date_field="d"), updated({"d": 1}, {"d": 2}), False),
    # manual
    ("manual button", T("manual"), Event("manual", "customers", {"n": 1}), True),
    ("manual other form", T("manual"), Event("manual", "orders", {"n": 1}), False),
    ("manual vs created", T("manual"), CREATED, False),
]

BACKFILL = Event("backfill", "customers", {"level": "vip", "n": 1})
BACKFILL_TRUTH: list[tuple[str, Trigger, Event, bool]] = [
    ("created", T("record_created"), BACKFILL, True),
    ("updated", T("record_updated"), BACKFILL, True),
    ("updated with fields", T("record_updated", fields=("zzz",)), BACKFILL, True),
    ("field_changed", T(FC, field="level"), BACKFILL, True),
    ("field_changed to held", T(FC, field="level", to_value="vip"), BACKFILL, True),
    ("field_changed to not held", T(FC, field="level", to_value="gold"), BACKFILL, False),
    (
        "field_changed to, no record",
        T(FC, field="level", to_value="vip"),
        Event("backfill", "customers"),
        False,
    ),
    ("date_relative", T("date_relative", date_field="d"), BACKFILL, True),
    ("manual", T("manual"), BACKFILL, True),
    ("tier_changed", T("tier_changed", scheme="rfm"), BACKFILL, True),
    ("other form", T("record_created"), Event("backfill", "orders", {}), False),
    ("never schedule", Trigger("schedule", cron="* * * * *"), BACKFILL, False),
    ("never deleted", T("record_deleted"), BACKFILL, False),
    ("never form submitted", T("form_submitted"), BACKFILL, False),
    ("never survey submitted", T("survey_submitted"), BACKFILL, False),
]


@pytest.mark.parametrize(
    ("trigger", "event", "expected"),
    [pytest.param(t, e, x, id=name) for name, t, e, x in TRUTH + BACKFILL_TRUTH],
)
def test_trigger_matches_truth_table(trigger: Trigger, event: Event, expected: bool) -> None:
    assert trigger_matches(trigger, event) is expected


@pytest.mark.parametrize(
    "kind",
    [
        "record_created",
        "record_updated",
        "record_deleted",
        "field_changed",
        "form_submitted",
        "survey_submitted",
        "tier_changed",
        "date_relative",
        "manual",
    ],
)
def test_form_triggers_never_fire_for_another_form(kind: str) -> None:
    trigger = T(kind, field="n")
    for event_type in EVENT_TYPES:
        event = Event(event_type, "orders", {"n": 1}, {"n": 0}, frozenset({"n"}))
        assert not trigger_matches(trigger, event), event_type


def test_absent_from_and_to_are_missing_not_null() -> None:
    trigger = T(FC, field="n")
    assert trigger.from_value is MISSING and trigger.to_value is MISSING
    assert trigger_matches(trigger, updated({"n": 1}, {"n": None}))


# -- condition_holds -------------------------------------------------------------------
TODAY = date(2026, 11, 15)


def auto(condition: Any) -> Automation:
    parsed = parse_condition(condition) if condition is not None else None
    return Automation(1, T("record_updated"), parsed, (Action("a1", "wait", {"minutes": 1}),), {})


CONDITIONS: list[tuple[str, Any, Event, bool]] = [
    ("no condition", None, updated({"n": 1}, {"n": 2}), True),
    ("no condition, no record", None, Event("schedule"), True),
    ("condition, no record", True, Event("schedule"), False),
    ("holds", {">=": [{"var": "n"}, 2]}, updated({"n": 1}, {"n": 2}), True),
    ("does not hold", {">=": [{"var": "n"}, 3]}, updated({"n": 1}, {"n": 2}), False),
    ("changed: yes", {"changed": "n"}, updated({"n": 1}, {"n": 2}), True),
    (
        "changed: no",
        {"changed": "level"},
        updated({"n": 1, "level": "a"}, {"n": 2, "level": "a"}),
        False,
    ),
    ("changed: 1 to 1.0 is no change", {"changed": "n"}, updated({"n": 1}, {"n": 1.0}), False),
    ("changed on created", {"changed": "level"}, CREATED, True),
    (
        "was: yes",
        {"was": ["level", "normal"]},
        updated({"level": "normal"}, {"level": "vip"}),
        True,
    ),
    ("was: no", {"was": ["level", "gold"]}, updated({"level": "normal"}, {"level": "vip"}), False),
    ("was on created", {"was": ["level", "normal"]}, CREATED, False),
    (
        "was and now",
        {"and": [{"was": ["level", "normal"]}, {"==": [{"var": "level"}, "vip"]}]},
        updated({"level": "normal"}, {"level": "vip"}),
        True,
    ),
    (
        "today",
        {"==": [{"var": "d"}, {"today": []}]},
        Event("date_due", "c", {"d": "2026-11-15"}),
        True,
    ),
    (
        "days_since",
        {">=": [{"days_since": [{"var": "d"}]}, 30]},
        Event("date_due", "c", {"d": "2026-10-16"}),
        True,
    ),
    (
        "days_since too recent",
        {">=": [{"days_since": [{"var": "d"}]}, 30]},
        Event("date_due", "c", {"d": "2026-10-17"}),
        False,
    ),
]


@pytest.mark.parametrize(
    ("condition", "event", "expected"),
    [pytest.param(c, e, x, id=name) for name, c, e, x in CONDITIONS],
)
def test_condition_holds_on_the_event_record(condition: Any, event: Event, expected: bool) -> None:
    assert condition_holds(auto(condition), event, TODAY) is expected

# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Automation documents: upgrades, every check of check_automation, parse_automation."""

from __future__ import annotations

import copy
from datetime import datetime, time
from typing import Any

import pytest

from form_engine.conditions import Op
from workflow_engine import documents
from workflow_engine.cron import cron_matches
from workflow_engine.documents import (
    ALL_ACTION_TYPES,
    CURRENT_VERSION,
    MISSING,
    AutomationError,
    Catalog,
    FieldShape,
    FormShape,
    check_automation,
    parse_automation,
    parse_cron,
    upgrade,
)
from workflow_engine.errors import TemplateError

CUSTOMERS = FormShape(
    "customers",
    {
        "name": FieldShape("text", "text"),
        "level": FieldShape("select", "text"),
        "total_spent": FieldShape("rollup", "number", computed=True),
        "last_order_on": FieldShape("rollup", "date", computed=True),
        "delivered_on": FieldShape("date", "date"),
        "sales_rep": FieldShape("member", "integer"),
        "tags": FieldShape("tags", "json"),
        "phone": FieldShape("phone", "text"),
        "intro": FieldShape("section", "json"),
    },
)
ORDERS = FormShape(
    "orders",
    {
        "customer": FieldShape("link", "integer", link_form="customers"),
        "supplier": FieldShape("link", "integer", link_form="suppliers"),
        "amount": FieldShape("money", "number"),
        "note": FieldShape("textarea", "text"),
        "number": FieldShape("autonumber", "integer", computed=True),
    },
)
NPS = FormShape(
    "nps",
    {
        "customer": FieldShape("link", "integer", link_form="customers"),
        "orders": FieldShape("link", "json", link_form="orders", multiple=True),
        "score": FieldShape("nps", "integer"),
    },
)
# A survey with no link to customers: its answers could not be attached to them.
POLL = FormShape("poll", {"score": FieldShape("nps", "integer")})
CATALOG = Catalog(
    forms={"customers": CUSTOMERS, "orders": ORDERS, "nps": NPS, "poll": POLL},
    members=frozenset({1, 2, 7}),
)

EXAMPLE: dict[str, Any] = {
    "version": 1,
    "trigger": {"type": "field_changed", "form": "customers", "field": "level", "to": "vip"},
    "condition": {">=": [{"var": "total_spent"}, 50000]},
    "actions": [
        {
            "id": "a1",
            "type": "create_task",
            "title": "Call {{ record.name }}",
            "assignee": {"kind": "owner"},
            "due": {"days": 3},
        },
        {
            "id": "a2",
            "type": "notify",
            "to": {"kind": "owner"},
            "title": "{{ record.name }} is VIP",
            "email": True,
        },
    ],
}

NOTE = {"id": "n1", "type": "notify", "to": {"kind": "user", "id": 7}, "title": "Hello"}


def automation(
    trigger: dict[str, Any] | None = None,
    *actions: dict[str, Any],
    condition: Any = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 1,
        "trigger": trigger or {"type": "record_created", "form": "customers"},
        "actions": list(actions) or [NOTE],
    }
    if condition is not None:
        doc["condition"] = condition
    return doc


def act(kind: str, **keys: Any) -> dict[str, Any]:
    return {"id": "a1", "type": kind, **keys}


def codes(doc: Any, catalog: Catalog | None = CATALOG) -> list[tuple[str, tuple[str | int, ...]]]:
    return [(problem.code, problem.path) for problem in check_automation(doc, catalog)]


# -- versions --------------------------------------------------------------------------
def test_current_document_upgrades_to_an_equal_deep_copy() -> None:
    upgraded = upgrade(EXAMPLE)
    assert upgraded == EXAMPLE and upgraded is not EXAMPLE
    upgraded["actions"][0]["title"] = "changed"
    assert EXAMPLE["actions"][0]["title"] == "Call {{ record.name }}"


def test_old_documents_upgrade_through_every_migration_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def migrate_v1(doc: dict[str, Any]) -> dict[str, Any]:
        doc["trigger"] = doc.pop("when")
        return doc

    def migrate_v2(doc: dict[str, Any]) -> dict[str, Any]:
        doc["actions"] = doc.pop("steps")
        return doc

    monkeypatch.setattr(documents, "CURRENT_VERSION", 3)
    monkeypatch.setattr(documents, "MIGRATIONS", {1: migrate_v1, 2: migrate_v2})
    original = {"version": 1, "when": {"type": "manual"}, "steps": []}
    assert upgrade(original) == {"version": 3, "trigger": {"type": "manual"}, "actions": []}
    assert original == {"version": 1, "when": {"type": "manual"}, "steps": []}
    assert upgrade({"version": 2, "trigger": {}, "steps": [1]}) == {
        "version": 3,
        "trigger": {},
        "actions": [1],
    }


@pytest.mark.parametrize(
    ("doc", "code"),
    [
        ({}, "automation_version_missing"),
        ({"version": "1"}, "automation_version_missing"),
        ({"version": True}, "automation_version_missing"),
        ({"version": 1.0}, "automation_version_missing"),
        ({"version": 0}, "automation_version_unknown"),
        ({"version": CURRENT_VERSION + 1}, "automation_version_newer"),
    ],
)
def test_bad_versions_are_refused_with_a_code_at_the_version(doc: Any, code: str) -> None:
    with pytest.raises(AutomationError) as caught:
        upgrade(doc)
    assert caught.value.code == code and caught.value.path == ("version",)
    assert codes(doc) == [(code, ("version",))]


def test_a_newer_version_says_to_upgrade_formwork_in_both_languages() -> None:
    with pytest.raises(AutomationError) as caught:
        upgrade({"version": 9})
    assert "upgrade Formwork" in caught.value.message_in("en")
    assert "请升级 Formwork" in caught.value.message_in("zh-CN")


@pytest.mark.parametrize("doc", [None, [], "automation", 3])
def test_a_document_that_is_not_an_object_is_refused(doc: Any) -> None:
    assert codes(doc) == [("automation_not_object", ())]


# -- good documents --------------------------------------------------------------------
GOOD_TRIGGERS: list[dict[str, Any]] = [
    {"type": "record_created", "form": "customers"},
    {"type": "record_updated", "form": "customers"},
    {"type": "record_updated", "form": "customers", "fields": ["level", "total_spent"]},
    {"type": "record_deleted", "form": "customers"},
    {"type": "field_changed", "form": "customers", "field": "level"},
    {"type": "field_changed", "form": "customers", "field": "level", "from": None, "to": "vip"},
    {"type": "field_changed", "form": "customers", "field": "tags", "to": ["a", {"b": 1}]},
    {"type": "form_submitted", "form": "nps"},
    {"type": "survey_submitted", "form": "nps"},
    {"type": "tier_changed", "form": "customers"},
    {"type": "tier_changed", "form": "customers", "scheme": "rfm", "to": "champions"},
    {"type": "schedule", "cron": "0 9 * * mon-fri"},
    {"type": "date_relative", "form": "customers", "date_field": "delivered_on", "offset_days": 3},
    {
        "type": "date_relative",
        "form": "customers",
        "date_field": "last_order_on",
        "offset_days": -90,
        "at": "18:30",
    },
    {"type": "manual", "form": "customers", "label": "Call now"},
]


@pytest.mark.parametrize("trigger", GOOD_TRIGGERS, ids=lambda t: t["type"])
def test_every_trigger_type_is_accepted_in_its_documented_shape(trigger: dict[str, Any]) -> None:
    assert codes(automation(trigger)) == []


GOOD_ACTIONS: list[dict[str, Any]] = [
    act("update_record", values={"level": "vip", "phone": "{{ record.phone }}", "tags": ["a"]}),
    act(
        "create_record",
        form="orders",
        values={"amount": "{{ record.total_spent }}", "note": "From {{ record.name }}"},
        link_field="customer",
    ),
    act("create_record", form="orders", values={}),
    act("assign_owner", mode="fixed", members=[7]),
    act("assign_owner", mode="round_robin", members=[1, 2]),
    act("assign_owner", mode="least_loaded", members=[1, 2, 7]),
    act(
        "create_task",
        title="Call {{ record.name }} ({{ record.owner.name }})",
        notes="{{ record.url }} {{ trigger.to }} {{ workspace.name }} {{ today + 1 week }}",
        assignee={"kind": "field", "field": "sales_rep"},
        due={"days": 1, "hours": 2, "minutes": 30, "at": "09:00"},
        remind_before_minutes=60,
        repeat_every_days=7,
        repeat_while={"!=": [{"var": "level"}, "lost"]},
    ),
    act("create_task", title="Call", assignee={"kind": "actor"}),
    act("notify", to={"kind": "owner"}, title="Hi", body="{{ record.name }}", email=False),
    act("add_tag", field="tags", tag="vip"),
    act("remove_tag", field="tags", tag="{{ record.level }}"),
    act("webhook", url="https://hooks.example.com/x?y=1"),
    act(
        "webhook",
        url="http://10.0.0.5:8080/in",
        secret="s3cret",
        payload={"name": "{{ record.name }}", "nested": {"at": "{{ now }}"}, "n": 1},
    ),
    act("wait", minutes=1),
    act("wait", days=365),
    act("wait", hours=2, minutes=30),
    act("recompute_tiers", scheme="rfm"),
    act("send_survey", form="nps"),
    act("send_survey", form="nps", expires_days=14),
    act("send_survey", form="nps", expires_days=14, remind_after_days=3),
]
SURVEY = {"type": "survey_submitted", "form": "nps"}
# The closed loop: act on the customer a survey answer links to.
LINKED_ACTIONS: list[dict[str, Any]] = [
    act(
        "update_record",
        record={"link": "customer"},
        values={"level": "vip", "phone": "{{ record.score }}"},
    ),
    act(
        "create_task",
        record={"link": "customer"},
        title="Call back: NPS {{ record.score }}",
        assignee={"kind": "owner"},
        due={"days": 1},
        repeat_every_days=7,
        repeat_while={"!=": [{"var": "level"}, "vip"]},
    ),
    act(
        "create_task",
        record={"link": "customer"},
        title="Call back",
        assignee={"kind": "field", "field": "sales_rep"},
    ),
]


@pytest.mark.parametrize("action", GOOD_ACTIONS, ids=lambda a: a["type"])
def test_every_action_type_is_accepted_in_its_documented_shape(action: dict[str, Any]) -> None:
    assert codes(automation(None, action)) == []


@pytest.mark.parametrize("action", LINKED_ACTIONS, ids=lambda a: a["type"])
def test_update_and_task_may_act_on_the_record_a_survey_answer_links_to(
    action: dict[str, Any],
) -> None:
    """Values, member fields and repeat conditions are checked against the linked form."""
    assert codes(automation(SURVEY, action)) == []


@pytest.mark.parametrize(
    "doc",
    [
        EXAMPLE,
        automation(
            {"type": "record_updated", "form": "customers"},
            condition={"and": [{"changed": "level"}, {"was": ["level", "normal"]}]},
        ),
        automation(
            {"type": "field_changed", "form": "customers", "field": "level"},
            condition={"changed": "level"},
        ),
        automation(
            None,
            act("create_task", title="T", assignee={"kind": "owner"}),
            {**NOTE, "id": "a2", "title": "Task {{ steps.a1.task_id }}"},
        ),
        automation(
            {"type": "schedule", "cron": "*/30 8-18 * * 1-5"},
            act(
                "create_task", title="Weekly review {{ today }}", assignee={"kind": "user", "id": 1}
            ),
            act("webhook", id="a2", url="https://example.com", payload={"at": "{{ now }}"}),
        ),
        automation(None, condition=True),
        {**automation(None), "condition": None},
    ],
)
def test_complete_documents_have_no_problems(doc: dict[str, Any]) -> None:
    assert codes(doc) == []


# -- bad documents: (id, document, code, where) ----------------------------------------
# "automation_" codes may leave out their prefix; condition and template codes are in full.
TASK = {"title": "T", "assignee": {"kind": "owner"}}
SCHEDULE = {"type": "schedule", "cron": "0 9 * * *"}
OWNER = {"kind": "owner"}


def on(kind: str, *actions: dict[str, Any], **keys: Any) -> dict[str, Any]:
    """A document whose trigger of ``kind`` is on the customers form."""
    return automation({"type": kind, "form": "customers", **keys}, *actions)


def do(kind: str, trigger: dict[str, Any] | None = None, **keys: Any) -> dict[str, Any]:
    """A document with one action."""
    return automation(trigger, act(kind, **keys))


def when(condition: Any, trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    return automation(trigger, condition=condition)


def note(title: str, **keys: Any) -> dict[str, Any]:
    return do("notify", to=OWNER, title=title, **keys)


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    # the document
    ("unknown top key", {**automation(), "conditon": True}, "unknown_key_hint", "/conditon"),
    ("no trigger", {"version": 1, "actions": [NOTE]}, "missing_key", ""),
    ("no actions", {"version": 1, "trigger": SCHEDULE}, "missing_key", ""),
    # the trigger
    ("trigger not object", {**automation(), "trigger": "x"}, "not_object", "/trigger"),
    ("trigger type missing", automation({"form": "customers"}), "missing_key", "/trigger"),
    ("trigger type unknown", on("record_create"), "unknown_trigger_hint", "/trigger/type"),
    ("trigger type number", automation({"type": 3}), "wrong_type", "/trigger/type"),
    ("trigger unknown key", on("record_created", fomr=1), "unknown_key_hint", "/trigger/fomr"),
    ("trigger form missing", automation({"type": "record_created"}), "missing_key", "/trigger"),
    ("form unknown", on("record_created", form="customer"), "unknown_form_hint", "/trigger/form"),
    ("form far off", on("record_created", form="zzz"), "unknown_form", "/trigger/form"),
    ("form number", on("record_created", form=7), "wrong_type", "/trigger/form"),
    ("field_changed no field", on("field_changed"), "missing_key", "/trigger"),
    ("field unknown", on("field_changed", field="levle"), "unknown_field_hint", "/trigger/field"),
    ("field layout only", on("field_changed", field="intro"), "unknown_field", "/trigger/field"),
    ("field bad key", on("field_changed", field="Level"), "bad_field_key", "/trigger/field"),
    ("to NaN", on("field_changed", field="level", to=float("nan")), "wrong_type", "/trigger/to"),
    (
        "fields unknown",
        on("record_updated", fields=["level", "nmae"]),
        "unknown_field_hint",
        "/trigger/fields/1",
    ),
    ("fields empty", on("record_updated", fields=[]), "empty", "/trigger/fields"),
    ("fields text", on("record_updated", fields="level"), "wrong_type", "/trigger/fields"),
    (
        "date field not a date",
        on("date_relative", date_field="name"),
        "not_date_field",
        "/trigger/date_field",
    ),
    ("no date field", on("date_relative"), "missing_key", "/trigger"),
    (
        "offset too big",
        on("date_relative", date_field="delivered_on", offset_days=3651),
        "out_of_range",
        "/trigger/offset_days",
    ),
    (
        "offset float",
        on("date_relative", date_field="delivered_on", offset_days=1.5),
        "wrong_type",
        "/trigger/offset_days",
    ),
    (
        "bad at",
        on("date_relative", date_field="delivered_on", at="9:00"),
        "bad_time",
        "/trigger/at",
    ),
    (
        "bad cron",
        automation({"type": "schedule", "cron": "61 * * * *"}),
        "bad_cron_value",
        "/trigger/cron",
    ),
    (
        "cron of 4 fields",
        automation({"type": "schedule", "cron": "0 9 * *"}),
        "bad_cron_fields",
        "/trigger/cron",
    ),
    ("cron number", automation({"type": "schedule", "cron": 5}), "wrong_type", "/trigger/cron"),
    (
        "schedule form",
        automation({**SCHEDULE, "form": "customers"}),
        "unknown_key",
        "/trigger/form",
    ),
    ("tier scheme number", on("tier_changed", scheme=5), "wrong_type", "/trigger/scheme"),
    ("label too long", on("manual", label="x" * 101), "too_long", "/trigger/label"),
    ("label blank", on("manual", label=" "), "empty", "/trigger/label"),
    # the condition
    (
        "condition unknown field",
        when({">=": [{"var": "totl_spent"}, 1]}),
        "condition_unknown_field_hint",
        "/condition/>=/0/var",
    ),
    (
        "condition mismatch",
        when({"==": [{"var": "name"}, 1]}),
        "condition_type_mismatch",
        "/condition",
    ),
    (
        "condition operator",
        when({"and": [{"=": [1, 1]}]}),
        "condition_unknown_operator_hint",
        "/condition/and/0",
    ),
    ("on a schedule", when(True, SCHEDULE), "automation_condition_no_record", "/condition"),
    ("changed on created", when({"changed": "level"}), "event_condition", "/condition"),
    (
        "was on manual",
        when({"was": ["level", "a"]}, {"type": "manual", "form": "customers"}),
        "event_condition",
        "/condition",
    ),
    # the action list
    ("actions not a list", {**automation(), "actions": {}}, "wrong_type", "/actions"),
    ("no actions at all", {**automation(), "actions": []}, "action_count", "/actions"),
    (
        "21 actions",
        automation(None, *[{**NOTE, "id": f"a{i}"} for i in range(21)]),
        "action_count",
        "/actions",
    ),
    ("action not object", automation(None, NOTE, "notify"), "not_object", "/actions/1"),
    (
        "action id missing",
        automation(None, {"type": "wait", "minutes": 5}),
        "missing_key",
        "/actions/0",
    ),
    ("action id bad", automation(None, {**NOTE, "id": "1st"}), "bad_action_id", "/actions/0/id"),
    (
        "action id too long",
        automation(None, {**NOTE, "id": "a" * 33}),
        "bad_action_id",
        "/actions/0/id",
    ),
    ("action id number", automation(None, {**NOTE, "id": 1}), "wrong_type", "/actions/0/id"),
    ("action id twice", automation(None, NOTE, NOTE), "duplicate_action_id", "/actions/1/id"),
    ("action type missing", automation(None, {"id": "a1"}), "missing_key", "/actions/0"),
    ("action type unknown", do("notfy"), "unknown_action_hint", "/actions/0/type"),
    (
        "action unknown key",
        automation(None, {**NOTE, "titel": "x"}),
        "unknown_key_hint",
        "/actions/0/titel",
    ),
    # update_record / create_record
    (
        "update unknown field",
        do("update_record", values={"nme": 1}),
        "unknown_field_hint",
        "/actions/0/values/nme",
    ),
    (
        "update computed",
        do("update_record", values={"total_spent": 1}),
        "computed_field",
        "/actions/0/values/total_spent",
    ),
    (
        "update values list",
        do("update_record", values=["level"]),
        "not_object",
        "/actions/0/values",
    ),
    (
        "update on a schedule",
        do("update_record", SCHEDULE, values={}),
        "needs_record",
        "/actions/0",
    ),
    (
        "update bad template",
        do("update_record", values={"name": "{{ 1+1 }}"}),
        "template_bad_placeholder",
        "/actions/0/values/name",
    ),
    (
        "create unknown form",
        do("create_record", form="order", values={}),
        "unknown_form_hint",
        "/actions/0/form",
    ),
    (
        "create other field",
        do("create_record", form="orders", values={"zzz": 1}),
        "unknown_field",
        "/actions/0/values/zzz",
    ),
    (
        "create computed",
        do("create_record", form="orders", values={"number": 5}),
        "computed_field",
        "/actions/0/values/number",
    ),
    (
        "link not link",
        do("create_record", form="orders", values={}, link_field="note"),
        "not_link_field",
        "/actions/0/link_field",
    ),
    (
        "link elsewhere",
        do("create_record", form="orders", values={}, link_field="supplier"),
        "link_elsewhere",
        "/actions/0/link_field",
    ),
    (
        "link unknown",
        do("create_record", form="orders", values={}, link_field="custmer"),
        "unknown_field_hint",
        "/actions/0/link_field",
    ),
    (
        "link on schedule",
        do("create_record", SCHEDULE, form="orders", values={}, link_field="customer"),
        "needs_record",
        "/actions/0/link_field",
    ),
    # persons
    (
        "person unknown",
        do("notify", to={"kind": "ownr"}, title="x"),
        "unknown_person_hint",
        "/actions/0/to/kind",
    ),
    ("person text", do("notify", to="owner", title="x"), "not_object", "/actions/0/to"),
    ("person no kind", do("notify", to={"id": 7}, title="x"), "missing_key", "/actions/0/to"),
    (
        "user not member",
        do("notify", to={"kind": "user", "id": 9}, title="x"),
        "unknown_member",
        "/actions/0/to/id",
    ),
    ("user no id", do("notify", to={"kind": "user"}, title="x"), "missing_key", "/actions/0/to"),
    (
        "user id text",
        do("notify", to={"kind": "user", "id": "7"}, title="x"),
        "wrong_type",
        "/actions/0/to/id",
    ),
    (
        "field not member",
        do("notify", to={"kind": "field", "field": "name"}, title="x"),
        "not_member_field",
        "/actions/0/to/field",
    ),
    (
        "field unknown",
        do("notify", to={"kind": "field", "field": "zzz"}, title="x"),
        "unknown_field",
        "/actions/0/to/field",
    ),
    (
        "person extra key",
        do("notify", to={**OWNER, "id": 7}, title="x"),
        "unknown_key_hint",
        "/actions/0/to/id",
    ),
    (
        "owner on schedule",
        do("notify", SCHEDULE, to=OWNER, title="x"),
        "needs_record",
        "/actions/0/to",
    ),
    (
        "actor, no change",
        on(
            "date_relative",
            act("notify", to={"kind": "actor"}, title="x"),
            date_field="delivered_on",
        ),
        "no_actor",
        "/actions/0/to",
    ),
    # assign_owner
    (
        "fixed two",
        do("assign_owner", mode="fixed", members=[1, 2]),
        "fixed_one_member",
        "/actions/0/members",
    ),
    (
        "round robin nobody",
        do("assign_owner", mode="round_robin", members=[]),
        "needs_members",
        "/actions/0/members",
    ),
    (
        "member unknown",
        do("assign_owner", mode="least_loaded", members=[1, 99]),
        "unknown_member",
        "/actions/0/members/1",
    ),
    (
        "member twice",
        do("assign_owner", mode="round_robin", members=[1, 1]),
        "duplicate_member",
        "/actions/0/members/1",
    ),
    (
        "member boolean",
        do("assign_owner", mode="round_robin", members=[True]),
        "wrong_type",
        "/actions/0/members/0",
    ),
    (
        "mode unknown",
        do("assign_owner", mode="round-robin", members=[1]),
        "unknown_mode_hint",
        "/actions/0/mode",
    ),
    (
        "members not list",
        do("assign_owner", mode="fixed", members=7),
        "wrong_type",
        "/actions/0/members",
    ),
    (
        "assign on schedule",
        do("assign_owner", SCHEDULE, mode="fixed", members=[7]),
        "needs_record",
        "/actions/0",
    ),
    # create_task
    ("due empty", do("create_task", **TASK, due={}), "due_empty", "/actions/0/due"),
    (
        "due negative",
        do("create_task", **TASK, due={"days": -1}),
        "out_of_range",
        "/actions/0/due/days",
    ),
    (
        "due float",
        do("create_task", **TASK, due={"hours": 1.5}),
        "wrong_type",
        "/actions/0/due/hours",
    ),
    ("due bad at", do("create_task", **TASK, due={"at": "24:00"}), "bad_time", "/actions/0/due/at"),
    (
        "due unknown key",
        do("create_task", **TASK, due={"day": 1}),
        "unknown_key_hint",
        "/actions/0/due/day",
    ),
    (
        "remind negative",
        do("create_task", **TASK, due={"days": 1}, remind_before_minutes=-5),
        "out_of_range",
        "/actions/0/remind_before_minutes",
    ),
    (
        "remind without due",
        do("create_task", **TASK, remind_before_minutes=5),
        "remind_needs_due",
        "/actions/0/remind_before_minutes",
    ),
    (
        "repeat zero",
        do("create_task", **TASK, repeat_every_days=0),
        "out_of_range",
        "/actions/0/repeat_every_days",
    ),
    (
        "repeat 366",
        do("create_task", **TASK, repeat_every_days=366),
        "out_of_range",
        "/actions/0/repeat_every_days",
    ),
    (
        "repeat_while alone",
        do("create_task", **TASK, repeat_while=True),
        "repeat_needs_interval",
        "/actions/0/repeat_while",
    ),
    (
        "repeat_while field",
        do(
            "create_task", **TASK, repeat_every_days=1, repeat_while={"is_empty": [{"var": "levl"}]}
        ),
        "condition_unknown_field_hint",
        "/actions/0/repeat_while/is_empty/0/var",
    ),
    (
        "repeat_while changed",
        on(
            "record_updated",
            act("create_task", **TASK, repeat_every_days=1, repeat_while={"changed": "level"}),
        ),
        "repeat_event_condition",
        "/actions/0/repeat_while",
    ),
    ("task no assignee", do("create_task", title="T"), "missing_key", "/actions/0"),
    (
        "task blank title",
        do("create_task", title="  ", assignee=OWNER),
        "empty",
        "/actions/0/title",
    ),
    (
        "task long title",
        do("create_task", title="x" * 5001, assignee=OWNER),
        "too_long",
        "/actions/0/title",
    ),
    # notify
    ("notify no title", do("notify", to=OWNER), "missing_key", "/actions/0"),
    ("notify title number", do("notify", to=OWNER, title=5), "wrong_type", "/actions/0/title"),
    ("notify email text", note("x", email="yes"), "wrong_type", "/actions/0/email"),
    # tags
    (
        "tag field not tags",
        do("add_tag", field="level", tag="vip"),
        "not_tags_field",
        "/actions/0/field",
    ),
    (
        "tag field unknown",
        do("remove_tag", field="tag", tag="vip"),
        "unknown_field_hint",
        "/actions/0/field",
    ),
    ("tag empty", do("add_tag", field="tags", tag=""), "empty", "/actions/0/tag"),
    (
        "tag on schedule",
        do("add_tag", SCHEDULE, field="tags", tag="x"),
        "needs_record",
        "/actions/0",
    ),
    # webhook
    ("url ftp", do("webhook", url="ftp://example.com/x"), "bad_url", "/actions/0/url"),
    ("url no host", do("webhook", url="https:///path"), "bad_url", "/actions/0/url"),
    ("url bad port", do("webhook", url="https://example.com:99999/"), "bad_url", "/actions/0/url"),
    ("url spaces", do("webhook", url="https://exa mple.com/"), "bad_url", "/actions/0/url"),
    (
        "url credentials",
        do("webhook", url="https://u:p@example.com/"),
        "url_credentials",
        "/actions/0/url",
    ),
    (
        "secret too long",
        do("webhook", url="https://e.com", secret="s" * 201),
        "too_long",
        "/actions/0/secret",
    ),
    (
        "payload list",
        do("webhook", url="https://e.com", payload=[1]),
        "not_object",
        "/actions/0/payload",
    ),
    (
        "payload block",
        do("webhook", url="https://e.com", payload={"a": {"b": "{% if %}"}}),
        "template_block",
        "/actions/0/payload/a/b",
    ),
    ("webhook no url", do("webhook"), "missing_key", "/actions/0"),
    # wait
    ("wait nothing", do("wait"), "wait_range", "/actions/0"),
    ("wait zero", do("wait", minutes=0), "wait_range", "/actions/0"),
    ("wait too long", do("wait", days=365, minutes=1), "wait_range", "/actions/0"),
    ("wait text", do("wait", minutes="5"), "wrong_type", "/actions/0/minutes"),
    ("wait negative", do("wait", hours=-1), "out_of_range", "/actions/0/hours"),
    # tiers and surveys
    ("tiers no scheme", do("recompute_tiers"), "missing_key", "/actions/0"),
    ("survey unknown form", do("send_survey", form="npss"), "unknown_form_hint", "/actions/0/form"),
    (
        "survey expiry zero",
        do("send_survey", form="nps", expires_days=0),
        "out_of_range",
        "/actions/0/expires_days",
    ),
    ("survey on schedule", do("send_survey", SCHEDULE, form="nps"), "needs_record", "/actions/0"),
    (
        "survey without a link to the record",
        do("send_survey", form="poll"),
        "survey_no_link",
        "/actions/0/form",
    ),
    (
        "survey reminder after expiry",
        do("send_survey", form="nps", expires_days=7, remind_after_days=7),
        "out_of_range",
        "/actions/0/remind_after_days",
    ),
    # acting on a linked record
    (
        "linked: not a link field",
        do("update_record", SURVEY, record={"link": "score"}, values={}),
        "not_link_field",
        "/actions/0/record/link",
    ),
    (
        "linked: several records",
        do("update_record", SURVEY, record={"link": "orders"}, values={}),
        "link_multiple",
        "/actions/0/record/link",
    ),
    (
        "linked: unknown field",
        do("create_task", SURVEY, record={"link": "custmer"}, **TASK),
        "unknown_field_hint",
        "/actions/0/record/link",
    ),
    (
        "linked: values of the linked form",
        do("update_record", SURVEY, record={"link": "customer"}, values={"score": 1}),
        "unknown_field",
        "/actions/0/values/score",
    ),
    (
        "linked: member field of the linked form",
        do(
            "create_task",
            SURVEY,
            record={"link": "customer"},
            title="T",
            assignee={"kind": "field", "field": "score"},
        ),
        "unknown_field",
        "/actions/0/assignee/field",
    ),
    (
        "linked: extra key",
        do("update_record", SURVEY, record={"link": "customer", "form": "x"}, values={}),
        "unknown_key",
        "/actions/0/record/form",
    ),
    (
        "linked: not an object",
        do("update_record", SURVEY, record="customer", values={}),
        "not_object",
        "/actions/0/record",
    ),
    (
        "linked: on a schedule",
        do("update_record", SCHEDULE, record={"link": "customer"}, values={}),
        "needs_record",
        "/actions/0/record",
    ),
    # templates
    ("no field", note("{{ record.nmae }}"), "automation_template_field_hint", "/actions/0/title"),
    ("unknown root", note("{{ recod.name }}"), "automation_template_root_hint", "/actions/0/title"),
    ("far root", note("{{ zzz }}"), "automation_template_root", "/actions/0/title"),
    (
        "owner key",
        note("{{ record.owner.mail }}"),
        "automation_template_owner_hint",
        "/actions/0/title",
    ),
    (
        "owner far key",
        note("{{ record.owner.phone }}"),
        "automation_template_owner",
        "/actions/0/title",
    ),
    (
        "later step",
        automation(None, note("{{ steps.a2.x }}")["actions"][0], {**NOTE, "id": "a2"}),
        "automation_template_step",
        "/actions/0/title",
    ),
    ("own step", note("{{ steps.a1.x }}"), "automation_template_step", "/actions/0/title"),
    ("bare steps", note("{{ steps }}"), "automation_template_step", "/actions/0/title"),
    (
        "record on schedule",
        do("notify", SCHEDULE, to={"kind": "user", "id": 1}, title="{{ record.name }}"),
        "automation_template_no_record",
        "/actions/0/title",
    ),
    (
        "dunder",
        note("x", body="{{ record.__class__ }}"),
        "template_private_name",
        "/actions/0/body",
    ),
    ("unclosed", note("{{ record.name"), "template_unclosed", "/actions/0/title"),
    (
        "bad unit",
        do("update_record", values={"delivered_on": "{{ today + 1 fortnight }}"}),
        "template_bad_unit",
        "/actions/0/values/delivered_on",
    ),
]


def full_code(code: str) -> str:
    if code.startswith(("automation_", "condition_", "template_")):
        return code
    return f"automation_{code}"


def pointer(path: tuple[str | int, ...]) -> str:
    return "".join(f"/{part}" for part in path)


CASES = [pytest.param(doc, full_code(code), where, id=name) for name, doc, code, where in BAD]


@pytest.mark.parametrize(("doc", "code", "where"), CASES)
def test_each_problem_is_reported_with_its_code_and_path(
    doc: dict[str, Any], code: str, where: str
) -> None:
    found = [(problem, pointer(path)) for problem, path in codes(doc)]
    assert (code, where) in found, found


@pytest.mark.parametrize(("doc", "code", "where"), CASES)
def test_each_problem_reads_well_in_english_and_chinese(
    doc: dict[str, Any], code: str, where: str
) -> None:
    problems = check_automation(doc, CATALOG)
    problem = next(p for p in problems if p.code == code and pointer(p.path) == where)
    english, chinese = problem.message_in("en"), problem.message_in("zh-CN")
    assert english and chinese and english != chinese
    assert "{" not in english.replace("{{", "").replace("{%", "")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
    assert str(problem) == english


def test_every_problem_of_a_document_is_reported_not_only_the_first() -> None:
    doc = {
        "version": 1,
        "trigger": {"type": "field_changed", "form": "customers", "field": "levle"},
        "condition": {"==": [{"var": "nme"}, "x"]},
        "actions": [
            act("create_tsk"),
            {**NOTE, "id": "n1", "to": {"kind": "user", "id": 9}},
            {**NOTE, "id": "n1", "title": "{{ record.nam }}"},
        ],
    }
    assert codes(doc) == [
        ("automation_unknown_field_hint", ("trigger", "field")),
        ("condition_unknown_field_hint", ("condition", "==", 0, "var")),
        ("automation_unknown_action_hint", ("actions", 0, "type")),
        ("automation_unknown_member", ("actions", 1, "to", "id")),
        ("automation_duplicate_action_id", ("actions", 2, "id")),
        ("automation_template_field_hint", ("actions", 2, "title")),
    ]


@pytest.mark.parametrize(
    ("doc", "suggestion", "english", "chinese"),
    [
        (
            automation({"type": "record_created", "form": "customers", "fomr": 1}),
            "form",
            "Unknown key “fomr” at /trigger/fomr — did you mean “form”?",
            "/trigger/fomr 处的键“fomr”无法识别，您是想用“form”吗？",
        ),
        (
            automation({"type": "feild_changed", "form": "customers", "field": "level"}),
            "field_changed",
            "Unknown trigger “feild_changed” at /trigger/type — did you mean “field_changed”?",
            "/trigger/type 处的触发条件“feild_changed”无法识别，您是想用“field_changed”吗？",
        ),
        (
            automation(None, act("notify", to={"kind": "owner"}, title="{{ record.nmae }}")),
            "record.name",
            "“record.nmae” at /actions/0/title names no field of the form “customers” — did you "
            "mean “record.name”?",
            "/actions/0/title 处的“record.nmae”不是表单“customers”中的字段，"
            "您是想用“record.name”吗？",
        ),
        (
            automation(None, condition={">=": [{"var": "totl_spent"}, 1]}),
            "total_spent",
            "Unknown field “totl_spent” at /condition/>=/0/var — did you mean “total_spent”?",
            "/condition/>=/0/var 处的字段“totl_spent”不存在，您是想用“total_spent”吗？",
        ),
    ],
)
def test_did_you_mean_names_the_closest_known_name(
    doc: dict[str, Any], suggestion: str, english: str, chinese: str
) -> None:
    (problem,) = check_automation(doc, CATALOG)
    assert problem.suggestion == suggestion
    assert problem.message_in("en") == english
    assert problem.message_in("zh-CN") == chinese


def test_an_unavailable_action_says_so_plainly() -> None:
    catalog = Catalog(forms=CATALOG.forms, available_actions=ALL_ACTION_TYPES - {"send_survey"})
    (problem,) = check_automation(automation(None, act("send_survey", form="nps")), catalog)
    assert problem.code == "automation_action_unavailable"
    assert problem.path == ("actions", 0, "type")
    assert problem.message_in("en") == (
        "The action “send_survey” at /actions/0/type is not available yet in this workspace."
    )
    assert (
        problem.message_in("zh-CN")
        == "/actions/0/type 处的执行动作“send_survey”在当前工作区暂不可用。"
    )


def test_members_are_not_checked_when_the_catalog_does_not_list_them() -> None:
    catalog = Catalog(forms=CATALOG.forms)
    doc = automation(None, act("assign_owner", mode="fixed", members=[12345]))
    assert codes(doc, catalog) == []


def test_template_problems_are_template_errors_with_their_offset() -> None:
    doc = automation(None, act("notify", to={"kind": "owner"}, title="Hi {{ 1+1 }}"))
    (problem,) = check_automation(doc, CATALOG)
    assert isinstance(problem, TemplateError)
    assert problem.offset == 3 and problem.path == ("actions", 0, "title")
    assert "character 4 of /actions/0/title" in problem.message_in("en")


def test_condition_problems_keep_the_condition_message_with_the_full_path() -> None:
    (problem,) = check_automation(automation(None, condition={"==": [{"var": "name"}, 1]}), CATALOG)
    assert problem.code == "condition_type_mismatch"
    assert problem.message_in("en") == "“==” at /condition cannot compare text with number."
    assert problem.message_in("zh-CN") == "/condition 处的“==”无法比较文本与数字。"


def test_without_a_catalog_only_the_shape_is_checked() -> None:
    doc = automation(
        {"type": "record_created", "form": "somewhere"},
        act("update_record", values={"anything": "{{ record.whatever }}"}),
        condition={"==": [{"var": "anything"}, 1]},
    )
    assert codes(doc, None) == []
    assert codes(automation(None, act("update_record", values="x")), None) == [
        ("automation_not_object", ("actions", 0, "values"))
    ]


def test_as_dict_gives_the_api_shape() -> None:
    (problem,) = check_automation(automation(None, act("wait", minutes=0)), CATALOG)
    assert problem.as_dict("zh-CN") == {
        "path": "/actions/0",
        "code": "automation_wait_range",
        "message": "/actions/0 处的等待时长必须在 1 分钟到 365 天之间。",
        "suggestion": None,
    }


# -- parse_automation ------------------------------------------------------------------
def test_parse_automation_returns_the_typed_automation() -> None:
    parsed = parse_automation(EXAMPLE, CATALOG)
    assert parsed.version == 1
    assert parsed.trigger.type == "field_changed"
    assert parsed.trigger.form == "customers" and parsed.trigger.field == "level"
    assert parsed.trigger.from_value is MISSING and parsed.trigger.to_value == "vip"
    assert isinstance(parsed.condition, Op) and parsed.condition.name == ">="
    assert [(a.id, a.type) for a in parsed.actions] == [("a1", "create_task"), ("a2", "notify")]
    assert dict(parsed.actions[1].config) == {
        "to": {"kind": "owner"},
        "title": "{{ record.name }} is VIP",
        "email": True,
    }
    assert parsed.document == EXAMPLE and parsed.document is not EXAMPLE


def test_parse_automation_reads_a_null_from_as_null_not_as_absent() -> None:
    doc = automation({"type": "field_changed", "form": "customers", "field": "level", "from": None})
    trigger = parse_automation(doc, CATALOG).trigger
    assert trigger.from_value is None and trigger.to_value is MISSING


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        (
            {"type": "date_relative", "form": "customers", "date_field": "delivered_on"},
            {"date_field": "delivered_on", "offset_days": 0, "at": time(9, 0)},
        ),
        (
            {
                "type": "date_relative",
                "form": "customers",
                "date_field": "delivered_on",
                "offset_days": -3,
                "at": "18:45",
            },
            {"offset_days": -3, "at": time(18, 45)},
        ),
        ({"type": "schedule", "cron": "0 9 * * 1-5"}, {"cron": "0 9 * * mon-fri", "form": None}),
        ({"type": "manual", "form": "customers", "label": "Go"}, {"label": "Go", "at": None}),
        (
            {"type": "record_updated", "form": "customers", "fields": ["level"]},
            {"fields": ("level",)},
        ),
        (
            {"type": "tier_changed", "form": "customers", "scheme": "rfm", "to": "a"},
            {"scheme": "rfm", "to_value": "a"},
        ),
    ],
)
def test_parse_automation_types_every_trigger_key(
    trigger: dict[str, Any], expected: dict[str, Any]
) -> None:
    parsed = parse_automation(automation(trigger, act("wait", minutes=5)), CATALOG).trigger
    for key, value in expected.items():
        assert getattr(parsed, key) == value


def test_parse_automation_raises_the_first_problem() -> None:
    doc = automation({"type": "record_created", "form": "nowhere"}, act("wait"))
    with pytest.raises(AutomationError) as caught:
        parse_automation(doc, CATALOG)
    assert caught.value.code == "automation_unknown_form"


def test_parse_automation_without_a_catalog_parses_the_condition_untyped() -> None:
    doc = automation({"type": "record_created", "form": "elsewhere"}, condition={"changed": "x"})
    with pytest.raises(AutomationError, match="changed"):
        parse_automation(doc)
    doc = automation(
        {"type": "record_updated", "form": "elsewhere"}, condition={"==": [{"var": "x"}, 1]}
    )
    parsed = parse_automation(doc)
    assert parsed.condition is not None and parsed.trigger.form == "elsewhere"


def test_parse_automation_does_not_share_state_with_the_input() -> None:
    doc = copy.deepcopy(EXAMPLE)
    parsed = parse_automation(doc, CATALOG)
    doc["actions"][0]["title"] = "changed"
    assert parsed.document["actions"][0]["title"] == "Call {{ record.name }}"


# -- cron ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "normalised"),
    [
        ("* * * * *", "* * * * *"),
        ("0 9 * * 1-5", "0 9 * * mon-fri"),
        ("0 9 * * MON-FRI", "0 9 * * mon-fri"),
        ("*/15 0-6/2 1,15 jan-mar *", "*/15 0-6/2 1,15 1-3 *"),
        ("05 07 01 12 0", "5 7 1 12 sun"),
        ("0 0 * * 7", "0 0 * * sun"),
        ("0 0 * * 0-7", "0 0 * * sun,mon-sat"),
        ("0 0 * * */2", "0 0 * * sun,tue,thu,sat"),
        ("0 0 * * sat,sun", "0 0 * * sun,sat"),
        ("0  12   *  *  5", "0 12 * * fri"),
        ("59 23 31 dec sat", "59 23 31 12 sat"),
    ],
)
def test_valid_crontabs_are_normalised(expr: str, normalised: str) -> None:
    assert parse_cron(expr) == normalised
    assert parse_cron(normalised) == normalised


@pytest.mark.parametrize(
    ("expr", "code", "field"),
    [
        ("", "automation_bad_cron_fields", None),
        ("0 9 * *", "automation_bad_cron_fields", None),
        ("0 9 * * * *", "automation_bad_cron_fields", None),
        ("60 * * * *", "automation_bad_cron_value", "minute"),
        ("* 24 * * *", "automation_bad_cron_value", "hour"),
        ("* * 0 * *", "automation_bad_cron_value", "day"),
        ("* * 32 * *", "automation_bad_cron_value", "day"),
        ("* * * 13 *", "automation_bad_cron_value", "month"),
        ("* * * foo *", "automation_bad_cron_value", "month"),
        ("* * * * 8", "automation_bad_cron_value", "weekday"),
        ("* * * * mon-jan", "automation_bad_cron_value", "weekday"),
        ("* * * jan-mon *", "automation_bad_cron_value", "month"),
        ("5/10 * * * *", "automation_bad_cron_value", "minute"),
        ("*/0 * * * *", "automation_bad_cron_value", "minute"),
        ("*/61 * * * *", "automation_bad_cron_value", "minute"),
        ("5-1 * * * *", "automation_bad_cron_value", "minute"),
        ("1,,2 * * * *", "automation_bad_cron_value", "minute"),
        ("-1 * * * *", "automation_bad_cron_value", "minute"),
        ("@daily * * * *", "automation_bad_cron_value", "minute"),
        ("? * * * *", "automation_bad_cron_value", "minute"),
    ],
)
def test_invalid_crontabs_name_the_field_at_fault(expr: str, code: str, field: str | None) -> None:
    with pytest.raises(AutomationError) as caught:
        parse_cron(expr, path=("trigger", "cron"))
    assert caught.value.code == code and caught.value.path == ("trigger", "cron")
    if field is not None:
        assert caught.value.params["field_kind"] == field


def test_cron_messages_translate_the_field_name() -> None:
    with pytest.raises(AutomationError) as caught:
        parse_cron("* 25 * * *", path=("trigger", "cron"))
    assert "in the hour field" in caught.value.message_in("en")
    assert "定时规则的小时字段中的“25”无效" in caught.value.message_in("zh-CN")


@pytest.mark.parametrize(
    ("expr", "moment", "fires"),
    [
        ("0 9 * * mon-fri", datetime(2026, 11, 27, 9, 0), True),  # a Friday
        ("0 9 * * mon-fri", datetime(2026, 11, 28, 9, 0), False),  # a Saturday
        ("0 9 * * mon-fri", datetime(2026, 11, 27, 9, 1), False),
        ("*/15 * * * *", datetime(2026, 1, 1, 3, 45), True),
        ("0 0 1 * 0", datetime(2026, 11, 1, 0, 0), True),  # the 1st, a Sunday too
        ("0 0 1 * 0", datetime(2026, 11, 8, 0, 0), True),  # restricted both: either fires
        ("0 0 1 * 0", datetime(2026, 12, 1, 0, 0), True),
        ("0 0 1 * 0", datetime(2026, 12, 2, 0, 0), False),
        ("0 0 1 * *", datetime(2026, 12, 2, 0, 0), False),
        ("0 0 * 2 7", datetime(2026, 2, 1, 0, 0), True),  # 7 is Sunday
    ],
)
def test_cron_matches_follows_crontab_semantics(expr: str, moment: datetime, fires: bool) -> None:
    assert cron_matches(expr, moment) is fires


def test_the_action_and_trigger_tables_cover_every_type() -> None:
    from workflow_engine.action_checks import ACTION_KEYS

    assert set(ACTION_KEYS) == ALL_ACTION_TYPES
    assert set(documents.TRIGGER_KEYS) == documents.TRIGGER_TYPES

# ruff: noqa: RUF001 - Chinese punctuation in expected summaries
"""Planning actions (templates rendered, times resolved) and their one-line summaries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from workflow_engine.actions import (
    ALL_ACTION_TYPES,
    PlannedAction,
    due_at,
    plan_action,
    summarize,
)
from workflow_engine.documents import Action, Catalog, FieldShape, FormShape, parse_automation

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 24, 22, 30, tzinfo=SHANGHAI)  # 14:30 UTC
CONTEXT: dict[str, Any] = {
    "record": {
        "id": 42,
        "name": "ACME",
        "level": "vip",
        "total_spent": 52000,
        "delivered_on": "2026-11-20",
        "url": "/w/1/forms/2/records/42/",
        "owner": {"id": 7, "name": "Li Lei", "email": "li@example.com"},
    },
    "trigger": {"type": "field_changed", "field": "level", "from": "normal", "to": "vip"},
    "workspace": {"name": "Formwork", "timezone": "Asia/Shanghai"},
    "today": NOW.date(),
    "now": NOW,
    "steps": {"a1": {"task_id": 99}},
}


def plan(kind: str, **config: Any) -> PlannedAction:
    return plan_action(Action("a1", kind, config), CONTEXT, now=NOW)


PLANS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "update_record",
        {"values": {"level": "{{ trigger.to }}", "score": "{{ record.total_spent }}", "n": 3}},
        {"values": {"level": "vip", "score": 52000, "n": 3}},
    ),
    (
        "create_record",
        {
            "form": "orders",
            "values": {
                "note": "For {{ record.name }}",
                "ship_on": "{{ record.delivered_on + 1 month }}",
            },
            "link_field": "customer",
        },
        {
            "form": "orders",
            "values": {"note": "For ACME", "ship_on": "2026-12-20"},
            "link_field": "customer",
        },
    ),
    (
        "create_record",
        {"form": "orders", "values": {}},
        {"form": "orders", "values": {}, "link_field": None},
    ),
    (
        "assign_owner",
        {"mode": "round_robin", "members": [1, 2]},
        {"mode": "round_robin", "members": [1, 2]},
    ),
    (
        "create_task",
        {
            "title": "Call {{ record.name }}",
            "notes": "Task {{ steps.a1.task_id }}, see {{ record.url }}",
            "assignee": {"kind": "owner"},
            "due": {"days": 3},
            "remind_before_minutes": 30,
            "repeat_every_days": 7,
            "repeat_while": {"!=": [{"var": "level"}, "lost"]},
        },
        {
            "title": "Call ACME",
            "notes": "Task 99, see /w/1/forms/2/records/42/",
            "assignee": {"kind": "owner"},
            "due_at": "2026-11-27T14:30:00Z",
            "remind_at": "2026-11-27T14:00:00Z",
            "repeat_every_days": 7,
            "repeat_while": {"!=": [{"var": "level"}, "lost"]},
        },
    ),
    (
        "create_task",
        {"title": "Call", "assignee": {"kind": "user", "id": 7}},
        {
            "title": "Call",
            "notes": "",
            "assignee": {"kind": "user", "id": 7},
            "due_at": None,
            "remind_at": None,
            "repeat_every_days": None,
            "repeat_while": None,
        },
    ),
    (
        "notify",
        {"to": {"kind": "owner"}, "title": "{{ record.name }} is VIP", "email": True},
        {"to": {"kind": "owner"}, "title": "ACME is VIP", "body": "", "email": True},
    ),
    (
        "notify",
        {
            "to": {"kind": "actor"},
            "title": "Hi",
            "body": "Level {{ trigger.from }} → {{ trigger.to }}",
        },
        {"to": {"kind": "actor"}, "title": "Hi", "body": "Level normal → vip", "email": False},
    ),
    ("add_tag", {"field": "tags", "tag": "{{ record.level }}"}, {"field": "tags", "tag": "vip"}),
    ("remove_tag", {"field": "tags", "tag": " cold "}, {"field": "tags", "tag": "cold"}),
    (
        "webhook",
        {
            "url": "https://hooks.example.com/in",
            "secret": "s3cret",
            "payload": {
                "name": "{{ record.name }}",
                "when": "{{ now }}",
                "total": "{{ record.total_spent }}",
            },
        },
        {
            "url": "https://hooks.example.com/in",
            "payload": {"name": "ACME", "when": "2026-11-24T14:30:00Z", "total": 52000},
            "signed": True,
        },
    ),
    ("wait", {"minutes": 30}, {"seconds": 1800}),
    ("wait", {"days": 1, "hours": 2, "minutes": 3}, {"seconds": 93780}),
    ("recompute_tiers", {"scheme": "rfm"}, {"scheme": "rfm"}),
    ("send_survey", {"form": "nps", "expires_days": 14}, {"form": "nps", "expires_days": 14}),
    ("send_survey", {"form": "nps"}, {"form": "nps", "expires_days": None}),
    (
        "send_survey",
        {"form": "nps", "expires_days": 14, "remind_after_days": 3},
        {"form": "nps", "expires_days": 14, "remind_after_days": 3},
    ),
    (
        "update_record",
        {"record": {"link": "customer"}, "values": {"flag": True, "nps": "{{ record.level }}"}},
        {"record": {"link": "customer"}, "values": {"flag": True, "nps": "vip"}},
    ),
]


@pytest.mark.parametrize(("kind", "config", "inputs"), PLANS, ids=[p[0] for p in PLANS])
def test_plan_action_renders_inputs_for_every_type(
    kind: str, config: dict[str, Any], inputs: dict[str, Any]
) -> None:
    planned = plan(kind, **config)
    assert planned == PlannedAction(kind, inputs)
    json.dumps(planned.inputs)  # JSON-ready: the run log stores it as is


def test_every_action_type_has_a_plan_in_the_table() -> None:
    assert {kind for kind, _, _ in PLANS} == ALL_ACTION_TYPES


def test_the_default_webhook_payload_is_the_record_and_the_trigger() -> None:
    planned = plan("webhook", url="https://example.com/")
    assert planned.inputs == {
        "url": "https://example.com/",
        "payload": {"record": CONTEXT["record"], "trigger": CONTEXT["trigger"]},
        "signed": False,
    }


def test_the_webhook_secret_never_reaches_the_plan() -> None:
    planned = plan("webhook", url="https://e.com", secret="TOPSECRET-42", payload={"s": "x"})
    assert "TOPSECRET-42" not in json.dumps(planned.inputs)
    assert "TOPSECRET-42" not in summarize(planned, "en")
    assert planned.inputs["signed"] is True


def test_titles_are_cut_to_300_characters() -> None:
    long_name = {**CONTEXT, "record": {"name": "N" * 400}}
    planned = plan_action(
        Action("a1", "create_task", {"title": "{{ record.name }}", "assignee": {"kind": "owner"}}),
        long_name,
        now=NOW,
    )
    assert planned.inputs["title"] == "N" * 300
    notified = plan_action(
        Action("a1", "notify", {"title": "x{{ record.name }}", "to": {"kind": "owner"}}),
        long_name,
        now=NOW,
    )
    assert len(notified.inputs["title"]) == 300


# -- due dates -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("due", "now", "expected"),
    [
        ({"days": 3}, NOW, "2026-11-27T14:30:00Z"),
        ({"hours": 2, "minutes": 15}, NOW, "2026-11-24T16:45:00Z"),
        # 09:00 in Shanghai (UTC+8) is 01:00 UTC, on the local date of now + 3 days.
        ({"days": 3, "at": "09:00"}, NOW, "2026-11-27T01:00:00Z"),
        # 22:30 + 2 h is 00:30 the next local day: "at" applies to that local date.
        ({"hours": 2, "at": "09:00"}, NOW, "2026-11-25T01:00:00Z"),
        ({"at": "23:00"}, NOW, "2026-11-24T15:00:00Z"),
        ({"days": 0}, NOW, "2026-11-24T14:30:00Z"),
        (
            {"days": 1, "at": "08:00"},
            datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
            "2026-11-25T08:00:00Z",
        ),
        # Across the end of daylight saving time in New York (2026-11-01): 09:00 EST.
        (
            {"days": 2, "at": "09:00"},
            datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK),
            "2026-11-02T14:00:00Z",
        ),
        (
            {"days": 1, "at": "09:00"},
            datetime(2026, 10, 30, 12, 0, tzinfo=NEW_YORK),
            "2026-10-31T13:00:00Z",
        ),
    ],
)
def test_due_dates_resolve_in_the_workspace_zone(
    due: dict[str, Any], now: datetime, expected: str
) -> None:
    assert due_at(due, now).strftime("%Y-%m-%dT%H:%M:%SZ") == expected
    planned = plan_action(
        Action("a1", "create_task", {"title": "T", "assignee": {"kind": "owner"}, "due": due}),
        CONTEXT,
        now=now,
    )
    assert planned.inputs["due_at"] == expected


def test_a_reminder_of_zero_minutes_is_at_the_due_time() -> None:
    planned = plan(
        "create_task",
        title="T",
        assignee={"kind": "owner"},
        due={"days": 1, "at": "09:00"},
        remind_before_minutes=0,
    )
    assert planned.inputs["remind_at"] == planned.inputs["due_at"] == "2026-11-25T01:00:00Z"


def test_plan_action_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        plan_action(Action("a1", "wait", {"minutes": 1}), CONTEXT, now=datetime(2026, 1, 1))


def test_a_parsed_document_plans_end_to_end() -> None:
    catalog = Catalog(
        forms={"customers": FormShape("customers", {"name": FieldShape("text", "text")})}
    )
    automation = parse_automation(
        {
            "version": 1,
            "trigger": {"type": "record_created", "form": "customers"},
            "actions": [
                {
                    "id": "a1",
                    "type": "create_task",
                    "title": "Call {{ record.name }}",
                    "assignee": {"kind": "owner"},
                    "due": {"days": 3, "at": "09:00"},
                }
            ],
        },
        catalog,
    )
    planned = plan_action(automation.actions[0], CONTEXT, now=NOW)
    assert summarize(planned, "en") == (
        "Create a follow-up “Call ACME” due 2026-11-27 01:00 UTC for the record's owner"
    )
    assert summarize(planned, "zh-CN") == (
        "创建跟进任务“Call ACME”，截止 2026-11-27 01:00 UTC，交给负责人"
    )


# -- summaries -------------------------------------------------------------------------
def P(kind: str, **inputs: Any) -> PlannedAction:
    return PlannedAction(kind, inputs)


SUMMARIES: list[tuple[PlannedAction, str, str]] = [
    (
        P("update_record", values={"level": "vip", "name": "x"}),
        "Update the record: level, name",
        "更新当前数据：level、name",
    ),
    (
        P("create_record", form="orders", values={}, link_field=None),
        "Create a record in “orders”",
        "在表单“orders”中新增一条数据",
    ),
    (
        P("create_record", form="orders", values={}, link_field="customer"),
        "Create a record in “orders”, linked to this one through “customer”",
        "在表单“orders”中新增一条数据，并通过“customer”关联当前数据",
    ),
    (P("assign_owner", mode="fixed", members=[7]), "Make user #7 the owner", "将负责人设为用户 #7"),
    (
        P("assign_owner", mode="round_robin", members=[1, 2]),
        "Assign the owner round-robin among user #1, user #2",
        "在用户 #1、用户 #2之间轮流分配负责人",
    ),
    (
        P("assign_owner", mode="least_loaded", members=[1, 2]),
        "Assign the owner to whoever of user #1, user #2 has the fewest records",
        "将负责人分配给用户 #1、用户 #2中负责数据最少的成员",
    ),
    (
        P(
            "create_task",
            title="Call ACME",
            assignee={"kind": "owner"},
            due_at="2026-11-27T01:00:00Z",
        ),
        "Create a follow-up “Call ACME” due 2026-11-27 01:00 UTC for the record's owner",
        "创建跟进任务“Call ACME”，截止 2026-11-27 01:00 UTC，交给负责人",
    ),
    (
        P(
            "create_task",
            title="Visit",
            assignee={"kind": "field", "field": "sales_rep"},
            due_at="2026-11-27T01:00:00Z",
            remind_at="2026-11-27T00:30:00Z",
            repeat_every_days=7,
        ),
        "Create a follow-up “Visit” due 2026-11-27 01:00 UTC for the member in “sales_rep”, "
        "reminder at 2026-11-27 00:30 UTC, repeated every 7 day(s)",
        "创建跟进任务“Visit”，截止 2026-11-27 01:00 UTC，交给字段“sales_rep”中的成员，"
        "2026-11-27 00:30 UTC 提醒，每 7 天重复一次",
    ),
    (
        P("create_task", title="Call", assignee={"kind": "actor"}, due_at=None),
        "Create a follow-up “Call” for the person who made the change, with no due date",
        "创建跟进任务“Call”，交给操作人，无截止时间",
    ),
    (
        P("notify", to={"kind": "user", "id": 3}, title="Hi", body="", email=False),
        "Notify user #3: “Hi”",
        "通知用户 #3：“Hi”",
    ),
    (
        P("notify", to={"kind": "owner"}, title="VIP", body="", email=True),
        "Notify the record's owner in the app and by e-mail: “VIP”",
        "通过站内消息和邮件通知负责人：“VIP”",
    ),
    (
        P("add_tag", field="tags", tag="vip"),
        "Add the tag “vip” to “tags”",
        "在“tags”中添加标签“vip”",
    ),
    (
        P("remove_tag", field="tags", tag="vip"),
        "Remove the tag “vip” from “tags”",
        "从“tags”中移除标签“vip”",
    ),
    (
        P("webhook", url="https://e.com/x", payload={}, signed=False),
        "Call the webhook https://e.com/x",
        "调用 Webhook https://e.com/x",
    ),
    (
        P("webhook", url="https://e.com/x", payload={}, signed=True),
        "Call the webhook https://e.com/x (signed)",
        "调用 Webhook https://e.com/x（已签名）",
    ),
    (P("wait", seconds=60), "Wait 1 minute", "等待 1 分钟"),
    (P("wait", seconds=93780), "Wait 1 day 2 hours 3 minutes", "等待 1 天 2 小时 3 分钟"),
    (P("wait", seconds=2 * 86400 + 3600), "Wait 2 days 1 hour", "等待 2 天 1 小时"),
    (
        P("recompute_tiers", scheme="rfm"),
        "Recompute the tiers of the scheme “rfm”",
        "重新计算分层方案“rfm”的客户分层",
    ),
    (
        P("send_survey", form="nps", expires_days=None),
        "Send a survey invitation for “nps”",
        "发送问卷“nps”的邀请",
    ),
    (
        P("send_survey", form="nps", expires_days=14),
        "Send a survey invitation for “nps”, valid for 14 day(s)",
        "发送问卷“nps”的邀请，14 天内有效",
    ),
    (
        P("send_survey", form="nps", expires_days=14, remind_after_days=3),
        "Send a survey invitation for “nps”, valid for 14 day(s), with one reminder after 3 day(s)",
        "发送问卷“nps”的邀请，14 天内有效，3 天后提醒一次",
    ),
    (
        P("update_record", record={"link": "customer"}, values={"flag": True}),
        "Update the record linked through “customer”: flag",
        "更新通过“customer”关联的数据：flag",
    ),
    (
        P(
            "create_task",
            record={"link": "customer"},
            title="Call back",
            assignee={"kind": "owner"},
            due_at=None,
        ),
        "Create a follow-up “Call back” for the owner of the record linked through "
        "“customer”, with no due date, on the record linked through “customer”",
        "创建跟进任务“Call back”，交给通过“customer”关联数据的负责人，无截止时间，"
        "关联到通过“customer”关联的数据",
    ),
]


@pytest.mark.parametrize(
    ("planned", "english", "chinese"), SUMMARIES, ids=lambda v: getattr(v, "type", "")
)
def test_summaries_read_as_one_sentence_in_both_languages(
    planned: PlannedAction, english: str, chinese: str
) -> None:
    assert summarize(planned, "en") == english
    assert summarize(planned, "zh-CN") == chinese
    assert summarize(planned, "zh_Hans_CN") == chinese
    assert summarize(planned, "fr") == english


def test_every_action_type_has_a_summary() -> None:
    assert {planned.type for planned, _, _ in SUMMARIES} == ALL_ACTION_TYPES


def test_summarize_refuses_an_unknown_type() -> None:
    with pytest.raises(ValueError, match="unknown action type"):
        summarize(PlannedAction("teleport", {}), "en")


def test_planning_uses_the_context_not_the_clock() -> None:
    planned = plan("update_record", values={"on": "{{ today + 1 day }}", "at": "{{ now }}"})
    assert planned.inputs == {"values": {"on": "2026-11-25", "at": "2026-11-24T14:30:00Z"}}

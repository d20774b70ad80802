# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Roles instead of user ids (persons and owner pools) and surveys sent to a linked record:
the checks, the plans and the summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from workflow_engine.actions import PlannedAction, plan_action, summarize
from workflow_engine.documents import (
    Action,
    Catalog,
    FieldShape,
    FormShape,
    check_automation,
    parse_automation,
)

CUSTOMERS = FormShape(
    "customers",
    {
        "name": FieldShape("text", "text"),
        "email": FieldShape("email", "text"),
        "sales_rep": FieldShape("member", "integer"),
        "renews_on": FieldShape("date", "date"),
    },
)
ORDERS = FormShape(
    "orders",
    {
        "customer": FieldShape("link", "integer", link_form="customers"),
        "amount": FieldShape("money", "number"),
        "items": FieldShape("link", "json", link_form="products", multiple=True),
    },
)
PRODUCTS = FormShape("products", {"title": FieldShape("text", "text")})
# A survey about customers and one about orders (no link to customers).
NPS = FormShape(
    "nps",
    {
        "customer": FieldShape("link", "integer", link_form="customers"),
        "score": FieldShape("nps", "integer"),
    },
)
ORDER_SURVEY = FormShape(
    "order_survey",
    {
        "order": FieldShape("link", "integer", link_form="orders"),
        "score": FieldShape("rating", "integer"),
    },
)
CATALOG = Catalog(
    forms={
        "customers": CUSTOMERS,
        "orders": ORDERS,
        "products": PRODUCTS,
        "nps": NPS,
        "order_survey": ORDER_SURVEY,
    },
    members=frozenset({1, 2, 7}),
)
NEW_CUSTOMER = {"type": "record_created", "form": "customers"}
NEW_ORDER = {"type": "record_created", "form": "orders"}
SCHEDULE = {"type": "schedule", "cron": "0 9 * * mon"}
ADMINS = {"kind": "role", "role": "admin"}


def automation(trigger: dict[str, Any], **action: Any) -> dict[str, Any]:
    return {"version": 1, "trigger": trigger, "actions": [{"id": "a1", **action}]}


def problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(code, JSON pointer) of every problem."""
    return [
        (p.code, "".join(f"/{part}" for part in p.path)) for p in check_automation(doc, CATALOG)
    ]


# -- accepted -------------------------------------------------------------------------------
ACCEPTED = [
    pytest.param(
        automation(NEW_CUSTOMER, type="notify", to=ADMINS, title="New: {{ record.name }}"),
        id="notify admins",
    ),
    pytest.param(
        automation(
            NEW_CUSTOMER,
            type="notify",
            to={"kind": "role", "role": "owner"},
            title="x",
            email=True,
        ),
        id="notify owners by e-mail",
    ),
    pytest.param(
        automation(SCHEDULE, type="notify", to={"kind": "role", "role": "member"}, title="Week"),
        id="notify members on a schedule",
    ),
    pytest.param(
        automation(
            SCHEDULE,
            type="create_task",
            title="Weekly review {{ today }}",
            assignee=ADMINS,
            due={"days": 1},
        ),
        id="task for an admin on a schedule",
    ),
    pytest.param(
        automation(
            {"type": "date_relative", "form": "customers", "date_field": "renews_on"},
            type="create_task",
            title="x",
            assignee={"kind": "role", "role": "member"},
        ),
        id="task for a member without an actor",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="assign_owner", mode="round_robin", role="member"),
        id="round robin over members",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="assign_owner", mode="least_loaded", role="admin"),
        id="least loaded among admins",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="assign_owner", mode="round_robin", members=[1, 2]),
        id="members still work",
    ),
    pytest.param(
        automation(NEW_ORDER, type="send_survey", form="nps", record={"link": "customer"}),
        id="survey the order's customer",
    ),
    pytest.param(
        automation(
            NEW_ORDER,
            type="send_survey",
            form="nps",
            record={"link": "customer"},
            expires_days=7,
            remind_after_days=3,
        ),
        id="survey the order's customer with a reminder",
    ),
    pytest.param(automation(NEW_ORDER, type="send_survey", form="order_survey"), id="survey order"),
]


@pytest.mark.parametrize("doc", ACCEPTED)
def test_roles_and_linked_surveys_are_accepted_in_their_documented_shapes(
    doc: dict[str, Any],
) -> None:
    assert problems(doc) == []
    parse_automation(doc, CATALOG)


# -- refused --------------------------------------------------------------------------------
REFUSED = [
    pytest.param(
        automation(NEW_CUSTOMER, type="notify", to={"kind": "role", "role": "admn"}, title="x"),
        "automation_unknown_role_hint",
        "/actions/0/to/role",
        id="role misspelt",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="notify", to={"kind": "role", "role": "boss"}, title="x"),
        "automation_unknown_role",
        "/actions/0/to/role",
        id="role unknown",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="notify", to={"kind": "role", "role": "viewer"}, title="x"),
        "automation_viewer_role",
        "/actions/0/to/role",
        id="viewers are never chosen",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="notify", to={"kind": "role"}, title="x"),
        "automation_missing_key",
        "/actions/0/to",
        id="role missing",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="notify", to={"kind": "role", "role": 2}, title="x"),
        "automation_wrong_type",
        "/actions/0/to/role",
        id="role not text",
    ),
    pytest.param(
        automation(
            NEW_CUSTOMER, type="notify", to={"kind": "role", "role": "admin", "id": 7}, title="x"
        ),
        "automation_unknown_key_hint",
        "/actions/0/to/id",
        id="role with an id",
    ),
    pytest.param(
        automation(
            NEW_CUSTOMER,
            type="create_task",
            title="x",
            assignee={"kind": "rol", "role": "admin"},
        ),
        "automation_unknown_person_hint",
        "/actions/0/assignee/kind",
        id="person kind misspelt",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="assign_owner", mode="round_robin"),
        "automation_needs_pool",
        "/actions/0",
        id="neither members nor role",
    ),
    pytest.param(
        automation(
            NEW_CUSTOMER, type="assign_owner", mode="round_robin", members=[1], role="member"
        ),
        "automation_members_and_role",
        "/actions/0/role",
        id="members and role",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="assign_owner", mode="fixed", role="admin"),
        "automation_fixed_role",
        "/actions/0/role",
        id="fixed by role",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="assign_owner", mode="least_loaded", role="viewer"),
        "automation_viewer_role",
        "/actions/0/role",
        id="pool of viewers",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="assign_owner", mode="round_robin", role="membr"),
        "automation_unknown_role_hint",
        "/actions/0/role",
        id="pool role misspelt",
    ),
    pytest.param(
        automation(NEW_CUSTOMER, type="assign_owner", mode="round_robin", role=""),
        "automation_empty",
        "/actions/0/role",
        id="pool role empty",
    ),
    pytest.param(
        automation(SCHEDULE, type="assign_owner", mode="round_robin", role="member"),
        "automation_needs_record",
        "/actions/0",
        id="pool on a schedule",
    ),
    pytest.param(
        automation(NEW_ORDER, type="send_survey", form="order_survey", record={"link": "customer"}),
        "automation_survey_no_link",
        "/actions/0/form",
        id="survey links the trigger form, not the linked one",
    ),
    pytest.param(
        automation(NEW_ORDER, type="send_survey", form="nps"),
        "automation_survey_no_link",
        "/actions/0/form",
        id="survey of customers sent to the order itself",
    ),
    pytest.param(
        automation(NEW_ORDER, type="send_survey", form="nps", record={"link": "amount"}),
        "automation_not_link_field",
        "/actions/0/record/link",
        id="survey through a field that is no link",
    ),
    pytest.param(
        automation(NEW_ORDER, type="send_survey", form="nps", record={"link": "items"}),
        "automation_link_multiple",
        "/actions/0/record/link",
        id="survey through a multiple link",
    ),
    pytest.param(
        automation(NEW_ORDER, type="send_survey", form="nps", record={"link": "custmer"}),
        "automation_unknown_field_hint",
        "/actions/0/record/link",
        id="survey through an unknown field",
    ),
    pytest.param(
        automation(NEW_ORDER, type="send_survey", form="nps", record={"lnk": "customer"}),
        "automation_unknown_key_hint",
        "/actions/0/record/lnk",
        id="survey record key misspelt",
    ),
    pytest.param(
        automation(SCHEDULE, type="send_survey", form="nps", record={"link": "customer"}),
        "automation_needs_record",
        "/actions/0/record",
        id="survey a linked record on a schedule",
    ),
]


@pytest.mark.parametrize(("doc", "code", "where"), REFUSED)
def test_bad_roles_and_linked_surveys_are_refused_at_their_place(
    doc: dict[str, Any], code: str, where: str
) -> None:
    found = problems(doc)
    assert (code, where) in found, found


@pytest.mark.parametrize(("doc", "code", "where"), REFUSED)
def test_each_refusal_reads_well_in_english_and_chinese(
    doc: dict[str, Any], code: str, where: str
) -> None:
    problem = next(
        p
        for p in check_automation(doc, CATALOG)
        if p.code == code and "".join(f"/{part}" for part in p.path) == where
    )
    english, chinese = problem.message_in("en"), problem.message_in("zh-CN")
    assert where in english and where in chinese and english != chinese
    assert "{" not in english and "{" not in chinese
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)


@pytest.mark.parametrize(
    ("doc", "english", "chinese"),
    [
        (
            automation(NEW_CUSTOMER, type="assign_owner", mode="round_robin"),
            "Assigning owners at /actions/0 needs “members” (a list of user ids) or “role” "
            "(owner, admin or member: everyone with that role or a higher one).",
            "/actions/0 处分配负责人需要设置“members”（成员 ID 列表）或“role”"
            "（owner 所有者、admin 管理员或 member 成员：拥有该角色或更高角色的所有人）。",
        ),
        (
            automation(
                NEW_CUSTOMER, type="assign_owner", mode="round_robin", members=[1], role="member"
            ),
            "Assigning owners at /actions/0/role takes “members” or “role”, not both.",
            "/actions/0/role 处分配负责人只能设置“members”或“role”其中之一，不能同时设置。",
        ),
        (
            automation(NEW_CUSTOMER, type="assign_owner", mode="fixed", role="admin"),
            "A fixed owner at /actions/0/role is one chosen member, not a role; assign by role "
            "with round_robin or least_loaded.",
            "/actions/0/role 处的固定负责人须是一名指定成员，不能是角色；按角色分配请使用 "
            "round_robin（轮流分配）或 least_loaded（按负载最少）。",
        ),
        (
            automation(
                NEW_CUSTOMER, type="notify", to={"kind": "role", "role": "viewer"}, title="x"
            ),
            "Read-only members (viewer) cannot be chosen at /actions/0/to/role: use owner, "
            "admin or member.",
            "/actions/0/to/role 处不能选择只读成员（viewer）：请使用 owner（所有者）、"
            "admin（管理员）或 member（成员）。",
        ),
        (
            automation(NEW_CUSTOMER, type="notify", to={"kind": "role", "role": "boss"}, title="x"),
            "Unknown role “boss” at /actions/0/to/role: use owner, admin or member (everyone "
            "with that role or a higher one).",
            "/actions/0/to/role 处的角色“boss”无法识别：请使用 owner（所有者）、admin（管理员）"
            "或 member（成员），表示拥有该角色或更高角色的所有人。",
        ),
        (
            automation(
                NEW_ORDER, type="send_survey", form="order_survey", record={"link": "customer"}
            ),
            "The survey “order_survey” at /actions/0/form has no field linking to “customers”, "
            "so answers could not be attached to the record; add such a link field to the "
            "survey.",
            "/actions/0/form 处的问卷“order_survey”没有关联“customers”的字段，答卷无法关联到"
            "该数据；请在问卷中添加这样的关联数据字段。",
        ),
    ],
)
def test_the_new_messages_say_what_to_do(doc: dict[str, Any], english: str, chinese: str) -> None:
    (problem,) = check_automation(doc, CATALOG)
    assert problem.message_in("en") == english
    assert problem.message_in("zh-CN") == chinese


def test_a_misspelt_role_suggests_the_closest_one() -> None:
    doc = automation(NEW_CUSTOMER, type="notify", to={"kind": "role", "role": "admn"}, title="x")
    (problem,) = check_automation(doc, CATALOG)
    assert problem.suggestion == "admin"
    assert problem.message_in("en") == (
        "Unknown role “admn” at /actions/0/to/role — did you mean “admin”?"
    )
    assert (
        problem.message_in("zh-CN")
        == "/actions/0/to/role 处的角色“admn”无法识别，您是想用“admin”吗？"
    )


def test_without_a_catalog_a_linked_survey_checks_only_its_shape() -> None:
    doc = automation(NEW_ORDER, type="send_survey", form="anything", record={"link": "customer"})
    assert check_automation(doc, None) == []
    bad = automation(NEW_ORDER, type="send_survey", form="anything", record={"link": 3})
    assert [p.code for p in check_automation(bad, None)] == ["automation_wrong_type"]


# -- plans and summaries --------------------------------------------------------------------
NOW = datetime(2026, 11, 24, 22, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
CONTEXT: dict[str, Any] = {
    "record": {"id": 5, "name": "ACME", "customer": 42},
    "trigger": {"type": "record_created"},
    "workspace": {"name": "Acme", "timezone": "Asia/Shanghai"},
    "today": NOW.date(),
    "now": NOW,
    "steps": {},
}


def plan(kind: str, **config: Any) -> PlannedAction:
    return plan_action(Action("a1", kind, config), CONTEXT, now=NOW)


def test_a_role_pool_is_planned_as_the_role_not_as_user_ids() -> None:
    assert plan("assign_owner", mode="round_robin", role="member").inputs == {
        "mode": "round_robin",
        "role": "member",
    }
    assert plan("assign_owner", mode="fixed", members=[7]).inputs == {
        "mode": "fixed",
        "members": [7],
    }


def test_role_persons_are_planned_as_they_are() -> None:
    inputs = plan("notify", to=ADMINS, title="Hi {{ record.name }}", email=True).inputs
    assert inputs == {"to": ADMINS, "title": "Hi ACME", "body": "", "email": True}
    assert plan("create_task", title="x", assignee=ADMINS).inputs["assignee"] == ADMINS


def test_a_linked_survey_carries_its_link_into_the_plan() -> None:
    inputs = plan("send_survey", form="nps", record={"link": "customer"}, expires_days=7).inputs
    assert inputs == {"form": "nps", "expires_days": 7, "record": {"link": "customer"}}
    assert "record" not in plan("send_survey", form="nps").inputs


@pytest.mark.parametrize(
    ("planned", "english", "chinese"),
    [
        (
            PlannedAction("notify", {"to": ADMINS, "title": "Hi", "body": "", "email": False}),
            "Notify the workspace's admins and owners: “Hi”",
            "通知工作区的管理员和所有者：“Hi”",
        ),
        (
            PlannedAction(
                "notify",
                {"to": {"kind": "role", "role": "owner"}, "title": "Hi", "body": "", "email": True},
            ),
            "Notify the workspace's owners in the app and by e-mail: “Hi”",
            "通过站内消息和邮件通知工作区的所有者：“Hi”",
        ),
        (
            PlannedAction(
                "notify",
                {
                    "to": {"kind": "role", "role": "member"},
                    "title": "Hi",
                    "body": "",
                    "email": False,
                },
            ),
            "Notify all workspace members except read-only ones: “Hi”",
            "通知工作区中除只读成员外的所有成员：“Hi”",
        ),
        (
            PlannedAction(
                "create_task",
                {"title": "Review", "assignee": ADMINS, "due_at": None},
            ),
            "Create a follow-up “Review” for the admin or owner with the lowest user id, "
            "with no due date",
            "创建跟进任务“Review”，交给用户 ID 最小的管理员或所有者，无截止时间",
        ),
        (
            PlannedAction("assign_owner", {"mode": "round_robin", "role": "member"}),
            "Assign the owner round-robin among all workspace members except read-only ones",
            "在工作区中除只读成员外的所有成员之间轮流分配负责人",
        ),
        (
            PlannedAction("assign_owner", {"mode": "least_loaded", "role": "admin"}),
            "Assign the owner to whoever of the workspace's admins and owners has the fewest "
            "records",
            "将负责人分配给工作区的管理员和所有者中负责数据最少的成员",
        ),
        (
            PlannedAction(
                "send_survey",
                {"form": "nps", "expires_days": 7, "record": {"link": "customer"}},
            ),
            "Send a survey invitation for “nps”, valid for 7 day(s), to the record linked "
            "through “customer”",
            "发送问卷“nps”的邀请，7 天内有效，发给通过“customer”关联的数据",
        ),
    ],
)
def test_summaries_name_the_role_and_the_linked_record(
    planned: PlannedAction, english: str, chinese: str
) -> None:
    assert summarize(planned, "en") == english
    assert summarize(planned, "zh-CN") == chinese

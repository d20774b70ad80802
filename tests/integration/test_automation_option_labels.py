"""Automation texts people read show a choice field's option label in the reader's
language (follow-up titles, notifications and their e-mails, the dry run); data —
webhook payloads, values written to records — keeps the stored option values."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork import db
from formwork.automation.context import ChoiceLabels, text_locale
from formwork.models import (
    EmailMessage,
    Form,
    Notification,
    Record,
    Role,
    Step,
    Task,
    User,
    Workspace,
)
from formwork.services import automations, records
from formwork.services.scope import Actor, actor_for
from tests.conftest import Factory
from tests.integration.automation_fixtures import add_automation, runs_by_status
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, published_forms

INTERESTS = {
    "type": "array",
    "items": {"type": "string", "enum": ["golf", "wine"]},
    "uniqueItems": True,
    "title": "Interests",
    "x-field": "multiselect",
    "x-option-titles": {
        "golf": {"en": "Golf", "zh-CN": "高尔夫"},
        "wine": {"en": "Wine", "zh-CN": "红酒"},
    },
}
CONTACTS = {
    "type": "array",
    "title": "Contacts",
    "x-field": "subform",
    "items": {
        "type": "object",
        "x-order": ["who", "role"],
        "properties": {
            "who": {"type": "string", "title": "Who", "maxLength": 50, "x-field": "text"},
            "role": {
                "type": "string",
                "enum": ["buyer", "boss"],
                "title": "Role",
                "x-field": "select",
                "x-option-titles": {
                    "buyer": {"en": "Buyer", "zh-CN": "采购"},
                    "boss": {"en": "Decision maker", "zh-CN": "决策人"},
                },
            },
        },
        "additionalProperties": False,
    },
}
LABELLED_CUSTOMERS = copy.deepcopy(CUSTOMERS)
LABELLED_CUSTOMERS["x-order"] += ["interests", "contacts", "newsletter"]
LABELLED_CUSTOMERS["properties"].update(
    {
        "interests": INTERESTS,
        "contacts": CONTACTS,
        "newsletter": {"type": "boolean", "title": "Newsletter", "x-field": "checkbox"},
    }
)

LABELLED_ORDERS = copy.deepcopy(ORDERS)
LABELLED_ORDERS["x-order"].append("customer_level")
LABELLED_ORDERS["properties"]["customer_level"] = {
    "title": "Customer level",
    "readOnly": True,
    "x-field": "lookup",
    "x-lookup": {"link": "customer", "field": "level"},
}

VISITS: dict[str, Any] = {
    "$schema": CUSTOMERS["$schema"],
    "x-format": 1,
    "type": "object",
    "title": "Visits",
    "x-order": ["topic", "customers", "levels"],
    "properties": {
        "topic": {"type": "string", "title": "Topic", "maxLength": 100, "x-field": "text"},
        "customers": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1},
            "uniqueItems": True,
            "x-multiple": True,
            "title": "Customers",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "levels": {
            "title": "Levels",
            "readOnly": True,
            "x-field": "lookup",
            "x-lookup": {"link": "customers", "field": "level"},
        },
    },
    "additionalProperties": False,
}

VIP = {"name": "ACME", "level": "vip", "vip_note": "key account"}


@dataclass
class LabelCrm:
    app: Flask
    owner: User  # no language set: English
    zh: User  # 简体中文
    en: User
    workspace: Workspace
    forms: dict[str, Form]

    def actor(self, session: Session) -> Actor:
        return actor_for(session, session.merge(self.owner), self.workspace.id)


def _set_locale(session: Session, user: User, locale: str | None) -> None:
    found = session.get(User, user.id)
    assert found is not None
    found.locale = locale
    session.commit()


@pytest.fixture
def crm(app: Flask, factory: Factory) -> LabelCrm:
    owner = factory.user(name="Olivia Owner")
    workspace = factory.workspace(owner)
    zh = factory.member(workspace, Role.MEMBER, name="Zhang Wei")
    en = factory.member(workspace, Role.MEMBER, name="Emma")
    with app.app_context():
        session = db.session()
        _set_locale(session, zh, "zh-CN")
        _set_locale(session, en, "en")
        actor = actor_for(session, session.merge(owner), workspace.id)
        documents = {"customers": LABELLED_CUSTOMERS, "orders": LABELLED_ORDERS, "visits": VISITS}
        forms = published_forms(session, actor, documents)
    return LabelCrm(app, owner, zh, en, workspace, forms)


def _user(crm: LabelCrm, who: str) -> User:
    return {"zh": crm.zh, "en": crm.en, "owner": crm.owner}[who]


def _task_automation(title: str, assignee: dict[str, Any], form: str = "customers") -> dict:
    return {
        "version": 1,
        "trigger": {"type": "record_created", "form": form},
        "actions": [{"id": "call", "type": "create_task", "title": title, "assignee": assignee}],
    }


# -- follow-ups and notifications ---------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("en", "Call ACME (VIP; Golf, Wine)"),
        ("zh", "Call ACME (贵宾; 高尔夫、红酒)"),
        ("owner", "Call ACME (VIP; Golf, Wine)"),  # no language chosen: English
    ],
)
def test_a_follow_up_title_shows_option_labels_in_the_assignees_language(
    crm: LabelCrm, who: str, expected: str
) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        assignee = {"kind": "user", "id": _user(crm, who).id}
        title = "Call {{ record.name }} ({{ record.level }}; {{ record.interests }})"
        add_automation(session, actor, _task_automation(title, assignee))
        records.create_record(
            session, actor, crm.forms["customers"], {**VIP, "interests": ["golf", "wine"]}
        )
        assert runs_by_status(session) == {"succeeded": 1}
        task = session.scalars(select(Task)).one()
        assert task.title == expected and task.assignee_id == _user(crm, who).id
        # The run log shows what was sent.
        assert session.scalars(select(Step)).one().input["title"] == expected


@pytest.mark.parametrize(
    ("who", "title", "body"),
    [
        ("en", "ACME: Normal → VIP", "Level VIP. Note: key account"),
        ("zh", "ACME: 普通 → 贵宾", "Level 贵宾. Note: key account"),
    ],
)
def test_a_notification_and_its_email_show_labels_in_the_recipients_language(
    crm: LabelCrm, who: str, title: str, body: str
) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "field_changed", "form": "customers", "field": "level", "to": "vip"},
        "actions": [
            {
                "id": "tell",
                "type": "notify",
                "to": {"kind": "user", "id": _user(crm, who).id},
                "title": "{{ record.name }}: {{ trigger.from }} → {{ trigger.to }}",
                "body": "Level {{ record.level }}. Note: {{ record.vip_note }}",
                "email": True,
            }
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, document)
        record = records.create_record(
            session, actor, crm.forms["customers"], {"name": "ACME", "level": "normal"}
        )
        records.update_record(
            session, actor, crm.forms["customers"], record.id, VIP, expected_version=1
        )
        assert runs_by_status(session) == {"succeeded": 1}
        note = session.scalars(select(Notification)).one()
        assert (note.user_id, note.title, note.body) == (_user(crm, who).id, title, body)
        email = session.scalars(select(EmailMessage)).one()
        assert email.subject == title and email.body.startswith(body)


@pytest.mark.parametrize(
    ("locales", "expected"),
    [
        ({"owner": None, "zh": "zh-CN", "en": "en"}, "New VIP customer"),
        ({"owner": "zh-CN", "zh": "zh-CN", "en": "zh-CN"}, "New 贵宾 customer"),
    ],
)
def test_one_text_for_several_recipients_is_english_unless_they_share_a_language(
    crm: LabelCrm, locales: dict[str, str | None], expected: str
) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "tell",
                "type": "notify",
                "to": {"kind": "role", "role": "member"},
                "title": "New {{ record.level }} customer",
            }
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)  # first: merging the fixture's owner resets its locale
        for who, locale in locales.items():
            _set_locale(session, _user(crm, who), locale)
        add_automation(session, actor, document)
        records.create_record(session, actor, crm.forms["customers"], VIP)
        titles = session.scalars(select(Notification.title)).all()
        assert titles == [expected] * 3


# -- data keeps stored values ------------------------------------------------------------------


class _Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[Any] = []


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_webhooks_and_written_values_keep_stored_values_while_texts_show_labels(
    crm: LabelCrm, receiver: _Receiver
) -> None:
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "tell",
                "type": "notify",
                "to": {"kind": "user", "id": crm.zh.id},
                "title": "{{ record.level }}: {{ record.interests }}",
            },
            {
                "id": "hook",
                "type": "webhook",
                "url": url,
                "payload": {
                    "level": "{{ record.level }}",
                    "interests": "{{ record.interests }}",
                    "text": "Level {{ record.level }}",
                },
            },
            {"id": "plain", "type": "webhook", "url": url},
            {"id": "write", "type": "update_record", "values": {"vip_note": "{{ record.level }}"}},
        ],
    }
    with crm.app.app_context():
        session = db.session()
        workspace = session.get(Workspace, crm.workspace.id)
        assert workspace is not None
        workspace.allow_private_webhooks = True  # the receiver listens on 127.0.0.1
        session.commit()
        actor = crm.actor(session)
        add_automation(session, actor, document)
        record = records.create_record(
            session, actor, crm.forms["customers"], {**VIP, "interests": ["wine"]}
        )
        assert runs_by_status(session) == {"succeeded": 1}
        assert session.scalars(select(Notification.title)).one() == "贵宾: 红酒"
        templated, default = receiver.bodies
        assert templated == {"level": "vip", "interests": ["wine"], "text": "Level vip"}
        assert default["record"]["level"] == "vip"
        assert default["record"]["interests"] == ["wine"]
        session.expire_all()
        stored = session.get(Record, record.id)
        assert stored is not None and stored.data["vip_note"] == "vip"


# -- through links, subform rows and list items ------------------------------------------------


@pytest.fixture
def elsewhere(app: Flask, factory: Factory) -> None:
    """Another workspace with forms of the same keys (made first: their ids are lower)
    whose VIP option reads differently."""
    stranger = factory.user(name="Stranger")
    workspace = factory.workspace(stranger, name="Elsewhere")
    other = copy.deepcopy(LABELLED_CUSTOMERS)
    other["properties"]["level"]["x-option-titles"]["vip"] = {"en": "NOT OURS", "zh-CN": "别家"}
    with app.app_context():
        session = db.session()
        actor = actor_for(session, session.merge(stranger), workspace.id)
        documents = {"customers": other, "orders": LABELLED_ORDERS, "visits": VISITS}
        published_forms(session, actor, documents)


def test_lookups_of_a_choice_field_show_the_linked_forms_option_labels(
    elsewhere: None, crm: LabelCrm
) -> None:
    """Labels come from this workspace's forms, never from a form of the same key in
    another workspace."""
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        customers = crm.forms["customers"]
        vip = records.create_record(session, actor, customers, VIP)
        normal = records.create_record(session, actor, customers, {"name": "Bo", "level": "normal"})
        zh = {"kind": "user", "id": crm.zh.id}
        add_automation(
            session, actor, _task_automation("Order for {{ record.customer_level }}", zh, "orders")
        )
        add_automation(session, actor, _task_automation("Visit: {{ record.levels }}", zh, "visits"))
        records.create_record(
            session, actor, crm.forms["orders"], {"customer": vip.id, "amount": 5}
        )
        records.create_record(
            session, actor, crm.forms["visits"], {"topic": "x", "customers": [vip.id, normal.id]}
        )
        titles = session.scalars(select(Task.title).order_by(Task.id)).all()
        assert titles == ["Order for 贵宾", "Visit: 贵宾、普通"]


def test_subform_columns_and_single_list_items_show_labels(crm: LabelCrm) -> None:
    title = (
        "[{{ record.contacts }}] {{ record.contacts.0.who }} is {{ record.contacts.0.role }}; "
        "{{ record.interests.1 }}"
    )
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, _task_automation(title, {"kind": "owner"}))
        data = {
            **VIP,
            "interests": ["golf", "wine"],
            "contacts": [{"who": "Li", "role": "boss"}],
        }
        records.create_record(session, actor, crm.forms["customers"], data)
        # A whole subform (rows of objects) renders as nothing, as before.
        assert session.scalars(select(Task.title)).one() == "[] Li is Decision maker; Wine"


# -- the hook itself ---------------------------------------------------------------------------


def test_choice_labels_leave_other_values_and_unknown_options_alone(crm: LabelCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        trigger = {"type": "record_created"}
        labels = ChoiceLabels(session, crm.workspace.id, crm.forms["customers"].id, trigger)
        show = labels.display("zh-CN")
        assert show(("record", "level"), "vip") == "贵宾"
        assert show(("record", "level"), "gone") == "gone"  # an option removed since
        assert show(("record", "newsletter"), True) == "是"
        assert labels.display("en")(("record", "newsletter"), False) == "No"
        assert show(("record", "name"), "vip") is None
        assert show(("record", "owner", "name"), "vip") is None
        assert show(("record", "id"), 3) is None
        assert show(("steps", "a1", "level"), "vip") is None
        assert show(("trigger", "to"), "vip") is None  # no trigger field
        assert show(("record", "level"), ["vip"]) is None  # not a select's shape
        nothing = ChoiceLabels(session, crm.workspace.id, None, {"type": "schedule"})
        assert nothing.display("en")(("record", "level"), "vip") is None


def test_churn_statuses_in_a_tier_change_read_as_their_names(crm: LabelCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        trigger = {"type": "tier_changed", "scheme": "churn"}
        labels = ChoiceLabels(session, crm.workspace.id, crm.forms["customers"].id, trigger)
        assert labels.display("en")(("trigger", "to"), "at_risk") == "At risk"
        assert labels.display("zh-CN")(("trigger", "from"), "at_risk") == "流失风险"
        assert labels.display("en")(("trigger", "to"), "unheard_of") is None


def test_the_language_of_a_text_is_its_readers_shared_one_else_english(crm: LabelCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        assert text_locale(session, []) == "en"
        assert text_locale(session, [crm.zh.id]) == "zh-CN"
        assert text_locale(session, [crm.owner.id]) == "en"
        assert text_locale(session, [crm.zh.id, crm.en.id]) == "en"


# -- the dry run -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "locale", "label", "sentence"),
    [
        ("owner", "en", "Call ACME (VIP)", "Create a follow-up"),
        ("owner", "zh-CN", "Call ACME (VIP)", "创建跟进任务"),
        ("zh", "en", "Call ACME (贵宾)", "Create a follow-up"),
    ],
)
def test_the_dry_run_shows_the_texts_as_their_reader_will_get_them(
    crm: LabelCrm, who: str, locale: str, label: str, sentence: str
) -> None:
    """The sentence is in the admin's language, the follow-up's title in its reader's."""
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        records.create_record(session, actor, crm.forms["customers"], VIP)
        assignee = (
            {"kind": "owner"} if who == "owner" else {"kind": "user", "id": _user(crm, who).id}
        )
        document = _task_automation("Call {{ record.name }} ({{ record.level }})", assignee)
        result = automations.dry_run(session, actor, document, locale=locale)
        (step,) = result.records[0].steps
        assert step.inputs["title"] == label
        assert label in step.summary and step.summary.startswith(sentence)

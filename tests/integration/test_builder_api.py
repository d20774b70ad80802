# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""The form designer's page and JSON endpoints (state, draft, check, check-formula,
preview, publish) on SQLite and PostgreSQL: who may use them, optimistic saving, problems
in English and 中文, and publishing that never loses stored values."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from form_engine.evolution import archive_field, restore_field
from formwork import db
from formwork.models import Form, FormVersion, Record, Role
from formwork.services import apps, publishing, records
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import SCHEMA, actor

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en"}


def document(**fields: dict[str, Any]) -> dict[str, Any]:
    """A form document with these fields, in this order."""
    return {
        "$schema": SCHEMA,
        "x-format": 1,
        "type": "object",
        "title": "Customers",
        "x-order": list(fields),
        "properties": copy.deepcopy(fields),
        "required": [],
        "additionalProperties": False,
    }


NAME = {
    "x-field": "text",
    "type": "string",
    "maxLength": 100,
    "title": "Name",
    "x-titles": {"zh-CN": "客户名称"},
}
PHONE = {"x-field": "phone", "type": "string", "x-phone-region": "CN", "title": "Phone"}
CODE = {"x-field": "text", "type": "string", "maxLength": 20, "title": "Code"}
QUANTITY = {"x-field": "number", "type": "number", "title": "Quantity"}
PRICE = {"x-field": "money", "type": "number", "x-currency": "CNY", "title": "Unit price"}
TOTAL = {
    "x-field": "formula",
    "type": "number",
    "readOnly": True,
    "title": "Total",
    "x-formula": "{quantity} * {unit_price}",
    "x-result": "number",
}


class Designer:
    """A workspace owner with one draft form, and the designer's URLs for it."""

    def __init__(self, app: Flask, client: FlaskClient, auth: Auth, factory: Factory) -> None:
        self.app, self.client, self.factory = app, client, factory
        self.owner = factory.user(name="Olivia Owner")
        self.workspace = factory.workspace(self.owner)
        with app.app_context():
            who = actor(app, self.owner, self.workspace)
            app_id = apps.create_app(db.session(), who, "CRM").id
            form = apps.create_form(db.session(), who, app_id, "Customers")
            self.form_id, self.form_key = form.id, form.key
        self.base = f"/w/{self.workspace.id}/forms/{self.form_id}/design"
        auth.login(self.owner)

    def url(self, endpoint: str = "") -> str:
        return f"{self.base}/{endpoint}"

    def state(self, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.get(self.url("state"), headers=headers or EN)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.get_json()

    def save(self, doc: dict[str, Any]) -> int:
        revision = self.state()["draft_revision"]
        response = self.client.put(
            self.url("draft"), json={"document": doc, "draft_revision": revision}
        )
        assert response.status_code == 200, response.get_json()
        return int(response.get_json()["draft_revision"])

    def preview(self, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.post(self.url("preview"), json={}, headers=headers or EN)
        assert response.status_code == 200
        return response.get_json()

    def publish(self, revision: int, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            self.url("publish"), json={"draft_revision": revision}, headers=headers or EN
        )

    def add_records(self, *rows: dict[str, Any]) -> list[int]:
        with self.app.app_context():
            session = db.session()
            who = actor(self.app, self.owner, self.workspace)
            form = session.get(Form, self.form_id)
            assert form is not None
            return [
                records.create_record(session, who, form, row, source="json").id for row in rows
            ]

    def stored(self) -> dict[int, dict[str, Any]]:
        with self.app.app_context():
            rows = (
                db.session()
                .execute(select(Record.id, Record.data).where(Record.form_id == self.form_id))
                .all()
            )
            return {record_id: dict(data) for record_id, data in rows}

    def versions(self) -> list[int]:
        with self.app.app_context():
            return list(
                db.session().scalars(
                    select(FormVersion.version)
                    .where(FormVersion.form_id == self.form_id)
                    .order_by(FormVersion.version)
                )
            )


@pytest.fixture
def designer(app: Flask, client: FlaskClient, auth: Auth, factory: Factory) -> Designer:
    return Designer(app, client, auth, factory)


ENDPOINTS = [
    ("get", ""),
    ("get", "state"),
    ("put", "draft"),
    ("post", "check"),
    ("post", "check-formula"),
    ("post", "preview"),
    ("post", "publish"),
]


@pytest.mark.parametrize(("method", "endpoint"), ENDPOINTS)
def test_members_get_403_and_strangers_404_on_every_designer_endpoint(
    designer: Designer,
    client: FlaskClient,
    auth: Auth,
    factory: Factory,
    method: str,
    endpoint: str,
) -> None:
    """Only admins design forms; other workspaces cannot tell the form exists."""
    body = {"document": document(name=NAME), "draft_revision": 1, "formula": "1"}
    auth.logout()
    for role in (Role.MEMBER, Role.VIEWER):
        member = factory.member(designer.workspace, role)
        auth.login(member)
        response = getattr(client, method)(designer.url(endpoint), json=body)
        assert response.status_code == 403, (role, endpoint)
        auth.logout()
    stranger = factory.user(name="Sam Stranger")
    factory.workspace(stranger, "Elsewhere")
    auth.login(stranger)
    response = getattr(client, method)(designer.url(endpoint), json=body)
    assert response.status_code == 404
    auth.logout()
    assert getattr(client, method)(designer.url(endpoint), json=body).status_code in (302, 401)
    assert designer.versions() == []


def test_an_admin_form_id_from_another_workspace_is_404(
    designer: Designer, client: FlaskClient, auth: Auth, factory: Factory
) -> None:
    """A forged form id of another workspace, under the admin's own workspace, is 404."""
    other_owner = factory.user(name="Other")
    other = factory.workspace(other_owner, "Other shop")
    auth.logout()
    auth.login(other_owner)
    forged = f"/w/{other.id}/forms/{designer.form_id}/design/state"
    assert client.get(forged).status_code == 404


def test_the_page_loads_its_script_as_a_module_with_csrf_meta_and_escaped_title(
    designer: Designer, client: FlaskClient, app: Flask
) -> None:
    """No inline script or style (CSP); the form title is escaped; strings come as JSON."""
    with app.app_context():
        form = db.session().get(Form, designer.form_id)
        assert form is not None
        form.title = '<img src=x onerror="alert(1)">'
        db.session().commit()
    html = client.get(designer.url(), headers=EN).get_data(as_text=True)
    assert '<meta name="csrf-token" content="' in html
    assert '<script type="module" src="/static/js/builder.js"></script>' in html
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x" in html
    assert " style=" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'id="fw-builder-strings"' in html and 'id="fw-condition-strings"' in html


def test_state_has_the_palette_in_the_users_language_and_the_other_published_forms(
    designer: Designer, app: Flask
) -> None:
    """Palette groups in order, names per locale, link targets with their fields."""
    english = designer.state(EN)
    types = {entry["key"]: entry for entry in english["field_types"]}
    assert [entry["group"] for entry in english["field_types"]][:1] == ["basic"]
    assert len(types) == 27
    assert types["text"]["title"] == "Text"
    assert types["formula"]["computed"] and types["section"]["layout"]
    assert types["formula"]["fragment"]["x-result"] == "number"
    assert english["published_keys"] == [] and english["published"] is None
    assert english["records_url"] is None
    assert {f["name"] for f in english["functions"]} >= {"IF", "SUM", "ROUND", "DATEDIF"}
    chinese = designer.state(ZH)
    assert {e["key"]: e["title"] for e in chinese["field_types"]}["link"] == "关联数据"

    with app.app_context():
        session = db.session()
        who = actor(app, designer.owner, designer.workspace)
        form = apps.create_form(session, who, apps.list_apps(session, who)[0].id, "Orders")
        orders = document(
            customer={
                "x-field": "link",
                "type": "integer",
                "minimum": 1,
                "title": "Customer",
                "x-link": {"form": designer.form_key},
            }
        )
        revision = publishing.save_draft(session, who, form, orders, form.draft_revision)
        publishing.publish(session, who, form, revision)
    listed = designer.state(EN)["forms"]
    assert [f["title"] for f in listed] == ["Customers"]  # Orders: the document's title
    assert listed[0]["fields"] == [
        {
            "key": "customer",
            "title": "Customer",
            "type": "link",
            "kind": "integer",
            "link_form": designer.form_key,
        }
    ]


def test_a_draft_saves_with_its_revision_and_a_stale_revision_is_a_conflict(
    designer: Designer, client: FlaskClient
) -> None:
    """Optimistic saving: the second writer with an old revision gets 409, nothing lost."""
    revision = designer.state()["draft_revision"]
    first = document(name=NAME)
    response = client.put(
        designer.url("draft"), json={"document": first, "draft_revision": revision}
    )
    assert response.status_code == 200
    assert response.get_json() == {"draft_revision": revision + 1}
    stale = client.put(
        designer.url("draft"), json={"document": document(phone=PHONE), "draft_revision": revision}
    )
    assert stale.status_code == 409
    assert "Someone else saved this form" in stale.get_json()["error"]["message"]
    state = designer.state()
    assert state["draft"] == first and state["draft_revision"] == revision + 1
    for bad in ({"document": [], "draft_revision": revision + 1}, {"draft_revision": "x"}):
        assert client.put(designer.url("draft"), json=bad).status_code in (409, 422)
    huge = document(name={**NAME, "description": "x" * 600_000})
    response = client.put(
        designer.url("draft"), json={"document": huge, "draft_revision": revision + 1}
    )
    assert response.status_code == 422
    assert designer.state()["draft"] == first


def test_json_calls_need_the_csrf_header_from_the_page(make_app: Any, factory: Factory) -> None:
    """With CSRF on, a PUT without X-CSRFToken is refused; with the page's token it saves."""
    app = make_app(WTF_CSRF_ENABLED=True)
    owner = Factory(app).user()
    workspace = Factory(app).workspace(owner)
    with app.app_context():
        who = actor(app, owner, workspace)
        form = apps.create_form(db.session(), who, apps.create_app(db.session(), who, "A").id, "F")
        base = f"/w/{workspace.id}/forms/{form.id}/design/"
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page) or re.search(
        r'name="csrf_token" value="([^"]+)"', login_page
    )
    assert token is not None
    client.post(
        "/login",
        data={"email": owner.email, "password": "s3cret-Passw0rd", "csrf_token": token.group(1)},
    )
    page = client.get(base).get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert meta is not None
    body = {"document": document(name=NAME), "draft_revision": 1}
    assert client.put(base + "draft", json=body).status_code == 400
    saved = client.put(base + "draft", json=body, headers={"X-CSRFToken": meta.group(1)})
    assert saved.status_code == 200


BAD = document(
    name=NAME,
    kind={"x-field": "txet", "type": "string", "title": "Kind"},
    level={"x-field": "select", "type": "string", "enum": [], "title": "Level"},
)
BAD_FORMULA = document(quantity=QUANTITY, total={**TOTAL, "x-formula": "{quantity} * {nope}"})


@pytest.mark.parametrize(
    ("doc", "english", "chinese"),
    [
        (
            BAD,
            [
                "unknown field type “txet” — did you mean “text”?",
                "Choice field “level” needs at least one option.",
            ],
            ["未知的字段类型“txet”", "选项字段“level”至少需要一个选项。"],
        ),
        (BAD_FORMULA, ["Unknown field “nope” at column 14."], ["第 14 列：未知字段“nope”。"]),
    ],
    ids=["unknown-type-and-select-without-options", "formula-with-unknown-field"],
)
def test_preview_lists_the_problems_of_a_bad_draft_in_english_and_chinese(
    designer: Designer, doc: dict[str, Any], english: list[str], chinese: list[str]
) -> None:
    """Each problem names its field (path) and reads in the person's language."""
    revision = designer.save(doc)
    for headers, expected in ((EN, english), (ZH, chinese)):
        result = designer.preview(headers)
        assert result["ok"] is False
        messages = " | ".join(p["message"] for p in result["problems"])
        for text in expected:
            assert text in messages, (text, messages)
        assert all(p["path"].startswith("/properties/") for p in result["problems"])
    refused = designer.publish(revision)
    assert refused.status_code == 422
    assert designer.versions() == []


def test_check_reports_every_problem_per_field_without_saving(
    designer: Designer, client: FlaskClient
) -> None:
    """Live feedback: relations, conditions and formulas are checked against the workspace."""
    doc = document(
        name=NAME,
        owner_form={
            "x-field": "link",
            "type": "integer",
            "minimum": 1,
            "title": "Company",
            "x-link": {"form": "companies"},
        },
        copy_of={
            "x-field": "lookup",
            "readOnly": True,
            "title": "Copied",
            "x-lookup": {"link": "", "field": ""},
        },
        vip_note={**NAME, "title": "VIP note", "x-visible-if": {"==": [{"var": "levle"}, "vip"]}},
        total={**TOTAL, "x-formula": ""},
    )
    response = client.post(designer.url("check"), json={"document": doc}, headers=EN)
    result = response.get_json()
    assert result["ok"] is False
    by_key = {p["key"]: p["message"] for p in result["problems"]}
    assert by_key["owner_form"] == "The linked form “companies” does not exist."
    assert by_key["copy_of"] == "Choose the linked-record field to look up through."
    assert "Unknown field “levle”" in by_key["vip_note"]
    assert by_key["total"] == "The formula is empty."
    assert designer.state()["draft_revision"] == 1  # nothing saved
    fine = client.post(
        designer.url("check"),
        json={"document": document(quantity=QUANTITY, unit_price=PRICE, total=TOTAL)},
    ).get_json()
    assert fine == {"ok": True, "problems": []}
    garbage = client.post(
        designer.url("check"), data="{not json", content_type="application/json"
    ).get_json()
    assert garbage["ok"] is False


@pytest.mark.parametrize(
    ("formula", "headers", "ok", "message", "column"),
    [
        ("{quantity} * {unit_price}", EN, True, "The formula is valid.", None),
        (
            "{quantity} * {unit_prize}",
            EN,
            False,
            "Unknown field “unit_prize” at column 14 — did you mean “unit_price”?",
            14,
        ),
        (
            "{quantity} * {unit_prize}",
            ZH,
            False,
            "第 14 列：未知字段“unit_prize”，您是不是要找“unit_price”？",
            14,
        ),
        ("SUM({quantity}, ", EN, False, "The formula ends too early", 17),
        ("IF({quantity} > 1，2, 3)", ZH, False, "全角字符“，”", 18),
        ("{total} + 1", EN, False, "Unknown field “total”", 1),
    ],
)
def test_check_formula_parses_against_the_drafts_fields(
    designer: Designer,
    client: FlaskClient,
    formula: str,
    headers: dict[str, str],
    ok: bool,
    message: str,
    column: int | None,
) -> None:
    """The message in the person's language and the column it points at; no self-reference."""
    doc = document(quantity=QUANTITY, unit_price=PRICE, total=TOTAL)
    result = client.post(
        designer.url("check-formula"),
        json={"formula": formula, "document": doc, "key": "total"},
        headers=headers,
    ).get_json()
    assert result["ok"] is ok
    assert message in result["message"]
    assert result["column"] == column
    if ok:
        assert result["references"] == ["quantity", "unit_price"]


def test_publish_makes_version_1_and_archiving_later_keeps_the_stored_values(
    designer: Designer,
) -> None:
    """v1 accepts records; v2 archives Phone: values stay in the records; v3 restores it."""
    first = document(name=NAME, phone=PHONE)
    first["required"] = ["name"]
    revision = designer.save(first)
    assert designer.preview()["ok"] is True
    published = designer.publish(revision)
    assert published.status_code == 200
    assert published.get_json()["version"] == 1
    assert published.get_json()["records_url"] is None or published.get_json()[
        "records_url"
    ].endswith(f"/forms/{designer.form_id}/")
    state = designer.state()
    assert state["form"]["published_version"] == 1
    assert state["published_keys"] == ["name", "phone"]
    ids = designer.add_records(
        {"name": "Wang", "phone": "13800138000"},
        {"name": "Li", "phone": "13900139000"},
        {"name": "Zhao"},
    )

    second = archive_field(state["draft"], "phone")
    revision = designer.save(second)
    preview = designer.preview()
    assert preview["ok"] is True
    assert "Field “Phone” archived" in preview["changes"]
    assert any("its 2 values are kept" in line for line in preview["data_effects"])
    chinese = designer.preview(ZH)
    assert any("保留 2 个值" in line for line in chinese["data_effects"])
    assert designer.publish(revision).get_json()["version"] == 2
    stored = designer.stored()
    assert stored[ids[0]]["phone"] == "13800138000"
    assert stored[ids[1]]["phone"] == "13900139000"
    state = designer.state()
    assert "phone" in state["published"]["x-archived"]
    assert state["published_keys"] == ["name", "phone"]  # archived keys stay taken

    revision = designer.save(restore_field(state["draft"], "phone"))
    assert "Field “Phone” restored" in designer.preview()["changes"]
    assert designer.publish(revision).get_json()["version"] == 3
    assert designer.versions() == [1, 2, 3]
    assert designer.stored()[ids[0]]["phone"] == "13800138000"


def test_a_field_dropped_instead_of_archived_is_refused(designer: Designer) -> None:
    """Deleting a published field outright would lose data: the preview says archive it."""
    revision = designer.save(document(name=NAME, phone=PHONE))
    designer.publish(revision)
    revision = designer.save(document(name=NAME))
    preview = designer.preview()
    assert preview["ok"] is False
    assert any("archive it instead" in p["message"] for p in preview["problems"])
    assert designer.publish(revision).status_code == 422


def test_a_type_change_with_values_that_do_not_convert_is_refused_with_count_and_examples(
    designer: Designer,
) -> None:
    """Code text → number: 2 of 3 values do not convert; publish refuses, nothing changes."""
    revision = designer.save(document(name=NAME, code=CODE))
    designer.publish(revision)
    ids = designer.add_records(
        {"name": "A", "code": "12"}, {"name": "B", "code": "abc"}, {"name": "C", "code": "x7"}
    )
    changed = document(name=NAME, code={"x-field": "number", "type": "number", "title": "Code"})
    revision = designer.save(changed)
    preview = designer.preview()
    assert preview["ok"] is False
    effects = " ".join(preview["data_effects"])
    assert "2 of 3 values of “Code” would not convert" in effects
    assert f"#{ids[1]} “abc”" in effects and f"#{ids[2]} “x7”" in effects
    assert any("changes type from Text to Number" in c for c in preview["changes"])
    chinese = " ".join(designer.preview(ZH)["data_effects"])
    assert "“Code”有 2/3 个值无法转换" in chinese
    refused = designer.publish(revision)
    assert refused.status_code == 422
    assert "would not convert" in refused.get_json()["error"]["message"]
    assert designer.versions() == [1]
    assert designer.stored()[ids[0]]["code"] == "12"


def test_a_type_change_where_every_value_converts_rewrites_them(designer: Designer) -> None:
    """Code text → number when every value is a number: published, values become numbers."""
    revision = designer.save(document(name=NAME, code=CODE))
    designer.publish(revision)
    ids = designer.add_records({"name": "A", "code": "12"}, {"name": "B", "code": "3.5"})
    changed = document(name=NAME, code={"x-field": "number", "type": "number", "title": "Code"})
    revision = designer.save(changed)
    preview = designer.preview()
    assert preview["ok"] is True, preview
    assert any("All 2 values of “Code” fit" in line for line in preview["data_effects"])
    assert designer.publish(revision).get_json()["version"] == 2
    stored = designer.stored()
    assert stored[ids[0]]["code"] == 12 and stored[ids[1]]["code"] == 3.5


def test_publishing_a_stale_revision_is_a_conflict(designer: Designer) -> None:
    """Publish names the revision it previewed; a newer save in between is a 409."""
    revision = designer.save(document(name=NAME))
    designer.save(document(name=NAME, phone=PHONE))
    response = designer.publish(revision)
    assert response.status_code == 409
    assert designer.versions() == []


def test_preview_says_each_problem_once_in_the_designers_words(designer: Designer) -> None:
    """A link without its form: one clear problem, not also the meta-schema's generic one."""
    link = {
        "x-field": "link",
        "type": "integer",
        "minimum": 1,
        "title": "Company",
        "x-link": {"form": ""},
    }
    revision = designer.save(document(name=NAME, company=link))
    problems = designer.preview()["problems"]
    assert [(p["path"], p["message"]) for p in problems] == [
        ("/properties/company/x-link", "Choose the form this field links to.")
    ]
    assert problems[0]["key"] == "company"
    refused = designer.publish(revision)
    assert refused.status_code == 422
    assert refused.get_json()["problems"][0]["key"] == "company"

# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Record pages through the test client: new, show, edit, delete/restore, on both databases.

Pages post what a browser would post (``PagePost`` reads the rendered form like one), the
engine validates, errors come back per field in the user's language, and nothing is stored
from a bad post.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from form_engine.fields import FIELD_TYPES as F
from formwork import db
from formwork.models import Record, RecordRevision, Role, User
from formwork.services import records
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, SCHEMA, actor, published_forms


def kitchen_sink() -> dict[str, Any]:
    """A form with every field type of the catalogue."""
    props = {
        "intro": F["section"].fragment(title="About", titles={"zh-CN": "基本信息"}),
        "note": F["description"].fragment(
            description="Fill in what you know.", descriptions={"zh-CN": "请填写已知信息。"}
        ),
        "name": F["text"].fragment(title="Name", titles={"zh-CN": "名称"}, description="Full"),
        "bio": F["textarea"].fragment(title="Bio"),
        "count": F["number"].fragment(title="Count", minimum=0, default=5),
        "price": F["money"].fragment(title="Price"),
        "rate": F["percent"].fragment(title="Rate"),
        "born": F["date"].fragment(title="Born"),
        "met_at": F["datetime"].fragment(title="Met at"),
        "level": F["select"].fragment(
            title="Level", titles={"zh-CN": "级别"}, default="a",
            options=[{"value": "a", "titles": {"en": "Alpha", "zh-CN": "甲"}}, "b"],
        ),
        "colors": F["multiselect"].fragment(title="Colors", options=["red", "green", "blue"]),
        "agree": F["checkbox"].fragment(title="Agree"),
        "stars": F["rating"].fragment(title="Stars"),
        "score": F["nps"].fragment(title="Score"),
        "email": F["email"].fragment(title="Email"),
        "phone": F["phone"].fragment(title="Phone"),
        "site": F["url"].fragment(title="Site"),
        "addr": F["address"].fragment(title="Address"),
        "owner": F["member"].fragment(title="Owner"),
        "customer": F["link"].fragment(title="Customer", form="customers"),
        "customers": F["link"].fragment(title="Customers", form="customers", multiple=True),
        "tags": F["tags"].fragment(title="Tags"),
        "lines": F["subform"].fragment(
            title="Lines",
            fields={
                "item": F["text"].fragment(title="Item"),
                "qty": F["number"].fragment(title="Qty"),
                "gift": F["checkbox"].fragment(title="Gift"),
            },
            required_fields=["item"],
        ),
        "serial": F["autonumber"].fragment(title="Serial", prefix="K-", digits=3),
        "double": F["formula"].fragment(title="Double", formula="count * 2"),
        "customer_phone": F["lookup"].fragment(title="Customer phone", link="customer",
                                               field="phone"),
        "order_count": F["rollup"].fragment(title="Orders", form="orders", link="customer",
                                            agg="count"),
        "files": F["attachment"].fragment(title="Files"),
        "secret": F["text"].fragment(
            title="Secret", visible_if={"==": [{"var": "level"}, "b"]},
            required_if={"==": [{"var": "level"}, "b"]},
        ),
    }  # fmt: skip
    return {
        "$schema": SCHEMA, "x-format": 1, "type": "object", "title": "Kitchen",
        "x-titles": {"zh-CN": "样品"}, "x-order": list(props), "properties": props,
        "required": ["name"], "additionalProperties": False,
    }  # fmt: skip


# -- reading pages like a browser ---------------------------------------------------------

_VOID = {"input", "br", "img", "link", "meta", "hr", "source", "col", "area", "base", "wbr"}


class PagePost(HTMLParser):
    """The successful controls of the record form (what a browser would submit) and the
    text of every ``data-testid`` element."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.fields: list[tuple[str, str]] = []
        self.texts: dict[str, list[str]] = {}
        self._buffers: list[tuple[str, list[str]]] = []
        self._select: dict[str, Any] | None = None
        self._option: dict[str, Any] | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self.feed(page)

    def _off(self, attrs: dict[str, str | None]) -> bool:
        inert = any(tag == "template" for tag, _ in self.stack)
        in_form = any(tag == "form" and "data-record-form" in a for tag, a in self.stack)
        fenced = any(tag == "fieldset" and "disabled" in a for tag, a in self.stack)
        return inert or not in_form or fenced or "disabled" in attrs

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attr_list)
        name = attrs.get("name")
        if tag == "input" and name and not self._off(attrs):
            kind = attrs.get("type") or "text"
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value") or "on"))
            elif kind not in ("submit", "button", "file", "reset", "image"):
                self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attrs, "options": [],
                            "off": self._off(attrs)}  # fmt: skip
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "selected": "selected" in attrs,
                            "text": []}  # fmt: skip
            self._select["options"].append(self._option)
        elif tag == "textarea" and name and not self._off(attrs):
            self._textarea = (name, [])
        if tag not in _VOID:
            self.stack.append((tag, attrs))
            if attrs.get("data-testid"):
                self._buffers.append((str(attrs["data-testid"]), []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            chosen = [o for o in self._select["options"] if o["selected"]]
            if not chosen and not self._select["multiple"] and self._select["options"]:
                chosen = self._select["options"][:1]
            if not self._select["off"]:
                for option in chosen:
                    value = option["value"]
                    text = "".join(option["text"]).strip()
                    self.fields.append((self._select["name"], text if value is None else value))
            self._select = None
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea[0], "".join(self._textarea[1]).lstrip("\n")))
            self._textarea = None
        while self.stack:
            open_tag, attrs = self.stack.pop()
            if attrs.get("data-testid"):
                testid, parts = self._buffers.pop()
                self.texts.setdefault(testid, []).append(" ".join("".join(parts).split()))
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._option is not None and self._select is not None:
            self._option["text"].append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)
        for _testid, parts in self._buffers:
            parts.append(data)

    def text(self, testid: str) -> str:
        return " ".join(self.texts.get(testid, []))


# -- fixtures -------------------------------------------------------------------------------


@dataclass
class Site:
    app: Flask
    client: FlaskClient
    workspace_id: int
    owner: User
    forms: dict[str, int]

    def url(self, form: str, suffix: str = "new") -> str:
        return f"/w/{self.workspace_id}/forms/{self.forms[form]}/records/{suffix}"

    def record(self, record_id: int) -> Record:
        with self.app.app_context():
            found = db.session().get(Record, record_id)
            assert found is not None
            return found

    def count(self, form: str) -> int:
        with self.app.app_context():
            query = select(func.count()).where(Record.form_id == self.forms[form])
            return db.session().scalar(query.select_from(Record)) or 0

    def create(self, form: str, values: dict[str, Any]) -> int:
        with self.app.app_context():
            session = db.session()
            who = actor(self.app, self.owner, _workspace(session, self.workspace_id))
            from formwork.models import Form

            target = session.get(Form, self.forms[form])
            return records.create_record(session, who, target, values, source="json").id

    def revisions(self, record_id: int) -> list[str]:
        with self.app.app_context():
            query = select(RecordRevision.action).where(RecordRevision.record_id == record_id)
            return list(db.session().scalars(query.order_by(RecordRevision.id)))


def _workspace(session: Any, workspace_id: int) -> Any:
    from formwork.models import Workspace

    return session.get(Workspace, workspace_id)


@pytest.fixture
def site(app: Flask, factory: Factory, client: FlaskClient, auth: Auth) -> Site:
    owner = factory.user(name="Owner Ann")
    workspace = factory.workspace(owner)
    with app.app_context():
        who = actor(app, owner, workspace)
        documents = {"customers": CUSTOMERS, "orders": ORDERS, "kitchen": kitchen_sink()}
        forms = published_forms(db.session(), who, documents)
        ids = {key: form.id for key, form in forms.items()}
    auth.login(owner)
    return Site(app, client, workspace.id, owner, ids)


def _id_from(location: str) -> int:
    match = re.search(r"/records/(\d+)/$", location)
    assert match, location
    return int(match.group(1))


def _good_kitchen(site: Site, customer: int) -> dict[str, Any]:
    return {
        "name": "K", "bio": "line 1\r\nline 2", "count": "1,234", "price": "¥12.50",
        "rate": "12%", "born": "2020-02-03", "met_at": "2026-01-02T03:04", "level": "b",
        "secret": "s", "colors": ["red", "blue"], "agree": "y", "stars": "4", "score": "9",
        "email": "A@EXAMPLE.COM", "phone": "138 0013 8000", "site": "example.com",
        "addr-province": "广东省", "addr-city": "深圳市", "addr-district": "", "addr-detail": "",
        "owner": str(site.owner.id), "customer": str(customer), "customers": [str(customer)],
        "tags": "vip, new", "lines-0-item": "Pen", "lines-0-qty": "2", "lines-0-gift": "y",
        "lines-3-item": "", "lines-3-qty": "", "lines-5-item": "Ink", "lines-5-qty": "3",
        "double": "999", "serial": "X-1",
    }  # fmt: skip


# -- tests ----------------------------------------------------------------------------------


def test_new_page_has_an_input_for_every_field_type(site: Site) -> None:
    """Each type gets its widget; computed fields are read-only."""
    page = site.client.get(site.url("kitchen")).get_data(as_text=True)
    expected = [
        'name="name" type="text"', '<textarea class="form-control" id="bio"',
        'inputmode="decimal" name="count"', 'name="born" type="date"',
        'name="met_at" type="datetime-local"', '<select class="form-select" id="level"',
        'name="colors" type="checkbox" value="green"', 'name="agree" type="checkbox" value="y"',
        'name="stars" type="radio" value="5"', 'name="score" type="radio" value="0"',
        'name="score" type="radio" value="10"', 'name="email" type="email"',
        'name="phone" type="tel"', 'name="site" type="url"', 'name="addr-province"',
        'name="addr-detail"', 'name="owner"', 'name="customer"', 'multiple name="customers"',
        'name="tags" placeholder=', 'name="lines-0-item"', 'name="lines-0-gift"',
        'name="lines-__index__-qty"', 'data-add-row="lines"', 'name="files" type="file"',
        'multiple name="files" type="file"', 'enctype="multipart/form-data"',
        "Calculated when saved",
    ]  # fmt: skip
    for fragment in expected:
        assert fragment in page, fragment
    assert "<script>" not in page and " style=" not in page and "onclick" not in page
    parsed = PagePost(page)
    assert parsed.text("field-intro").startswith("About")
    assert parsed.text("field-note") == "Fill in what you know."


def test_new_page_offers_defaults_members_and_linked_records(site: Site) -> None:
    customer = site.create("customers", {"name": "Zhang San"})
    page = PagePost(site.client.get(site.url("kitchen")).get_data(as_text=True))
    posted = dict(page.fields)
    assert posted["count"] == "5" and posted["level"] == "a"  # defaults
    body = site.client.get(site.url("kitchen")).get_data(as_text=True)
    assert f'<option value="{customer}">Zhang San · #{customer}</option>' in body
    assert f'<option value="{site.owner.id}">Owner Ann</option>' in body


def test_visibility_conditions_are_embedded_for_the_page_script(site: Site) -> None:
    body = site.client.get(site.url("customers")).get_data(as_text=True)
    match = re.search(r'<script type="application/json" id="record-form-config">(.*?)</script>',
                      body, re.S)  # fmt: skip
    assert match
    config = json.loads(html.unescape(match.group(1)))
    assert config["visibleIf"] == {"vip_note": {"==": [{"var": "level"}, "vip"]}}
    assert config["requiredIf"] == {"vip_note": {"==": [{"var": "level"}, "vip"]}}
    assert config["kinds"]["level"] == "text"
    assert 'src="/static/js/record_form.js"' in body
    # level is empty, so the VIP note starts hidden (and is not posted)
    assert (
        'data-field="vip_note" data-type="text" data-testid="field-vip_note" hidden disabled'
        in body
    )


def test_good_values_are_coerced_stored_and_shown_formatted(site: Site) -> None:
    customer = site.create("customers", {"name": "Zhang San"})
    response = site.client.post(site.url("kitchen"), data=_good_kitchen(site, customer))
    assert response.status_code == 302, response.get_data(as_text=True)
    record = site.record(_id_from(response.headers["Location"]))
    assert record.data == {
        "name": "K", "bio": "line 1\nline 2", "count": 1234, "price": 12.5, "rate": 12,
        "born": "2020-02-03", "met_at": "2026-01-02T03:04:00Z", "level": "b", "secret": "s",
        "colors": ["red", "blue"], "agree": True, "stars": 4, "score": 9,
        "email": "A@example.com", "phone": "13800138000", "site": "https://example.com",
        "addr": {"province": "广东省", "city": "深圳市"}, "owner": site.owner.id,
        "customer": customer, "customers": [customer], "tags": ["vip", "new"],
        "lines": [{"item": "Pen", "qty": 2, "gift": True},
                  {"item": "Ink", "qty": 3, "gift": False}],
        "serial": "K-001", "double": 2468, "order_count": 0,
    }  # fmt: skip
    shown = PagePost(site.client.get(response.headers["Location"]).get_data(as_text=True))
    assert shown.text("value-price") == "¥12.50"
    assert shown.text("value-rate") == "12%"
    assert shown.text("value-count") == "1,234"
    assert shown.text("value-owner") == "Owner Ann"
    assert shown.text("value-customer") == f"Zhang San · #{customer}"
    assert shown.text("value-stars") == "★★★★☆"
    assert shown.text("value-double") == "2,468"
    assert "Pen" in shown.text("value-lines") and "Yes" in shown.text("value-lines")
    in_chinese = site.client.get(response.headers["Location"], headers={"Accept-Language": "zh-CN"})
    chinese = PagePost(in_chinese.get_data(as_text=True))
    assert chinese.text("value-addr") == "广东省深圳市"
    assert chinese.text("value-born") == "2020年2月3日"
    assert chinese.text("value-agree") == "是"


def test_edit_page_posts_back_every_stored_value_unchanged(site: Site) -> None:
    """What the edit page shows is exactly what is stored: saving it changes nothing."""
    customer = site.create("customers", {"name": "Zhang San"})
    created = site.client.post(site.url("kitchen"), data=_good_kitchen(site, customer))
    record_id = _id_from(created.headers["Location"])
    page = PagePost(
        site.client.get(site.url("kitchen", f"{record_id}/edit")).get_data(as_text=True)
    )
    posted = dict(page.fields)
    assert posted["_version"] == "1" and posted["met_at"] == "2026-01-02T03:04"
    assert posted["addr-province"] == "广东省" and posted["lines-1-item"] == "Ink"
    response = site.client.post(site.url("kitchen", f"{record_id}/edit"), data=_multi(page.fields))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert site.revisions(record_id) == ["created"]
    assert site.record(record_id).version == 1


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for name, value in pairs:
        result.setdefault(name, []).append(value)
    return result


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        ("en", {"name": "This field is required.",
                "phone": "Enter a mainland China mobile number (11 digits starting with 1) "
                         "or a landline like 010-12345678.",
                "level": "“gold” is not one of the options."}),
        ("zh-CN", {"name": "此项为必填项。",
                   "phone": "请输入中国大陆手机号（以 1 开头的 11 位数字）或固定电话，"
                            "例如 010-12345678。",
                   "level": "“gold”不在可选项中。"}),
    ],
)  # fmt: skip
def test_bad_values_show_errors_by_their_fields_and_store_nothing(
    site: Site, language: str, messages: dict[str, str]
) -> None:
    response = site.client.post(
        site.url("customers"), data={"name": " ", "phone": "12345", "level": "gold"},
        headers={"Accept-Language": language},
    )  # fmt: skip
    assert response.status_code == 422
    page = PagePost(response.get_data(as_text=True))
    assert {key: page.text(f"error-{key}") for key in messages} == messages
    assert dict(page.fields)["phone"] == "12345"  # what was typed stays in the form
    assert site.count("customers") == 0


def test_a_bad_subform_cell_is_marked_in_its_row(site: Site) -> None:
    data = {"name": "K", "lines-0-item": "Pen", "lines-0-qty": "2", "lines-4-item": "",
            "lines-7-qty": "lots"}  # fmt: skip
    response = site.client.post(site.url("kitchen"), data=data)
    assert response.status_code == 422
    page = PagePost(response.get_data(as_text=True))
    assert page.text("error-lines-2-qty") == "Enter a number, such as 1234.5."
    assert dict(page.fields)["lines-2-qty"] == "lots"
    data = {"name": "K", "lines-0-item": "Pen", "lines-3-item": " ", "lines-3-qty": "3"}
    page = PagePost(site.client.post(site.url("kitchen"), data=data).get_data(as_text=True))
    assert page.text("error-lines-1-item") == "This field is required."
    assert site.count("kitchen") == 0


def test_hidden_field_is_neither_required_nor_stored(site: Site) -> None:
    data = {"name": "A", "level": "normal", "vip_note": "ignored"}
    response = site.client.post(site.url("customers"), data=data)
    assert response.status_code == 302
    assert "vip_note" not in site.record(_id_from(response.headers["Location"])).data
    response = site.client.post(site.url("customers"), data={"name": "B", "level": "vip"})
    assert response.status_code == 422
    page = PagePost(response.get_data(as_text=True))
    assert page.text("error-vip_note") == "This field is required."
    body = response.get_data(as_text=True)
    assert 'data-testid="field-vip_note" hidden' not in body  # shown: level is vip
    assert 'data-required-marker="vip_note">*' in body  # and marked required


def test_edit_saves_and_the_history_shows_before_and_after(site: Site) -> None:
    record_id = site.create("customers", {"name": "Before", "level": "normal"})
    data = {"_version": "1", "name": "After", "level": "normal"}
    response = site.client.post(site.url("customers", f"{record_id}/edit"), data=data)
    assert response.status_code == 302
    assert site.record(record_id).data["name"] == "After"
    page = PagePost(site.client.get(response.headers["Location"]).get_data(as_text=True))
    history = page.texts["revision"]
    assert len(history) == 2
    assert "Owner Ann changed" in history[0]
    assert re.search(r"Name Before →(changed to)? After", history[0])
    assert "Owner Ann created the record" in history[1]


def test_computed_values_and_their_recalculation_show_on_the_record(site: Site) -> None:
    customer = site.create("customers", {"name": "Li Si"})
    for amount in ("600", "500.50"):
        response = site.client.post(site.url("orders"),
                                    data={"customer": str(customer), "amount": amount})  # fmt: skip
        assert response.status_code == 302
    order = PagePost(site.client.get(response.headers["Location"]).get_data(as_text=True))
    assert order.text("value-number") == "SO-0002"
    page = PagePost(site.client.get(site.url("customers", f"{customer}/")).get_data(as_text=True))
    assert page.text("value-total_spent") == "1,100.5"
    assert page.text("value-order_count") == "2"
    assert page.text("value-label") == "big"
    assert "Recalculated automatically" in page.texts["revision"][0]
    assert re.search(r"Total spent 600 →(changed to)? 1,100.5", page.texts["revision"][0])
    edit = PagePost(
        site.client.get(site.url("customers", f"{customer}/edit")).get_data(as_text=True)
    )
    assert edit.text("value-total_spent") == "1,100.5"
    assert "total_spent" not in dict(edit.fields)  # shown, never posted


def test_stale_edit_shows_both_values_changes_nothing_and_can_be_reapplied(site: Site) -> None:
    record_id = site.create("customers", {"name": "Original"})
    with site.app.app_context():  # someone else saves first
        session = db.session()
        who = actor(site.app, site.owner, _workspace(session, site.workspace_id))
        from formwork.models import Form

        records.update_record(session, who, session.get(Form, site.forms["customers"]),
                              record_id, {"name": "Theirs"}, expected_version=1)  # fmt: skip
    url = site.url("customers", f"{record_id}/edit")
    response = site.client.post(url, data={"_version": "1", "name": "Mine"})
    assert response.status_code == 409
    page = PagePost(response.get_data(as_text=True))
    assert page.text("conflict-stored") == "Theirs" and page.text("conflict-mine") == "Mine"
    assert site.record(record_id).data["name"] == "Theirs"
    assert site.record(record_id).version == 2
    posted = dict(page.fields)
    assert posted["name"] == "Mine" and posted["_version"] == "2"  # re-apply mine
    response = site.client.post(url, data=_multi(page.fields))
    assert response.status_code == 302
    assert site.record(record_id).data["name"] == "Mine"


def test_delete_shows_a_banner_and_restore_brings_the_record_back(site: Site) -> None:
    record_id = site.create("customers", {"name": "Gone"})
    response = site.client.post(site.url("customers", f"{record_id}/delete"))
    assert response.status_code == 302
    assert site.record(record_id).deleted_at is not None
    page = PagePost(site.client.get(response.headers["Location"]).get_data(as_text=True))
    assert "This record was deleted" in page.text("deleted-banner")
    assert "edit-record" not in page.texts
    assert site.client.get(site.url("customers", f"{record_id}/edit")).status_code == 404
    response = site.client.post(site.url("customers", f"{record_id}/restore"))
    assert response.status_code == 302
    assert site.record(record_id).deleted_at is None
    assert site.revisions(record_id) == ["created", "deleted", "restored"]


def test_viewer_reads_but_cannot_write(site: Site, factory: Factory, app: Flask) -> None:
    record_id = site.create("customers", {"name": "Kept"})
    with app.app_context():
        workspace = _workspace(db.session(), site.workspace_id)
    viewer = factory.member(workspace, Role.VIEWER, name="Viewer Vic")
    client = app.test_client()
    Auth(client).login(viewer)
    page = client.get(site.url("customers", f"{record_id}/"))
    assert page.status_code == 200
    assert "edit-record" not in PagePost(page.get_data(as_text=True)).texts
    assert client.get(site.url("customers")).status_code == 403
    assert client.get(site.url("customers", f"{record_id}/edit")).status_code == 403
    for suffix in ("new", f"{record_id}/edit", f"{record_id}/delete", f"{record_id}/restore"):
        response = client.post(site.url("customers", suffix), data={"name": "X", "_version": "1"})
        assert response.status_code == 403, suffix
    kept = site.record(record_id)
    assert kept.data["name"] == "Kept" and kept.version == 1 and kept.deleted_at is None
    assert site.count("customers") == 1


def test_stranger_from_another_workspace_gets_404(site: Site, factory: Factory, app: Flask) -> None:
    record_id = site.create("customers", {"name": "Private"})
    stranger = factory.user(name="Stranger")
    factory.workspace(stranger, name="Elsewhere")
    client = app.test_client()
    Auth(client).login(stranger)
    for suffix in ("new", f"{record_id}/", f"{record_id}/edit"):
        assert client.get(site.url("customers", suffix)).status_code == 404, suffix
    for suffix in ("new", f"{record_id}/edit", f"{record_id}/delete", f"{record_id}/restore"):
        response = client.post(site.url("customers", suffix), data={"name": "X", "_version": "1"})
        assert response.status_code == 404, suffix
    assert site.record(record_id).data["name"] == "Private"
    assert site.record(record_id).deleted_at is None


def test_a_record_of_another_form_is_not_found_under_this_one(site: Site) -> None:
    record_id = site.create("customers", {"name": "A"})
    assert site.client.get(site.url("kitchen", f"{record_id}/")).status_code == 404


def test_user_text_is_escaped_everywhere(site: Site) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = site.client.post(site.url("customers"), data={"name": evil, "level": "vip",
                                                             "vip_note": evil})  # fmt: skip
    assert response.status_code == 302
    record_id = _id_from(response.headers["Location"])
    data = {"_version": "1", "name": evil + "!", "level": "vip", "vip_note": evil}
    site.client.post(site.url("customers", f"{record_id}/edit"), data=data)
    order = site.client.post(site.url("orders"), data={"customer": str(record_id), "amount": "1"})
    for url in (response.headers["Location"], site.url("customers", f"{record_id}/edit"),
                site.url("orders"), order.headers["Location"]):  # fmt: skip
        body = site.client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, url
        assert "&lt;script&gt;alert(" in body, url
    bad = site.client.post(site.url("customers"), data={"name": evil * 20, "phone": evil})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "<script>alert" not in body


def test_every_post_needs_a_csrf_token(make_app: Callable[..., Flask]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    factory = Factory(app)
    owner = factory.user(name="Owner")
    workspace = factory.workspace(owner)
    with app.app_context():
        forms = published_forms(db.session(), actor(app, owner, workspace),
                                {"customers": CUSTOMERS, "orders": ORDERS})  # fmt: skip
        form_id = forms["customers"].id
    client = app.test_client()
    with client.session_transaction() as browser_session:
        browser_session["_user_id"] = owner.get_id()
        browser_session["_fresh"] = True
    base = f"/w/{workspace.id}/forms/{form_id}/records"
    refused = client.post(f"{base}/new", data={"name": "No token"})
    assert refused.status_code == 400
    page = PagePost(client.get(f"{base}/new").get_data(as_text=True))
    token = dict(page.fields)["csrf_token"]
    accepted = client.post(f"{base}/new", data={"name": "With token", "csrf_token": token})
    assert accepted.status_code == 302
    record_id = _id_from(accepted.headers["Location"])
    for suffix in (f"{record_id}/edit", f"{record_id}/delete", f"{record_id}/restore"):
        assert (
            client.post(f"{base}/{suffix}", data={"name": "X", "_version": "1"}).status_code == 400
        )
    with app.app_context():
        stored = db.session().get(Record, record_id)
        assert stored is not None and stored.data["name"] == "With token"
        assert stored.deleted_at is None and stored.version == 1


def test_unpublished_form_has_no_record_pages(site: Site, app: Flask) -> None:
    with app.app_context():
        session = db.session()
        from formwork.services import apps

        who = actor(app, site.owner, _workspace(session, site.workspace_id))
        draft = apps.create_form(session, who, apps.list_apps(session, who)[0].id, "Draft only")
        draft_id = draft.id
    response = site.client.get(f"/w/{site.workspace_id}/forms/{draft_id}/records/new")
    assert response.status_code == 404
    assert "not published yet" in response.get_data(as_text=True)


def test_record_pages_link_back_to_the_list(site: Site) -> None:
    record_id = site.create("customers", {"name": "A"})
    list_url = f"/w/{site.workspace_id}/forms/{site.forms['customers']}/"
    for suffix in ("new", f"{record_id}/", f"{record_id}/edit"):
        body = site.client.get(site.url("customers", suffix)).get_data(as_text=True)
        assert f'href="{list_url}" data-testid="back-to-list"' in body, suffix


def test_link_choices_stop_at_the_500_newest_records_and_say_so(site: Site) -> None:
    with site.app.app_context():
        session = db.session()
        who = actor(site.app, site.owner, _workspace(session, site.workspace_id))
        from formwork.models import Form

        customers = session.get(Form, site.forms["customers"])
        ids = records.bulk_create(session, who, customers, [{"name": f"C{n}"} for n in range(501)])
    page = site.client.get(site.url("orders")).get_data(as_text=True)
    assert "Showing the 500 newest records of the linked form." in page
    assert f'<option value="{ids[-1]}">C500 · #{ids[-1]}</option>' in page
    assert f'value="{ids[0]}"' not in page
    order = site.create("orders", {"customer": ids[0], "amount": 5})
    edit = site.client.get(site.url("orders", f"{order}/edit")).get_data(as_text=True)
    assert f'<option selected value="{ids[0]}">C0 · #{ids[0]}</option>' in edit


def test_a_link_to_a_deleted_record_is_kept_and_reported_not_dropped(site: Site) -> None:
    customer = site.create("customers", {"name": "Soon gone"})
    order = site.create("orders", {"customer": customer, "amount": 5})
    assert site.client.post(site.url("customers", f"{customer}/delete")).status_code == 302
    page = PagePost(site.client.get(site.url("orders", f"{order}/edit")).get_data(as_text=True))
    assert dict(page.fields)["customer"] == str(customer)
    response = site.client.post(site.url("orders", f"{order}/edit"), data=_multi(page.fields))
    assert response.status_code == 422
    errors = PagePost(response.get_data(as_text=True))
    assert errors.text("error-customer") == f"Record #{customer} does not exist in the linked form."
    assert site.record(order).data["customer"] == customer

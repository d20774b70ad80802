"""Record pages in Chromium: live visibility, computed values, history, errors in 中文, and
the browser's condition evaluator agreeing with the Python one on the truth tables.

Published forms are made through the app factory on the live server's own database (the
instance folder of ``live_server``), then the person logs in through the real page.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from form_engine.conditions import EvalContext, evaluate, parse_condition, to_json
from formwork import create_app, db
from formwork.services import accounts, workspaces
from formwork.services.scope import actor_for
from tests.e2e.conftest import LiveServer
from tests.e2e.test_journeys import PASSWORD, fill_log_in, switch_language
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, published_forms
from tests.integration.test_record_pages import kitchen_sink
from tests.unit import test_conditions as truth


@dataclass
class Shop:
    email: str
    workspace_id: int
    forms: dict[str, int]

    def url(self, form: str, suffix: str = "new") -> str:
        return f"/w/{self.workspace_id}/forms/{self.forms[form]}/records/{suffix}"


@pytest.fixture
def shop(live_server: LiveServer) -> Iterator[Shop]:
    """A user with a workspace and published customers/orders/kitchen forms."""
    # Seeding runs any automations here, at once, not on threads racing the server.
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(live_server.log_path.parent),
        "EXECUTOR": "inline",
    }
    if database_url := os.environ.get("FORMWORK_E2E_DATABASE_URL"):
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    email = f"records-{uuid.uuid4().hex[:12]}@example.com"
    try:
        with app.app_context():
            session = db.session()
            user = accounts.create_user(session, email=email, name="Wang Fang",
                                        password=PASSWORD, min_password_length=10)  # fmt: skip
            workspace = workspaces.create_workspace(session, user, "Shop")
            who = actor_for(session, user, workspace.id)
            documents = {"customers": CUSTOMERS, "orders": ORDERS, "kitchen": kitchen_sink()}
            forms = published_forms(session, who, documents)
            made = Shop(email, workspace.id, {key: form.id for key, form in forms.items()})
    finally:
        app.extensions["formwork.engine"].dispose()
    yield made


def log_in(page: Page, shop: Shop) -> None:
    page.goto("/login")
    fill_log_in(page, shop.email, PASSWORD)
    expect(page.locator("#user-menu")).to_have_text("Wang Fang")


def open_form(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("form[data-record-form][data-ready='true']")).to_be_attached()


def save(page: Page) -> None:
    page.get_by_test_id("save-record").click()


def test_conditional_field_appears_live_and_computed_values_show_after_saving(
    page: Page, shop: Shop
) -> None:
    """Choosing VIP reveals the required VIP note; formula and rollups show once saved."""
    log_in(page, shop)
    open_form(page, shop.url("customers"))
    note = page.get_by_test_id("field-vip_note")
    expect(note).to_be_hidden()
    page.locator("#level").select_option("vip")
    expect(note).to_be_visible()
    expect(note.locator("[data-required-marker='vip_note']")).to_be_visible()
    page.locator("#level").select_option("normal")
    expect(note).to_be_hidden()
    page.locator("#level").select_option("vip")
    page.locator("#name").fill("Acme 贸易")
    page.locator("#phone").fill("138 0013 8000")
    page.locator("#vip_note").fill("Key account")
    expect(page.get_by_test_id("value-label")).to_have_text("Calculated when saved")
    save(page)
    expect(page).to_have_url(re.compile(r"/records/\d+/$"))
    expect(page.get_by_role("alert")).to_contain_text("saved")
    expect(page.get_by_test_id("value-vip_note")).to_have_text("Key account")
    expect(page.get_by_test_id("value-phone")).to_have_text("13800138000")
    expect(page.get_by_test_id("value-label")).to_have_text("small")
    expect(page.get_by_test_id("value-order_count")).to_have_text("0")
    customer_url = page.url

    open_form(page, shop.url("orders"))
    customer_id = customer_url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator(f"#customer option[value='{customer_id}']")).to_have_text(
        f"Acme 贸易 · #{customer_id}"
    )
    page.locator("#customer").select_option(customer_id)
    page.locator("#amount").fill("1,200.50")
    save(page)
    expect(page.get_by_test_id("value-number")).to_have_text("SO-0001")
    expect(page.get_by_test_id("value-customer_phone")).to_have_text("13800138000")
    expect(page.get_by_test_id("value-amount")).to_have_text("¥1,200.50")

    page.goto(customer_url)
    expect(page.get_by_test_id("value-total_spent")).to_have_text("1,200.5")
    expect(page.get_by_test_id("value-label")).to_have_text("big")
    expect(page.get_by_test_id("revision").first).to_contain_text("Recalculated automatically")


def test_edit_shows_the_change_in_the_history_and_delete_can_be_undone(
    page: Page, shop: Shop
) -> None:
    log_in(page, shop)
    open_form(page, shop.url("customers"))
    page.locator("#name").fill("Old name")
    save(page)
    expect(page.get_by_test_id("edit-record")).to_be_visible()
    page.get_by_test_id("edit-record").click()
    expect(page.locator("#name")).to_have_value("Old name")
    page.locator("#name").fill("New name")
    save(page)
    expect(page.get_by_test_id("value-name")).to_have_text("New name")
    latest = page.get_by_test_id("revision").first
    expect(latest).to_contain_text("Wang Fang changed")
    expect(latest.get_by_test_id("change")).to_contain_text("Old name")
    expect(latest.get_by_test_id("change")).to_contain_text("New name")
    expect(page.get_by_test_id("revision")).to_have_count(2)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("delete-record").click()
    expect(page.get_by_test_id("deleted-banner")).to_contain_text("This record was deleted")
    expect(page.get_by_test_id("edit-record")).to_have_count(0)
    page.get_by_test_id("restore-record").click()
    expect(page.get_by_test_id("deleted-banner")).to_have_count(0)
    expect(page.get_by_test_id("revision").first).to_contain_text("restored the record")


def test_a_bad_value_in_chinese_shows_the_fields_chinese_error(page: Page, shop: Shop) -> None:
    log_in(page, shop)
    open_form(page, shop.url("customers"))
    switch_language(page, "中文")
    expect(page.locator("#language-switcher")).to_have_text("中文")
    open_form(page, shop.url("customers"))
    page.locator("#name").fill("张三")
    page.locator("#phone").fill("12345")
    save(page)
    error = page.get_by_test_id("error-phone")
    expect(error).to_contain_text("请输入中国大陆手机号")
    expect(page.locator("#phone")).to_have_value("12345")
    expect(page.locator("#phone")).to_have_class(re.compile("is-invalid"))
    expect(page).to_have_url(re.compile(r"/records/new$"))
    expect(page.get_by_test_id("field-name")).to_contain_text("客户名称")


def test_subform_rows_rating_and_hidden_values_round_trip(page: Page, shop: Shop) -> None:
    """Rows added in the page are saved; a value typed into a field that is then hidden
    is not stored; the NPS scale and checkboxes post what the engine expects."""
    log_in(page, shop)
    open_form(page, shop.url("kitchen"))
    page.locator("#name").fill("Sample")
    page.locator("#level").select_option("b")
    page.locator("#secret").fill("do not keep")
    page.locator("#level").select_option("a")
    expect(page.get_by_test_id("field-secret")).to_be_hidden()
    page.locator("#lines-0-item").fill("Pen")
    page.locator("#lines-0-qty").fill("2")
    page.get_by_role("button", name="Add row").click()
    page.locator("#lines-1-item").fill("Ink")
    page.locator("#lines-1-gift").check()
    page.get_by_text("9", exact=True).click()
    page.get_by_label("green").check()
    save(page)
    expect(page).to_have_url(re.compile(r"/records/\d+/$"))
    expect(page.get_by_test_id("value-score")).to_have_text("9")
    expect(page.get_by_test_id("value-colors")).to_have_text("green")
    expect(page.get_by_test_id("value-secret")).to_have_count(0)
    lines = page.get_by_test_id("value-lines")
    expect(lines).to_contain_text("Pen")
    expect(lines).to_contain_text("Ink")
    expect(lines.locator("tbody tr")).to_have_count(2)


# -- the JS evaluator against the Python one ------------------------------------------------


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


EXTRA: list[tuple[Any, dict[str, Any], dict[str, str] | None]] = [
    ({"<": [{"var": "name"}, "\uff01"]}, {"name": "😀"}, truth.FIELDS),  # code points
    ({">": [{"var": "name"}, "\uffff"]}, {"name": "\U0001d49c"}, truth.FIELDS),
    ({"==": [{"var": "name"}, "é"]}, {"name": "e\u0301"}, truth.FIELDS),
    ({"<=": [{"days_since": [{"var": "born"}]}, -100000]}, {"born": "9999-12-31"}, truth.FIELDS),
    ({">=": [{"days_since": [{"var": "born"}]}, 100000]}, {"born": "0001-01-01"}, truth.FIELDS),
    ({"!=": [{"days_since": [{"var": "born"}]}, 3]}, {"born": "2026-11-12"}, truth.FIELDS),
    ({"==": [{"var": ["qty", 2]}, 2]}, {"qty": 2.5}, truth.FIELDS),
    ({"in": [{"var": "qty"}, [1, 2.0]]}, {"qty": 2}, truth.FIELDS),
    ({"in": [{"var": "name"}, {"var": "tier"}]}, {"name": "b", "tier": "abc"}, truth.FIELDS),
    ({"in": ["a", {"var": "tags"}]}, {"tags": "cat"}, truth.FIELDS),
    ({"not_empty": [{"var": "tags"}]}, {"tags": {}}, truth.FIELDS),
    ({"is_empty": [{"var": "constructor"}]}, {}, None),
    ({"not_empty": [{"var": "constructor"}]}, {}, {"constructor": "text"}),
    ({"is_empty": [{"var": "hasownproperty"}]}, {}, None),
    ({"==": [{"var": "valueof"}, "x"]}, {"valueof": "x"}, None),
    ({"or": [{"!": [{"var": "vip"}]}, {"==": [{"var": "total"}, -0.0]}]},
     {"vip": True, "total": 0}, truth.FIELDS),
    ({"and": [True, {"<": [1, {"var": "x"}, 3]}]}, {"x": 2}, None),
    ({"<": [{"var": "x"}, {"today": []}]}, {"x": "2026-11-14"}, None),
    ({"==": [{"var": "seen_at"}, "2026-11-15T00:00:00Z"]},
     {"seen_at": "2026-11-15T00:00:00Z"}, truth.FIELDS),
]  # fmt: skip


def _cases() -> list[dict[str, Any]]:
    tables = [(doc, record, truth.FIELDS) for doc, record, _ in truth.TRUTH]
    tables += [(doc, record, None) for doc, record, _ in truth.UNTYPED]
    tables += EXTRA
    cases = []
    for doc, record, fields in tables:
        if not _jsonable(record):
            continue  # Python date objects: never in a browser
        condition = parse_condition(doc, fields=fields)
        expected = evaluate(condition, record, context=EvalContext(today=truth.TODAY))
        cases.append({"condition": to_json(condition), "record": record, "kinds": fields,
                      "expected": expected})  # fmt: skip
    return cases


EVENT_CASES = [
    ({"changed": "tier"}, {"tier": "A"}, {"tier": "B"}),
    ({"changed": "tier"}, {"tier": "A"}, {"tier": "A"}),
    ({"changed": "tags"}, {"tags": [1, "a"]}, {"tags": [1.0, "a"]}),
    ({"changed": "tags"}, {"tags": {"a": 1}}, {"tags": {"a": True}}),
    ({"changed": "tier"}, {"tier": "A"}, None),
    ({"changed": "tier"}, {}, None),
    ({"was": ["tier", "B"]}, {"tier": "A"}, {"tier": "B"}),
    ({"was": ["total", 5]}, {}, {"total": 5.0}),
    ({"was": ["total", 5]}, {}, None),
]


def test_browser_conditions_agree_with_python_on_the_truth_tables(page: Page) -> None:
    """static/js/conditions.js gives Python's answer for every table case."""
    cases = _cases()
    for doc, record, previous in EVENT_CASES:
        condition = parse_condition(doc, fields=truth.FIELDS)
        context = EvalContext(today=truth.TODAY, previous=previous)
        cases.append({"condition": to_json(condition), "record": record, "kinds": truth.FIELDS,
                      "previous": previous,
                      "expected": evaluate(condition, record, context=context)})  # fmt: skip
    assert len(cases) > 100
    page.goto("/login")
    results = page.evaluate(
        """async ({cases, today}) => {
            const { evaluate } = await import("/static/js/conditions.js");
            return cases.map((c) => evaluate(c.condition, c.record,
                {kinds: c.kinds, today, previous: c.previous || null}));
        }""",
        {"cases": cases, "today": truth.TODAY.isoformat()},
    )
    disagreements = [
        (case["condition"], case["record"], case["expected"], got)
        for case, got in zip(cases, results, strict=True)
        if got is not case["expected"]
    ]
    assert disagreements == []

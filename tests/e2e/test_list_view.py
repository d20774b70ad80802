"""The records list in Chromium: filter with the condition editor, sort by clicking a
header, save a view, reopen it after a reload, and read the list in 中文.

The account and workspace are made through the pages; the form and its 30 records are
written by a small helper that opens the live server's own database through the app
factory (the server is a subprocess on the SQLite file of its instance folder).
"""

from __future__ import annotations

import copy
import json
import os
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from formwork import create_app, db
from formwork.models import User
from formwork.services import apps, publishing, records
from formwork.services.scope import actor_for
from tests.e2e.conftest import LiveServer
from tests.e2e.test_journeys import create_workspace, sign_up, switch_language, unique_email

PageFactory = Callable[[], Page]

CUSTOMERS: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "x-format": 1,
    "type": "object",
    "title": "Customers",
    "x-titles": {"zh-CN": "客户档案"},
    "x-order": ["name", "level", "amount", "joined"],
    "properties": {
        "name": {
            "type": "string",
            "title": "Name",
            "maxLength": 100,
            "x-field": "text",
            "x-titles": {"zh-CN": "客户名称"},
        },
        "level": {
            "type": "string",
            "enum": ["normal", "vip"],
            "title": "Level",
            "x-field": "select",
            "x-titles": {"zh-CN": "客户等级"},
            "x-option-titles": {
                "normal": {"en": "Normal", "zh-CN": "普通"},
                "vip": {"en": "VIP", "zh-CN": "贵宾"},
            },
        },
        "amount": {
            "type": "number",
            "title": "Amount",
            "x-field": "money",
            "x-titles": {"zh-CN": "消费金额"},
        },
        "joined": {
            "type": "string",
            "format": "date",
            "title": "Joined",
            "x-field": "date",
            "x-titles": {"zh-CN": "加入日期"},
        },
    },
    "required": ["name"],
    "additionalProperties": False,
}


def seed_customers(server: LiveServer, email: str, workspace_id: int) -> int:
    """A published Customers form with 30 records in the live server's database."""
    instance = server.log_path.parent
    config: dict[str, Any] = {"INSTANCE_PATH": str(instance), "EXECUTOR": "inline"}
    if url := os.environ.get("FORMWORK_E2E_DATABASE_URL"):
        config["DATABASE_URL"] = url
    app = create_app(config)
    try:
        with app.app_context():
            session = db.session()
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None
            who = actor_for(session, user, workspace_id)
            app_id = apps.create_app(session, who, "CRM").id
            form = apps.create_form(session, who, app_id, "Customers")
            revision = publishing.save_draft(
                session, who, form, copy.deepcopy(CUSTOMERS), form.draft_revision
            )
            publishing.publish(session, who, form, revision)
            rows = [
                {
                    "name": f"Customer {n:02d}",
                    "level": "vip" if n % 3 == 0 else "normal",
                    "amount": n * 100,
                    "joined": f"2024-01-{n:02d}",
                }
                for n in range(1, 31)
            ]
            records.bulk_create(session, who, form, rows, source="json")
            return form.id
    finally:
        app.extensions["formwork.engine"].dispose()


@pytest.fixture
def customers(page: Page, live_server: LiveServer) -> str:
    """Signed in as the owner of a workspace whose Customers form has 30 records."""
    email = unique_email("lists")
    sign_up(page, "Lin Lists", email)
    workspace_id = create_workspace(page, f"List Co {uuid.uuid4().hex[:6]}")
    form_id = seed_customers(live_server, email, workspace_id)
    return f"/w/{workspace_id}/forms/{form_id}/"


def rows(page: Page) -> Any:
    return page.get_by_test_id("records-table").locator("tbody tr")


def first_names(page: Page) -> list[str]:
    return [
        text.strip()
        for text in page.get_by_test_id("records-table")
        .locator("tbody tr td:nth-child(2)")
        .all_inner_texts()
    ]


def test_filter_sort_save_a_view_reopen_it_and_read_it_in_chinese(
    page: Page, customers: str
) -> None:
    """Owner filters VIPs with the editor, sorts by amount, saves a view, reopens it."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(customers)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customers")
    expect(rows(page)).to_have_count(20)
    expect(page.get_by_test_id("record-count")).to_have_text("30 records")

    # Filter: Level is VIP, built by pointing and clicking.
    page.get_by_test_id("filter-toggle").click()
    editor = page.get_by_test_id("filter-editor")
    editor.get_by_role("button", name="Add rule").click()
    editor.get_by_label("Field").select_option(label="Level")
    expect(editor.get_by_label("Operator")).to_have_value("eq")
    editor.get_by_label("Value").select_option(label="VIP")
    page.get_by_test_id("apply-filter").click()
    expect(page).to_have_url(re.compile(r"filter="))
    expect(page.get_by_test_id("record-count")).to_have_text("10 records")
    expect(page.get_by_test_id("filter-summary")).to_have_text("Level is VIP")
    expect(rows(page)).to_have_count(10)
    # The editor shows the applied filter again.
    expect(editor.get_by_label("Value")).to_have_value("vip")

    # Sort: click the Amount header (ascending), then again (descending).
    page.get_by_role("link", name="Amount").click()
    expect(page).to_have_url(re.compile(r"sort=amount"))
    expect(page.locator('th[data-sort-key="amount"]')).to_have_attribute("aria-sort", "ascending")
    assert first_names(page)[0] == "Customer 03"
    page.get_by_role("link", name=re.compile("^Amount")).click()
    expect(page.locator('th[data-sort-key="amount"]')).to_have_attribute("aria-sort", "descending")
    assert first_names(page)[:2] == ["Customer 30", "Customer 27"]
    # Shift+click adds a second sort without dropping the first.
    page.get_by_role("link", name="Name").click(modifiers=["Shift"])
    expect(page).to_have_url(re.compile(r"sort=-amount(%2C|,)name"))
    expect(page.locator('th[data-sort-key="name"]')).to_have_attribute("aria-sort", "other")

    # Save the view.
    page.get_by_test_id("save-view-open").click()
    page.get_by_label("View name").fill("Big VIPs")
    page.get_by_test_id("save-view").click()
    expect(page.get_by_role("alert")).to_contain_text("View “Big VIPs” saved.")
    expect(page.get_by_test_id("active-view")).to_have_text("Big VIPs")

    # A fresh list, then pick the view from the menu.
    page.goto(customers)
    expect(page.get_by_test_id("record-count")).to_have_text("30 records")
    page.get_by_test_id("view-select").select_option(label="Big VIPs")
    expect(page.get_by_test_id("active-view")).to_have_text("Big VIPs")
    expect(page.get_by_test_id("record-count")).to_have_text("10 records")
    assert first_names(page)[:2] == ["Customer 30", "Customer 27"]

    # 中文: the same view with Chinese field labels, options and dates.
    switch_language(page, "中文")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("active-view")).to_contain_text("Big VIPs")
    table = page.get_by_test_id("records-table")
    expect(table.locator("thead")).to_contain_text("客户名称")
    expect(table.locator("thead")).to_contain_text("消费金额")
    expect(table.locator("tbody tr").first).to_contain_text("贵宾")
    expect(table.locator("tbody tr").first).to_contain_text("2024年1月30日")
    expect(page.get_by_role("heading", level=1)).to_contain_text("客户档案")
    assert errors == []


def test_invalid_filter_in_the_address_is_explained_and_the_editor_still_works(
    page: Page, customers: str
) -> None:
    """A hand-edited URL with an unknown field shows why, and the editor can replace it."""
    page.goto(customers + '?filter={"==":[{"var":"nmae"},"x"]}')
    expect(page.get_by_test_id("list-error")).to_contain_text("Unknown field “nmae”")
    expect(page.get_by_test_id("list-empty")).to_be_visible()
    editor = page.get_by_test_id("filter-editor")
    expect(editor).to_contain_text("too complex to edit here")
    editor.get_by_role("button", name="Replace with a new condition").click()
    editor.get_by_label("Field").select_option(label="Amount")
    editor.get_by_label("Operator").select_option(label="≥")
    editor.get_by_label("Value").fill("2500")
    editor.get_by_label("Value").press("Enter")
    expect(page.get_by_test_id("record-count")).to_have_text("6 records")
    expect(page.get_by_test_id("list-error")).to_have_count(0)


ROUND_TRIP: dict[str, Any] = {
    "or": [
        {"in": [{"var": "level"}, ["vip"]]},
        {
            "and": [
                {"<=": [100, {"var": "amount"}, 900]},
                {"<=": [0, {"days_since": [{"var": "joined"}]}, 30]},
            ]
        },
        {"in": ["Customer 1", {"var": "name"}]},
        {">": [{"days_since": [{"var": "joined"}]}, 365]},
        {"not_empty": [{"var": "joined"}]},
    ]
}


def test_editor_shows_a_saved_filter_and_gives_back_the_same_tree(
    page: Page, customers: str
) -> None:
    """Every rule kind the editor offers is displayed from the URL and re-emitted as is."""
    page.goto(customers + "?" + urlencode({"filter": json.dumps(ROUND_TRIP)}))
    editor = page.get_by_test_id("filter-editor")
    expect(editor.locator("select[data-role=field]")).to_have_count(6)
    expect(editor.locator(".fw-cond-nested")).to_have_count(1)
    expect(editor.get_by_label("VIP")).to_be_checked()
    expect(editor.get_by_label("From", exact=True)).to_have_value("100")
    expect(editor.get_by_label("To", exact=True)).to_have_value("900")
    # Touch the outer logic so the editor rewrites the JSON, then apply it unchanged.
    match = editor.locator("select[data-role=logic]").first
    match.select_option("and")
    match.select_option("or")
    page.get_by_test_id("apply-filter").click()
    expect(page).to_have_url(re.compile(r"filter="))
    assert json.loads(page.locator("#filter-json").input_value()) == ROUND_TRIP

    # Keyboard: "Add rule" moves the focus to the new rule's field menu.
    add = editor.get_by_role("button", name="Add rule").last  # the outer group's
    add.focus()
    page.keyboard.press("Enter")
    expect(editor.locator("select[data-role=field]")).to_have_count(7)
    expect(editor.locator("select[data-role=field]").last).to_be_focused()

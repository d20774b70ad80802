"""The automation builder (自动化) in a real Chromium: an admin clicks together "when Level
becomes VIP, create a follow-up for the owner due in 3 days", dry-runs it and sees the
matching records first, switches it on, makes a customer VIP on the record page, and finds
the follow-up in My tasks and the run in the run log. Plus the builder's safety nets:
problems shown next to their spot, reordering by buttons and by dragging, and the page in
中文.

Published forms and customers are made through the app factory on the live server's own
database, then the person logs in through the real page.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from formwork import create_app, db
from formwork.services import accounts, records, workspaces
from formwork.services.scope import actor_for
from tests.e2e.conftest import LiveServer
from tests.e2e.test_journeys import PASSWORD, fill_log_in, switch_language
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, published_forms

CJK = re.compile(r"[\u4e00-\u9fff]")
XSS = '<img src=x onerror="window.__pwned = 1">'


@dataclass
class Crm:
    email: str
    workspace_id: int
    customers_form: int
    customers: dict[str, int]

    def record_url(self, name: str, suffix: str = "") -> str:
        rid = self.customers[name]
        return f"/w/{self.workspace_id}/forms/{self.customers_form}/records/{rid}/{suffix}"


@pytest.fixture
def crm(live_server: LiveServer) -> Iterator[Crm]:
    """An admin with published Customers/Orders and three customers, one already VIP."""
    # Seeding runs any automations here, at once, not on threads racing the server.
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(live_server.log_path.parent),
        "EXECUTOR": "inline",
    }
    if database_url := os.environ.get("FORMWORK_E2E_DATABASE_URL"):
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    email = f"automations-{uuid.uuid4().hex[:12]}@example.com"
    rows = [
        {"name": "Ada Wang", "level": "vip", "vip_note": "Key account"},
        {"name": "Bo Li", "level": "normal"},
        {"name": "Chen Jie", "level": "normal"},
        {"name": XSS, "level": "normal"},
    ]
    try:
        with app.app_context():
            session = db.session()
            user = accounts.create_user(session, email=email, name="Zhou Min",
                                        password=PASSWORD, min_password_length=10)  # fmt: skip
            workspace = workspaces.create_workspace(session, user, "Tea Shop")
            who = actor_for(session, user, workspace.id)
            forms = published_forms(session, who, {"customers": CUSTOMERS, "orders": ORDERS})
            ids = records.bulk_create(session, who, forms["customers"], rows)
            made = Crm(
                email,
                workspace.id,
                forms["customers"].id,
                {row["name"]: rid for row, rid in zip(rows, ids, strict=True)},
            )
    finally:
        app.extensions["formwork.engine"].dispose()
    yield made


def log_in(page: Page, crm: Crm) -> None:
    page.goto("/login")
    fill_log_in(page, crm.email, PASSWORD)
    expect(page.locator("#user-menu")).to_have_text("Zhou Min")


def open_builder(page: Page, crm: Crm) -> None:
    page.goto(f"/w/{crm.workspace_id}/automations")
    page.get_by_test_id("new-automation").first.click()
    expect(page).to_have_url(re.compile(r"/automations/new$"))
    expect(page.locator("#fw-automation-builder[data-ready='1']")).to_be_attached()


def trigger(page: Page) -> Locator:
    return page.locator("[data-role=trigger]")


def actions(page: Page) -> Locator:
    return page.locator("[data-role=actions]")


def build_vip_follow_up(page: Page) -> None:
    """Click together: when Level changes to VIP, a follow-up for the owner in 3 days."""
    page.get_by_label("Name", exact=True).fill("VIP follow-up")
    trigger(page).get_by_label("Trigger").select_option(label="A field changes")
    trigger(page).get_by_label("Form").select_option(label="Customers")
    trigger(page).get_by_label("Field", exact=True).select_option(label="Level")
    trigger(page).get_by_label("Changes to").select_option(label="VIP")
    actions(page).get_by_role("button", name="Add action").click()
    actions(page).get_by_role("menuitem", name="Create a follow-up task").click()
    card = actions(page).locator(".fw-action-card").first
    card.get_by_label("Task title", exact=True).fill("Call ")
    card.get_by_label("Insert field…: Task title").select_option(label="Customers \u203a Name")
    expect(card.get_by_label("Task title", exact=True)).to_have_value("Call {{ record.name }}")
    expect(card.get_by_label("Assign to")).to_have_value("owner")
    card.get_by_label("In days").fill("3")


def test_admin_builds_a_vip_follow_up_dry_runs_it_and_it_creates_the_task(
    page: Page, crm: Crm
) -> None:
    """Build by clicking, dry-run (matching records first), switch on, make Bo VIP on the
    record page, see the follow-up in My tasks and the run in the run log."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, crm)
    open_builder(page, crm)
    expect(page.get_by_test_id("nav-automations")).to_have_class(re.compile(r"\bactive\b"))
    build_vip_follow_up(page)

    # Dry run: who matches now (Ada is VIP already) and what would happen to them.
    page.get_by_role("button", name="Dry run").first.click()
    result = page.locator("[data-role=dry-run]")
    expect(result.locator("[data-role=dry-run-count]")).to_have_text("1 record matches now.")
    expect(result.locator(".fw-dry-run-record")).to_have_text(
        f"Ada Wang · #{crm.customers['Ada Wang']}"
    )
    expect(result.locator(".fw-dry-run-summary")).to_contain_text(
        "Create a follow-up “Call Ada Wang” due"
    )

    # Switch it on: the builder saves first, then enables.
    page.get_by_label("Off", exact=True).check()
    expect(page.locator("[data-role=save-status]")).to_have_text("The automation is on.")
    expect(page).to_have_url(re.compile(r"/automations/\d+$"))
    builder_url = page.url

    # Bo becomes VIP on the record page.
    page.goto(crm.record_url("Bo Li", "edit"))
    page.locator("#level").select_option("vip")
    page.locator("#vip_note").fill("Upgraded today")
    page.get_by_test_id("save-record").click()
    expect(page).to_have_url(re.compile(r"/records/\d+/$"))

    # The follow-up is in My tasks (the run finishes in the background: a loaded machine
    # may need a reload or two); the run is in the run log.
    task = page.get_by_test_id("task-title").filter(has_text="Call Bo Li")
    for _attempt in range(20):
        page.goto(f"/w/{crm.workspace_id}/tasks")
        if task.count():
            break
        page.wait_for_timeout(500)
    expect(task).to_be_visible()
    run_row = page.locator("[data-testid=runs] tbody tr").first
    done = run_row.locator("[data-status=succeeded]")
    for _attempt in range(20):
        page.goto(builder_url + "/runs")
        if done.count():
            break
        page.wait_for_timeout(500)
    expect(run_row).to_contain_text(f"#{crm.customers['Bo Li']}")
    expect(run_row.locator("[data-status]")).to_have_attribute("data-status", "succeeded")
    run_row.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.get_by_test_id("step")).to_contain_text("Create a follow-up task")
    expect(page.get_by_test_id("step").locator("[data-status]").first).to_have_attribute(
        "data-status", "succeeded"
    )
    assert problems == []


def test_server_problems_show_next_to_their_spot_and_actions_reorder(page: Page, crm: Crm) -> None:
    """Save with no name and an empty task title: both messages sit next to their inputs.
    Then three actions are reordered with the buttons and by dragging, and saved."""
    log_in(page, crm)
    open_builder(page, crm)
    add = actions(page).get_by_role("button", name="Add action")
    add.click()
    actions(page).get_by_role("menuitem", name="Create a follow-up task").click()
    page.get_by_role("button", name="Save", exact=True).click()
    name_box = page.locator("[data-problem-field=name]")
    expect(name_box.locator(".fw-problem")).to_have_text("Enter a name for the automation.")
    title_spot = page.locator("[data-pointer='/actions/0/title']")
    expect(title_spot.locator(".fw-problem")).to_be_visible()
    expect(page.locator("[data-role=problems]")).to_contain_text("problems to correct")

    # Customer tiers are part of this build: their action is offered.
    add.click()
    tiers = actions(page).get_by_role("menuitem", name=re.compile("Recompute customer tiers"))
    expect(tiers).to_be_enabled()
    expect(tiers).not_to_contain_text("Available with customer tiers")
    actions(page).get_by_role("menuitem", name="Send a notification").click()
    add.click()
    actions(page).get_by_role("menuitem", name="Wait").click()
    cards = actions(page).locator(".fw-action-card")
    expect(cards).to_have_count(3)

    def order() -> list[str]:
        return cards.evaluate_all("cards => cards.map(card => card.dataset.actionId)")

    assert order() == ["a1", "a2", "a3"]
    cards.nth(2).get_by_role("button", name=re.compile("Move action 3 .* up")).click()
    expect(cards.nth(1)).to_have_attribute("data-action-id", "a3")
    # Drag the first card (a1) below the last one (a tall window: both cards in view).
    page.set_viewport_size({"width": 1280, "height": 2400})
    handle = cards.nth(0).locator(".fw-drag-handle")
    target = cards.nth(2)
    box = target.bounding_box()
    assert box is not None
    handle.drag_to(target, target_position={"x": 40, "y": box["height"] - 5})
    expect(cards.nth(2)).to_have_attribute("data-action-id", "a1")
    assert order() == ["a3", "a2", "a1"]
    cards.nth(0).get_by_role("button", name=re.compile("Remove action 1")).click()
    expect(cards).to_have_count(2)


def test_schedule_presets_and_the_builder_in_chinese(page: Page, crm: Crm) -> None:
    """The cron presets fill the schedule; the whole builder reads in 中文."""
    log_in(page, crm)
    open_builder(page, crm)
    trigger(page).get_by_label("Trigger").select_option(label="On a schedule")
    trigger(page).get_by_role("button", name="Every Monday at 9").click()
    expect(trigger(page).get_by_label("Schedule (cron)")).to_have_value("0 9 * * 1")
    expect(page.locator("[data-role=condition-card]")).to_be_hidden()
    switch_language(page, "中文")
    expect(page.locator("#fw-automation-builder[data-ready='1']")).to_be_attached()
    # Form and option titles, and the shared condition editor, in 中文.
    expect(trigger(page).get_by_role("combobox").nth(1)).to_contain_text("客户档案")
    expect(page.locator("[data-role=condition]")).to_contain_text("添加条件")
    assert CJK.search(page.locator("[data-role=trigger]").inner_text())


def test_dry_run_shows_record_text_as_text(page: Page, crm: Crm) -> None:
    """Every customer matches "a record is created"; a name made of HTML stays text."""
    log_in(page, crm)
    open_builder(page, crm)
    page.get_by_label("Name", exact=True).fill(XSS)
    actions(page).get_by_role("button", name="Add action").click()
    actions(page).get_by_role("menuitem", name="Send a notification").click()
    card = actions(page).locator(".fw-action-card").first
    card.get_by_label("Title", exact=True).fill("New: {{ record.name }}")
    page.get_by_role("button", name="Dry run").first.click()
    result = page.locator("[data-role=dry-run]")
    expect(result.locator("[data-role=dry-run-count]")).to_have_text("4 records match now.")
    expect(result.locator(".fw-dry-run-record").first).to_have_text(
        f"Ada Wang · #{crm.customers['Ada Wang']}"
    )
    expect(result.locator(".fw-dry-run-summary").last).to_contain_text(f"New: {XSS}")
    assert result.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None

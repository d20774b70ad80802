"""Customer tiers (客户分层) in a real Chromium: an admin builds a three-tier scheme in the
editor — Gold on the customers' total spent, Silver on their number of orders, everyone
else Bronze — previews it (counts per tier, who moves), saves it, applies it after the
confirmation, and sees the customers' tiers change in the history, in the customer-asset
report and on a record page.
Plus: problems shown next to the part of the editor they name, and a member's read-only
view.

The customers and their metrics rows are written through the app factory on the live
server's own database (customer_metrics is a plain table), then the person logs in.
"""

from __future__ import annotations

import copy
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from formwork import create_app, db
from formwork.models import CustomerMetrics, Membership, Role, ValueModel
from formwork.services import accounts, records, workspaces
from formwork.services.scope import actor_for
from formwork.value.settings import default_settings
from tests.e2e.conftest import LiveServer
from tests.e2e.test_journeys import PASSWORD, fill_log_in
from tests.integration.forms_fixtures import ORDERS, published_forms
from tests.integration.tier_fixtures import TIERED_CUSTOMERS

XSS = '<img src=x onerror="window.__pwned = 1">'


@dataclass
class Shop:
    email: str
    member_email: str
    workspace_id: int
    form_id: int
    customers: dict[str, int]

    def record_url(self, name: str) -> str:
        return f"/w/{self.workspace_id}/forms/{self.form_id}/records/{self.customers[name]}/"


@pytest.fixture
def shop(live_server: LiveServer) -> Iterator[Shop]:
    """An admin and a member; four customers: a big spender, a frequent buyer, a newcomer
    without figures, and one whose name is an XSS probe."""
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(live_server.log_path.parent),
        "EXECUTOR": "inline",
    }
    if database_url := os.environ.get("FORMWORK_E2E_DATABASE_URL"):
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    tag = uuid.uuid4().hex[:10]
    email, member_email = f"tiers-{tag}@example.com", f"tiers-member-{tag}@example.com"
    rows = [
        {"name": "Ada Wang", "tier": "silver"},
        {"name": "Bo Li"},
        {"name": "Chen Jie", "tier": "gold"},
        {"name": XSS},
    ]
    figures = {
        "Ada Wang": {"total_spent": 12000.0, "order_count": 3},
        "Bo Li": {"total_spent": 800.0, "order_count": 7},
        "Chen Jie": {"total_spent": 90.0, "order_count": 1},
    }
    try:
        with app.app_context():
            session = db.session()
            user = accounts.create_user(session, email=email, name="Zhou Min",
                                        password=PASSWORD, min_password_length=10)  # fmt: skip
            member = accounts.create_user(session, email=member_email, name="Mo Member",
                                          password=PASSWORD, min_password_length=10)  # fmt: skip
            workspace = workspaces.create_workspace(session, user, "Tea Shop")
            session.add(Membership(workspace_id=workspace.id, user_id=member.id, role=Role.MEMBER))
            session.commit()
            who = actor_for(session, user, workspace.id)
            forms = published_forms(
                session, who, {"customers": copy.deepcopy(TIERED_CUSTOMERS), "orders": ORDERS}
            )
            ids = records.bulk_create(session, who, forms["customers"], rows)
            by_name = {row["name"]: rid for row, rid in zip(rows, ids, strict=True)}
            for name, values in figures.items():
                session.add(
                    CustomerMetrics(
                        record_id=by_name[name],
                        workspace_id=workspace.id,
                        form_id=forms["customers"].id,
                        as_of="2026-11-15",
                        **values,
                    )
                )
            # Customer value is set up, so the customer-asset report has figures to show.
            session.add(ValueModel(workspace_id=workspace.id, settings=default_settings()))
            session.commit()
            made = Shop(email, member_email, workspace.id, forms["customers"].id, by_name)
    finally:
        app.extensions["formwork.engine"].dispose()
    yield made


def log_in(page: Page, email: str, name: str) -> None:
    page.goto("/login")
    fill_log_in(page, email, PASSWORD)
    expect(page.locator("#user-menu")).to_have_text(name)


def editor(page: Page) -> Locator:
    return page.locator("#fw-tier-editor[data-ready='1']")


def tier_card(page: Page, index: int) -> Locator:
    return page.locator(f".fw-tier-card[data-index='{index}']")


def fill_tier(card: Locator, key: str, en: str, zh: str) -> None:
    card.get_by_label("Key", exact=True).fill(key)
    card.get_by_label("Name (English)").fill(en)
    card.get_by_label("Name (Chinese)").fill(zh)


def add_rule(card: Locator, field: str, operator: str, value: str) -> None:
    rule = card.locator(".fw-tier-rule")
    rule.get_by_role("button", name="Add rule").click()
    rule.locator("select[data-role=field]").last.select_option(label=field)
    rule.locator("select[data-role=operator]").last.select_option(label=operator)
    rule.locator("input[data-role=value]").last.fill(value)


def test_admin_builds_previews_and_applies_a_three_tier_scheme(page: Page, shop: Shop) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, shop.email, "Zhou Min")
    page.goto(f"/w/{shop.workspace_id}/value/")
    expect(page.get_by_test_id("no-tier-scheme")).to_be_visible()
    page.goto(f"/w/{shop.workspace_id}/tiers/")
    page.get_by_test_id("new-scheme").click()
    expect(page).to_have_url(re.compile(r"/tiers/new$"))
    expect(editor(page)).to_be_attached()

    basics = page.locator("[data-role=basics]")
    basics.get_by_label("Name", exact=True).fill("Customer value")
    basics.get_by_label("Name in Chinese").fill("客户价值")
    basics.get_by_label("Key", exact=True).fill("value")
    expect(basics.get_by_label("Customers form")).to_have_value(str(shop.form_id))
    expect(basics.get_by_label("Write the tier into")).to_have_value("tier")

    gold = tier_card(page, 0)
    fill_tier(gold, "gold", "Gold", "金卡")
    gold.get_by_label("Colour").fill("#d4a017")
    add_rule(gold, "Metrics \u203a Total spent", "≥", "5000")
    page.get_by_role("button", name="Add tier").click()
    silver = tier_card(page, 1)
    expect(silver).to_be_visible()
    fill_tier(silver, "silver", "Silver", "银卡")
    add_rule(silver, "Metrics \u203a Orders", "≥", "5")
    fallback = page.locator("[data-role=fallback]")
    fill_tier(fallback, "bronze", "Bronze", "铜卡")

    # Preview: nothing is written yet, every customer is counted.
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("[data-role=preview]")
    expect(preview.locator("[data-role=preview-total]")).to_have_text("4 customers")
    expect(preview.locator("[data-role=preview-changes]")).to_have_text(
        "4 would change tier: 1 up, 1 down, 2 new."
    )
    after = {key: preview.locator(f"tr[data-tier={key}] [data-role=after]") for key in
             ("gold", "silver", "bronze")}  # fmt: skip
    expect(after["gold"]).to_have_text("1")
    expect(after["silver"]).to_have_text("1")
    expect(after["bronze"]).to_have_text("2")
    movers = preview.locator("[data-role=movers] li")
    expect(movers).to_have_count(4)
    expect(movers.filter(has_text="Ada Wang")).to_have_attribute("data-direction", "up")
    expect(movers.filter(has_text="Chen Jie")).to_have_attribute("data-direction", "down")

    # Save, then apply after the confirmation.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("[data-role=save-status]")).to_have_text("All changes saved")
    expect(page).to_have_url(re.compile(r"/tiers/\d+$"))
    page.get_by_role("link", name="Apply now…").click()
    expect(page.get_by_text("4 of 4 customers will change tier")).to_be_visible()
    page.get_by_test_id("confirm-apply").click()
    expect(page.get_by_role("alert").filter(has_text="4 customers changed tier")).to_be_visible()
    history = page.get_by_test_id("tier-history")
    expect(history.locator("tbody tr")).to_have_count(4)
    expect(history.locator("tr", has_text="Ada Wang")).to_contain_text("Gold")
    expect(history.locator("tr", has_text="Bo Li")).to_contain_text("Silver")

    # The customer-asset report now shows the scheme's tier distribution.
    page.goto(f"/w/{shop.workspace_id}/value/")
    tiers_table = page.get_by_test_id("chart-tier-customers-data")
    expect(tiers_table.locator("tbody tr", has_text="Gold").locator("td").first).to_have_text("1")
    expect(tiers_table.locator("tbody tr", has_text="Silver").locator("td").first).to_have_text("1")
    expect(tiers_table.locator("tbody tr", has_text="Bronze").locator("td").first).to_have_text("2")

    # The record page shows the new tier and the change in its history.
    page.goto(shop.record_url("Ada Wang"))
    expect(page.get_by_text("Gold", exact=True).first).to_be_visible()
    expect(page.get_by_test_id("history")).to_contain_text(
        "set the customer tier with a tier scheme"
    )
    assert page.evaluate("window.__pwned") is None
    assert problems == []


def test_problems_sit_next_to_their_part_and_members_only_look(open_page: Any, shop: Shop) -> None:
    page = open_page()
    log_in(page, shop.email, "Zhou Min")
    page.goto(f"/w/{shop.workspace_id}/tiers/new")
    expect(editor(page)).to_be_attached()
    card = tier_card(page, 0)
    fill_tier(card, "gold", "Gold", "金卡")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("[data-pointer='/name'] .fw-problem")).to_have_text(
        "Give the scheme a name."
    )
    expect(page.locator("[data-pointer='/key'] .fw-problem")).to_contain_text("lowercase letters")
    expect(page.locator("[data-pointer='/tiers/0/condition'] .fw-problem")).to_contain_text(
        "Give the tier a condition"
    )
    expect(page.locator("[data-pointer='/fallback/key'] .fw-problem")).to_be_visible()
    expect(page.locator("[data-role=problems]")).to_contain_text("problems to correct")

    # A member sees the list and may preview, but the editor is read-only.
    basics = page.locator("[data-role=basics]")
    basics.get_by_label("Name", exact=True).fill("Simple")
    basics.get_by_label("Key", exact=True).fill("simple")
    add_rule(card, "Metrics \u203a Total spent", "≥", "5000")
    fill_tier(page.locator("[data-role=fallback]"), "bronze", "Bronze", "铜卡")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("[data-role=save-status]")).to_have_text("All changes saved")
    scheme_url = page.url

    member = open_page()
    log_in(member, shop.member_email, "Mo Member")
    member.goto(scheme_url)
    expect(editor(member)).to_be_attached()
    expect(member.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    expect(member.locator("[data-role=basics]").get_by_label("Name", exact=True)).to_be_disabled()
    member.get_by_role("button", name="Preview").click()
    expect(member.locator("[data-role=preview-total]")).to_have_text("4 customers")
    response = member.goto(scheme_url + "/apply")
    assert response is not None and response.status == 403

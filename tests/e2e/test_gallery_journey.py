"""The template gallery (模板中心) in a real Chromium: a new user signs up, creates a
workspace, goes from its empty state to the gallery, previews the Customer Asset CRM,
installs it with sample data while the progress bar moves, and opens a populated
customer-asset report (customers, tiers, Pareto, RFM grid, NPS)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.test_journeys import create_workspace, sign_up


def test_new_user_installs_the_customer_asset_crm_and_sees_the_report(page: Page) -> None:
    email = f"gallery-{uuid.uuid4().hex[:10]}@example.com"
    sign_up(page, "Lin Gallery", email)
    workspace_id = create_workspace(page, "Gallery Trading")

    page.get_by_test_id("empty-gallery-link").click()
    expect(page).to_have_url(re.compile(rf"/w/{workspace_id}/gallery/$"))
    card = page.locator("[data-template=customer_asset]")
    expect(card).to_contain_text("Customer Asset CRM")
    expect(card).to_contain_text("Satisfaction")

    card.get_by_role("link", name="Preview").click()
    expect(page.get_by_test_id("form-previews")).to_contain_text("Orders")
    page.go_back()

    card = page.locator("[data-template=customer_asset]")
    card.get_by_label("Sample data").select_option("en")
    card.get_by_role("button", name="Install").click()
    # The progress page drives the install step by step, then opens the installed app.
    expect(page.get_by_test_id("install-status")).to_have_text("Installed", timeout=120_000)
    page.get_by_test_id("open-report").click()

    expect(page.get_by_role("heading", name="Customer-asset report")).to_be_visible()
    total = page.get_by_test_id("total-customers")
    expect(total).not_to_have_text(re.compile(r"^\s*0\s*$"))
    tiers = page.get_by_test_id("chart-tier-customers-data")
    expect(tiers.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("pareto-headline")).to_contain_text("%")
    expect(page.get_by_test_id("rfm-grid")).to_be_visible()

    # The app itself is there with its forms, and the gallery lists it as installed.
    page.goto(f"/w/{workspace_id}/gallery/")
    expect(page.get_by_test_id("installed-apps")).to_contain_text("customer_asset")
    expect(page.get_by_test_id("installed-customer_asset")).to_have_text(re.compile("Installed"))

"""Surveys in a real Chromium on a phone-size screen: a customer opens a personal
invitation link, answers NPS 3 with a comment, and the customer's owner (logged in) finds
a new follow-up in My tasks and the customer flagged on its record page — the closed
loop of DESIGN §7. Plus the refusals a respondent may meet, said plainly.

Forms, the customer, the closed-loop automation and the invitation are made through the
app factory on the live server's own database, as an admin would set them up.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from formwork import create_app, db
from formwork.models import Task
from formwork.services import accounts, records, surveys, workspaces
from formwork.services.scope import actor_for
from tests.e2e.conftest import ACTION_TIMEOUT_MS, PAGES_KEY, LiveServer
from tests.e2e.test_journeys import PASSWORD, fill_log_in
from tests.integration.automation_fixtures import add_automation, wait_for
from tests.integration.forms_fixtures import published_forms
from tests.integration.survey_fixtures import CLOSED_LOOP, CUSTOMERS, NPS

PHONE = {"width": 390, "height": 844}


@dataclass
class Survey:
    email: str
    workspace_id: int
    customers_form: int
    customer_id: int
    invitation_path: str
    config: dict[str, Any]


def _config(live_server: LiveServer) -> dict[str, Any]:
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(live_server.log_path.parent),
        "EXECUTOR": "inline",
    }
    if database_url := os.environ.get("FORMWORK_E2E_DATABASE_URL"):
        config["DATABASE_URL"] = database_url
    return config


@pytest.fixture
def survey(live_server: LiveServer) -> Iterator[Survey]:
    """An owner whose customer Ada got a survey invitation; detractors are followed up."""
    config = _config(live_server)
    app = create_app(config)
    email = f"surveys-{uuid.uuid4().hex[:12]}@example.com"
    try:
        with app.app_context():
            session = db.session()
            user = accounts.create_user(
                session, email=email, name="Zhou Min", password=PASSWORD, min_password_length=10
            )
            workspace = workspaces.create_workspace(session, user, "Tea Shop")
            who = actor_for(session, user, workspace.id)
            forms = published_forms(session, who, {"customers": CUSTOMERS, "nps": NPS})
            ada = records.create_record(
                session, who, forms["customers"], {"name": "Ada Wang", "email": "ada@example.com"}
            )
            add_automation(session, who, CLOSED_LOOP, name="Detractor follow-up")
            ((_sent, url),) = surveys.invite(session, who, forms["nps"].id, [ada.id]).sent
            made = Survey(
                email,
                workspace.id,
                forms["customers"].id,
                ada.id,
                url[url.index("/s/") :],
                config,
            )
    finally:
        app.extensions["formwork.engine"].dispose()
    yield made


def phone_page(request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer) -> Page:
    """A respondent's phone: small screen, touch, Chinese-speaking browser off by default."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        timezone_id="UTC",
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    request.addfinalizer(context.close)
    page = context.new_page()
    request.node.stash.setdefault(PAGES_KEY, []).append(page)
    return page


def wait_for_follow_up(survey: Survey) -> None:
    """The automation runs on the server's threads: wait until its task is stored."""
    app = create_app(survey.config)
    query = select(Task.id).where(
        Task.workspace_id == survey.workspace_id, Task.record_id == survey.customer_id
    )

    def stored() -> bool:
        with app.app_context():
            return db.session().scalar(query) is not None

    try:
        wait_for(stored)
    finally:
        app.extensions["formwork.engine"].dispose()


def test_a_detractor_answer_on_a_phone_reaches_the_owner_as_a_follow_up(
    request: pytest.FixtureRequest,
    browser: Browser,
    live_server: LiveServer,
    survey: Survey,
    page: Page,
) -> None:
    problems: list[str] = []
    phone = phone_page(request, browser, live_server)
    phone.on("pageerror", lambda error: problems.append(str(error)))
    phone.goto(survey.invitation_path)

    # Only the survey's own words: no workspace, no customer, no navigation.
    expect(phone.get_by_test_id("public-title")).to_have_text("Satisfaction survey")
    body = phone.locator("body")
    expect(body).not_to_contain_text("Tea Shop")
    expect(body).not_to_contain_text("Ada Wang")
    expect(phone.locator("nav.navbar")).to_have_count(0)

    # The 0-10 scale: big buttons that wrap onto a second line on the phone.
    scale = phone.get_by_test_id("field-score")
    zero = scale.get_by_text("0", exact=True)
    ten = scale.get_by_text("10", exact=True)
    expect(zero).to_be_visible()
    zero_box, ten_box = zero.bounding_box(), ten.bounding_box()
    assert zero_box is not None and ten_box is not None
    assert zero_box["height"] >= 44 and zero_box["width"] >= 44  # a finger-sized target
    assert ten_box["y"] > zero_box["y"]  # wrapped, not squeezed off the screen
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    scale.get_by_text("3", exact=True).tap()
    phone.get_by_label("What could we do better?").fill("The delivery was late")
    phone.get_by_test_id("submit-response").tap()
    expect(phone.get_by_test_id("public-thanks")).to_contain_text("Thank you")

    # The link is used up: opening it again says so plainly.
    phone.goto(survey.invitation_path)
    expect(phone.get_by_test_id("public-message")).to_have_attribute("data-state", "used")
    expect(phone.get_by_test_id("public-message-text")).to_have_text(
        "This survey link has already been used. Each link can be answered once."
    )
    assert problems == []

    # The owner sees the follow-up in My tasks and the customer flagged.
    wait_for_follow_up(survey)
    page.goto("/login")
    fill_log_in(page, survey.email, PASSWORD)
    expect(page.locator("#user-menu")).to_have_text("Zhou Min")
    page.goto(f"/w/{survey.workspace_id}/tasks")
    task = page.get_by_test_id("task").filter(has_text="Detractor (NPS 3)")
    expect(task.get_by_test_id("task-title")).to_have_text(
        "Detractor (NPS 3): The delivery was late"
    )
    task.get_by_test_id("task-record").click()
    expect(page).to_have_url(
        re.compile(rf"/forms/{survey.customers_form}/records/{survey.customer_id}/$")
    )
    expect(page.get_by_test_id("value-name")).to_have_text("Ada Wang")
    expect(page.get_by_test_id("value-needs_attention")).to_have_text("Yes")


def test_a_respondent_reads_refusals_in_their_language(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, survey: Survey
) -> None:
    phone = phone_page(request, browser, live_server)
    phone.goto("/s/not-a-real-token")
    expect(phone.get_by_test_id("public-message")).to_have_attribute("data-state", "unknown")
    phone.goto(f"{survey.invitation_path}?lang=zh-CN")
    expect(phone.get_by_test_id("public-title")).to_have_text("满意度调查")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")
    phone.get_by_test_id("language-switch").get_by_role("link", name="English").tap()
    expect(phone.get_by_test_id("public-title")).to_have_text("Satisfaction survey")
    # Sending without a score keeps the page, with the message at the scale.
    phone.get_by_test_id("submit-response").tap()
    expect(phone.get_by_test_id("error-score")).to_be_visible()


def test_the_builder_lets_an_action_work_on_the_customer_an_answer_links_to(
    page: Page, survey: Survey
) -> None:
    """Record: "the record linked in Customer" switches the fields offered to the customer's."""
    page.goto("/login")
    fill_log_in(page, survey.email, PASSWORD)
    expect(page.locator("#user-menu")).to_have_text("Zhou Min")
    page.goto(f"/w/{survey.workspace_id}/automations")
    page.get_by_test_id("new-automation").first.click()
    expect(page.locator("#fw-automation-builder[data-ready='1']")).to_be_attached()
    page.get_by_label("Name", exact=True).fill("Flag unhappy customers")
    trigger = page.locator("[data-role=trigger]")
    trigger.get_by_label("Trigger").select_option(label="A survey is answered")
    trigger.get_by_label("Form").select_option(label="Satisfaction survey")
    actions = page.locator("[data-role=actions]")
    actions.get_by_role("button", name="Add action").click()
    actions.get_by_role("menuitem", name="Update the record").click()
    card = actions.locator(".fw-action-card").first
    expect(
        card.get_by_label("What could we do better?", exact=True)
    ).to_be_visible()  # the answer's
    card.get_by_label("Record", exact=True).select_option(label="The record linked in “Customer”")
    expect(card.get_by_label("What could we do better?", exact=True)).to_have_count(0)
    card.get_by_label("Needs attention", exact=True).fill("true")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/automations/\d+$"))
    page.reload()
    expect(page.locator("#fw-automation-builder[data-ready='1']")).to_be_attached()
    card = page.locator("[data-role=actions] .fw-action-card").first
    expect(card.locator("[data-role=record-target]")).to_have_value("customer")
    expect(card.get_by_label("Needs attention", exact=True)).to_have_value("true")

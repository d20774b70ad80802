"""Staff-only fields on a respondent's phone, in a real Chromium: the public page never
shows them, and a question whose rule reads one shows or hides exactly as the server
decides — also once the page's script runs, and with a signed prefill setting them.

The forms and the link are made through the app factory on the live server's database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from formwork import create_app, db
from formwork.models import Record
from formwork.services import accounts, public_forms, workspaces
from formwork.services.scope import actor_for
from tests.e2e.conftest import LiveServer
from tests.e2e.test_journeys import PASSWORD
from tests.e2e.test_surveys import _config, phone_page
from tests.integration.forms_fixtures import published_forms
from tests.integration.survey_fixtures import CUSTOMERS
from tests.integration.test_staff_only_fields import STAFF_LABELS, SURVEY

STAFF_KEYS = ("answered_on", "status", "staff_note", "flagged")


@dataclass
class Shared:
    config: dict[str, Any]
    survey_id: int
    plain_path: str
    prefilled_path: str


@pytest.fixture
def shared(live_server: LiveServer) -> Iterator[Shared]:
    """The survey at a public link; the signed prefill sets two staff-only fields."""
    config = _config(live_server)
    app = create_app(config)
    try:
        with app.app_context():
            session = db.session()
            user = accounts.create_user(
                session,
                email=f"staff-only-{uuid.uuid4().hex[:12]}@example.com",
                name="Qian Li",
                password=PASSWORD,
                min_password_length=10,
            )
            workspace = workspaces.create_workspace(session, user, "Tea Shop")
            who = actor_for(session, user, workspace.id)
            survey = published_forms(session, who, {"customers": CUSTOMERS, "survey": SURVEY})[
                "survey"
            ]
            link = public_forms.save_link(
                session,
                who,
                survey.id,
                enabled=True,
                opens_at=None,
                closes_at=None,
                response_limit=None,
                thank_you=None,
                prefill=["status", "flagged"],
                hidden=[],
            )
            signed = urlsplit(
                public_forms.signed_prefill_url(link, {"status": "closed", "flagged": True})
            )
            made = Shared(config, survey.id, f"/p/{link.slug}", f"{signed.path}?{signed.query}")
    finally:
        app.extensions["formwork.engine"].dispose()
    yield made


def ready(phone: Page) -> None:
    expect(phone.locator("form[data-record-form][data-ready='true']")).to_be_attached()


def expect_no_staff_field(phone: Page) -> None:
    for key in STAFF_KEYS:
        expect(phone.get_by_test_id(f"field-{key}")).to_have_count(0)
    body = phone.locator("body")
    for label in STAFF_LABELS:
        expect(body).not_to_contain_text(label)


def stored(shared: Shared) -> list[dict[str, Any]]:
    app = create_app(shared.config)
    try:
        with app.app_context():
            query = select(Record.data).where(Record.form_id == shared.survey_id)
            return [dict(data) for data in db.session().scalars(query.order_by(Record.id))]
    finally:
        app.extensions["formwork.engine"].dispose()


def test_a_rule_on_a_staff_only_field_holds_on_the_phone_as_on_the_server(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer, shared: Shared
) -> None:
    problems: list[str] = []
    phone = phone_page(request, browser, live_server)
    phone.on("pageerror", lambda error: problems.append(str(error)))

    # Without a prefill: the staff fields are empty, so "flagged" details stay hidden.
    phone.goto(shared.plain_path)
    ready(phone)
    expect_no_staff_field(phone)
    expect(phone.get_by_test_id("field-comment")).to_be_visible()
    expect(phone.get_by_test_id("field-details")).to_be_hidden()
    phone.get_by_test_id("field-score").get_by_text("9", exact=True).tap()
    expect(phone.get_by_test_id("field-details")).to_be_hidden()  # after the script ran
    phone.get_by_label("What could we do better?").fill("Nothing")
    phone.get_by_test_id("submit-response").tap()
    expect(phone.get_by_test_id("public-thanks")).to_be_visible()

    # Signed status=closed and flagged: the comment goes, the details question comes.
    phone.goto(shared.prefilled_path)
    ready(phone)
    expect_no_staff_field(phone)
    phone.get_by_test_id("field-score").get_by_text("2", exact=True).tap()
    expect(phone.get_by_test_id("field-comment")).to_be_hidden()
    details = phone.get_by_label("Tell us more about the problem")
    expect(details).to_be_visible()
    details.fill("The box was wet")
    phone.get_by_test_id("submit-response").tap()
    expect(phone.get_by_test_id("public-thanks")).to_be_visible()

    assert stored(shared) == [
        {"score": 9, "comment": "Nothing", "flagged": False},
        {"score": 2, "details": "The box was wet", "status": "closed", "flagged": True},
    ]
    assert problems == []

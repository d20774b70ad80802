"""The automation builder (自动化) with roles in a real Chromium: an automation as gallery
templates make them — owner pools and persons by role, a survey sent to the record an
order links to — opens showing exactly those choices and saves back unchanged; and an
admin clicks together a round-robin over everyone with the member role from scratch.

Published forms, members and the automation are made through the app factory on the live
server's own database, then the person logs in through the real page.
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
from formwork.models import Automation, Membership, Role
from formwork.services import accounts, automations, workspaces
from formwork.services.scope import actor_for
from tests.e2e.conftest import LiveServer
from tests.e2e.test_journeys import PASSWORD, fill_log_in
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, published_forms
from tests.integration.survey_fixtures import NPS
from tests.integration.test_automation_pages import ROLE_DOC


@dataclass
class RoleCrm:
    config: dict[str, Any]
    email: str
    workspace_id: int
    automation_id: int
    member_name: str

    def stored(self, automation_id: int | None = None) -> Automation:
        """The automation as the database holds it now (read through a fresh app)."""
        app = create_app(self.config)
        try:
            with app.app_context():
                found = db.session().get(Automation, automation_id or self.automation_id)
                assert found is not None
                db.session().expunge(found)
                return found
        finally:
            app.extensions["formwork.engine"].dispose()


@pytest.fixture
def role_crm(live_server: LiveServer) -> Iterator[RoleCrm]:
    """An owner and a member, Customers/Orders/a survey, and the saved role automation."""
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(live_server.log_path.parent),
        "EXECUTOR": "inline",
    }
    if database_url := os.environ.get("FORMWORK_E2E_DATABASE_URL"):
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    tag = uuid.uuid4().hex[:12]
    email = f"roles-{tag}@example.com"
    try:
        with app.app_context():
            session = db.session()
            user = accounts.create_user(session, email=email, name="Zhou Min",
                                        password=PASSWORD, min_password_length=10)  # fmt: skip
            workspace = workspaces.create_workspace(session, user, "Tea Shop")
            member = accounts.create_user(session, email=f"li-{tag}@example.com", name="Li Na",
                                          password=PASSWORD, min_password_length=10)  # fmt: skip
            session.add(Membership(workspace_id=workspace.id, user_id=member.id, role=Role.MEMBER))
            session.commit()
            who = actor_for(session, user, workspace.id)
            published_forms(session, who, {"customers": CUSTOMERS, "orders": ORDERS, "nps": NPS})
            saved = automations.save_automation(
                session, who, name="New order roles", document=copy.deepcopy(ROLE_DOC)
            )
            made = RoleCrm(config, email, workspace.id, saved.id, "Li Na")
    finally:
        app.extensions["formwork.engine"].dispose()
    yield made


def log_in(page: Page, crm: RoleCrm) -> None:
    page.goto("/login")
    fill_log_in(page, crm.email, PASSWORD)
    expect(page.locator("#user-menu")).to_have_text("Zhou Min")


def wait_ready(page: Page) -> None:
    expect(page.locator("#fw-automation-builder[data-ready='1']")).to_be_attached()


def cards(page: Page) -> Locator:
    return page.locator("[data-role=actions] .fw-action-card")


def save(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("[data-role=save-status]")).to_have_text("All changes saved")


def selected_text(select: Locator) -> str:
    return str(select.evaluate("s => s.selectedOptions[0] ? s.selectedOptions[0].text : ''"))


def test_role_persons_pools_and_a_linked_survey_show_exactly_and_save_back_unchanged(
    page: Page, role_crm: RoleCrm
) -> None:
    """Open the automation, see every role choice as stored, save without changes: the
    stored document is the same; then change one role and only that changes."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, role_crm)
    page.goto(f"/w/{role_crm.workspace_id}/automations/{role_crm.automation_id}")
    wait_ready(page)
    expect(cards(page)).to_have_count(5)

    assign = cards(page).nth(0)
    expect(assign.get_by_label("How")).to_have_value("round_robin")
    expect(assign.get_by_label("Among")).to_have_value("role")
    expect(assign.get_by_label("Role", exact=True)).to_have_value("member")
    assert selected_text(assign.get_by_label("Role", exact=True)) == "Members (and up)"
    expect(assign.locator("input[type=checkbox]")).to_have_count(0)

    notify = cards(page).nth(1)
    expect(notify.get_by_label("Notify", exact=True)).to_have_value("role")
    assert selected_text(notify.get_by_label("Notify", exact=True)) == "Everyone with a role"
    expect(notify.get_by_label("Which role")).to_have_value("admin")
    assert selected_text(notify.get_by_label("Which role")) == "Admins (and owners)"
    expect(notify).to_contain_text("Each of them gets the notification.")

    task = cards(page).nth(2)
    expect(task.get_by_label("Assign to")).to_have_value("role")
    expect(task.get_by_label("Which role")).to_have_value("owner")
    expect(task).to_contain_text("The task goes to one of them")

    spread = cards(page).nth(3)
    expect(spread.get_by_label("How")).to_have_value("least_loaded")
    expect(spread.get_by_label("Role", exact=True)).to_have_value("admin")

    invite = cards(page).nth(4)
    expect(invite.get_by_label("Invite")).to_have_value("customer")
    assert selected_text(invite.get_by_label("Invite")) == "The record linked in “Customer”"
    expect(invite.get_by_label("Survey", exact=True)).to_have_value("nps")
    # Only forms that link to the invited record's form (customers) are offered.
    offered = invite.get_by_label("Survey", exact=True).locator("option")
    expect(offered).to_have_text(["Choose a form…", "Orders", "Satisfaction survey"])
    expect(invite.get_by_label("Expires after days")).to_have_value("14")

    # Nothing changed: saving gives back the very same document, as a new revision.
    save(page)
    stored = role_crm.stored()
    assert stored.revision == 2
    assert stored.document == ROLE_DOC

    # One role changed: only that spot of the document changes.
    notify.get_by_label("Which role").select_option(label="Members (and up)")
    expect(page.locator("[data-role=save-status]")).to_have_text("Unsaved changes")
    save(page)
    expected = copy.deepcopy(ROLE_DOC)
    expected["actions"][1]["to"] = {"kind": "role", "role": "member"}
    assert role_crm.stored().document == expected
    assert errors == []


def test_an_admin_builds_a_round_robin_over_everyone_with_the_member_role(
    page: Page, role_crm: RoleCrm
) -> None:
    """From a blank builder: a new customer gets an owner in turn among the members (and
    up). Picks made before switching to the role come back when switching back."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, role_crm)
    page.goto(f"/w/{role_crm.workspace_id}/automations/new")
    wait_ready(page)
    page.get_by_label("Name", exact=True).fill("Share out new customers")
    trigger = page.locator("[data-role=trigger]")
    trigger.get_by_label("Trigger").select_option(label="A record is created")
    trigger.get_by_label("Form").select_option(label="Customers")
    page.locator("[data-role=actions]").get_by_role("button", name="Add action").click()
    page.locator("[data-role=actions]").get_by_role("menuitem", name="Assign an owner").click()

    card = cards(page).first
    expect(card.get_by_label("How")).to_have_value("round_robin")
    expect(card.get_by_label("Among")).to_have_value("members")
    card.get_by_label(role_crm.member_name).check()
    card.get_by_label("Among").select_option(label="Everyone with a role")
    role = card.get_by_label("Role", exact=True)
    expect(role).to_be_visible()
    role.select_option(label="Owners")
    # Back to picked members: the pick is still there; then the role again, as it was.
    card.get_by_label("Among").select_option(label="The members I pick")
    expect(card.get_by_label(role_crm.member_name)).to_be_checked()
    card.get_by_label("Among").select_option(label="Everyone with a role")
    expect(card.get_by_label("Role", exact=True)).to_have_value("owner")
    card.get_by_label("Role", exact=True).select_option(label="Members (and up)")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/automations/\d+$"))
    expect(page.locator("[data-role=save-status]")).to_have_text("All changes saved")
    automation_id = int(page.url.rsplit("/", 1)[1])
    document = role_crm.stored(automation_id).document
    assert document["trigger"] == {"type": "record_created", "form": "customers"}
    assert document["actions"] == [
        {"id": "a1", "type": "assign_owner", "mode": "round_robin", "role": "member"}
    ]

    # Reopened, the builder shows the pool as saved.
    page.reload()
    wait_ready(page)
    card = cards(page).first
    expect(card.get_by_label("Among")).to_have_value("role")
    expect(card.get_by_label("Role", exact=True)).to_have_value("member")

    # Switching to "Always the same person" leaves the role for one member.
    card.get_by_label("How").select_option(label="Always the same person")
    expect(card.get_by_label("Among")).to_have_count(0)
    expect(card.get_by_label("Role", exact=True)).to_have_count(0)
    expect(card.locator("input[type=radio]")).to_have_count(2)
    assert errors == []

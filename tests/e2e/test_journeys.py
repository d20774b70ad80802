"""A person's journeys through the real pages: sign-up, language, isolation, invitations.

Every journey makes its own users (unique e-mails), so the tests run in any order. The
live server raises the log-in/sign-up rate limit (see conftest), since every journey
comes from 127.0.0.1.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import ConsoleMessage, Dialog, Page, expect

PageFactory = Callable[[], Page]

PASSWORD = "correct horse battery"
CJK = re.compile(r"[\u4e00-\u9fff]")
WORKSPACE_URL = re.compile(r"/w/(\d+)/$")


def unique_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:12]}@example.com"


def fill_sign_up(page: Page, name: str, email: str, password: str = PASSWORD) -> None:
    """Fill and send the sign-up form on the page that is open."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat password").fill(password)
    page.get_by_role("button", name="Sign up").click()


def sign_up(page: Page, name: str, email: str) -> None:
    """Create an account from the sign-up page; it logs in and asks for a workspace."""
    page.goto("/signup")
    fill_sign_up(page, name, email)
    expect(page).to_have_url(re.compile(r"/workspaces/new$"))
    expect(page.locator("#user-menu")).to_have_text(name)


def create_workspace(page: Page, name: str) -> int:
    """Create a workspace through the form and return its id from the dashboard URL."""
    page.goto("/workspaces/new")
    page.get_by_label("Workspace name").fill(name)
    page.get_by_role("button", name="Create workspace").click()
    expect(page).to_have_url(WORKSPACE_URL)
    expect(page.get_by_test_id("apps-empty-state")).to_be_visible()
    match = WORKSPACE_URL.search(page.url)
    assert match is not None
    return int(match.group(1))


def fill_log_in(page: Page, email: str, password: str) -> None:
    """Fill and send the log-in form on the page that is open."""
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def log_out(page: Page) -> None:
    page.locator("#user-menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_contain_text("You have been logged out.")


def switch_language(page: Page, language: str) -> None:
    page.locator("#language-switcher").click()
    page.get_by_role("button", name=language, exact=True).click()


def test_new_user_creates_workspace_and_reads_the_shell_in_chinese_and_back(page: Page) -> None:
    """Sign up → first workspace → empty dashboard → 中文 (kept on reload) → English."""
    email = unique_email("newcomer")
    sign_up(page, "Mei Lin", email)
    expect(page.get_by_role("alert")).to_contain_text("Welcome to Formwork!")

    create_workspace(page, "Lin Tea House")
    expect(page.get_by_role("alert")).to_contain_text("Workspace “Lin Tea House” created.")
    expect(page.locator("#workspace-switcher")).to_have_text("Lin Tea House")
    empty_state = page.get_by_test_id("apps-empty-state")
    expect(empty_state).to_contain_text("No apps yet.")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    dashboard_url = page.url

    switch_language(page, "中文")
    expect(page).to_have_url(dashboard_url)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#language-switcher")).to_have_text("中文")
    nav = page.locator("#main-nav")
    expect(nav.get_by_role("link", name="成员", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Members", exact=True)).to_have_count(0)
    expect(empty_state).not_to_contain_text("No apps yet.")
    expect(empty_state).to_contain_text(CJK)

    # The choice is kept on the account, not only for one response.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    switch_language(page, "English")
    expect(page).to_have_url(dashboard_url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav.get_by_role("link", name="Members", exact=True)).to_be_visible()
    expect(empty_state).to_contain_text("No apps yet.")


def test_member_of_another_workspace_gets_404_everywhere_and_cannot_change_it(
    open_page: PageFactory,
) -> None:
    """B never sees A's workspace: every page is a 404, forged POSTs change nothing."""
    alice, bob = open_page(), open_page()
    alice_email, bob_email = unique_email("alice"), unique_email("bob")
    secret_name = f"Alice Secret Works {uuid.uuid4().hex[:6]}"
    sign_up(alice, "Alice Owner", alice_email)
    alice_workspace = create_workspace(alice, secret_name)

    sign_up(bob, "Bob Stranger", bob_email)
    create_workspace(bob, "Bob Bikes")

    base = f"/w/{alice_workspace}"
    for path in (f"{base}/", f"{base}/members", f"{base}/settings", f"{base}/audit"):
        response = bob.goto(path)
        assert response is not None
        assert response.status == 404, path
        expect(bob.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(bob.get_by_test_id("error-message")).to_contain_text("does not exist")
        body = bob.locator("body")
        expect(body).not_to_contain_text(secret_name)
        expect(body).not_to_contain_text(alice_email)
        # Nothing on the page lets Bob act on Alice's workspace.
        expect(bob.locator(f'form[action^="{base}/"]')).to_have_count(0)
        expect(bob.locator(f'a[href^="{base}/"]')).to_have_count(0)

    # Bob's workspace switcher lists only his own workspace.
    bob.locator("#workspace-switcher").click()
    switcher_menu = bob.locator("#workspace-switcher + .dropdown-menu")
    expect(switcher_menu.get_by_role("link", name="Bob Bikes")).to_be_visible()
    expect(switcher_menu).not_to_contain_text(secret_name)

    # Hand-made POSTs with Bob's own valid CSRF token are refused the same way.
    csrf_token = bob.locator("input[name=csrf_token]").first.input_value()
    forged = {
        f"{base}/settings": {"name": "Taken over by Bob"},
        f"{base}/invitations": {"invite-role": "owner", "invite-ttl_hours": "720"},
        f"{base}/delete": {"delete-confirm_name": secret_name},
        f"{base}/leave": {},
    }
    for path, fields in forged.items():
        response = bob.request.post(
            path, form={"csrf_token": csrf_token, **fields}, max_redirects=0
        )
        assert response.status == 404, path

    # Alice's workspace is untouched.
    alice.goto(f"{base}/settings")
    expect(alice.get_by_label("Workspace name", exact=True)).to_have_value(secret_name)
    alice.goto(f"{base}/members")
    expect(alice.get_by_test_id("members").locator("tbody tr")).to_have_count(1)
    expect(alice.get_by_text("No pending invitations.")).to_be_visible()
    expect(alice.locator("body")).not_to_contain_text(bob_email)


def test_invited_viewer_signs_up_through_the_link_joins_and_cannot_open_the_audit_log(
    open_page: PageFactory,
) -> None:
    """Owner invites a viewer by link; the invitee signs up via the link and joins."""
    owner, guest = open_page(), open_page()
    workspace_name = f"Harbour Freight {uuid.uuid4().hex[:6]}"
    guest_email = unique_email("guest")
    sign_up(owner, "Olivia Owner", unique_email("owner"))
    workspace_id = create_workspace(owner, workspace_name)

    owner.goto(f"/w/{workspace_id}/members")
    owner.locator("#invite-role").select_option("viewer")
    owner.get_by_role("button", name="Create invitation link").click()
    link_input = owner.locator("#invitation-link")
    expect(link_input).to_have_value(re.compile(r"/invite/[^/]+$"))
    expect(owner.get_by_role("main")).to_contain_text("gives the role “Viewer”")
    link = link_input.input_value()

    guest.goto(link)
    expect(guest.get_by_role("heading")).to_have_text(f"You are invited to join “{workspace_name}”")
    expect(guest.get_by_role("main")).to_contain_text("Role: Viewer")
    expect(guest.get_by_role("button", name="Join workspace")).to_have_count(0)
    guest.get_by_role("main").get_by_role("link", name="Sign up").click()
    expect(guest).to_have_url(re.compile(r"/signup\?next=(/|%2F)invite(/|%2F)"))
    fill_sign_up(guest, "Gus Guest", guest_email)

    expect(guest).to_have_url(link)
    guest.get_by_role("button", name="Join workspace").click()
    expect(guest).to_have_url(re.compile(rf"/w/{workspace_id}/$"))
    expect(guest.get_by_role("alert")).to_contain_text(f"You joined “{workspace_name}”.")
    expect(guest.get_by_text("Your role: Viewer")).to_be_visible()

    guest.locator("#workspace-switcher").click()
    switcher_menu = guest.locator("#workspace-switcher + .dropdown-menu")
    expect(switcher_menu.get_by_role("link", name=workspace_name)).to_be_visible()
    # A viewer is not offered the audit log, and opening it by URL is refused.
    expect(guest.locator("#main-nav").get_by_role("link", name="Audit log")).to_have_count(0)
    response = guest.goto(f"/w/{workspace_id}/audit")
    assert response is not None
    assert response.status == 403
    expect(guest.get_by_role("heading", name="Not allowed")).to_be_visible()

    # The owner sees the new viewer among the members.
    owner.goto(f"/w/{workspace_id}/members")
    guest_row = owner.get_by_test_id("members").locator("tr", has_text=guest_email)
    expect(guest_row).to_contain_text("Gus Guest")
    expect(guest_row.get_by_label("Role")).to_have_value("viewer")


def test_wrong_password_is_refused_clearly_and_script_names_are_shown_as_text(
    page: Page,
) -> None:
    """A script-like workspace name renders as text; a bad password logs nobody in."""
    dialogs: list[str] = []
    console_errors: list[str] = []

    def refuse_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def keep_error(message: ConsoleMessage) -> None:
        # Chromium asks for /favicon.ico once per browser; the app has none (a 404).
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            console_errors.append(f"{message.text} at {message.location['url']}")

    page.on("dialog", refuse_dialog)
    page.on("console", keep_error)
    page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))

    email = unique_email("carol")
    script_name = "<script>alert(1)</script>"
    sign_up(page, "Carol Careful", email)
    create_workspace(page, script_name)
    expect(page.locator("#workspace-switcher")).to_have_text(script_name)
    expect(page.locator(".breadcrumb")).to_contain_text(script_name)
    expect(page.get_by_role("alert")).to_contain_text(f"Workspace “{script_name}” created.")
    expect(page).to_have_title(f"{script_name} · Formwork")
    expect(page.locator("script", has_text="alert(1)")).to_have_count(0)
    page.goto("/workspaces")
    expect(page.get_by_role("main")).to_contain_text(script_name)
    expect(page.locator("script", has_text="alert(1)")).to_have_count(0)

    log_out(page)
    page.goto("/login")
    fill_log_in(page, email, "not the right password")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("E-mail or password is not correct.")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value(email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.locator("#user-menu")).to_have_count(0)
    # No session: a logged-in page still sends us to the log-in page.
    page.goto("/workspaces")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)workspaces$"))
    assert "remember_token" not in {cookie["name"] for cookie in page.context.cookies()}

    # The right password, on the page we were sent to, logs in and comes back.
    fill_log_in(page, email, PASSWORD)
    expect(page.locator("#user-menu")).to_have_text("Carol Careful")
    expect(page).to_have_url(re.compile(r"/workspaces$"))

    assert dialogs == [], f"a dialog opened: {dialogs}"
    assert console_errors == [], f"console errors: {console_errors}"

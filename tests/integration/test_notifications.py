"""In-app notifications: idempotent insert, the bell's badge, the list, mark read, open."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formwork import db
from formwork.models import Membership, Notification, Role, User, Workspace
from formwork.services import notifications
from tests.conftest import Auth, Factory


def _notify(app: Flask, workspace: Workspace, user: User, title: str, **kwargs: object) -> int:
    with app.app_context():
        session = db.session()
        note = notifications.notify(
            session,
            workspace_id=workspace.id,
            user_id=user.id,
            kind=str(kwargs.pop("kind", "automation")),
            title=title,
            **kwargs,  # type: ignore[arg-type]
        )
        session.commit()
        assert note is not None
        return note.id


def _badge(page: str) -> str | None:
    match = re.search(r'data-testid="unread-badge">(\d+)', page)
    return match.group(1) if match else None


def test_a_duplicate_idempotency_key_inserts_nothing(app: Flask, factory: Factory) -> None:
    user = factory.user()
    workspace = factory.workspace(user)
    with app.app_context():
        session = db.session()
        kwargs: dict[str, Any] = {"workspace_id": workspace.id, "user_id": user.id}
        first = notifications.notify(
            session, kind="automation", title="Hi", idempotency_key="run-1-step-2", **kwargs
        )
        second = notifications.notify(
            session, kind="automation", title="Hi", idempotency_key="run-1-step-2", **kwargs
        )
        session.commit()
        assert first is not None and second is None
        assert session.scalar(select(func.count()).select_from(Notification)) == 1
        assert notifications.unread_count(session, user.id) == 1


@pytest.mark.parametrize(
    "link", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_links_must_be_paths_inside_formwork(app: Flask, factory: Factory, link: str) -> None:
    user = factory.user()
    workspace = factory.workspace(user)
    with app.app_context(), pytest.raises(ValueError, match="local paths"):
        notifications.notify(
            db.session(), workspace_id=workspace.id, user_id=user.id, kind="automation",
            title="x", link=link,
        )  # fmt: skip


def test_the_bell_counts_unread_and_mark_all_read_clears_it(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    user = factory.user()
    workspace = factory.workspace(user)
    someone = factory.member(workspace, Role.MEMBER)
    _notify(app, workspace, user, "First")
    _notify(app, workspace, user, "<img src=x onerror=alert(1)>")
    _notify(app, workspace, someone, "Not yours")
    auth.login(user)
    page = client.get(f"/w/{workspace.id}/").get_data(as_text=True)
    assert _badge(page) == "2"
    listing = client.get("/notifications").get_data(as_text=True)
    assert listing.count('data-testid="notification"') == 2
    assert listing.count('data-unread="1"') == 2
    assert "&lt;img src=x onerror=alert(1)&gt;" in listing and "<img src=x" not in listing
    assert "Not yours" not in listing
    assert listing.index("&lt;img") < listing.index("First")  # newest first
    response = client.post("/notifications/read")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    page = client.get("/notifications").get_data(as_text=True)
    assert _badge(page) is None and 'data-unread="1"' not in page
    with app.app_context():
        assert notifications.unread_count(db.session(), someone.id) == 1


def test_opening_a_notification_marks_it_read_and_follows_its_link(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    user = factory.user()
    workspace = factory.workspace(user)
    linked = _notify(app, workspace, user, "Go", link=f"/w/{workspace.id}/tasks")
    plain = _notify(app, workspace, user, "Stay")
    auth.login(user)
    response = client.post(f"/notifications/{linked}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/w/{workspace.id}/tasks"
    response = client.post(f"/notifications/{plain}/open")
    assert response.headers["Location"] == "/notifications"
    with app.app_context():
        assert notifications.unread_count(db.session(), user.id) == 0


def test_another_users_notification_cannot_be_opened_or_marked(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    theirs = _notify(app, workspace, owner, "Private")
    intruder = factory.member(workspace, Role.MEMBER)
    auth.login(intruder)
    assert client.post(f"/notifications/{theirs}/open").status_code == 404
    client.post("/notifications/read")
    with app.app_context():
        session = db.session()
        assert notifications.unread_count(session, owner.id) == 1
        assert notifications.mark_read(session, session.merge(intruder), [theirs]) == 0
        assert notifications.unread_count(session, owner.id) == 1


def test_notifications_of_a_workspace_one_left_are_hidden(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner, name="Old job")
    member = factory.member(workspace, Role.MEMBER)
    home = factory.workspace(member, name="Home")
    _notify(app, workspace, member, "From the old job")
    _notify(app, home, member, "From home")
    with app.app_context():
        session = db.session()
        session.delete(session.get_one(Membership, (workspace.id, member.id)))
        session.commit()
        assert notifications.unread_count(session, member.id) == 1
        assert [n.title for n in notifications.recent(session, session.merge(member))] == [
            "From home"
        ]
    auth.login(member)
    listing = client.get("/notifications").get_data(as_text=True)
    assert "From home" in listing and "From the old job" not in listing


def test_the_badge_needs_log_in(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'data-testid="nav-notifications"' not in page
    response = client.get("/notifications")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")

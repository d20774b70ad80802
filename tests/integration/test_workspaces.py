"""Workspaces: create, rename, delete, leave, roles, invitations, audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from formwork import db
from formwork.db import utcnow
from formwork.models import AuditEvent, Invitation, Membership, Role, Workspace
from tests.conftest import Auth, Factory


def _membership(app: Flask, workspace_id: int, user_id: int) -> Membership | None:
    with app.app_context():
        return db.session().get(Membership, (workspace_id, user_id))


def _workspace(app: Flask, workspace_id: int) -> Workspace | None:
    with app.app_context():
        return db.session().get(Workspace, workspace_id)


def _invite_link(client: FlaskClient, workspace_id: int, role: str, email: str = "") -> str:
    response = client.post(
        f"/w/{workspace_id}/invitations",
        data={
            "invite-role": role,
            "invite-email": email,
            "invite-ttl_hours": "24",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    match = re.search(r'value="(http://localhost/invite/[^"]+)"', response.get_data(as_text=True))
    assert match, "the invitation link is shown"
    return match.group(1).removeprefix("http://localhost")


def test_creating_a_workspace_makes_the_creator_owner(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    user = factory.user()
    auth.login(user)
    response = client.post("/workspaces/new", data={"name": "  Acme   Trading "})
    assert response.status_code == 302
    workspace_id = int(response.headers["Location"].split("/")[2])
    assert _workspace(app, workspace_id).name == "Acme Trading"  # type: ignore[union-attr]
    assert _membership(app, workspace_id, user.id).role is Role.OWNER  # type: ignore[union-attr]
    page = client.get(f"/w/{workspace_id}/").get_data(as_text=True)
    assert "No apps yet." in page and "Start from a template" in page


def test_workspace_name_is_required_and_bounded(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    auth.login(factory.user())
    assert "This field is required." in client.post(
        "/workspaces/new", data={"name": "   "}
    ).get_data(as_text=True)
    assert "Field cannot be longer than 100 characters." in client.post(
        "/workspaces/new", data={"name": "x" * 101}
    ).get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(select(Workspace)) is None


def test_user_string_is_escaped(client: FlaskClient, factory: Factory, auth: Auth) -> None:
    owner = factory.user(name="<img src=x onerror=alert(1)>")
    workspace = factory.workspace(owner, name="<script>alert('x')</script>")
    auth.login(owner)
    for path in (f"/w/{workspace.id}/", f"/w/{workspace.id}/members", "/workspaces"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert(" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_owner_renames_and_admin_cannot(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    admin = factory.member(workspace, Role.ADMIN)
    auth.login(admin)
    assert client.post(f"/w/{workspace.id}/settings", data={"name": "Hijack"}).status_code == 403
    auth.logout()
    auth.login(owner)
    assert client.post(f"/w/{workspace.id}/settings", data={"name": "新名字"}).status_code == 302
    assert _workspace(app, workspace.id).name == "新名字"  # type: ignore[union-attr]


def test_delete_needs_the_exact_name_and_the_owner(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner, name="Acme")
    admin = factory.member(workspace, Role.ADMIN)
    auth.login(admin)
    response = client.post(f"/w/{workspace.id}/delete", data={"delete-confirm_name": "Acme"})
    assert response.status_code == 403
    auth.logout()
    auth.login(owner)
    response = client.post(f"/w/{workspace.id}/delete", data={"delete-confirm_name": "acme"})
    assert response.status_code == 422
    assert "Type the workspace name exactly to confirm." in response.get_data(as_text=True)
    assert _workspace(app, workspace.id) is not None
    response = client.post(f"/w/{workspace.id}/delete", data={"delete-confirm_name": "Acme"})
    assert response.status_code == 302
    assert _workspace(app, workspace.id) is None
    assert _membership(app, workspace.id, admin.id) is None
    with app.app_context():
        event = db.session().scalar(
            select(AuditEvent).where(AuditEvent.action == "workspace.deleted")
        )
        assert event is not None and event.details["workspace"] == workspace.id


def test_last_owner_cannot_leave_but_a_member_can(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(workspace, Role.MEMBER)
    auth.login(owner)
    response = client.post(f"/w/{workspace.id}/leave")
    assert response.status_code == 403
    assert "at least one owner" in response.get_data(as_text=True)
    auth.logout()
    auth.login(member)
    assert client.post(f"/w/{workspace.id}/leave").status_code == 302
    assert _membership(app, workspace.id, member.id) is None
    assert client.get(f"/w/{workspace.id}/").status_code == 404


@pytest.mark.parametrize(
    ("actor_role", "target_role", "new_role", "status"),
    [
        (Role.ADMIN, Role.MEMBER, Role.VIEWER, 302),
        (Role.ADMIN, Role.MEMBER, Role.ADMIN, 302),
        (Role.ADMIN, Role.MEMBER, Role.OWNER, 403),  # only owners make owners
        (Role.ADMIN, Role.OWNER, Role.MEMBER, 403),  # nor demote them
        (Role.MEMBER, Role.VIEWER, Role.MEMBER, 403),
        (Role.VIEWER, Role.MEMBER, Role.VIEWER, 403),
        (Role.OWNER, Role.MEMBER, Role.OWNER, 302),
    ],
)
def test_who_may_change_roles(
    app: Flask,
    client: FlaskClient,
    factory: Factory,
    auth: Auth,
    actor_role: Role,
    target_role: Role,
    new_role: Role,
    status: int,
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    actor = owner if actor_role is Role.OWNER else factory.member(workspace, actor_role)
    target = factory.member(workspace, target_role, name="Target")
    auth.login(actor)
    response = client.post(
        f"/w/{workspace.id}/members/{target.id}/role", data={"role": new_role.value}
    )
    assert response.status_code == status
    expected = new_role if status == 302 else target_role
    assert _membership(app, workspace.id, target.id).role is expected  # type: ignore[union-attr]


def test_the_last_owner_cannot_be_demoted(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    second = factory.member(workspace, Role.OWNER)
    auth.login(owner)
    assert (
        client.post(
            f"/w/{workspace.id}/members/{second.id}/role", data={"role": "member"}
        ).status_code
        == 302
    )
    auth.logout()
    auth.login(second)  # now a member: cannot touch the owner
    assert (
        client.post(
            f"/w/{workspace.id}/members/{owner.id}/role", data={"role": "member"}
        ).status_code
        == 403
    )
    assert _membership(app, workspace.id, owner.id).role is Role.OWNER  # type: ignore[union-attr]


def test_role_change_refuses_an_unknown_role(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(workspace, Role.MEMBER)
    auth.login(owner)
    response = client.post(f"/w/{workspace.id}/members/{member.id}/role", data={"role": "god"})
    assert response.status_code == 422
    assert _membership(app, workspace.id, member.id).role is Role.MEMBER  # type: ignore[union-attr]


def test_admin_removes_a_member_but_not_an_owner(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    admin = factory.member(workspace, Role.ADMIN)
    member = factory.member(workspace, Role.MEMBER)
    auth.login(admin)
    assert client.post(f"/w/{workspace.id}/members/{owner.id}/remove").status_code == 403
    assert client.post(f"/w/{workspace.id}/members/{member.id}/remove").status_code == 302
    assert _membership(app, workspace.id, member.id) is None
    assert _membership(app, workspace.id, owner.id) is not None


def test_invitation_link_joins_once_with_its_role(app: Flask, factory: Factory) -> None:
    owner, guest, latecomer = factory.user(), factory.user(), factory.user()
    workspace = factory.workspace(owner)
    owner_client, guest_client, late_client = (app.test_client() for _ in range(3))
    Auth(owner_client).login(owner)
    link = _invite_link(owner_client, workspace.id, "viewer")

    anonymous = app.test_client().get(link)
    assert anonymous.status_code == 200
    assert "Log in or create an account to accept." in anonymous.get_data(as_text=True)

    Auth(guest_client).login(guest)
    assert guest_client.post(link).status_code == 302
    assert _membership(app, workspace.id, guest.id).role is Role.VIEWER  # type: ignore[union-attr]
    assert guest_client.get(f"/w/{workspace.id}/").status_code == 200
    assert guest_client.get(f"/w/{workspace.id}/audit").status_code == 403

    Auth(late_client).login(latecomer)
    spent = late_client.post(link)
    assert spent.status_code == 404
    assert "invalid, expired or already used" in spent.get_data(as_text=True)
    assert _membership(app, workspace.id, latecomer.id) is None


def test_expired_and_revoked_invitations_are_refused(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner, guest = factory.user(), factory.user()
    workspace = factory.workspace(owner)
    auth.login(owner)
    expired = _invite_link(client, workspace.id, "member")
    revoked = _invite_link(client, workspace.id, "member")
    with app.app_context():
        session = db.session()
        first, second = session.scalars(select(Invitation).order_by(Invitation.id)).all()
        session.execute(
            update(Invitation)
            .where(Invitation.id == first.id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        session.commit()
    assert client.post(f"/w/{workspace.id}/invitations/{second.id}/revoke").status_code == 302
    auth.logout()
    auth.login(guest)
    for link in (expired, revoked):
        assert client.get(link).status_code == 404
        assert client.post(link).status_code == 404
    assert _membership(app, workspace.id, guest.id) is None


def test_invitation_for_an_email_refuses_other_accounts(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner, intended, other = factory.user(), factory.user(), factory.user()
    workspace = factory.workspace(owner)
    auth.login(owner)
    link = _invite_link(client, workspace.id, "member", email=intended.email.upper())
    auth.logout()
    auth.login(other)
    assert client.post(link).status_code == 422
    auth.logout()
    auth.login(intended)
    assert client.post(link).status_code == 302


def test_only_owners_invite_owners_and_viewers_cannot_invite(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    admin = factory.member(workspace, Role.ADMIN)
    viewer = factory.member(workspace, Role.VIEWER)
    auth.login(admin)
    response = client.post(
        f"/w/{workspace.id}/invitations", data={"invite-role": "owner", "invite-ttl_hours": "24"}
    )
    assert response.status_code == 302  # back to members with an error shown
    assert "Not a valid choice." in client.get(response.headers["Location"]).get_data(as_text=True)
    auth.logout()
    auth.login(viewer)
    response = client.post(
        f"/w/{workspace.id}/invitations", data={"invite-role": "viewer", "invite-ttl_hours": "24"}
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session().scalar(select(Invitation)) is None


def test_invitation_tokens_are_stored_hashed(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    auth.login(owner)
    token = _invite_link(client, workspace.id, "member").rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session().scalar(select(Invitation.token_hash))
    assert stored is not None and token not in stored and len(stored) == 64


def test_audit_log_lists_admin_actions_for_admins_only(
    client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(workspace, Role.MEMBER)
    auth.login(owner)
    client.post(f"/w/{workspace.id}/settings", data={"name": "Renamed Co"})
    page = client.get(f"/w/{workspace.id}/audit").get_data(as_text=True)
    assert "Renamed the workspace" in page and "Created the workspace" in page
    auth.logout()
    auth.login(member)
    assert client.get(f"/w/{workspace.id}/audit").status_code == 403


def test_workspace_switcher_lists_only_my_workspaces(
    client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    me, stranger = factory.user(), factory.user()
    mine = factory.workspace(me, name="Mine One")
    factory.workspace(me, name="Mine Two")
    factory.workspace(stranger, name="Not Mine")
    auth.login(me)
    page = client.get(f"/w/{mine.id}/").get_data(as_text=True)
    assert "Mine One" in page and "Mine Two" in page and "Not Mine" not in page
    assert client.get("/").headers["Location"] == f"/w/{mine.id}/"  # remembers the last one

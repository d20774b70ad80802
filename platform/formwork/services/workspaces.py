"""Workspaces and their members: create, rename, delete, leave, roles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from formwork.models import Membership, Role, User, Workspace
from formwork.services import audit
from formwork.services.errors import Forbidden, Invalid, NotFound
from formwork.services.indexes import drop_workspace_indexes
from formwork.services.scope import Actor

NAME_MAX_LENGTH = 100


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid(_l("Enter a name."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise Invalid(_l("Use at most %(count)d characters.", count=NAME_MAX_LENGTH), field="name")
    return name


def create_workspace(
    session: Session, user: User, name: str, *, timezone: str = "UTC"
) -> Workspace:
    """A new workspace with ``user`` as its owner (commits)."""
    workspace = Workspace(name=_clean_name(name), timezone=timezone)
    session.add(workspace)
    session.flush()
    session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=Role.OWNER))
    audit.record(
        session,
        "workspace.created",
        actor_id=user.id,
        workspace_id=workspace.id,
        target=workspace.name,
    )
    session.commit()
    return workspace


def rename_workspace(session: Session, actor: Actor, name: str) -> None:
    actor.require_owner()
    old = actor.workspace.name
    actor.workspace.name = _clean_name(name)
    audit.record(
        session,
        "workspace.renamed",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=actor.workspace.name,
        old=old,
    )
    session.commit()


def set_private_webhooks(session: Session, actor: Actor, allowed: bool) -> None:
    """Let this workspace's webhooks call private, loopback and link-local addresses."""
    actor.require_admin()
    old = actor.workspace.allow_private_webhooks
    if old == allowed:
        return
    actor.workspace.allow_private_webhooks = allowed
    audit.record(
        session,
        "workspace.webhooks_changed",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=actor.workspace.name,
        old=old,
        new=allowed,
    )
    session.commit()


def delete_workspace(session: Session, actor: Actor, confirm_name: str) -> None:
    """Delete the workspace and everything in it; the owner must type its name."""
    actor.require_owner()
    if confirm_name.strip() != actor.workspace.name:
        raise Invalid(_l("Type the workspace name exactly to confirm."), field="confirm_name")
    # The trail outlives the workspace: this event carries no workspace_id.
    audit.record(
        session,
        "workspace.deleted",
        actor_id=actor.user_id,
        target=actor.workspace.name,
        workspace=actor.workspace_id,
    )
    drop_workspace_indexes(session, actor.workspace_id)
    session.delete(actor.workspace)
    session.commit()


def list_members(session: Session, actor: Actor) -> list[Membership]:
    query = (
        select(Membership)
        .join(User)
        .options(contains_eager(Membership.user))  # one query, not one per member
        .where(Membership.workspace_id == actor.workspace_id)
        .order_by(User.name, User.id)
    )
    return list(session.scalars(query))


def _owner_count(session: Session, workspace_id: int) -> int:
    query = select(func.count()).where(
        Membership.workspace_id == workspace_id, Membership.role == Role.OWNER
    )
    return session.scalar(query) or 0


def _member(session: Session, actor: Actor, user_id: int) -> Membership:
    membership = session.get(Membership, (actor.workspace_id, user_id))
    if membership is None:
        raise NotFound(_l("This person is not a member of the workspace."))
    return membership


def change_role(session: Session, actor: Actor, user_id: int, role: Role) -> None:
    """Admins manage admins, members and viewers; only owners grant or take ownership."""
    actor.require_admin()
    membership = _member(session, actor, user_id)
    if Role.OWNER in (role, membership.role):
        actor.require_owner()
    if membership.role is Role.OWNER and role is not Role.OWNER:
        _keep_an_owner(session, actor.workspace_id)
    old = membership.role
    membership.role = role
    audit.record(
        session,
        "member.role_changed",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=membership.user.email,
        old=old.value,
        new=role.value,
    )
    session.commit()


def remove_member(session: Session, actor: Actor, user_id: int) -> None:
    actor.require_admin()
    if user_id == actor.user_id:
        raise Invalid(_l("Use “Leave workspace” to remove yourself."))
    membership = _member(session, actor, user_id)
    if membership.role is Role.OWNER:
        actor.require_owner()
        _keep_an_owner(session, actor.workspace_id)
    audit.record(
        session,
        "member.removed",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=membership.user.email,
    )
    session.delete(membership)
    session.commit()


def leave_workspace(session: Session, actor: Actor) -> None:
    membership = _member(session, actor, actor.user_id)
    if membership.role is Role.OWNER:
        _keep_an_owner(session, actor.workspace_id)
    audit.record(
        session,
        "member.left",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=actor.user.email,
    )
    session.delete(membership)
    session.commit()


def _keep_an_owner(session: Session, workspace_id: int) -> None:
    if _owner_count(session, workspace_id) <= 1:
        raise Forbidden(
            _l(
                "A workspace needs at least one owner. Make someone else an owner first, "
                "or delete the workspace."
            )
        )

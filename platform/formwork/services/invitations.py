"""Invitation links: expiring, single-use, role-carrying; only a digest is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from formwork.db import utcnow
from formwork.models import Invitation, Membership, Role, User
from formwork.services import audit
from formwork.services.accounts import normalise_email
from formwork.services.errors import Conflict, Invalid, NotFound
from formwork.services.scope import Actor, scoped


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    session: Session, actor: Actor, *, role: Role, ttl_hours: int, email: str | None = None
) -> tuple[Invitation, str]:
    """A new invitation and its token; the token is shown once and never stored."""
    actor.require_admin()
    if role is Role.OWNER:
        actor.require_owner()
    if not 1 <= ttl_hours <= 24 * 30:
        raise Invalid(_l("Choose a validity between 1 hour and 30 days."), field="ttl_hours")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        workspace_id=actor.workspace_id,
        token_hash=_digest(token),
        role=role,
        email=normalise_email(email) if email else None,
        created_by_id=actor.user_id,
        expires_at=utcnow() + timedelta(hours=ttl_hours),
    )
    session.add(invitation)
    audit.record(
        session,
        "invitation.created",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=invitation.email,
        role=role.value,
    )
    session.commit()
    return invitation, token


def pending_invitations(session: Session, actor: Actor) -> list[Invitation]:
    actor.require_admin()
    query = (
        scoped(Invitation, actor)
        .where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc())
    )
    return list(session.scalars(query))


def revoke_invitation(session: Session, actor: Actor, invitation_id: int) -> None:
    actor.require_admin()
    invitation = session.scalar(scoped(Invitation, actor).where(Invitation.id == invitation_id))
    if invitation is None:
        raise NotFound(_l("This invitation does not exist."))
    invitation.revoked_at = utcnow()
    audit.record(
        session,
        "invitation.revoked",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=invitation.email,
    )
    session.commit()


def find_usable(session: Session, token: str) -> Invitation:
    """The invitation behind a link, if it can still be accepted."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == _digest(token)))
    if invitation is None or not invitation.is_usable(utcnow()):
        raise NotFound(_l("This invitation link is invalid, expired or already used."))
    return invitation


def accept_invitation(session: Session, user: User, token: str) -> Membership:
    """Join the workspace with the invited role; the link is spent (commits)."""
    invitation = find_usable(session, token)
    if invitation.email and invitation.email != user.email:
        raise Invalid(_l("This invitation was sent to another e-mail address."))
    existing = session.get(Membership, (invitation.workspace_id, user.id))
    if existing is not None:
        raise Conflict(_l("You are already a member of this workspace."))
    now = utcnow()
    # Conditional update: of two simultaneous accepts, exactly one matches a row.
    spent = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(accepted_at=now, accepted_by_id=user.id)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise NotFound(_l("This invitation link is invalid, expired or already used."))
    membership = Membership(
        workspace_id=invitation.workspace_id, user_id=user.id, role=invitation.role
    )
    session.add(membership)
    audit.record(
        session,
        "invitation.accepted",
        actor_id=user.id,
        workspace_id=invitation.workspace_id,
        target=user.email,
        role=invitation.role.value,
    )
    session.commit()
    return membership

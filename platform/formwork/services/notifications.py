"""In-app notifications (提醒): add one for a user, count the unread, list, mark read.

A notification belongs to a workspace and a user. Users see only their own, and only
from workspaces they still belong to. ``notify`` never commits: it joins the caller's
transaction, so a notification is stored with the change that caused it or not at all.
An ``idempotency_key`` (unique in the table) makes repeated calls — a retried automation
step, a reminder sweep run twice — store one notification.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from formwork.db import dialect_insert, utcnow
from formwork.models import Membership, Notification, User
from formwork.services.errors import NotFound

TITLE_MAX = 300
BODY_MAX = 4000
LINK_MAX = 500


def is_local_path(link: str | None) -> bool:
    """A path on this site (``/w/1/tasks``), never an address elsewhere (``//evil``)."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return False
    if any(ord(char) < 32 for char in link):
        return False
    parts = urlsplit(link)
    return not parts.scheme and not parts.netloc


def notify(
    session: Session,
    *,
    workspace_id: int,
    user_id: int,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
    idempotency_key: str | None = None,
) -> Notification | None:
    """Add a notification to the caller's transaction (no commit).

    Returns the new notification, or None when one with ``idempotency_key`` exists
    (``INSERT … ON CONFLICT DO NOTHING``: no race between two callers).

    Raises:
        ValueError: ``link`` is not a path inside Formwork.
    """
    if link is not None and not is_local_path(link):
        raise ValueError(f"notification links must be local paths, not {link!r}")
    values = {
        "workspace_id": workspace_id,
        "user_id": user_id,
        "kind": kind[:32],
        "title": " ".join(str(title).split())[:TITLE_MAX],
        "body": str(body)[:BODY_MAX],
        "link": link[:LINK_MAX] if link else None,
        "idempotency_key": idempotency_key,
        "created_at": utcnow(),
    }
    statement = (
        dialect_insert(session, Notification)
        .values(values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Notification.id)
    )
    new_id = session.scalar(statement)
    if new_id is None:
        return None
    return session.get(Notification, new_id)


def _visible(user_id: int) -> Any:
    """Notifications of ``user_id`` in workspaces they are still a member of."""
    return (
        select(Notification)
        .join(
            Membership,
            (Membership.workspace_id == Notification.workspace_id)
            & (Membership.user_id == Notification.user_id),
        )
        .where(Notification.user_id == user_id)
    )


def unread_count(session: Session, user_id: int) -> int:
    """The number on the navigation's bell: one COUNT on the (user, read_at) index."""
    query = (
        select(func.count())
        .select_from(Notification)
        .join(
            Membership,
            (Membership.workspace_id == Notification.workspace_id)
            & (Membership.user_id == Notification.user_id),
        )
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return session.scalar(query) or 0


def recent(session: Session, user: User, limit: int = 50) -> list[Notification]:
    """The user's newest notifications across their workspaces."""
    query = _visible(user.id).order_by(Notification.id.desc()).limit(max(1, min(limit, 500)))
    return list(session.scalars(query))


def get_own(session: Session, user: User, notification_id: int) -> Notification:
    notification = session.scalar(_visible(user.id).where(Notification.id == notification_id))
    if notification is None:
        raise NotFound(_l("This notification does not exist."))
    return notification


def mark_read(
    session: Session,
    user: User,
    notification_ids: Iterable[int] | None = None,
    *,
    commit: bool = True,
) -> int:
    """Mark the user's unread notifications read (all, or those in ``notification_ids``).

    Ids of other users' notifications are ignored. Returns how many changed.
    """
    statement = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if notification_ids is not None:
        ids = [int(i) for i in notification_ids]
        if not ids:
            return 0
        statement = statement.where(Notification.id.in_(ids))
    changed = int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
    if commit:
        session.commit()
    return changed


def open_notification(session: Session, user: User, notification_id: int) -> str | None:
    """Mark one of the user's notifications read; its link when that is a local path."""
    notification = get_own(session, user, notification_id)
    mark_read(session, user, [notification.id])
    return notification.link if is_local_path(notification.link) else None

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork.models import AuditEvent
from formwork.services.scope import Actor


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    workspace_id: int | None = None,
    target: str | None = None,
    ip_address: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (it commits with the change)."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        workspace_id=workspace_id,
        target=target,
        ip_address=ip_address,
        details=details,
    )
    session.add(event)
    return event


def list_events(session: Session, actor: Actor, *, limit: int = 200) -> list[AuditEvent]:
    actor.require_admin()
    query = (
        select(AuditEvent)
        .where(AuditEvent.workspace_id == actor.workspace_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))

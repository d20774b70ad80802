"""Who an automation step means: a person spec (owner, actor, user, member field, role)
resolved to workspace members when the step runs (see docs/automations.md, persons).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork.models import Membership, Record, Role

if TYPE_CHECKING:
    from formwork.automation.runner import Call


def role_members(session: Session, workspace_id: int, role: Any) -> list[int]:
    """The user ids of everyone in the workspace holding ``role`` or a higher one, in
    user-id order (a stable order: round-robin stays fair). Viewers are never in it."""
    try:
        floor = Role(role)
    except ValueError:
        return []
    if floor is Role.VIEWER:
        return []
    roles = [r for r in Role if r.at_least(floor)]
    return list(
        session.scalars(
            select(Membership.user_id)
            .where(Membership.workspace_id == workspace_id, Membership.role.in_(roles))
            .order_by(Membership.user_id)
        )
    )


def person(call: Call, spec: Any, record: Record | None = None) -> int | None:
    """Resolve a person spec (owner, actor, user, member field, role) to a member's user
    id; owner and field read ``record`` (default: the trigger's record). A role gives
    one person: the lowest user id among the members holding it or a higher one."""
    record = record if record is not None else call.record
    actor_id = call.event.actor_id or call.actor.user_id
    return resolve_person(call.session, call.run.workspace_id, spec, record, actor_id)


def people(call: Call, spec: Any) -> list[int]:
    """Everyone a person spec names: all holders of a role (user-id order), else the
    one person ``person`` resolves (none when that is not a member)."""
    actor_id = call.event.actor_id or call.actor.user_id
    return resolve_people(call.session, call.run.workspace_id, spec, call.record, actor_id)


def resolve_person(
    session: Session, workspace_id: int, spec: Any, record: Record | None, actor_id: int | None
) -> int | None:
    """``person`` without a run (a dry run uses it too): ``actor_id`` is who acts."""
    if not isinstance(spec, dict):
        return None
    kind = spec.get("kind")
    user_id: Any = None
    if kind == "role":
        pool = role_members(session, workspace_id, spec.get("role"))
        return pool[0] if pool else None
    if kind == "owner":
        user_id = record.owner_id if record is not None else None
    elif kind == "actor":
        user_id = actor_id
    elif kind == "user":
        user_id = spec.get("id")
    elif kind == "field" and record is not None:
        user_id = record.data.get(str(spec.get("field")))
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    member = session.get(Membership, (workspace_id, user_id))
    return user_id if member is not None else None


def resolve_people(
    session: Session, workspace_id: int, spec: Any, record: Record | None, actor_id: int | None
) -> list[int]:
    """``people`` without a run (see ``resolve_person``)."""
    if isinstance(spec, dict) and spec.get("kind") == "role":
        return role_members(session, workspace_id, spec.get("role"))
    user_id = resolve_person(session, workspace_id, spec, record, actor_id)
    return [user_id] if user_id is not None else []

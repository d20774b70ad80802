"""Workspace scoping: who is acting, where, with which role.

Every workspace-owned query goes through :func:`scoped` with the actor's workspace, never
a workspace id taken from request input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from formwork.models import Membership, Role, User, Workspace
from formwork.services.errors import Forbidden, NotFound

M = TypeVar("M")


@dataclass(frozen=True)
class Actor:
    """A user acting inside one workspace with one role."""

    user: User
    workspace: Workspace
    role: Role

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def workspace_id(self) -> int:
        return self.workspace.id

    def require(self, role: Role) -> None:
        if not self.role.at_least(role):
            raise Forbidden(_l("Your role in this workspace does not allow this."))

    def require_admin(self) -> None:
        self.require(Role.ADMIN)

    def require_owner(self) -> None:
        self.require(Role.OWNER)


def actor_for(session: Session, user: User, workspace_id: int) -> Actor:
    """The user's actor in a workspace; NotFound when they are not a member.

    Strangers get NotFound (not Forbidden) so they cannot probe which workspaces exist.
    """
    membership = session.get(Membership, (workspace_id, user.id))
    if membership is None:
        raise NotFound(_l("This workspace does not exist or you are not a member of it."))
    return Actor(user=user, workspace=membership.workspace, role=membership.role)


def scoped(model: type[M], actor: Actor) -> Select[tuple[M]]:
    """``SELECT model WHERE workspace_id = actor's workspace`` — the start of every query."""
    column: Any = model.workspace_id  # type: ignore[attr-defined]
    return select(model).where(column == actor.workspace_id)


def workspaces_of(session: Session, user: User) -> list[tuple[Workspace, Role]]:
    rows = session.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user.id)
        .order_by(Workspace.name, Workspace.id)
    )
    return [(workspace, role) for workspace, role in rows]

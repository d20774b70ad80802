from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formwork.db import Base, utcnow

if TYPE_CHECKING:
    from formwork.models.users import User


class Role(enum.StrEnum):
    """Workspace roles, from most to least privileged."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}

_role_type = Enum(
    Role,
    name="workspace_role",
    native_enum=False,
    length=16,
    values_callable=lambda roles: [r.value for r in roles],
    validate_strings=True,
)


def zone_named(name: str | None) -> ZoneInfo:
    """The IANA time zone ``name``; UTC when it is empty or unknown to this system."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # IANA name; date-relative automations run in the workspace's own day.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Webhooks to private, loopback and link-local addresses are refused unless an admin
    # of the workspace allows them (e.g. for an intranet ERP).
    allow_private_webhooks: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def zone(self) -> ZoneInfo:
        """The workspace's time zone (its "today", due dates, schedules and date scans)."""
        return zone_named(self.timezone)


class Membership(Base):
    __tablename__ = "memberships"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[Role] = mapped_column(_role_type)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workspace: Mapped[Workspace] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Invitation(Base):
    """A single-use, expiring link to join a workspace with a role.

    Only a SHA-256 digest of the token is stored: a database leak reveals no usable link.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_role_type)
    # Optional: when set, only a user with this e-mail may accept.
    email: Mapped[str | None] = mapped_column(String(254))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    workspace: Mapped[Workspace] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def is_usable(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at

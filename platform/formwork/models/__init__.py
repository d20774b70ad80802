"""Typed SQLAlchemy models, one module per aggregate. Importing this registers them all."""

from formwork.models.audit import AuditEvent
from formwork.models.users import User
from formwork.models.workspaces import Invitation, Membership, Role, Workspace

__all__ = ["AuditEvent", "Invitation", "Membership", "Role", "User", "Workspace"]

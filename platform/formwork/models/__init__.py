"""Typed SQLAlchemy models, one module per aggregate. Importing this registers them all."""

from formwork.models.audit import AuditEvent
from formwork.models.forms import App, AutonumberCounter, Form, FormVersion
from formwork.models.records import ManagedIndex, Record, RecordLink, RecordRevision, SavedView
from formwork.models.users import User
from formwork.models.workspaces import Invitation, Membership, Role, Workspace

__all__ = [
    "App",
    "AuditEvent",
    "AutonumberCounter",
    "Form",
    "FormVersion",
    "Invitation",
    "ManagedIndex",
    "Membership",
    "Record",
    "RecordLink",
    "RecordRevision",
    "Role",
    "SavedView",
    "User",
    "Workspace",
]

"""Typed SQLAlchemy models, one module per aggregate. Importing this registers them all."""

from formwork.models.audit import AuditEvent
from formwork.models.automations import (
    Automation,
    AutomationCounter,
    Event,
    Run,
    SchedulerLock,
    Step,
)
from formwork.models.customer_value import CustomerMetrics, TierChange, TierScheme, ValueModel
from formwork.models.forms import App, AutonumberCounter, Form, FormVersion
from formwork.models.records import ManagedIndex, Record, RecordLink, RecordRevision, SavedView
from formwork.models.surveys import PublicLink, SurveyInvitation, SurveyOptOut
from formwork.models.tasks import EmailMessage, Notification, Task
from formwork.models.templates import InstalledTemplate, Report
from formwork.models.users import User
from formwork.models.workspaces import Invitation, Membership, Role, Workspace

__all__ = [
    "App",
    "AuditEvent",
    "Automation",
    "AutomationCounter",
    "AutonumberCounter",
    "CustomerMetrics",
    "EmailMessage",
    "Event",
    "Form",
    "FormVersion",
    "InstalledTemplate",
    "Invitation",
    "ManagedIndex",
    "Membership",
    "Notification",
    "PublicLink",
    "Record",
    "RecordLink",
    "RecordRevision",
    "Report",
    "Role",
    "Run",
    "SavedView",
    "SchedulerLock",
    "Step",
    "SurveyInvitation",
    "SurveyOptOut",
    "Task",
    "TierChange",
    "TierScheme",
    "User",
    "ValueModel",
    "Workspace",
]

"""WTForms classes for the account and workspace pages (CSRF comes from FlaskForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from formwork.models import Role


def role_select(include_owner: bool) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in role_choices(include_owner)]


def role_choices(include_owner: bool) -> list[tuple[str, str]]:
    labels = {
        Role.OWNER: _l("Owner"),
        Role.ADMIN: _l("Admin"),
        Role.MEMBER: _l("Member"),
        Role.VIEWER: _l("Viewer"),
    }
    return [
        (role.value, str(labels[role])) for role in Role if include_owner or role is not Role.OWNER
    ]


def audit_labels() -> dict[str, str]:
    """What each audit action is called on the audit-log page."""
    return {
        "account.signed_up": str(_l("Signed up")),
        "account.logged_in": str(_l("Logged in")),
        "account.login_failed": str(_l("Failed log-in")),
        "account.password_changed": str(_l("Changed password")),
        "workspace.created": str(_l("Created the workspace")),
        "workspace.renamed": str(_l("Renamed the workspace")),
        "member.role_changed": str(_l("Changed a role")),
        "member.removed": str(_l("Removed a member")),
        "member.left": str(_l("Left the workspace")),
        "invitation.created": str(_l("Created an invitation")),
        "invitation.revoked": str(_l("Revoked an invitation")),
        "invitation.accepted": str(_l("Joined by invitation")),
        "workspace.deleted": str(_l("Deleted the workspace")),
        "workspace.webhooks_changed": str(_l("Changed the webhook address policy")),
        "app.created": str(_l("Created an app")),
        "form.created": str(_l("Created a form")),
        "form.published": str(_l("Published a form")),
        "view.created": str(_l("Saved a list view")),
        "view.updated": str(_l("Changed a list view")),
        "view.deleted": str(_l("Deleted a list view")),
        "automation.created": str(_l("Created an automation")),
        "automation.updated": str(_l("Changed an automation")),
        "automation.enabled": str(_l("Turned an automation on")),
        "automation.disabled": str(_l("Turned an automation off")),
        "automation.deleted": str(_l("Deleted an automation")),
        "automation.backfilled": str(_l("Back-filled an automation")),
        "automation.run_retried": str(_l("Retried an automation run")),
        "automation.run_cancelled": str(_l("Cancelled an automation run")),
        "report.created": str(_l("Created a report")),
        "report.updated": str(_l("Changed a report")),
        "report.deleted": str(_l("Deleted a report")),
        "template.install_started": str(_l("Started installing a template")),
        "template.installed": str(_l("Installed a template")),
        "template.upgraded": str(_l("Upgraded an installed template")),
        "template.archived": str(_l("Archived an installed app")),
        "template.restored": str(_l("Restored an installed app")),
    }


class SignUpForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class LanguageForm(FlaskForm):
    locale = SelectField(choices=[SelectChoice("en", "English"), SelectChoice("zh_CN", "中文")])


class WorkspaceForm(FlaskForm):
    name = StringField(_l("Workspace name"), validators=[DataRequired(), Length(max=100)])


class DeleteWorkspaceForm(FlaskForm):
    confirm_name = StringField(
        _l("Type the workspace name to confirm"), validators=[DataRequired()]
    )


class InvitationForm(FlaskForm):
    role = SelectField(_l("Role"), default=Role.MEMBER.value)
    email = EmailField(
        _l("Only for this e-mail (optional)"), validators=[Optional(), Length(max=254)]
    )
    ttl_hours = IntegerField(
        _l("Valid for (hours)"),
        default=72,
        validators=[DataRequired(), NumberRange(min=1, max=720)],
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"))


class AppForm(FlaskForm):
    name = StringField(_l("App name"), validators=[DataRequired(), Length(max=100)])
    description = StringField(_l("Description (optional)"), validators=[Length(max=1000)])


class NewFormForm(FlaskForm):
    title = StringField(_l("Form name"), validators=[DataRequired(), Length(max=100)])


class ImportSchemaForm(FlaskForm):
    file = FileField(_l("JSON Schema file"))
    text = TextAreaField(_l("…or paste the JSON Schema"), validators=[Length(max=512 * 1024)])


class ActionForm(FlaskForm):
    """A bare form for POST buttons (log out, leave, remove, revoke): CSRF only."""

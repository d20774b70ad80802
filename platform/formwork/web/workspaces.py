"""Workspaces: list, create, dashboard, settings, members, invitations, audit log."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField

from formwork import db
from formwork.models import Role
from formwork.services import apps, audit, invitations, workspaces
from formwork.services.errors import InputError
from formwork.services.scope import workspaces_of
from formwork.web.context import current_actor, form_error, require_valid, workspace_view
from formwork.web.forms import (
    ActionForm,
    DeleteWorkspaceForm,
    InvitationForm,
    RoleForm,
    WorkspaceForm,
    role_choices,
    role_select,
)

bp = Blueprint("workspaces", __name__)


class WebhookSettingsForm(FlaskForm):
    allow_private_webhooks = BooleanField(_l("Webhooks may call private addresses"))


# POST-only actions below take no input but the CSRF token, which CSRFProtect checks on
# every state-changing request before any view runs.


@bp.get("/workspaces")
@login_required
def index() -> str:
    """The workspaces this user belongs to."""
    return render_template(
        "workspaces/index.html", memberships=workspaces_of(db.session(), current_user)
    )


@bp.route("/workspaces/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    """Create a workspace; the creator becomes its owner."""
    form = WorkspaceForm()
    if form.validate_on_submit():
        try:
            workspace = workspaces.create_workspace(
                db.session(),
                current_user,
                form.name.data or "",
                timezone=current_app.config["DEFAULT_TIMEZONE"],
            )
        except InputError as exc:
            form_error(form, exc)
        else:
            flash(_("Workspace “%(name)s” created.", name=workspace.name), "success")
            return redirect(url_for("workspaces.dashboard", workspace_id=workspace.id))
    return render_template("workspaces/new.html", form=form)


@bp.get("/w/<int:workspace_id>/")
@workspace_view()
def dashboard() -> str:
    """The workspace home: its apps and their forms."""
    actor = current_actor()
    session["workspace_id"] = actor.workspace_id
    return render_template(
        "workspaces/dashboard.html", app_list=apps.list_apps(db.session(), actor)
    )


@bp.route("/w/<int:workspace_id>/settings", methods=["GET", "POST"])
@workspace_view()
def settings() -> str | Response:
    """Rename (owner), delete (owner) or leave the workspace."""
    actor = current_actor()
    form = WorkspaceForm(obj=actor.workspace)
    if form.validate_on_submit():
        try:
            workspaces.rename_workspace(db.session(), actor, form.name.data or "")
        except InputError as exc:
            form_error(form, exc)
        else:
            flash(_("Workspace renamed."), "success")
            return redirect(url_for("workspaces.settings", workspace_id=actor.workspace_id))
    return render_template(
        "workspaces/settings.html",
        form=form,
        delete_form=DeleteWorkspaceForm(prefix="delete"),
        webhook_form=_webhook_form(),
    )


def _webhook_form() -> WebhookSettingsForm:
    """Shows the stored setting (never the data of another form posted to the page)."""
    return WebhookSettingsForm(prefix="webhooks", formdata=None, obj=current_actor().workspace)


@bp.post("/w/<int:workspace_id>/settings/webhooks")
@workspace_view(Role.ADMIN)
def webhook_settings() -> Response:
    """Allow or refuse webhooks to private addresses (admins)."""
    actor = current_actor()
    form = WebhookSettingsForm(prefix="webhooks")
    require_valid(form)
    allowed = bool(form.allow_private_webhooks.data)
    workspaces.set_private_webhooks(db.session(), actor, allowed)
    if allowed:
        flash(_("Webhooks of this workspace may now call private addresses."), "warning")
    else:
        flash(_("Webhooks of this workspace may only call public addresses."), "success")
    return redirect(url_for("workspaces.settings", workspace_id=actor.workspace_id))


@bp.post("/w/<int:workspace_id>/delete")
@workspace_view(Role.OWNER)
def delete() -> str | Response:
    """Delete the workspace after the owner typed its name."""
    actor = current_actor()
    delete_form = DeleteWorkspaceForm(prefix="delete")
    if delete_form.validate_on_submit():
        try:
            workspaces.delete_workspace(db.session(), actor, delete_form.confirm_name.data or "")
        except InputError as exc:
            form_error(delete_form, exc)
        else:
            session.pop("workspace_id", None)
            flash(_("Workspace “%(name)s” deleted.", name=actor.workspace.name), "success")
            return redirect(url_for("workspaces.index"))
    form = WorkspaceForm(obj=actor.workspace, formdata=None)
    return render_template(
        "workspaces/settings.html",
        form=form,
        delete_form=delete_form,
        webhook_form=_webhook_form(),
    ), 422  # type: ignore[return-value]


@bp.post("/w/<int:workspace_id>/leave")
@workspace_view()
def leave() -> Response:
    """Leave the workspace (the last owner cannot)."""
    actor = current_actor()
    workspaces.leave_workspace(db.session(), actor)
    session.pop("workspace_id", None)
    flash(_("You left “%(name)s”.", name=actor.workspace.name), "info")
    return redirect(url_for("workspaces.index"))


@bp.get("/w/<int:workspace_id>/members")
@workspace_view()
def members() -> str:
    """Members and roles; admins also see invitations."""
    actor = current_actor()
    pending = (
        invitations.pending_invitations(db.session(), actor)
        if actor.role.at_least(Role.ADMIN)
        else []
    )
    invite_form = InvitationForm(prefix="invite")
    invite_form.role.choices = role_select(include_owner=actor.role is Role.OWNER)
    invite_form.ttl_hours.data = (
        invite_form.ttl_hours.data or current_app.config["INVITATION_TTL_HOURS"]
    )
    return render_template(
        "workspaces/members.html",
        members=workspaces.list_members(db.session(), actor),
        invitations=pending,
        invite_form=invite_form,
        role_form=RoleForm(),
        role_choices=role_choices(include_owner=actor.role is Role.OWNER),
    )


@bp.post("/w/<int:workspace_id>/members/<int:user_id>/role")
@workspace_view(Role.ADMIN)
def change_role(user_id: int) -> Response:
    """Give a member another role."""
    actor = current_actor()
    form = RoleForm()
    form.role.choices = role_select(include_owner=True)
    require_valid(form)
    workspaces.change_role(db.session(), actor, user_id, Role(form.role.data))
    flash(_("Role changed."), "success")
    return redirect(url_for("workspaces.members", workspace_id=actor.workspace_id))


@bp.post("/w/<int:workspace_id>/members/<int:user_id>/remove")
@workspace_view(Role.ADMIN)
def remove_member(user_id: int) -> Response:
    """Remove a member from the workspace."""
    actor = current_actor()
    workspaces.remove_member(db.session(), actor, user_id)
    flash(_("Member removed."), "success")
    return redirect(url_for("workspaces.members", workspace_id=actor.workspace_id))


@bp.post("/w/<int:workspace_id>/invitations")
@workspace_view(Role.ADMIN)
def invite() -> str | Response:
    """Create an invitation link and show it once."""
    actor = current_actor()
    form = InvitationForm(prefix="invite")
    form.role.choices = role_select(include_owner=actor.role is Role.OWNER)
    if form.validate_on_submit():
        try:
            invitation, token = invitations.create_invitation(
                db.session(),
                actor,
                role=Role(form.role.data),
                email=form.email.data or None,
                ttl_hours=form.ttl_hours.data or current_app.config["INVITATION_TTL_HOURS"],
            )
        except InputError as exc:
            form_error(form, exc)
        else:
            link = url_for("workspaces.accept_invitation", token=token, _external=True)
            return render_template(
                "workspaces/invitation_created.html", invitation=invitation, link=link
            )
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "danger")
    return redirect(url_for("workspaces.members", workspace_id=actor.workspace_id))


@bp.post("/w/<int:workspace_id>/invitations/<int:invitation_id>/revoke")
@workspace_view(Role.ADMIN)
def revoke_invitation(invitation_id: int) -> Response:
    """Revoke a pending invitation link."""
    actor = current_actor()
    invitations.revoke_invitation(db.session(), actor, invitation_id)
    flash(_("Invitation revoked."), "success")
    return redirect(url_for("workspaces.members", workspace_id=actor.workspace_id))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | Response:
    """Show an invitation and let a logged-in user accept it."""
    invitation = invitations.find_usable(db.session(), token)
    form = ActionForm()
    if current_user.is_authenticated and form.validate_on_submit():
        membership = invitations.accept_invitation(db.session(), current_user, token)
        flash(_("You joined “%(name)s”.", name=membership.workspace.name), "success")
        return redirect(url_for("workspaces.dashboard", workspace_id=membership.workspace_id))
    return render_template("workspaces/accept.html", invitation=invitation, form=form)


@bp.get("/w/<int:workspace_id>/audit")
@workspace_view(Role.ADMIN)
def audit_log() -> str:
    """Recent admin actions in this workspace."""
    return render_template(
        "workspaces/audit.html", events=audit.list_events(db.session(), current_actor())
    )

"""Notifications (提醒): the user's list across workspaces, mark all read, open one."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from formwork import db
from formwork.services import notifications
from formwork.services.scope import workspaces_of
from formwork.web.auth import safe_next
from formwork.web.context import require_valid
from formwork.web.forms import ActionForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def index() -> str:
    """The user's notifications, newest first; unread ones highlighted."""
    session = db.session()
    return render_template(
        "notifications/index.html",
        items=notifications.recent(session, current_user),
        workspace_by_id={w.id: w for w, _role in workspaces_of(session, current_user)},
    )


@bp.post("/read")
@login_required
def read_all() -> Response:
    """Mark every notification read."""
    require_valid(ActionForm())
    notifications.mark_read(db.session(), current_user)
    return redirect(safe_next(request.form.get("next"), url_for("notifications.index")))


@bp.post("/<int:notification_id>/open", endpoint="open")
@login_required
def open_one(notification_id: int) -> Response:
    """Mark one notification read and go to what it is about (a page of this site)."""
    require_valid(ActionForm())
    link = notifications.open_notification(db.session(), current_user, notification_id)
    return redirect(safe_next(link, url_for("notifications.index")))

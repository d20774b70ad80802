"""The shell: home redirect, health check, navigation context."""

from __future__ import annotations

from flask import Blueprint, redirect, session, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from formwork import db
from formwork.models import Membership, Role
from formwork.web.context import nav_context
from formwork.web.forms import ActionForm, LanguageForm, audit_labels, role_choices

bp = Blueprint("shell", __name__)


@bp.app_context_processor
def _inject_shell() -> dict[str, object]:
    return {
        **nav_context(),
        "language_form": LanguageForm(),
        "action_form": ActionForm(),
        # Babel normalises zh_CN to zh_Hans_CN; templates compare against our own codes.
        "current_locale": "zh_CN" if getattr(get_locale(), "language", "en") == "zh" else "en",
        "roles": Role,
        "role_labels": {Role(value): label for value, label in role_choices(include_owner=True)},
        "audit_labels": audit_labels(),
    }


@bp.get("/")
def home() -> Response:
    """Open the last workspace used, else the workspace list, else the log-in page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    last = session.get("workspace_id")
    if isinstance(last, int) and db.session().get(Membership, (last, current_user.id)):
        return redirect(url_for("workspaces.dashboard", workspace_id=last))
    return redirect(url_for("workspaces.index"))


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness and database reachability, for load balancers and the test harness."""
    db.session().execute(text("SELECT 1"))
    return {"status": "ok"}

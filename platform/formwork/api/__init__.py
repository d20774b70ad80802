"""The JSON REST API.

Form resources, per-user tokens and the OpenAPI document arrive with the form engine; for
now it answers who is calling (session cookie), so clients can check their credentials.
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from formwork import db
from formwork.services.scope import workspaces_of

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/me")
@login_required
def me() -> dict[str, object]:
    """The calling user and their workspaces."""
    return {
        "id": current_user.id,
        "email": current_user.email,
        "name": current_user.name,
        "workspaces": [
            {"id": workspace.id, "name": workspace.name, "role": role.value}
            for workspace, role in workspaces_of(db.session(), current_user)
        ],
    }

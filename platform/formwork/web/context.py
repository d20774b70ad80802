"""Request helpers shared by the blueprints: the acting workspace member, client address."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import flash, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from formwork import db
from formwork.models import Role
from formwork.services import notifications
from formwork.services.errors import Invalid, PlatformError
from formwork.services.scope import Actor, actor_for, workspaces_of

F = TypeVar("F", bound=Callable[..., Any])


def workspace_view(min_role: Role = Role.VIEWER) -> Callable[[F], F]:
    """Log-in required; loads ``g.actor`` for ``<workspace_id>`` and checks the role.

    Non-members get 404 (via NotFound), members below ``min_role`` get 403.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, workspace_id: int, **kwargs: Any) -> Any:
            actor = actor_for(db.session(), current_user, workspace_id)
            actor.require(min_role)
            g.actor = actor
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def current_actor() -> Actor:
    return cast(Actor, g.actor)


def client_ip() -> str | None:
    return request.remote_addr


def nav_context() -> dict[str, Any]:
    """Template globals for the navigation bar."""
    if not current_user.is_authenticated:
        return {"nav_workspaces": [], "actor": None, "nav_unread": 0}
    return {
        "nav_workspaces": workspaces_of(db.session(), current_user),
        "actor": g.get("actor"),
        "nav_unread": notifications.unread_count(db.session(), current_user.id),
    }


def form_error(form: FlaskForm, exc: PlatformError) -> None:
    """Show a service error next to the field it names, else as a flash message."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors.append(str(exc.message))
    else:
        flash(str(exc.message), "danger")


def require_valid(form: FlaskForm) -> None:
    """For forms posted from list pages: the first error becomes an Invalid (422 page)."""
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            raise Invalid(str(errors[0]), field=str(name))
        raise Invalid(_l("Some of what you entered is not valid."))

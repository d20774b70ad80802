"""Apps (named groups of forms) and forms: create, rename, list, archive."""

from __future__ import annotations

import json
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from form_engine.dialect import label, new_form
from form_engine.interop import InteropError, import_json_schema
from formwork.models import App, Form, Role
from formwork.services import audit
from formwork.services.errors import Invalid, NotFound
from formwork.services.scope import Actor, scoped

NAME_MAX = 100
_KEY_SAFE = re.compile(r"[^a-z0-9]+")


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid(_l("Enter a name."), field="name")
    if len(name) > NAME_MAX:
        raise Invalid(_l("Use at most %(count)d characters.", count=NAME_MAX), field="name")
    return name


def list_apps(session: Session, actor: Actor) -> list[App]:
    query = (
        scoped(App, actor)
        .where(App.archived_at.is_(None))
        .options(selectinload(App.forms))
        .order_by(App.name, App.id)
    )
    return list(session.scalars(query))


def get_app(session: Session, actor: Actor, app_id: int) -> App:
    app = session.scalar(scoped(App, actor).where(App.id == app_id, App.archived_at.is_(None)))
    if app is None:
        raise NotFound(_l("This app does not exist."))
    return app


def create_app(session: Session, actor: Actor, name: str, description: str = "") -> App:
    actor.require(Role.ADMIN)
    app = App(
        workspace_id=actor.workspace_id,
        name=_clean_name(name),
        description=description.strip()[:1000],
    )
    session.add(app)
    session.flush()
    audit.record(
        session,
        "app.created",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=app.name,
    )
    session.commit()
    return app


def form_key_for(session: Session, workspace_id: int, title: str) -> str:
    """A new, unique ASCII key for a form: ``customers``, ``form_2`` for a Chinese title."""
    base = _KEY_SAFE.sub("_", title.lower()).strip("_")[:40]
    if not base or not base[0].isalpha():
        base = "form"
    taken = set(session.scalars(select(Form.key).where(Form.workspace_id == workspace_id)))
    if base not in taken and base != "form":
        return base
    number = 1
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def create_form(session: Session, actor: Actor, app_id: int, title: str) -> Form:
    """A new form with an empty draft; it accepts records once published."""
    actor.require(Role.ADMIN)
    app = get_app(session, actor, app_id)
    title = _clean_name(title)
    position = session.scalar(
        select(func.coalesce(func.max(Form.position), 0)).where(Form.app_id == app.id)
    )
    form = Form(
        workspace_id=actor.workspace_id,
        app_id=app.id,
        title=title,
        key=form_key_for(session, actor.workspace_id, title),
        position=(position or 0) + 1,
        draft=new_form(title),
        draft_revision=1,
    )
    session.add(form)
    session.flush()
    audit.record(
        session,
        "form.created",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=title,
        form=form.id,
    )
    session.commit()
    return form


def get_form(session: Session, actor: Actor, form_id: int) -> Form:
    form = session.scalar(scoped(Form, actor).where(Form.id == form_id, Form.archived_at.is_(None)))
    if form is None:
        raise NotFound(_l("This form does not exist."))
    return form


def list_forms(session: Session, actor: Actor, app_id: int | None = None) -> list[Form]:
    query = scoped(Form, actor).where(Form.archived_at.is_(None))
    if app_id is not None:
        query = query.where(Form.app_id == app_id)
    return list(session.scalars(query.order_by(Form.app_id, Form.position, Form.id)))


IMPORT_MAX_BYTES = 512 * 1024


def import_form(
    session: Session,
    actor: Actor,
    app_id: int,
    schema_text: str,
    *,
    title: str = "",
    locale: str | None = None,
) -> tuple[Form, list[str]]:
    """A new form whose draft is a plain JSON Schema turned into a form document.

    Returns the form and the import warnings (what the schema had that a form cannot
    keep), in ``locale``. Nothing is published: the person reviews it in the designer.
    """
    actor.require(Role.ADMIN)
    if len(schema_text.encode()) > IMPORT_MAX_BYTES:
        raise Invalid(_l("The file is too large (at most 512 KB)."), field="schema")
    try:
        schema = json.loads(schema_text)
    except json.JSONDecodeError as exc:
        raise Invalid(
            _l(
                "This is not valid JSON (line %(line)d, column %(column)d).",
                line=exc.lineno,
                column=exc.colno,
            ),
            field="schema",
        ) from exc
    try:
        result = import_json_schema(schema, title=title.strip() or None)
    except InteropError as exc:
        raise Invalid(
            _l("This JSON Schema cannot be imported: %(problem)s", problem=exc.localised(locale)),
            field="schema",
        ) from exc
    document = result.document
    form = create_form(session, actor, app_id, label(document, "en") or title or "Imported form")
    form.draft = document
    form.draft_revision += 1
    session.commit()
    return form, [f"{issue.pointer}: {issue.message(locale)}" for issue in result.warnings]

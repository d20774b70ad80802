"""Saved list views (视图): a named search, filter, sort, columns and page size of one form.

A personal view belongs to its owner (any role may keep their own); a shared view has no
owner, is created and changed by admins, and every member of the workspace sees it.
Definitions are checked against the form's published fields before they are stored, and
the fields they filter or sort on get expression indexes (``indexes.sync_indexes``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from sqlalchemy.orm import Session

from form_engine.conditions import ConditionError, parse_condition, referenced_fields
from form_engine.messages import normalise_locale
from formwork.models import Form, Role, SavedView
from formwork.services import audit, indexes
from formwork.services.errors import Conflict, Forbidden, Invalid, NotFound
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.record_query import BUILTIN_SORTS, PAGE_SIZES, SEARCH_MAX
from formwork.services.scope import Actor, scoped

NAME_MAX = 100
MAX_SORTS = 5
MAX_COLUMNS = 60
# Record columns a list can show besides form fields (they sort too, see record_query).
BUILTIN_COLUMNS = ("_created_at", "_updated_at")
# A filter this long in a saved view is a mistake or an attack, not a person's filter.
FILTER_MAX_CHARS = 20_000


def condition_problem(exc: ConditionError) -> LazyString:
    """The message of a condition error, in the reader's language when it is rendered."""
    return LazyString(
        lambda: _l(
            "This filter cannot be used: %(problem)s",
            problem=exc.message_in(normalise_locale(str(get_locale()))),
        )
    )


def clean_definition(runtime: FormRuntime, raw: Mapping[str, Any]) -> dict[str, Any]:
    """A view definition checked against the form: allow-listed keys, known fields only.

    Raises:
        Invalid: a field the form does not have, a malformed filter, a bad page size.
    """
    search = raw.get("search") or ""
    if not isinstance(search, str):
        raise Invalid(_l("The search must be text."), field="search")
    search = " ".join(search.split())
    if len(search) > SEARCH_MAX:
        raise Invalid(_l("Use at most %(count)d characters.", count=SEARCH_MAX), field="search")

    condition = raw.get("filter")
    filter_fields: list[str] = []
    if condition is not None:
        if len(json.dumps(condition)) > FILTER_MAX_CHARS:
            raise Invalid(_l("This filter is too large to save."), field="filter")
        try:
            parsed = parse_condition(condition, fields=runtime.kinds)
        except ConditionError as exc:
            raise Invalid(condition_problem(exc), field="filter") from exc
        filter_fields = sorted(referenced_fields(parsed))

    sorts = []
    for sort in _list(raw.get("sorts"), "sorts")[:MAX_SORTS]:
        if not isinstance(sort, Mapping) or not isinstance(sort.get("key"), str):
            raise Invalid(_l("A sort must name a field."), field="sorts")
        key = sort["key"]
        if key not in runtime.kinds and key not in BUILTIN_SORTS:
            raise Invalid(_l("Unknown sort field “%(key)s”.", key=key), field="sorts")
        if any(existing["key"] == key for existing in sorts):
            continue
        sorts.append({"key": key, "descending": bool(sort.get("descending"))})

    columns: list[str] = []
    for key in _list(raw.get("columns"), "columns")[:MAX_COLUMNS]:
        if not isinstance(key, str) or (key not in runtime.kinds and key not in BUILTIN_COLUMNS):
            raise Invalid(_l("Unknown column “%(key)s”.", key=str(key)[:50]), field="columns")
        if key not in columns:
            columns.append(key)

    page_size = raw.get("page_size") or PAGE_SIZES[0]
    if page_size not in PAGE_SIZES:
        raise Invalid(_l("Choose 20, 50 or 100 records per page."), field="page_size")
    return {
        "search": search,
        "filter": condition,
        "sorts": sorts,
        "columns": columns,
        "page_size": page_size,
        "filter_fields": filter_fields,
    }


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(_l("Some of what you entered is not valid."), field=field)
    return value


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid(_l("Enter a name for the view."), field="name")
    if len(name) > NAME_MAX:
        raise Invalid(_l("Use at most %(count)d characters.", count=NAME_MAX), field="name")
    return name


def can_edit(actor: Actor, view: SavedView) -> bool:
    """Owners edit their personal views; admins edit shared views."""
    if view.owner_id is None:
        return actor.role.at_least(Role.ADMIN)
    return view.owner_id == actor.user_id


def list_views(session: Session, actor: Actor, form: Form) -> list[SavedView]:
    """Shared views of the form, then the actor's own, each by name."""
    query = (
        scoped(SavedView, actor)
        .where(
            SavedView.form_id == form.id,
            or_(SavedView.owner_id.is_(None), SavedView.owner_id == actor.user_id),
        )
        .order_by(SavedView.owner_id.is_not(None), SavedView.name, SavedView.id)
    )
    return list(session.scalars(query))


def get_view(session: Session, actor: Actor, form: Form, view_id: int) -> SavedView:
    """A view the actor may use: shared, or their own. Others' personal views are hidden."""
    view = _in_workspace(session, actor, form, view_id)
    if view.owner_id not in (None, actor.user_id):
        raise NotFound(_l("This view does not exist."))
    return view


def _in_workspace(session: Session, actor: Actor, form: Form, view_id: int) -> SavedView:
    view = session.scalar(
        scoped(SavedView, actor).where(SavedView.id == view_id, SavedView.form_id == form.id)
    )
    if view is None:
        raise NotFound(_l("This view does not exist."))
    return view


def _editable(session: Session, actor: Actor, form: Form, view_id: int) -> SavedView:
    view = _in_workspace(session, actor, form, view_id)
    if not can_edit(actor, view):
        raise Forbidden(
            _l(
                "Only its owner can change a personal view, and only admins "
                "can change shared views."
            )
        )
    return view


def _check_unique(
    session: Session,
    actor: Actor,
    form: Form,
    name: str,
    owner_id: int | None,
    exclude: int | None = None,
) -> None:
    query = scoped(SavedView, actor).where(SavedView.form_id == form.id)
    query = query.where(
        SavedView.owner_id.is_(None) if owner_id is None else SavedView.owner_id == owner_id
    )
    for other in session.scalars(query):
        if other.id != exclude and other.name.casefold() == name.casefold():
            raise Conflict(_l("A view named “%(name)s” already exists.", name=name), field="name")


def create_view(
    session: Session,
    actor: Actor,
    form: Form,
    name: str,
    definition: Mapping[str, Any],
    *,
    shared: bool = False,
) -> SavedView:
    """Save a list state as a view; shared views need an admin.

    Raises:
        Forbidden: a non-admin asked for a shared view.
        Invalid: a bad name or definition. Conflict: the name is taken.
    """
    if shared:
        actor.require(Role.ADMIN)
    runtime = runtime_for(session, form)
    name = _clean_name(name)
    cleaned = clean_definition(runtime, definition)
    owner_id = None if shared else actor.user_id
    _check_unique(session, actor, form, name, owner_id)
    view = SavedView(
        workspace_id=actor.workspace_id,
        form_id=form.id,
        owner_id=owner_id,
        name=name,
        definition=cleaned,
    )
    session.add(view)
    session.flush()
    if shared:
        audit.record(
            session,
            "view.created",
            actor_id=actor.user_id,
            workspace_id=actor.workspace_id,
            target=name,
            form=form.id,
            view=view.id,
        )
    indexes.sync_indexes(session, runtime)
    session.commit()
    return view


def update_view(
    session: Session,
    actor: Actor,
    form: Form,
    view_id: int,
    *,
    name: str | None = None,
    definition: Mapping[str, Any] | None = None,
) -> SavedView:
    """Rename a view and/or replace its definition.

    Raises:
        NotFound: not a view of this form in the workspace. Forbidden: not the actor's to
            change. Invalid / Conflict: as ``create_view``.
    """
    view = _editable(session, actor, form, view_id)
    runtime = runtime_for(session, form)
    if name is not None:
        cleaned_name = _clean_name(name)
        _check_unique(session, actor, form, cleaned_name, view.owner_id, exclude=view.id)
        view.name = cleaned_name
    if definition is not None:
        view.definition = clean_definition(runtime, definition)
    session.flush()
    if view.owner_id is None:
        audit.record(
            session,
            "view.updated",
            actor_id=actor.user_id,
            workspace_id=actor.workspace_id,
            target=view.name,
            form=form.id,
            view=view.id,
        )
    indexes.sync_indexes(session, runtime)
    session.commit()
    return view


def delete_view(session: Session, actor: Actor, form: Form, view_id: int) -> None:
    """Delete a view; indexes only it needed are dropped.

    Raises:
        NotFound / Forbidden: as ``update_view``.
    """
    view = _editable(session, actor, form, view_id)
    if view.owner_id is None:
        audit.record(
            session,
            "view.deleted",
            actor_id=actor.user_id,
            workspace_id=actor.workspace_id,
            target=view.name,
            form=form.id,
        )
    session.delete(view)
    session.flush()
    indexes.sync_indexes(session, runtime_for(session, form))
    session.commit()

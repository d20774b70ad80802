"""The records list of a form (数据列表): search, filter, sort, columns, pages, recycle bin
and saved views.

The list state lives in the query string (see ``list_state``) so every list is linkable
and the back button works. Filtering, sorting and paging run in SQL
(``record_query.list_records``); the page script only builds query strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from form_engine.conditions import ConditionError
from form_engine.dialect import label
from form_engine.fields import field_type
from form_engine.fields.choice import option_title
from form_engine.messages import normalise_locale
from formwork import db
from formwork.models import Form, Record, Role, SavedView
from formwork.services import apps, saved_views
from formwork.services.errors import InputError, Invalid, NotFound
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.record_query import PAGE_SIZES, ListQuery, list_records
from formwork.services.survey_catalog import survey_forms_for
from formwork.web.context import current_actor, workspace_view
from formwork.web.list_state import (
    STATE_KEYS,
    FormArgs,
    Links,
    ListState,
    int_arg,
    read_state,
    state_of_view,
)

bp = Blueprint("lists", __name__, url_prefix="/w/<int:workspace_id>/forms/<int:form_id>")

DEFAULT_COLUMNS = 6


def _locale() -> str:
    return normalise_locale(str(get_locale()))


def field_entries(runtime: FormRuntime, locale: str) -> list[dict[str, Any]]:
    """Fields for the column chooser and the condition editor (layout items left out)."""
    result = []
    for key, schema, kind in runtime.compiled.fields:
        if key not in runtime.kinds:
            continue
        entry: dict[str, Any] = {
            "key": key,
            "title": label(schema, locale, key),
            "kind": runtime.kinds[key],
            "type": kind.key,
        }
        values = schema.get("enum") or (schema.get("items") or {}).get("enum")
        if kind.key in ("select", "multiselect") and isinstance(values, list):
            entry["options"] = [
                {"value": v, "title": option_title(schema, v, locale)} for v in values
            ]
        result.append(entry)
    return result


def _columns(state: ListState, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_key = {f["key"]: f for f in fields}
    builtin = {"_created_at": _("Created"), "_updated_at": _("Updated")}
    chosen = [key for key in state.columns if key in by_key or key in builtin]
    if not chosen:
        chosen = [f["key"] for f in fields[:DEFAULT_COLUMNS]]
    return [
        by_key.get(key)
        or {"key": key, "title": builtin[key], "kind": "datetime", "type": "datetime"}
        for key in chosen
    ]


def _cells(
    records: list[Record],
    columns: list[dict[str, Any]],
    runtime: FormRuntime,
    locale: str,
    tz: ZoneInfo,
) -> list[list[str]]:
    schemas = {key: schema for key, schema, _kind in runtime.compiled.fields}
    rows = []
    for record in records:
        row = []
        for column in columns:
            key = column["key"]
            if key in ("_created_at", "_updated_at"):
                moment = record.created_at if key == "_created_at" else record.updated_at
                value: Any = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            else:
                value = record.data.get(key)
            kind = field_type(column["type"])
            row.append(kind.format(value, locale, schemas.get(key), tz=tz))
        rows.append(row)
    return rows


def _timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _current_view(form: Form) -> tuple[SavedView | None, str | None]:
    view_id = int_arg(request.args.get("view"), 0)
    if not request.args.get("view"):
        return None, None
    try:
        return saved_views.get_view(db.session(), current_actor(), form, view_id), None
    except NotFound as exc:
        return None, str(exc.message)


@bp.get("/")
@workspace_view()
def index(form_id: int) -> tuple[str, int] | str:
    """The records of a form: a server-rendered table the page script enhances."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    if form.published_version is None:
        raise NotFound(_("This form is not published yet."))
    runtime = runtime_for(session, form)
    locale = _locale()
    view, view_error = _current_view(form)
    state = read_state(request.args, state_of_view(view))
    if state.deleted:
        actor.require(Role.MEMBER)
    fields = field_entries(runtime, locale)
    error = view_error or state.filter_error
    page = None
    if error is None:
        query = ListQuery(
            search=state.search,
            condition=state.condition,
            sorts=state.sorts,
            page=state.page,
            page_size=state.page_size,
            deleted=state.deleted,
        )
        try:
            page = list_records(session, actor, form, query)
        except Invalid as exc:
            cause = exc.__cause__
            error = str(
                saved_views.condition_problem(cause)
                if isinstance(cause, ConditionError)
                else exc.message
            )
        except ConditionError as exc:  # compiles only for one event (changed, was)
            error = str(saved_views.condition_problem(exc))
    columns = _columns(state, fields)
    records = page.records if page else []
    links = Links(actor.workspace_id, form.id, state)
    views = saved_views.list_views(session, actor, form)
    return render_template(
        "lists/index.html",
        form=form,
        form_title=label(runtime.document, locale, form.title),
        state=state,
        page=page,
        records=records,
        error=error,
        columns=columns,
        fields=fields,
        rows=_cells(records, columns, runtime, locale, _timezone(actor.workspace.timezone)),
        links=links,
        views=views,
        view=state.view,
        view_modified=state.view is not None and state.values() != links.base.values(),
        can_edit_view=state.view is not None and saved_views.can_edit(actor, state.view),
        can_write=actor.role.at_least(Role.MEMBER),
        is_admin=actor.role.at_least(Role.ADMIN),
        # Surveys that can be sent about the selected records ("Send survey…").
        survey_forms=survey_forms_for(session, actor, form)
        if actor.role.at_least(Role.MEMBER) and not state.deleted
        else [],
        editor_strings=condition_editor_strings(),
        page_sizes=PAGE_SIZES,
        sort_index={s.key: (i, s.descending) for i, s in enumerate(state.sorts)},
    ), (422 if error else 200)


def _definition(form: Mapping[str, str]) -> dict[str, Any]:
    """A view definition from the hidden state fields of a posted form."""
    state = read_state(FormArgs(form), ListState())
    if state.filter_error:
        raise Invalid(state.filter_error, field="filter")
    return {
        "search": state.search,
        "filter": state.condition,
        "sorts": [{"key": s.key, "descending": s.descending} for s in state.sorts],
        "columns": list(state.columns),
        "page_size": state.page_size,
    }


def _back(form: Form, view: SavedView | None = None) -> Response:
    """To the saved view, else to the list the form was posted from (a local URL only)."""
    home = url_for("lists.index", workspace_id=form.workspace_id, form_id=form.id)
    if view is not None:
        return redirect(
            url_for("lists.index", workspace_id=form.workspace_id, form_id=form.id, view=view.id)
        )
    back = request.form.get("back", "")
    return redirect(back if back.startswith(home) and "//" not in back else home)


@bp.post("/views")
@workspace_view()
def create_view(form_id: int) -> Response:
    """Save the list state as a personal view, or a shared one (admins)."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    posted = {k: request.form.get(k, "") for k in STATE_KEYS}
    try:
        view = saved_views.create_view(
            session,
            actor,
            form,
            request.form.get("name", ""),
            _definition(posted),
            shared=request.form.get("shared") == "1",
        )
    except InputError as exc:
        flash(str(exc.message), "danger")
        return _back(form)
    flash(_("View “%(name)s” saved.", name=view.name), "success")
    return _back(form, view)


@bp.post("/views/<int:view_id>")
@workspace_view()
def update_view(form_id: int, view_id: int) -> Response:
    """Replace a view's settings with the list state, or rename it."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    try:
        definition = None
        if "size" in request.form:
            definition = _definition({k: request.form.get(k, "") for k in STATE_KEYS})
        view = saved_views.update_view(
            session, actor, form, view_id, name=request.form.get("name"), definition=definition
        )
    except InputError as exc:
        flash(str(exc.message), "danger")
        return _back(form)
    flash(_("View “%(name)s” updated.", name=view.name), "success")
    return _back(form, view)


@bp.post("/views/<int:view_id>/delete")
@workspace_view()
def delete_view(form_id: int, view_id: int) -> Response:
    """Delete a saved view."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    saved_views.delete_view(session, actor, form, view_id)
    flash(_("View deleted."), "success")
    return _back(form, None)


def condition_editor_strings() -> dict[str, str]:
    """The condition editor's UI strings in the current language (static/js/condition_editor.js).

    Pages that mount the editor pass this dict in a ``<script type="application/json">``.
    """
    return {
        "match": _("Match"),
        "all_of": _("all of the rules"),
        "any_of_rules": _("any of the rules"),
        "add_rule": _("Add rule"),
        "add_group": _("Add group"),
        "remove_rule": _("Remove rule"),
        "remove_group": _("Remove group"),
        "field": _("Field"),
        "operator": _("Operator"),
        "value": _("Value"),
        "from": _("From"),
        "to": _("To"),
        "and_word": _("and"),
        "or_word": _("or"),
        "days": _("days"),
        "choose_field": _("Choose a field…"),
        "choose_option": _("Choose…"),
        "no_rules": _("No rules yet: every record matches."),
        "group": _("Condition"),
        "tags_hint": _("Separate values with commas"),
        "too_complex": _(
            "This condition is too complex to edit here. It is shown as JSON and still applies."
        ),
        "start_over": _("Replace with a new condition"),
        "incomplete": _("Incomplete rules are ignored until they have a value."),
        "yes": _("Yes"),
        "no": _("No"),
        "op_eq": _("equals"),
        "op_ne": _("does not equal"),
        "op_contains": _("contains"),
        "op_is": _("is"),
        "op_is_not": _("is not"),
        "op_any_of": _("is any of"),
        "op_contains_any": _("contains any of"),
        "op_empty": _("is empty"),
        "op_not_empty": _("is not empty"),
        "op_lt": "<",
        "op_le": "≤",
        "op_gt": ">",
        "op_ge": "≥",
        "op_between": _("is between"),
        "op_on": _("is on"),
        "op_not_on": _("is not on"),
        "op_before": _("is before"),
        "op_on_or_before": _("is on or before"),
        "op_after": _("is after"),
        "op_on_or_after": _("is on or after"),
        "op_last_days": _("is within the last … days"),
        "op_older_days": _("is more than … days ago"),
        "op_is_true": _("is true"),
        "op_is_false": _("is false"),
        "desc_unary": _("{field} {op}"),
        "desc_binary": _("{field} {op} {value}"),
        "desc_between": _("{field} is between {value} and {value2}"),
        "desc_last_days": _("{field} is within the last {n} days"),
        "desc_older_days": _("{field} is more than {n} days ago"),
        "desc_list_sep": _(", "),
        "desc_none": _("Every record"),
        "desc_complex": _("A custom condition"),
    }

"""Record pages: new, show (with history), edit (with conflicts), delete and restore.

Views stay thin: the posted MultiDict becomes the engine's raw mapping
(``record_forms.raw_input``), the records service validates and stores, and its field
errors go back onto the WTForms fields in the user's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from form_engine.dialect import label
from form_engine.messages import normalise_locale
from formwork import db
from formwork.models import Form, Record, Role
from formwork.services import apps, attachments, automations, records, workspaces
from formwork.services.attachments import AttachmentRejected
from formwork.services.errors import NotFound, RecordInvalid, StaleRecord
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.record_query import ListQuery, list_records
from formwork.services.scope import Actor
from formwork.web import record_display
from formwork.web.context import current_actor, workspace_view
from formwork.web.customer_value import record_panel as value_panel
from formwork.web.record_forms import LinkChoices, RecordForm, form_class_for, input_data
from formwork.web.record_input import (
    RawInput,
    apply_errors,
    hidden_keys,
    input_values,
    page_config,
    raw_input,
    required_now,
)
from formwork.web.tasks import record_panel as task_panel

bp = Blueprint("records", __name__, url_prefix="/w/<int:workspace_id>/forms/<int:form_id>/records")

LINK_CHOICES_MAX = 500
_LINK_PAGE = 100


class ServiceChoices:
    """Member and link choices for one request, read through the services."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self._members: list[tuple[int, str]] | None = None
        self._forms: dict[str, Form] | None = None

    def members(self) -> list[tuple[int, str]]:
        if self._members is None:
            self._members = [
                (m.user_id, m.user.name) for m in workspaces.list_members(self.session, self.actor)
            ]
        return self._members

    def form(self, form_key: str) -> Form | None:
        if self._forms is None:
            self._forms = {f.key: f for f in apps.list_forms(self.session, self.actor)}
        found = self._forms.get(form_key)
        return found if found is not None and found.published_version is not None else None

    def records(self, form_key: str, include: Iterable[int] = ()) -> LinkChoices:
        """The newest live records of the linked form (at most 500), plus ``include``."""
        target = self.form(form_key)
        if target is None:
            return LinkChoices([], available=False)
        name_key = self._name_key(target)
        options: list[tuple[int, str]] = []
        truncated = False
        for number in range(1, LINK_CHOICES_MAX // _LINK_PAGE + 1):
            page = list_records(
                self.session, self.actor, target, ListQuery(page=number, page_size=_LINK_PAGE)
            )
            options += [(r.id, _record_label(r, name_key)) for r in page.records]
            if not page.has_next:
                break
        else:
            truncated = True
        known = {rid for rid, _text in options}
        for rid, text in self.labels(form_key, [i for i in include if i not in known]).items():
            options.append((rid, text))
        return LinkChoices(options, truncated=truncated)

    def labels(self, form_key: str, ids: Iterable[int]) -> dict[int, str]:
        """Labels of the given live records of the linked form (missing ones left out)."""
        target = self.form(form_key)
        found: dict[int, str] = {}
        if target is None:
            return found
        name_key = self._name_key(target)
        for rid in list(dict.fromkeys(ids))[:LINK_CHOICES_MAX]:
            try:
                record = records.get_record(self.session, self.actor, target, rid)
            except NotFound:
                continue
            found[rid] = _record_label(record, name_key)
        return found

    def _name_key(self, target: Form) -> str | None:
        runtime = runtime_for(self.session, target)
        return next((key for key, _s, kind in runtime.compiled.fields if kind.key == "text"), None)


def _record_label(record: Record, name_key: str | None) -> str:
    text = record.data.get(name_key) if name_key else None
    return f"{text} · #{record.id}" if isinstance(text, str) and text else f"#{record.id}"


def _locale() -> str:
    return normalise_locale(str(get_locale()))


def _published(session: Session, actor: Actor, form_id: int) -> tuple[Form, FormRuntime]:
    form = apps.get_form(session, actor, form_id)
    if form.published_version is None:
        raise NotFound(_l("This form is not published yet."))
    return form, runtime_for(session, form)


def _show_url(form: Form, record_id: int) -> str:
    return url_for(
        "records.show", workspace_id=form.workspace_id, form_id=form.id, record_id=record_id
    )


@bp.route("/new", methods=["GET", "POST"])
@workspace_view(Role.MEMBER)
def new(form_id: int) -> tuple[str, int] | Response:
    """Enter a new record (提交数据)."""
    actor, session, locale = current_actor(), db.session(), _locale()
    form, runtime = _published(session, actor, form_id)
    form_class = form_class_for(runtime, locale, ServiceChoices(session, actor))
    page = form_class(data=input_data(form_class.specs, runtime.compiled.defaults()))
    general: list[str] = []
    status = 200
    if page.validate_on_submit():
        posted = raw_input(page.specs, request.form)
        files = _uploads(form, page, {})
        try:
            if files.problems:
                status = _refuse_files(page, files)
                raise _NotSaved
            record = records.create_record(
                session, actor, form, {**posted.values, **files.values}, source="html"
            )
        except _NotSaved:
            pass
        except RecordInvalid as exc:
            attachments.discard(form.workspace_id, files.added)
            general = apply_errors(page, exc.errors, locale, posted.rows)
            flash(str(exc.message), "danger")
            status = 422
        else:
            flash(_("Record #%(id)s saved.", id=record.id), "success")
            return redirect(_show_url(form, record.id))
    data = _page_values(runtime, page, runtime.compiled.defaults())
    return render_template(
        "records/new.html", **_form_context(form, runtime, page, data, locale), general=general
    ), status


@bp.get("/<int:record_id>/")
@workspace_view()
def show(form_id: int, record_id: int) -> str:
    """A record's values and its history; deleted records can be restored."""
    actor, session, locale = current_actor(), db.session(), _locale()
    form, runtime = _published(session, actor, form_id)
    record = records.get_record(session, actor, form, record_id, include_deleted=True)
    choices = ServiceChoices(session, actor)
    shown = record_display.shown_fields(
        runtime,
        record.data,
        locale,
        choices,
        _url_for_record,
        file_url=lambda file_id: url_for(
            "records.attachment",
            workspace_id=form.workspace_id,
            form_id=form.id,
            record_id=record.id,
            file_id=file_id,
        ),
    )
    members = dict(choices.members())
    history = record_display.history(
        runtime, records.revisions(session, actor, record), locale, members
    )
    return render_template(
        "records/show.html",
        form=form,
        form_title=label(runtime.document, locale, form.title),
        record=record,
        shown=shown,
        history=history,
        can_edit=actor.role.at_least(Role.MEMBER),
        owner=members.get(record.owner_id or 0),
        creator=members.get(record.created_by_id or 0),
        **automations.record_panel(session, actor, form, record),
        **task_panel(session, actor, record),
        **value_panel(session, actor, form, record),
    )


@bp.route("/<int:record_id>/edit", methods=["GET", "POST"])
@workspace_view(Role.MEMBER)
def edit(form_id: int, record_id: int) -> tuple[str, int] | Response:
    """Change a record; a save based on an old version shows a conflict, never overwrites."""
    actor, session, locale = current_actor(), db.session(), _locale()
    form, runtime = _published(session, actor, form_id)
    record = records.get_record(session, actor, form, record_id)
    choices = ServiceChoices(session, actor)
    form_class = form_class_for(runtime, locale, choices)
    stored = dict(record.data)
    page = form_class(
        data={**input_data(form_class.specs, stored), "version_field": record.version}
    )
    general: list[str] = []
    conflict: list[record_display.ConflictRow] | None = None
    status = 200
    if page.validate_on_submit():
        posted = raw_input(page.specs, request.form)
        files = _uploads(form, page, stored)
        try:
            if files.problems:
                status = _refuse_files(page, files)
                raise _NotSaved
            records.update_record(
                session,
                actor,
                form,
                record.id,
                {**posted.values, **files.values},
                expected_version=_int(page.version_field.data),
                source="html",
            )
        except _NotSaved:
            pass
        except RecordInvalid as exc:
            attachments.discard(form.workspace_id, files.added)
            general = apply_errors(page, exc.errors, locale, posted.rows)
            flash(str(exc.message), "danger")
            status = 422
        except StaleRecord as exc:
            attachments.discard(form.workspace_id, files.added)
            conflict = _conflict(runtime, exc, posted, locale, dict(choices.members()))
            page.version_field.data = str(exc.current_version)
            page.version_field.raw_data = [str(exc.current_version)]
            status = 409
        else:
            flash(_("Record #%(id)s saved.", id=record.id), "success")
            return redirect(_show_url(form, record.id))
    data = _page_values(runtime, page, stored)
    return render_template(
        "records/edit.html",
        **_form_context(form, runtime, page, data, locale),
        record=record,
        general=general,
        conflict=conflict,
    ), status


@bp.get("/<int:record_id>/files/<file_id>")
@workspace_view()
def attachment(form_id: int, record_id: int, file_id: str) -> Response:
    """Download a file of one of the record's attachment fields (never shown inline)."""
    actor, session = current_actor(), db.session()
    form, runtime = _published(session, actor, form_id)
    record = records.get_record(session, actor, form, record_id, include_deleted=True)
    keys = [key for key, _s, kind in runtime.compiled.fields if kind.key == "attachment"]
    item = attachments.find(record.data, keys, file_id)
    path = attachments.path_for(form.workspace_id, file_id)
    if not path.is_file():
        raise NotFound(_l("This file does not exist."))
    response = send_file(
        path,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=attachments.clean_name(item.get("name")),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/<int:record_id>/delete")
@workspace_view(Role.MEMBER)
def delete(form_id: int, record_id: int) -> Response:
    """Move a record to the recycle bin (restorable)."""
    actor, session = current_actor(), db.session()
    form = apps.get_form(session, actor, form_id)
    records.delete_record(session, actor, form, record_id)
    flash(_("Record #%(id)s deleted. You can restore it from this page.", id=record_id), "info")
    return redirect(_show_url(form, record_id))


@bp.post("/<int:record_id>/restore")
@workspace_view(Role.MEMBER)
def restore(form_id: int, record_id: int) -> Response:
    """Bring a deleted record back."""
    actor, session = current_actor(), db.session()
    form = apps.get_form(session, actor, form_id)
    records.restore_record(session, actor, form, record_id)
    flash(_("Record #%(id)s restored.", id=record_id), "success")
    return redirect(_show_url(form, record_id))


class _NotSaved(Exception):
    """The post is refused before the records service is asked (a bad upload)."""


class _Uploads:
    """Attachment values for the engine: kept stored files plus the new uploads."""

    def __init__(self) -> None:
        self.values: dict[str, list[dict[str, Any]]] = {}
        self.added: list[dict[str, Any]] = []
        self.problems: dict[str, list[str]] = {}


def _uploads(form: Form, page: RecordForm, stored: Mapping[str, Any]) -> _Uploads:
    """Store the files posted for each attachment field; a refused one stores nothing.

    Stored files stay unless their ``<key>-remove`` box is ticked; only ids already in
    the record are kept, so a post can never point at a file it did not upload.
    """
    result = _Uploads()
    for spec in page.specs:
        if spec.type != "attachment" or spec.schema.get("readOnly"):
            continue
        removed = set(request.form.getlist(f"{spec.key}-remove"))
        existing = stored.get(spec.key)
        kept = [
            dict(item)
            for item in (existing if isinstance(existing, list) else ())
            if isinstance(item, Mapping) and str(item.get("id")) not in removed
        ]
        added: list[dict[str, Any]] = []
        for upload in request.files.getlist(spec.key):
            if not upload.filename:
                continue  # the empty part a browser sends when no file is chosen
            try:
                item = attachments.store(
                    form.workspace_id, upload.stream, upload.filename, upload.mimetype
                )
            except AttachmentRejected as exc:
                result.problems.setdefault(spec.key, []).append(str(exc.message))
            else:
                added.append(item)
        result.added += added
        result.values[spec.key] = kept + added
    if result.problems:
        attachments.discard(form.workspace_id, result.added)
        result.added = []
    return result


def _refuse_files(page: RecordForm, files: _Uploads) -> int:
    for spec in page.specs:
        messages = files.problems.get(spec.key)
        bound = page.field_of(spec)
        if messages and bound is not None:
            page.problems.setdefault(bound.name, []).extend(messages)
            bound.errors = [*bound.errors, *messages]
    flash(_("The record was not saved: a file could not be accepted."), "danger")
    return 422


def _url_for_record(form: Form, record_id: int) -> str:
    return _show_url(form, record_id)


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1


def _page_values(runtime: FormRuntime, page: RecordForm, stored: dict[str, Any]) -> dict[str, Any]:
    """The input values the page shows: what was posted, else the stored ones."""
    if request.method == "POST":
        return input_values(runtime, raw_input(page.specs, request.form).values)
    computed = {key for key, _s, kind in runtime.compiled.fields if kind.computed}
    return {key: value for key, value in stored.items() if key not in computed}


def _form_context(
    form: Form, runtime: FormRuntime, page: RecordForm, data: dict[str, Any], locale: str
) -> dict[str, Any]:
    hidden = hidden_keys(runtime, data)
    return {
        "form": form,
        "form_title": label(runtime.document, locale, form.title),
        "page": page,
        "hidden": hidden,
        "required_now": required_now(runtime, data, hidden),
        "config": page_config(runtime, page.specs),
    }


def _conflict(
    runtime: FormRuntime,
    exc: StaleRecord,
    posted: RawInput,
    locale: str,
    members: dict[int, str],
) -> list[record_display.ConflictRow]:
    mine = input_values(runtime, posted.values)
    hidden = hidden_keys(runtime, mine)
    attempted = {key: value for key, value in mine.items() if key not in hidden}
    return record_display.conflict_rows(runtime, exc.current, attempted, locale, members)

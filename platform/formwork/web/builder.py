"""The form designer (表单设计器): the page, and the JSON endpoints its script calls.

JSON requests carry the CSRF token in the ``X-CSRFToken`` header (CSRFProtect checks it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from form_engine.interop import export_json_schema
from form_engine.messages import normalise_locale
from formwork import db
from formwork.models import Form, Role
from formwork.services import apps, designer, publishing
from formwork.services.errors import Conflict, InputError, NotFound
from formwork.web.context import current_actor, workspace_view

bp = Blueprint("builder", __name__, url_prefix="/w/<int:workspace_id>/forms/<int:form_id>/design")


def _locale() -> str:
    return normalise_locale(str(get_locale()))


@bp.get("/")
@workspace_view(Role.ADMIN)
def edit(form_id: int) -> str:
    """The designer page; its script loads the state from ``state``."""
    form = apps.get_form(db.session(), current_actor(), form_id)
    return render_template(
        "builder/edit.html",
        form=form,
        locale=_locale(),
        editor_strings=_condition_editor_strings(),
        conditions_js=_static_exists("js/conditions.js"),
    )


@bp.get("/state")
@workspace_view(Role.ADMIN)
def state(form_id: int) -> Response:
    """The draft, the palette, published keys and the other forms (for relation pickers)."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    locale = _locale()
    return jsonify(
        {
            "form": {
                "id": form.id,
                "key": form.key,
                "title": form.title,
                "published_version": form.published_version,
            },
            "draft": form.draft,
            "draft_revision": form.draft_revision,
            "field_types": designer.catalogue(locale),
            "functions": designer.functions(),
            "published": publishing.published_document(session, form),
            "published_keys": designer.published_keys(session, form),
            "published_options": designer.published_options(session, form),
            "forms": designer.workspace_forms(session, actor, locale),
            "records_url": _records_url(form),
        }
    )


@bp.put("/draft")
@workspace_view(Role.ADMIN)
def save_draft(form_id: int) -> Response | tuple[Response, int]:
    """Save the working document (optimistic: the revision it was based on)."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    body = _json_body()
    try:
        revision = publishing.save_draft(
            session, actor, form, body.get("document"), _int(body.get("draft_revision"))
        )
    except InputError as exc:
        return _input_error(exc)
    return jsonify({"draft_revision": revision})


@bp.post("/check")
@workspace_view(Role.ADMIN)
def check(form_id: int) -> Response:
    """Every problem of a working document (not saved), per field, for live feedback."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    problems = designer.check_document(
        session, actor, form, _json_body().get("document"), _locale()
    )
    return jsonify({"ok": not problems, "problems": [p.as_dict() for p in problems]})


@bp.post("/check-formula")
@workspace_view(Role.ADMIN)
def check_formula(form_id: int) -> Response:
    """Parse one formula against the working document's fields."""
    apps.get_form(db.session(), current_actor(), form_id)
    body = _json_body()
    key = body.get("key") if isinstance(body.get("key"), str) else None
    return jsonify(
        designer.check_formula(body.get("document"), key, body.get("formula"), _locale())
    )


@bp.post("/preview")
@workspace_view(Role.ADMIN)
def preview(form_id: int) -> Response:
    """What publishing the saved draft would do: problems, changes, effect on records."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    result = publishing.preview(session, actor, form, _locale()).as_dict()
    problems = _design_problems(form)
    if problems:
        # The designer's checks cover the dialect's and say more; keep the service's others.
        seen = {(p["path"], p["message"]) for p in problems}
        paths = [p["path"] + "/" for p in problems]
        others = [
            p
            for p in result["problems"]
            if (p["path"], p["message"]) not in seen
            and not any(p["path"].startswith(path) for path in paths)
        ]
        result["problems"] = problems + others
        result["ok"] = False
    return jsonify(result)


@bp.post("/publish")
@workspace_view(Role.ADMIN)
def publish(form_id: int) -> Response | tuple[Response, int]:
    """Publish the saved draft as the next version."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    body = _json_body()
    revision = _int(body.get("draft_revision"))
    problems = _design_problems(form) if revision == form.draft_revision else []
    if problems:
        return jsonify(
            {
                "error": {"message": problems[0]["message"], "field": "document"},
                "problems": problems,
            }
        ), 422
    try:
        version = publishing.publish(session, actor, form, revision, _locale())
    except InputError as exc:
        return _input_error(exc)
    return jsonify({"version": version.version, "records_url": _records_url(form)})


def _design_problems(form: Form) -> list[dict[str, Any]]:
    problems = designer.check_document(db.session(), current_actor(), form, form.draft, _locale())
    return [p.as_dict() for p in problems]


def _condition_editor_strings() -> dict[str, str]:
    """The shared condition editor's strings (owned by the list pages), worded for fields."""
    try:
        from formwork.web.lists import condition_editor_strings
    except ImportError:  # the editor falls back to its English defaults
        strings: dict[str, str] = {}
    else:
        strings = dict(condition_editor_strings())
    strings["no_rules"] = _("No rules yet.")
    strings["desc_none"] = _("Always")
    return strings


def _static_exists(name: str) -> bool:
    folder = current_app.static_folder
    return bool(folder) and (Path(folder) / name).is_file()


def _records_url(form: Form) -> str | None:
    if not form.published_version:
        return None
    try:
        return url_for("lists.index", workspace_id=form.workspace_id, form_id=form.id)
    except BuildError:  # the records list is not installed in this build
        return None


def _input_error(exc: InputError) -> tuple[Response, int]:
    status = 409 if isinstance(exc, Conflict) else 422
    return jsonify({"error": {"message": str(exc.message), "field": exc.field}}), status


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


@bp.get("/export.json")
@workspace_view(Role.ADMIN)
def export_schema(form_id: int) -> Response:
    """The published form as a plain JSON Schema (2020-12) file."""
    actor = current_actor()
    session = db.session()
    form = apps.get_form(session, actor, form_id)
    document = publishing.published_document(session, form)
    if document is None:
        raise NotFound(_l("This form is not published yet."))
    response = jsonify(export_json_schema(document))
    response.headers["Content-Disposition"] = f'attachment; filename="{form.key}.schema.json"'
    return response

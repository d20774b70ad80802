"""Tier scheme pages (客户分层): the list, the editor with its JSON endpoints (save,
preview), the "Apply now" confirmation and the history of tier changes.

Everyone in the workspace may look at schemes and preview them; only owners and admins
save, archive and apply (the services check it again). JSON requests carry the CSRF token
in the ``X-CSRFToken`` header; HTML forms post it as a field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from form_engine.dialect import label
from form_engine.messages import normalise_locale
from formwork import db
from formwork.models import Role, TierScheme
from formwork.services import apps
from formwork.services.errors import Conflict, InputError, PlatformError
from formwork.services.form_runtime import runtime_for
from formwork.value import tiers
from formwork.value.catalog import CHURN_STATUSES, METRIC_PREFIX, METRICS, SEGMENTS
from formwork.value.tier_documents import TARGET_TYPES, CompiledScheme, SchemeProblems
from formwork.value.tier_sql import TierPreview
from formwork.value.tier_sql import preview as preview_sql
from formwork.web.context import current_actor, workspace_view
from formwork.web.lists import condition_editor_strings, field_entries

bp = Blueprint("tiers", __name__, url_prefix="/w/<int:workspace_id>/tiers")

SCHEDULE_PRESETS = {"daily": "0 4 * * *", "weekly": "0 4 * * mon"}


def _locale() -> str:
    return normalise_locale(str(get_locale()))


def source_names() -> dict[str, str]:
    return {
        "apply": _("Applied by hand"),
        "schedule": _("On schedule"),
        "automation": _("By an automation"),
        "metrics": _("Customer figures"),
    }


def schedule_text(cron: str | None) -> str:
    """The schedule in words where it is a preset, else the crontab line."""
    if not cron:
        return _("By hand only")
    if cron == SCHEDULE_PRESETS["daily"]:
        return _("Every day at 04:00")
    if cron == SCHEDULE_PRESETS["weekly"]:
        return _("Every Monday at 04:00")
    return _("Schedule “%(cron)s”", cron=cron)


def tier_title(entry: dict[str, Any], locale: str) -> str:
    names = entry.get("name") if isinstance(entry.get("name"), dict) else {}
    other = "en" if locale == "zh-CN" else "zh-CN"
    return str(names.get(locale) or names.get(other) or entry.get("key") or "")


def scheme_title(scheme: TierScheme, locale: str) -> str:
    zh = (scheme.titles or {}).get("zh-CN")
    return str(zh) if locale == "zh-CN" and zh else scheme.name


def scheme_tiers(scheme: TierScheme, locale: str) -> list[dict[str, Any]]:
    """The scheme's tiers in order (the fallback last) with titles and colours."""
    doc = scheme.document or {}
    entries = [*(doc.get("tiers") or []), doc.get("fallback") or {}]
    return [
        {
            "key": str(entry.get("key") or ""),
            "title": tier_title(entry, locale),
            "color": entry.get("color") or "#6c757d",
            "fallback": index == len(entries) - 1,
        }
        for index, entry in enumerate(entries)
        if isinstance(entry, dict)
    ]


# -- the data the editor needs ----------------------------------------------------------
def metric_entries() -> list[dict[str, Any]]:
    """The metrics as condition editor fields: ``metrics.<name>`` with their labels."""
    options = {
        "rfm_segment": [{"value": k, "title": str(v)} for k, v in SEGMENTS.items()],
        "churn_status": [{"value": k, "title": str(v)} for k, v in CHURN_STATUSES.items()],
    }
    entries = []
    for metric in METRICS:
        entry: dict[str, Any] = {
            "key": METRIC_PREFIX + metric.name,
            "title": _("Metrics \u203a %(metric)s", metric=str(metric.label)),
            "kind": metric.kind,
            "type": metric.kind,
        }
        if metric.name in options:
            entry["type"] = "select"
            entry["options"] = options[metric.name]
        entries.append(entry)
    return entries


def _forms_payload(locale: str) -> list[dict[str, Any]]:
    session = db.session()
    result = []
    for form in apps.list_forms(session, current_actor()):
        if form.published_version is None:
            continue
        runtime = runtime_for(session, form)
        fields = field_entries(runtime, locale)
        targets = [
            {"key": key, "title": label(schema, locale, key), "type": kind.key}
            | ({"options": schema.get("enum")} if kind.key == "select" else {})
            for key, schema, kind in runtime.compiled.fields
            if kind.key in TARGET_TYPES and not kind.computed and not schema.get("readOnly")
        ]
        result.append(
            {
                "id": form.id,
                "key": form.key,
                "title": label(runtime.document, locale, form.title),
                "fields": fields,
                "targets": targets,
            }
        )
    return result


def _scheme_json(scheme: TierScheme | None) -> dict[str, Any] | None:
    if scheme is None:
        return None
    return {
        "id": scheme.id,
        "key": scheme.key,
        "name": scheme.name,
        "titles": scheme.titles or {},
        "form_id": scheme.form_id,
        "field_key": scheme.field_key,
        "document": scheme.document,
        "schedule": scheme.schedule,
        "revision": scheme.revision,
        "archived": scheme.archived_at is not None,
    }


def _scheme_urls(scheme: TierScheme) -> dict[str, str]:
    wid, sid = scheme.workspace_id, scheme.id
    return {
        "save": url_for("tiers.update", workspace_id=wid, scheme_id=sid),
        "edit": url_for("tiers.edit", workspace_id=wid, scheme_id=sid),
        "apply": url_for("tiers.confirm_apply", workspace_id=wid, scheme_id=sid),
    }


def _editor(scheme: TierScheme | None) -> str:
    actor = current_actor()
    session = db.session()
    locale = _locale()
    wid = actor.workspace_id
    default = tiers.default_form(session, actor)
    data = {
        "scheme": _scheme_json(scheme),
        "forms": _forms_payload(locale),
        "metrics": metric_entries(),
        "default_form_id": default.id if default is not None else None,
        "presets": SCHEDULE_PRESETS,
        "can_edit": actor.role.at_least(Role.ADMIN),
        "urls": {
            "create": url_for("tiers.create", workspace_id=wid),
            "preview": url_for("tiers.preview", workspace_id=wid),
            "index": url_for("tiers.index", workspace_id=wid),
            **(_scheme_urls(scheme) if scheme else {}),
        },
    }
    history = tiers.scheme_history(session, actor, scheme.id) if scheme else []
    return render_template(
        "tiers/editor.html",
        scheme=scheme,
        data=data,
        editor_strings=condition_editor_strings(),
        locale=locale,
        history=history,
        tier_titles=_tier_titles(scheme, locale) if scheme else {},
        source_names=source_names(),
        can_edit=actor.role.at_least(Role.ADMIN),
    )


def _tier_titles(scheme: TierScheme, locale: str) -> dict[str, dict[str, Any]]:
    return {entry["key"]: entry for entry in scheme_tiers(scheme, locale)}


# -- pages ------------------------------------------------------------------------------
@bp.get("/")
@workspace_view()
def index() -> str:
    """Every tier scheme: target form and field, tiers as colour chips, schedule, last run."""
    actor = current_actor()
    session = db.session()
    locale = _locale()
    schemes = tiers.list_schemes(session, actor)
    forms = {form.id: form for form in apps.list_forms(session, actor)}
    targets = {}
    for scheme in schemes:
        form = forms.get(scheme.form_id)
        if form is None or form.published_version is None:
            continue
        runtime = runtime_for(session, form)
        schema = next((s for k, s, _kind in runtime.compiled.fields if k == scheme.field_key), {})
        targets[scheme.id] = (
            label(runtime.document, locale, form.title),
            label(schema, locale, scheme.field_key),
        )
    return render_template(
        "tiers/index.html",
        schemes=schemes,
        targets=targets,
        titles={s.id: scheme_title(s, locale) for s in schemes},
        chips={s.id: scheme_tiers(s, locale) for s in schemes},
        schedules={s.id: schedule_text(s.schedule) for s in schemes},
        can_edit=actor.role.at_least(Role.ADMIN),
    )


@bp.get("/new")
@workspace_view(Role.ADMIN)
def new() -> str:
    """The editor for a new scheme."""
    return _editor(None)


@bp.get("/<int:scheme_id>")
@workspace_view()
def edit(scheme_id: int) -> str:
    """A scheme in the editor (read-only below admin), with its latest tier changes."""
    return _editor(tiers.get_scheme(db.session(), current_actor(), scheme_id))


@bp.post("/")
@workspace_view(Role.ADMIN)
def create() -> Response | tuple[Response, int]:
    """Save a new scheme (JSON)."""
    return _save(None)


@bp.post("/<int:scheme_id>")
@workspace_view(Role.ADMIN)
def update(scheme_id: int) -> Response | tuple[Response, int]:
    """Save a new revision of a scheme (JSON, with the revision edited)."""
    return _save(scheme_id)


def _save(scheme_id: int | None) -> Response | tuple[Response, int]:
    body = _json_body()
    revision = body.get("revision")
    try:
        scheme = tiers.save_scheme(
            db.session(),
            current_actor(),
            scheme_id=scheme_id,
            revision=revision if isinstance(revision, int) else None,
            key=body.get("key"),
            name=body.get("name"),
            titles=body.get("titles"),
            form_id=body.get("form_id"),
            field_key=body.get("field_key"),
            document=body.get("document"),
            schedule=body.get("schedule") or None,
            locale=_locale(),
        )
    except InputError as exc:
        return _input_error(exc)
    return jsonify({"scheme": _scheme_json(scheme), "urls": _scheme_urls(scheme)})


@bp.post("/preview")
@workspace_view()
def preview() -> Response | tuple[Response, int]:
    """What the posted (unsaved) scheme would do now: counts, revenue, movers."""
    actor = current_actor()
    body = _json_body()
    form_id = body.get("form_id")
    draft = tiers.TierDraft(
        form_id if isinstance(form_id, int) else 0,
        str(body.get("field_key") or ""),
        body.get("document"),
    )
    try:
        compiled, result = tiers.preview_draft(db.session(), actor, draft, locale=_locale())
    except InputError as exc:
        return _input_error(exc)
    return jsonify(preview_json(compiled, result, _locale()))


def preview_json(compiled: CompiledScheme, result: TierPreview, locale: str) -> dict[str, Any]:
    """A preview for the page: tiers with titles and colours, movers with links."""
    titles = {tier.key: tier.title(locale) for tier in compiled.all_tiers}
    wid = compiled.form.workspace_id
    return {
        "total": result.total,
        "changed": result.changed,
        "up": result.up,
        "down": result.down,
        "new": result.new,
        "unassigned": result.unassigned,
        "unassigned_revenue": result.unassigned_revenue,
        "tiers": [
            {
                "key": count.key,
                "title": titles[count.key],
                "color": tier.color,
                "fallback": tier.condition is None,
                "current": count.current,
                "proposed": count.proposed,
                "current_revenue": count.current_revenue,
                "revenue": count.revenue,
            }
            for count, tier in zip(result.tiers, compiled.all_tiers, strict=True)
        ],
        "movers": [
            {
                "record_id": mover.record_id,
                "title": mover.title,
                "from": mover.from_tier,
                "from_title": titles.get(mover.from_tier or "", mover.from_tier),
                "to": mover.to_tier,
                "to_title": titles[mover.to_tier],
                "direction": mover.direction,
                "url": url_for(
                    "records.show",
                    workspace_id=wid,
                    form_id=compiled.form.id,
                    record_id=mover.record_id,
                ),
            }
            for mover in result.movers
        ],
    }


@bp.get("/<int:scheme_id>/apply")
@workspace_view(Role.ADMIN)
def confirm_apply(scheme_id: int) -> str | tuple[str, int]:
    """What "Apply now" will change, and the button that does it (POST, CSRF)."""
    actor = current_actor()
    session = db.session()
    locale = _locale()
    scheme = tiers.get_scheme(session, actor, scheme_id)
    problems: list[str] = []
    result: dict[str, Any] | None = None
    try:
        compiled = tiers.compiled_for(session, scheme)
    except SchemeProblems as exc:
        problems = [problem.message_in(locale) for problem in exc.problems]
    else:
        today = tiers.workspace_today(actor.workspace)
        counted = preview_sql(session, actor.workspace_id, compiled, today=today)
        result = preview_json(compiled, counted, locale)
    return render_template(
        "tiers/apply.html",
        scheme=scheme,
        title=scheme_title(scheme, locale),
        preview=result,
        problems=problems,
        money=lambda value: format_decimal(value, format="#,##0.##"),
    )


@bp.post("/<int:scheme_id>/apply")
@workspace_view(Role.ADMIN)
def apply(scheme_id: int) -> Response:
    """Apply the previewed revision of the scheme to every customer now."""
    actor = current_actor()
    revision = request.form.get("revision", "")
    try:
        result = tiers.apply_now(
            db.session(),
            actor,
            scheme_id,
            revision=int(revision) if revision.isdigit() else None,
            locale=_locale(),
        )
    except InputError as exc:
        flash(str(exc.message), "danger")
        return redirect(
            url_for("tiers.confirm_apply", workspace_id=actor.workspace_id, scheme_id=scheme_id)
        )
    if result.changed:
        flash(
            _(
                "Tiers applied: %(count)s customers changed tier (%(up)s up, %(down)s down, "
                "%(new)s new).",
                count=result.changed,
                up=result.up,
                down=result.down,
                new=result.new,
            ),
            "success",
        )
    else:
        flash(_("Tiers applied: every customer already had the right tier."), "success")
    return redirect(url_for("tiers.edit", workspace_id=actor.workspace_id, scheme_id=scheme_id))


@bp.post("/<int:scheme_id>/archive")
@workspace_view(Role.ADMIN)
def archive(scheme_id: int) -> Response:
    """Archive a scheme (it stops applying), or restore it (``archived=0``)."""
    actor = current_actor()
    archived = request.form.get("archived", "1") != "0"
    scheme = tiers.archive_scheme(db.session(), actor, scheme_id, archived=archived)
    if archived:
        flash(_("“%(name)s” is archived: it no longer applies.", name=scheme.name), "success")
    else:
        flash(_("“%(name)s” is restored.", name=scheme.name), "success")
    return redirect(url_for("tiers.index", workspace_id=actor.workspace_id))


# -- helpers ----------------------------------------------------------------------------
def _input_error(exc: PlatformError) -> tuple[Response, int]:
    status = 409 if isinstance(exc, Conflict) else 422
    body: dict[str, Any] = {"error": {"message": str(exc.message), "field": exc.field}}
    if isinstance(exc, tiers.TierSchemeInvalid):
        body["problems"] = exc.problems
    return jsonify(body), status


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}

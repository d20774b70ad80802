"""Automation pages (自动化): the list, the builder and its JSON endpoints (save, dry-run,
back-fill, enable), the run log (执行日志), a run's steps, and the manual buttons of record
pages.

JSON requests carry the CSRF token in the ``X-CSRFToken`` header; HTML forms post it as a
field. Views stay thin: the services decide, these only parse and render.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from form_engine.dialect import label
from form_engine.messages import normalise_locale
from formwork import db
from formwork.automation.context import catalog_for
from formwork.models import Automation, Record, Role, Run, Step
from formwork.services import apps, automations, workspaces
from formwork.services.automations import AutomationInvalid
from formwork.services.errors import Conflict, InputError, PlatformError
from formwork.services.form_runtime import runtime_for
from formwork.web.context import current_actor, workspace_view
from formwork.web.lists import condition_editor_strings, field_entries
from workflow_engine.documents import CURRENT_VERSION

bp = Blueprint("automations", __name__, url_prefix="/w/<int:workspace_id>")

TRIGGER_TYPES = (
    "record_created",
    "record_updated",
    "field_changed",
    "record_deleted",
    "date_relative",
    "schedule",
    "manual",
    "form_submitted",
    "survey_submitted",
    "tier_changed",
)
ACTION_TYPES = (
    "create_task",
    "notify",
    "update_record",
    "create_record",
    "assign_owner",
    "add_tag",
    "remove_tag",
    "webhook",
    "wait",
    "recompute_tiers",
    "send_survey",
)


def _locale() -> str:
    return normalise_locale(str(get_locale()))


# -- words ----------------------------------------------------------------------------


def trigger_names() -> dict[str, str]:
    return {
        "record_created": _("A record is created"),
        "record_updated": _("A record is changed"),
        "record_deleted": _("A record is deleted"),
        "field_changed": _("A field changes"),
        "form_submitted": _("A public form is submitted"),
        "survey_submitted": _("A survey is answered"),
        "tier_changed": _("A customer's tier changes"),
        "schedule": _("On a schedule"),
        "date_relative": _("Days before or after a date"),
        "manual": _("Someone presses a button on a record"),
    }


def action_names() -> dict[str, str]:
    return {
        "update_record": _("Update the record"),
        "create_record": _("Create a record"),
        "assign_owner": _("Assign an owner"),
        "create_task": _("Create a follow-up task"),
        "notify": _("Send a notification"),
        "add_tag": _("Add a tag"),
        "remove_tag": _("Remove a tag"),
        "webhook": _("Call a webhook"),
        "wait": _("Wait"),
        "recompute_tiers": _("Recompute customer tiers"),
        "send_survey": _("Send a survey"),
    }


def status_names() -> dict[str, str]:
    return {
        "pending": _("Pending"),
        "running": _("Running"),
        "waiting": _("Waiting"),
        "retrying": _("Retrying"),
        "succeeded": _("Succeeded"),
        "failed": _("Failed"),
        "cancelled": _("Cancelled"),
        "skipped": _("Skipped"),
    }


STATUS_STYLES = {
    "pending": "secondary",
    "running": "primary",
    "waiting": "info",
    "retrying": "warning",
    "succeeded": "success",
    "failed": "danger",
    "cancelled": "dark",
    "skipped": "light",
}


def describe_trigger(document: dict[str, Any], forms: dict[str, dict[str, Any]]) -> str:
    """The trigger in words: "When Level of Customers changes to VIP"."""
    trigger = document.get("trigger") if isinstance(document, dict) else None
    if not isinstance(trigger, dict):
        return ""
    kind = trigger.get("type")
    form = forms.get(str(trigger.get("form")))
    form_title = form["title"] if form else str(trigger.get("form") or "?")
    fields = {f["key"]: f for f in form["fields"]} if form else {}

    def field_title(key: Any) -> str:
        return str(fields[key]["title"]) if key in fields else str(key or "?")

    def value_title(key: Any, value: Any) -> str:
        for option in (fields.get(key) or {}).get("options") or []:
            if option["value"] == value:
                return str(option["title"])
        return _("empty") if value is None else str(value)

    if kind == "record_created":
        return _("When a record is created in %(form)s", form=form_title)
    if kind == "record_updated":
        return _("When a record of %(form)s is changed", form=form_title)
    if kind == "record_deleted":
        return _("When a record of %(form)s is deleted", form=form_title)
    if kind == "field_changed":
        key = trigger.get("field")
        words = _("When %(field)s of %(form)s changes", field=field_title(key), form=form_title)
        if "from" in trigger:
            words += " " + _("from %(value)s", value=value_title(key, trigger["from"]))
        if "to" in trigger:
            words += " " + _("to %(value)s", value=value_title(key, trigger["to"]))
        return words
    if kind == "form_submitted":
        return _("When the public form %(form)s is submitted", form=form_title)
    if kind == "survey_submitted":
        return _("When a survey of %(form)s is answered", form=form_title)
    if kind == "tier_changed":
        return _("When a customer's tier changes in %(form)s", form=form_title)
    if kind == "schedule":
        return _("On the schedule “%(cron)s”", cron=str(trigger.get("cron") or ""))
    if kind == "date_relative":
        days = trigger.get("offset_days") if isinstance(trigger.get("offset_days"), int) else 0
        params = {
            "days": abs(days),
            "field": field_title(trigger.get("date_field")),
            "form": form_title,
            "at": str(trigger.get("at") or ""),
        }
        if days < 0:
            return _("%(days)s days before %(field)s of %(form)s, at %(at)s", **params)
        return _("%(days)s days after %(field)s of %(form)s, at %(at)s", **params)
    if kind == "manual":
        button = str(trigger.get("label") or "") or _("Run")
        return _(
            "When someone presses “%(label)s” on a record of %(form)s",
            label=button,
            form=form_title,
        )
    return str(kind)


# -- the data the builder needs -------------------------------------------------------


def _forms_payload(locale: str) -> list[dict[str, Any]]:
    """Published forms with their fields (for pickers and the condition editor)."""
    session = db.session()
    actor = current_actor()
    result = []
    for form in apps.list_forms(session, actor):
        if form.published_version is None:
            continue
        runtime = runtime_for(session, form)
        computed = {key for key, _schema, kind in runtime.compiled.fields if kind.computed}
        fields = field_entries(runtime, locale)
        for entry in fields:
            entry["computed"] = entry["key"] in computed
            if entry["key"] in runtime.links:
                entry["link_form"] = runtime.links[entry["key"]]
                entry["multiple"] = entry["key"] in runtime.multi_links
        result.append(
            {
                "key": form.key,
                "id": form.id,
                "title": label(runtime.document, locale, form.title),
                "fields": fields,
            }
        )
    return result


def _forms_by_key(locale: str) -> dict[str, dict[str, Any]]:
    return {form["key"]: form for form in _forms_payload(locale)}


def _builder(automation: Automation | None) -> str:
    actor = current_actor()
    session = db.session()
    locale = _locale()
    wid = actor.workspace_id
    catalog = catalog_for(session, wid)
    data = {
        "version": CURRENT_VERSION,
        "automation": _automation_json(automation),
        "forms": _forms_payload(locale),
        "members": [
            {"id": m.user_id, "name": m.user.name} for m in workspaces.list_members(session, actor)
        ],
        "trigger_types": [{"type": t, "title": trigger_names()[t]} for t in TRIGGER_TYPES],
        "action_types": [{"type": t, "title": action_names()[t]} for t in ACTION_TYPES],
        "available_actions": sorted(catalog.available_actions),
        "tier_schemes": _tier_schemes(locale),
        "urls": {
            "create": url_for("automations.create", workspace_id=wid),
            "dry_run": url_for("automations.dry_run", workspace_id=wid),
            "list": url_for("automations.index", workspace_id=wid),
            **(_automation_urls(automation) if automation else {}),
        },
    }
    return render_template(
        "automations/builder.html",
        automation=automation,
        data=data,
        editor_strings=condition_editor_strings(),
        locale=locale,
    )


def _tier_schemes(locale: str) -> list[dict[str, Any]]:
    """Tier schemes for the tier_changed trigger and recompute_tiers: live schemes with
    their form and tiers, then the built-in churn status (tier_changed only)."""
    from formwork.value import tiers
    from formwork.value.catalog import CHURN_SCHEME_KEY, CHURN_STATUSES
    from formwork.web.tiers import scheme_tiers, scheme_title

    session = db.session()
    forms = {form.id: form.key for form in apps.list_forms(session, current_actor())}
    result = [
        {
            "key": scheme.key,
            "title": scheme_title(scheme, locale),
            "form": forms.get(scheme.form_id),
            "recomputable": True,
            "tiers": [{"key": t["key"], "title": t["title"]} for t in scheme_tiers(scheme, locale)],
        }
        for scheme in tiers.list_schemes(session, current_actor())
        if scheme.archived_at is None
    ]
    result.append(
        {
            "key": CHURN_SCHEME_KEY,
            "title": _("Churn status"),
            "form": None,
            "recomputable": False,
            "tiers": [{"key": key, "title": str(title)} for key, title in CHURN_STATUSES.items()],
        }
    )
    return result


def _automation_json(automation: Automation | None) -> dict[str, Any] | None:
    if automation is None:
        return None
    return {
        "id": automation.id,
        "name": automation.name,
        "description": automation.description,
        "enabled": automation.enabled,
        "revision": automation.revision,
        "document": automation.document,
    }


def _automation_urls(automation: Automation) -> dict[str, str]:
    wid, aid = automation.workspace_id, automation.id
    return {
        "save": url_for("automations.update", workspace_id=wid, automation_id=aid),
        "edit": url_for("automations.edit", workspace_id=wid, automation_id=aid),
        "enabled": url_for("automations.set_enabled", workspace_id=wid, automation_id=aid),
        "backfill": url_for("automations.backfill", workspace_id=wid, automation_id=aid),
        "runs": url_for("automations.runs", workspace_id=wid, automation_id=aid),
    }


# -- pages ----------------------------------------------------------------------------


@bp.get("/automations")
@workspace_view(Role.ADMIN)
def index() -> str:
    """Every automation: trigger in words, on/off switch, last run, runs by status."""
    actor = current_actor()
    session = db.session()
    items = automations.list_automations(session, actor)
    forms = _forms_by_key(_locale())
    return render_template(
        "automations/index.html",
        automations=items,
        triggers={a.id: describe_trigger(a.document, forms) for a in items},
        stats=automations.run_stats(session, actor, [a.id for a in items]),
        status_names=status_names(),
        status_styles=STATUS_STYLES,
    )


@bp.get("/automations/new")
@workspace_view(Role.ADMIN)
def new() -> str:
    """The builder for a new automation."""
    return _builder(None)


@bp.get("/automations/<int:automation_id>")
@workspace_view(Role.ADMIN)
def edit(automation_id: int) -> str:
    """The builder for a saved automation."""
    automation = automations.get_automation(db.session(), current_actor(), automation_id)
    return _builder(automation)


@bp.post("/automations")
@workspace_view(Role.ADMIN)
def create() -> Response | tuple[Response, int]:
    """Save a new automation (JSON); it stays disabled until enabled."""
    return _save(None)


@bp.post("/automations/<int:automation_id>")
@workspace_view(Role.ADMIN)
def update(automation_id: int) -> Response | tuple[Response, int]:
    """Save a new revision of an automation (JSON)."""
    return _save(automation_id)


def _save(automation_id: int | None) -> Response | tuple[Response, int]:
    body = _json_body()
    try:
        automation = automations.save_automation(
            db.session(),
            current_actor(),
            automation_id=automation_id,
            name=body.get("name"),  # type: ignore[arg-type]
            description=body.get("description") or "",
            document=body.get("document"),
            locale=_locale(),
        )
    except InputError as exc:
        return _input_error(exc)
    return jsonify(
        {"automation": _automation_json(automation), "urls": _automation_urls(automation)}
    )


@bp.post("/automations/dry-run")
@workspace_view(Role.ADMIN)
def dry_run() -> Response | tuple[Response, int]:
    """What the posted (unsaved) document would do to the records that match it now."""
    actor = current_actor()
    body = _json_body()
    limit = body.get("limit") if isinstance(body.get("limit"), int) else 50
    try:
        result = automations.dry_run(
            db.session(), actor, body.get("document"), limit=limit, locale=_locale()
        )
    except InputError as exc:
        return _input_error(exc)
    answer = result.as_dict()
    for item in answer["records"]:
        if item["record_id"] is not None:
            item["url"] = url_for(
                "records.show",
                workspace_id=actor.workspace_id,
                form_id=item["form_id"],
                record_id=item["record_id"],
            )
    return jsonify(answer)


@bp.get("/automations/<int:automation_id>/backfill")
@workspace_view(Role.ADMIN)
def backfill_count(automation_id: int) -> Response | tuple[Response, int]:
    """How many records a back-fill of the saved automation would run for."""
    session = db.session()
    actor = current_actor()
    automation = automations.get_automation(session, actor, automation_id)
    try:
        result = automations.dry_run(session, actor, automation.document, limit=0, locale=_locale())
    except InputError as exc:
        return _input_error(exc)
    return jsonify({"count": result.total, "partial": result.partial, "notes": result.notes})


@bp.post("/automations/<int:automation_id>/backfill")
@workspace_view(Role.ADMIN)
def backfill(automation_id: int) -> Response | tuple[Response, int]:
    """Run the saved automation for every record that matches it now."""
    try:
        count = automations.backfill(db.session(), current_actor(), automation_id)
    except InputError as exc:
        if request.is_json:
            return _input_error(exc)
        flash(str(exc.message), "danger")
        return _to_edit(automation_id)
    message = _("Back-fill started for %(count)s records.", count=count)
    if request.is_json:
        return jsonify({"count": count, "message": message})
    flash(message, "success")
    return _to_edit(automation_id)


@bp.post("/automations/<int:automation_id>/enabled")
@workspace_view(Role.ADMIN)
def set_enabled(automation_id: int) -> Response | tuple[Response, int]:
    """Switch an automation on or off (JSON from the builder, a form from the list)."""
    if request.is_json:
        enabled = _json_body().get("enabled") is True
    else:
        enabled = request.form.get("enabled") == "1"
    try:
        automation = automations.set_enabled(
            db.session(), current_actor(), automation_id, enabled, locale=_locale()
        )
    except InputError as exc:
        if request.is_json:
            return _input_error(exc)
        flash(str(exc.message), "danger")
        return redirect(url_for("automations.index", workspace_id=current_actor().workspace_id))
    if request.is_json:
        return jsonify({"automation": _automation_json(automation)})
    if automation.enabled:
        flash(_("“%(name)s” is on.", name=automation.name), "success")
    else:
        flash(_("“%(name)s” is off.", name=automation.name), "success")
    return redirect(url_for("automations.index", workspace_id=current_actor().workspace_id))


@bp.post("/automations/<int:automation_id>/delete")
@workspace_view(Role.ADMIN)
def delete(automation_id: int) -> Response:
    """Delete an automation and its run log."""
    actor = current_actor()
    try:
        automations.delete_automation(db.session(), actor, automation_id)
    except Conflict as exc:
        flash(str(exc.message), "danger")
        return _to_edit(automation_id)
    flash(_("Automation deleted."), "success")
    return redirect(url_for("automations.index", workspace_id=actor.workspace_id))


@bp.get("/automations/<int:automation_id>/runs")
@workspace_view(Role.ADMIN)
def runs(automation_id: int) -> str:
    """The run log of one automation, newest first, filterable by status."""
    automation = automations.get_automation(db.session(), current_actor(), automation_id)
    return _run_log(automation)


@bp.get("/runs")
@workspace_view(Role.ADMIN)
def all_runs() -> str:
    """The run log of every automation of the workspace."""
    return _run_log(None)


def _run_log(automation: Automation | None) -> str:
    actor = current_actor()
    status = request.args.get("status") or None
    if status not in automations.RUN_STATUSES:
        status = None
    page = automations.list_runs(
        db.session(),
        actor,
        automation_id=automation.id if automation else None,
        status=status,
        page=_int_arg("page", 1),
        per_page=_int_arg("per_page", 50),
    )
    return render_template(
        "automations/runs.html",
        automation=automation,
        page=page,
        status=status,
        status_names=status_names(),
        status_styles=STATUS_STYLES,
        record_urls=_record_urls(page.runs),
    )


@bp.get("/runs/<int:run_id>")
@workspace_view()
def run(run_id: int) -> str:
    """One run: its status and every step's input, output, timing and error."""
    actor = current_actor()
    session = db.session()
    found, steps = automations.get_run(session, actor, run_id)
    names = automations.automation_names(session, actor, [found])
    return render_template(
        "automations/run.html",
        run=found,
        steps=steps,
        automation_name=names.get(found.automation_id, ""),
        record_url=_record_urls([found]).get(found.id),
        durations={step.id: _duration(step) for step in steps},
        status_names=status_names(),
        status_styles=STATUS_STYLES,
        action_names=action_names(),
        is_admin=actor.role.at_least(Role.ADMIN),
        can_retry=found.status == "failed",
        can_cancel=found.status in automations.CANCELLABLE,
    )


@bp.post("/runs/<int:run_id>/retry")
@workspace_view(Role.ADMIN)
def retry(run_id: int) -> Response:
    """Start a failed run again at its failed step."""
    actor = current_actor()
    try:
        automations.retry_run(db.session(), actor, run_id)
    except Conflict as exc:
        flash(str(exc.message), "danger")
    else:
        flash(_("The run starts again."), "success")
    return redirect(url_for("automations.run", workspace_id=actor.workspace_id, run_id=run_id))


@bp.post("/runs/<int:run_id>/cancel")
@workspace_view(Role.ADMIN)
def cancel(run_id: int) -> Response:
    """Cancel a pending, waiting or retrying run."""
    actor = current_actor()
    try:
        automations.cancel_run(db.session(), actor, run_id)
    except Conflict as exc:
        flash(str(exc.message), "danger")
    else:
        flash(_("The run was cancelled."), "success")
    return redirect(url_for("automations.run", workspace_id=actor.workspace_id, run_id=run_id))


@bp.post("/automations/<int:automation_id>/records/<int:record_id>/run")
@workspace_view(Role.MEMBER)
def run_manual(automation_id: int, record_id: int) -> Response:
    """A record page's automation button: run it for this record."""
    actor = current_actor()
    session = db.session()
    automations.trigger_manual(session, actor, automation_id, record_id)
    record = automations.visible_record(session, actor, record_id)
    flash(_("The automation was started."), "success")
    return redirect(
        url_for(
            "records.show",
            workspace_id=actor.workspace_id,
            form_id=record.form_id,
            record_id=record.id,
        )
    )


# -- helpers --------------------------------------------------------------------------


def _record_urls(items: list[Run]) -> dict[int, str]:
    """Links to the runs' records (records of forms no longer there get none)."""
    ids = {run.record_id for run in items if run.record_id}
    if not ids:
        return {}
    actor = current_actor()
    rows = db.session().execute(
        select(Record.id, Record.form_id).where(
            Record.workspace_id == actor.workspace_id, Record.id.in_(ids)
        )
    )
    forms: dict[int, int] = {record_id: form_id for record_id, form_id in rows}
    return {
        run.id: url_for(
            "records.show",
            workspace_id=actor.workspace_id,
            form_id=forms[run.record_id],
            record_id=run.record_id,
        )
        for run in items
        if run.record_id in forms
    }


def _duration(step: Step) -> str | None:
    if step.started_at is None or step.finished_at is None:
        return None
    seconds = max(0.0, (step.finished_at - step.started_at).total_seconds())
    if seconds < 1:
        return _("%(ms)s ms", ms=int(seconds * 1000))
    if seconds < 120:
        return _("%(s)s s", s=f"{seconds:.1f}")
    return _("%(m)s min", m=f"{seconds / 60:.1f}")


def _to_edit(automation_id: int) -> Response:
    return redirect(
        url_for(
            "automations.edit",
            workspace_id=current_actor().workspace_id,
            automation_id=automation_id,
        )
    )


def _input_error(exc: PlatformError) -> tuple[Response, int]:
    status = 409 if isinstance(exc, Conflict) else 422
    body: dict[str, Any] = {"error": {"message": str(exc.message), "field": exc.field}}
    if isinstance(exc, AutomationInvalid):
        body["problems"] = exc.problems
    return jsonify(body), status


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 7 else default

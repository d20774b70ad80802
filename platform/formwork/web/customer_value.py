"""Customer value pages (客户价值): the customer-asset report (客户资产报告) and its workbook,
the churn-warning list, the value settings (admins) with "Recompute now", and the record
page's customer-value card.

Views stay thin: filters are parsed here, the figures come from ``formwork.value.report``,
the settings are checked and stored by ``formwork.value.settings``.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from form_engine.messages import normalise_locale
from formwork import db
from formwork.models import CustomerMetrics, Form, Record, Role, ValueModel
from formwork.services import workspaces
from formwork.services.errors import Conflict, Invalid
from formwork.services.form_runtime import runtime_for
from formwork.services.scope import Actor
from formwork.value import report as value_report
from formwork.value import report_sql
from formwork.value import settings as value_settings
from formwork.value.refresh import refresh_workspace
from formwork.value.report_xlsx import workbook_bytes
from formwork.web import value_panel
from formwork.web import value_report_view as value_view
from formwork.web import value_settings as page
from formwork.web.context import current_actor, workspace_view

bp = Blueprint("value", __name__, url_prefix="/w/<int:workspace_id>/value")

CHURN_PAGE_SIZE = 50
# The predictive model's parameters as stored in ValueModel.model_fit, in reading order.
FIT_PARAMETERS = (
    ("BG/NBD", "bgnbd", ("r", "alpha", "a", "b", "customers")),
    ("Gamma-Gamma", "gamma_gamma", ("p", "q", "v", "customers")),
)
PARAMETER_NAMES = {"alpha": "\u03b1"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _locale() -> str:
    return normalise_locale(str(get_locale()))


value_view.register(bp)


# -- the report -------------------------------------------------------------------------


def _today(actor: Actor) -> date:
    return datetime.now(actor.workspace.zone).date()


def _members(session: Session, actor: Actor) -> dict[int, str]:
    return {m.user_id: m.user.name for m in workspaces.list_members(session, actor)}


def _report(
    session: Session, actor: Actor
) -> tuple[value_report.AssetReport, value_view.Filters, dict[int, str]]:
    members = _members(session, actor)
    filters = value_view.parse_filters(request.args, _today(actor), members)
    report = value_report.build_report(
        session,
        actor.workspace_id,
        filters.period,
        owner_id=filters.owner_id,
        scheme_id=filters.scheme_id,
    )
    if filters.scheme_id is not None and report.scheme and report.scheme.id != filters.scheme_id:
        filters.errors["scheme"] = _("Tier scheme: choose one of the offered schemes.")
    return report, filters, members


@bp.get("/")
@workspace_view()
def report() -> tuple[str, int]:
    """The customer-asset report for a period (and optionally one owner's customers)."""
    actor, session = current_actor(), db.session()
    built, filters, members = _report(session, actor)
    query = {
        k: v for k, v in request.args.items() if k in ("preset", "start", "end", "owner", "scheme")
    }
    return render_template(
        "value/report.html",
        report=built,
        charts=value_view.chart_items(built, _locale()),
        filters=filters,
        members=members,
        presets=value_view.PRESETS,
        today=_today(actor),
        locale=_locale(),
        xlsx_url=url_for("value.report_xlsx", workspace_id=actor.workspace_id, **query),
        is_admin=actor.role.at_least(Role.ADMIN),
    ), 422 if filters.errors else 200


@bp.get("/report.xlsx")
@workspace_view()
def report_xlsx() -> Response:
    """The same report as an Excel workbook (a summary sheet and one sheet per table)."""
    actor, session = current_actor(), db.session()
    built, filters, members = _report(session, actor)
    if filters.errors:
        raise Invalid(next(iter(filters.errors.values())))
    content = workbook_bytes(
        built,
        locale=_locale(),
        owner_name=members.get(filters.owner_id or 0),
        zone=actor.workspace.zone,
    )
    name = f"customer-asset-report-{built.period.start}-{built.period.end}.xlsx"
    response = current_app.response_class(content, mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/churn")
@workspace_view()
def churn_list() -> tuple[str, int]:
    """Customers with a churn warning (at risk or dormant), biggest spenders first."""
    actor, session = current_actor(), db.session()
    status = request.args.get("status") or "at_risk"
    if status not in ("at_risk", "dormant"):
        raise Invalid(_("Status: choose “at risk” or “dormant”."), field="status")
    members = _members(session, actor)
    owner_text = request.args.get("owner") or ""
    owner_id = int(owner_text) if owner_text.isdigit() and int(owner_text) in members else None
    page_text = request.args.get("page") or "1"
    page_number = max(1, int(page_text)) if page_text.isdigit() and len(page_text) < 7 else 1
    config, _model = report_sql.resolve_config(session, actor.workspace_id)
    rows: list[tuple[Record, CustomerMetrics]] = []
    total = 0
    name_key = None
    if config is not None:
        scope = report_sql.Scope(config, session.get_bind().dialect.name, owner_id)
        people = report_sql.customers(scope).subquery()
        base = (
            select(Record, CustomerMetrics)
            .join(people, people.c.customer_id == Record.id)
            .join(CustomerMetrics, CustomerMetrics.record_id == Record.id)
            .where(
                Record.workspace_id == actor.workspace_id,
                CustomerMetrics.workspace_id == actor.workspace_id,
                CustomerMetrics.churn_status == status,
            )
        )
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = [
            (record, metrics)
            for record, metrics in session.execute(
                base.order_by(CustomerMetrics.total_spent.desc(), Record.id)
                .limit(CHURN_PAGE_SIZE)
                .offset((page_number - 1) * CHURN_PAGE_SIZE)
            )
        ]
        form = session.get_one(Form, config.customer_form_id)
        runtime = runtime_for(session, form)
        name_key = next((k for k, _s, kind in runtime.compiled.fields if kind.key == "text"), None)
    return render_template(
        "value/churn.html",
        status=status,
        rows=rows,
        total=total,
        page=page_number,
        pages=max(1, -(-total // CHURN_PAGE_SIZE)),
        name_key=name_key,
        members=members,
        owner_id=owner_id,
        configured=config is not None,
    ), 200


# -- settings ---------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@workspace_view(Role.ADMIN)
def settings() -> tuple[str, int] | Response:
    """Which forms and fields feed customer value, CLV, RFM and churn rules (admins)."""
    actor, session, locale = current_actor(), db.session(), _locale()
    model = session.get(ValueModel, actor.workspace_id)
    form = page.SettingsForm()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            raise Invalid(_("The form has expired. Reload the page and try again."))
        values = {name: request.form.get(name, "") for name in page.known_names()}
        doc, errors = page.document_from_inputs(values)
        status = 422
        try:
            revision = int(form.revision.data or "0")
        except ValueError:
            revision = -1
        if not errors:
            try:
                value_settings.save(session, actor, doc, revision=revision)
            except value_settings.SettingsInvalid as exc:
                errors, general = page.place_problems(exc.problems, locale)
            except Conflict as exc:
                general = [str(exc.message)]
                status = 409
            else:
                flash(
                    _("Customer-value settings saved. Recompute now to update the figures."),
                    "success",
                )
                return redirect(url_for("value.settings", workspace_id=actor.workspace_id))
        else:
            # Show the checker's problems too, so one round trip names everything.
            checked = value_settings.check_settings(
                value_settings.normalise(doc), session, actor.workspace_id
            )
            more, general = page.place_problems(checked, locale)
            for name, messages in more.items():
                errors.setdefault(name, messages)
    else:
        doc = value_settings.normalise(model.settings) if model else _suggested(session, actor)
        values = page.inputs_from_document(doc)
        form.revision.data = str(model.revision if model else 0)
    return render_template(
        "value/settings.html",
        form=form,
        values=values,
        errors=errors,
        general=general,
        model=model,
        fitted=value_report.model_fitted(model),
        **_fit_view(model, locale),
        forms=page.form_choices(session, actor, locale),
        thresholds=page.THRESHOLDS,
        locale=locale,
    ), status


def _fit_view(model: ValueModel | None, locale: str) -> dict[str, Any]:
    """The fitted parameters as (name, number) pairs, or the refusal in words."""
    fit = model.model_fit if model is not None and isinstance(model.model_fit, dict) else {}
    if fit.get("refusal"):
        return {"fit_items": [], "refusal": _refusal_text(fit["refusal"], locale)}
    items: list[tuple[str, str]] = []
    for model_name, part, names in FIT_PARAMETERS:
        values = fit.get(part) if isinstance(fit.get(part), dict) else {}
        for name in names:
            value = values.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                shown = format_decimal(value, format="#,##0.####")
                title = _("customers") if name == "customers" else PARAMETER_NAMES.get(name, name)
                items.append((f"{model_name} {title}", str(shown)))
    return {"fit_items": items, "refusal": None}


def _refusal_text(refusal: Any, locale: str) -> str:
    """A stored refusal as text: its message in the reader's language when it has one."""
    if isinstance(refusal, dict):
        message = refusal.get("message")
        if isinstance(message, dict):
            return str(message.get(locale) or message.get("en") or refusal.get("code") or "")
        return str(message or refusal.get("code") or "")
    return str(refusal)


def _suggested(session: Session, actor: Actor) -> dict[str, Any]:
    """The defaults, keeping only the default forms that exist in this workspace."""
    doc = value_settings.default_settings()
    keys = set(session.scalars(select(Form.key).where(Form.workspace_id == actor.workspace_id)))
    for part in ("customers", "orders"):
        if doc[part]["form"] not in keys:
            doc[part] = {"form": ""}
    return doc


@bp.post("/refresh")
@workspace_view(Role.ADMIN)
def refresh() -> Response:
    """Recompute metrics, RFM, CLV and churn for the whole workspace now."""
    actor, session = current_actor(), db.session()
    form = page.SettingsForm()
    if not form.validate_on_submit():
        raise Invalid(_("The form has expired. Reload the page and try again."))
    back = redirect(url_for("value.settings", workspace_id=actor.workspace_id))
    if session.get(ValueModel, actor.workspace_id) is None:
        flash(_("Save the settings first; then the figures can be computed."), "warning")
        return back
    started = time.perf_counter()
    try:
        result = refresh_workspace(session, actor.workspace_id, actor=actor)
    except value_settings.SettingsInvalid as exc:
        session.rollback()
        flash(str(exc.message), "danger")
        for problem in exc.problems:
            flash(f"{problem.path}: {problem.message(_locale())}", "danger")
        return back
    seconds = time.perf_counter() - started
    stages = {
        "metrics": _("metrics"),
        "rfm": _("RFM"),
        "clv_historical": _("historical CLV"),
        "clv_predictive": _("predictive CLV"),
        "churn": _("churn warnings"),
    }
    timings = ", ".join(
        _(
            "%(stage)s %(ms)s ms",
            stage=stages.get(stage, stage),
            ms=format_decimal(ms, format="#,##0"),
        )
        for stage, ms in result.timings_ms.items()
    )
    flash(
        _(
            "Recomputed %(count)s customers in %(seconds)s s (%(timings)s); "
            "%(changed)s churn statuses changed.",
            count=format_decimal(result.customers, format="#,##0"),
            seconds=format_decimal(seconds, format="0.00"),
            timings=timings,
            changed=format_decimal(result.churn.changed, format="#,##0"),
        ),
        "success",
    )
    return back


# -- the record page's card -------------------------------------------------------------


def record_panel(session: Session, actor: Actor, form: Form, record: Record) -> dict[str, Any]:
    """What ``value/_record_panel.html`` needs on a record page (merge into its context)."""
    return {"value_panel": value_panel.build(session, actor, form, record, _locale())}

"""Report pages (报表): the workspace's saved reports by app, a summary report's table and
bar chart, its CSV download, and the editor of summary reports.

Everyone in the workspace opens reports; admins create, edit and delete them (the service
checks it again). A customer-asset or survey-results report opens the page it points to.
The editor is a plain form in two steps without script: choose the form and press
"Show its fields", then the group-by and figure lists hold that form's fields.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from form_engine.dialect import label
from form_engine.messages import normalise_locale
from formwork import db
from formwork.models import Report, Role
from formwork.services import apps, reports
from formwork.services.errors import InputError
from formwork.services.form_runtime import runtime_for
from formwork.services.report_summary_sql import (
    MeasureColumn,
    SummaryResult,
    SummaryRow,
    field_types,
    groupable,
    measurable,
)
from formwork.services.reports import ReportInvalid
from formwork.value.report_xlsx import neutralise
from formwork.web.context import current_actor, workspace_view

bp = Blueprint("reports", __name__, url_prefix="/w/<int:workspace_id>/reports")

MEASURE_ROWS = 3
CHART_BARS = 30
CSV_TYPE = "text/csv; charset=utf-8"


def _locale() -> str:
    return normalise_locale(str(get_locale()))


def kind_names() -> dict[str, str]:
    return {
        "customer_asset": _("Customer-asset report"),
        "survey_results": _("Survey results"),
        "summary": _("Summary table"),
    }


def agg_choices(first: bool) -> list[tuple[str, str]]:
    choices = [] if first else [("", _("— none —"))]
    return [
        *choices,
        ("count", _("Count of records")),
        ("sum", _("Sum")),
        ("avg", _("Average")),
        ("min", _("Minimum")),
        ("max", _("Maximum")),
    ]


def report_title(report: Report, locale: str) -> str:
    """The report's name in ``locale`` (its other-language title when there is one)."""
    text = (report.titles or {}).get(locale)
    return str(text) if isinstance(text, str) and text else report.name


def format_figure(value: Any, measure: MeasureColumn | None = None) -> str:
    """A figure in the page's locale: counts whole, money with two decimals."""
    if value is None:
        return "—"
    if measure is None or measure.agg == "count":
        pattern = "#,##0"
    elif measure.field_type == "money":
        pattern = "#,##0.00"
    else:
        pattern = "#,##0.##"
    return str(format_decimal(value, format=pattern))


# -- the form ---------------------------------------------------------------------------


class SummaryReportForm(FlaskForm):
    """A summary report: name, form, grouping, up to three figures and a filter."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=200)])
    key = StringField(
        _l("Key"),
        validators=[Optional(), Length(max=63)],
        description=_l("Optional; made from the name when left empty."),
    )
    app = SelectField(_l("App"), choices=[], validate_choice=False)
    form = SelectField(_l("Form"), choices=[], validators=[DataRequired()])
    group_by = SelectField(_l("Group by"), choices=[], validate_choice=False)
    agg_1 = SelectField(_l("Figure"), choices=[])
    field_1 = SelectField(_l("Of field"), choices=[], validate_choice=False)
    agg_2 = SelectField(_l("Figure"), choices=[])
    field_2 = SelectField(_l("Of field"), choices=[], validate_choice=False)
    agg_3 = SelectField(_l("Figure"), choices=[])
    field_3 = SelectField(_l("Of field"), choices=[], validate_choice=False)
    filter = TextAreaField(
        _l("Only records matching (filter)"),
        validators=[Optional(), Length(max=20_000)],
        description=_l('A condition as JSON, e.g. {"==": [{"var": "stage"}, "won"]}.'),
    )


def _forms_choices() -> list[tuple[str, str]]:
    actor, session = current_actor(), db.session()
    locale = _locale()
    choices = []
    for form in apps.list_forms(session, actor):
        if form.published_version is None:
            continue
        document = runtime_for(session, form).document
        choices.append((form.key, label(document, locale, form.title)))
    return choices


def _fill_choices(form: SummaryReportForm, form_key: str | None) -> bool:
    """Offer the chosen form's fields; False when that form is not there."""
    actor, session = current_actor(), db.session()
    locale = _locale()
    form.form.choices = [("", _("Choose a form")), *_forms_choices()]
    form.app.choices = [("", _("Not in an app"))] + [
        (str(app.id), _app_title(app.name, app.titles, locale))
        for app in apps.list_apps(session, actor)
    ]
    form.agg_1.choices = agg_choices(True)
    form.agg_2.choices = form.agg_3.choices = agg_choices(False)
    found = next(
        (f for f in apps.list_forms(session, actor) if f.key == form_key and f.published_version),
        None,
    )
    groups: list[tuple[str, str]] = []
    numbers: list[tuple[str, str]] = [("", "—")]
    if found is not None:
        runtime = runtime_for(session, found)
        types = field_types(runtime)
        properties = runtime.document.get("properties", {})
        for key, kind in types.items():
            title = label(properties.get(key, {}), locale, key)
            if groupable(runtime, key, kind):
                groups.append((key, title))
            if measurable(runtime, key, kind):
                numbers.append((key, title))
    form.group_by.choices = groups or [("", _("Choose the form first"))]
    for name in ("field_1", "field_2", "field_3"):
        getattr(form, name).choices = numbers
    return found is not None


def _app_title(name: str, titles: Any, locale: str) -> str:
    text = (titles or {}).get(locale)
    return str(text) if isinstance(text, str) and text else name


def _document(form: SummaryReportForm) -> dict[str, Any] | None:
    """The summary document the form describes; None (and an error on the filter field)
    when the filter is not JSON."""
    measures = []
    for index in range(1, MEASURE_ROWS + 1):
        agg = getattr(form, f"agg_{index}").data or ""
        key = getattr(form, f"field_{index}").data or ""
        if agg == "count":
            measures.append({"agg": agg})
        elif agg:
            measures.append({"agg": agg, "field": key})
    document: dict[str, Any] = {
        "form": form.form.data or "",
        "group_by": form.group_by.data or "",
        "measures": measures,
    }
    text = (form.filter.data or "").strip()
    if text:
        try:
            document["filter"] = json.loads(text)
        except json.JSONDecodeError as exc:
            form.filter.errors = [
                _(
                    "This is not valid JSON (line %(line)d, column %(column)d).",
                    line=exc.lineno,
                    column=exc.colno,
                )
            ]
            return None
    return document


def _show_problems(form: SummaryReportForm, exc: ReportInvalid) -> None:
    """Each problem next to its input; the rest at the top of the page."""
    by_path = {"/form": "form", "/group_by": "group_by", "/measures": "agg_1"}
    for index in range(MEASURE_ROWS):
        by_path[f"/measures/{index}/agg"] = f"agg_{index + 1}"
        by_path[f"/measures/{index}/field"] = f"field_{index + 1}"
    for problem in exc.problems:
        path, field_name = problem["path"], problem["field"]
        if field_name in ("name", "key"):
            target = field_name
        elif field_name == "titles":
            target = "name_zh"
        elif path.startswith("/filter"):
            target = "filter"
        else:
            target = by_path.get(path, "")
        field = getattr(form, target, None) if target else None
        if field is not None:
            field.errors = [*field.errors, problem["message"]]
        else:
            flash(problem["message"], "danger")


def _editor(report: Report | None) -> tuple[str, int] | Response:
    actor, session = current_actor(), db.session()
    form = SummaryReportForm()
    if request.method == "GET" and report is not None:
        document = report.document or {}
        form.name.data = report.name
        form.name_zh.data = (report.titles or {}).get("zh-CN", "")
        form.key.data = report.key
        form.app.data = str(report.app_id or "")
        form.form.data = document.get("form", "")
        form.group_by.data = document.get("group_by", "")
        for index, measure in enumerate(document.get("measures", [])[:MEASURE_ROWS], start=1):
            getattr(form, f"agg_{index}").data = measure.get("agg", "")
            getattr(form, f"field_{index}").data = measure.get("field", "")
        if document.get("filter") is not None:
            form.filter.data = json.dumps(document["filter"], ensure_ascii=False)
    elif request.method == "GET":
        form.form.data = request.args.get("form", "")
    chosen = _fill_choices(form, form.form.data)
    status = 200
    if request.method == "POST" and request.form.get("step") != "fields":
        if form.validate_on_submit():
            described = _document(form)
            if described is not None:
                try:
                    saved = reports.save_report(
                        session,
                        actor,
                        report_id=report.id if report else None,
                        key=(form.key.data or "").strip() or None,
                        name=form.name.data or "",
                        titles={"zh-CN": form.name_zh.data} if form.name_zh.data else {},
                        kind="summary",
                        document=described,
                        app_id=int(form.app.data) if (form.app.data or "").isdigit() else None,
                        locale=_locale(),
                    )
                except ReportInvalid as exc:
                    _show_problems(form, exc)
                except InputError as exc:
                    flash(str(exc.message), "danger")
                else:
                    flash(_("Report “%(name)s” saved.", name=saved.name), "success")
                    return redirect(
                        url_for("reports.show", workspace_id=actor.workspace_id, report_id=saved.id)
                    )
        status = 422
    return render_template(
        "reports/edit.html", form=form, report=report, chosen=chosen, locale=_locale()
    ), status


# -- pages ------------------------------------------------------------------------------


@bp.get("/")
@workspace_view()
def index() -> str:
    """The workspace's reports, grouped by app."""
    actor, session = current_actor(), db.session()
    locale = _locale()
    found = reports.list_reports(session, actor)
    live_apps = {app.id: app for app in apps.list_apps(session, actor)}
    groups: dict[int | None, list[dict[str, Any]]] = {}
    for report in found:
        app_id = report.app_id if report.app_id in live_apps else None
        groups.setdefault(app_id, []).append(
            {"report": report, "title": report_title(report, locale), "url": _target(report)}
        )
    ordered = [
        (_app_title(live_apps[i].name, live_apps[i].titles, locale), items)
        for i, items in sorted(
            ((i, items) for i, items in groups.items() if i is not None),
            key=lambda pair: live_apps[pair[0]].name.lower(),
        )
    ]
    if None in groups:
        ordered.append((_("Not in an app"), groups[None]))
    return render_template(
        "reports/index.html",
        groups=ordered,
        kinds=kind_names(),
        can_edit=actor.role.at_least(Role.ADMIN),
    )


def _target(report: Report) -> str | None:
    """Where a report opens; None when what it points to is not there."""
    actor = current_actor()
    if report.kind == "customer_asset":
        return url_for("value.report", workspace_id=actor.workspace_id)
    if report.kind == "survey_results":
        form = reports.report_form(db.session(), actor, report)
        if form is None:
            return None
        return url_for("surveys.results", workspace_id=actor.workspace_id, form_id=form.id)
    return url_for("reports.show", workspace_id=actor.workspace_id, report_id=report.id)


@bp.get("/<int:report_id>/")
@workspace_view()
def show(report_id: int) -> tuple[str, int] | Response:
    """A summary report's table and chart; other kinds open their own page."""
    actor, session = current_actor(), db.session()
    report = reports.get_report(session, actor, report_id)
    locale = _locale()
    if report.kind != "summary":
        target = _target(report)
        if target is not None:
            return redirect(target)
        problems = [_("The form this report shows is no longer published.")]
        return _summary_page(report, None, problems, locale), 422
    try:
        result = reports.summary(session, actor, report, locale=locale)
    except ReportInvalid as exc:
        return _summary_page(report, None, [p["message"] for p in exc.problems], locale), 422
    return _summary_page(report, result, [], locale), 200


def _summary_page(
    report: Report, result: SummaryResult | None, problems: list[str], locale: str
) -> str:
    actor = current_actor()
    return render_template(
        "reports/show.html",
        report=report,
        title=report_title(report, locale),
        result=result,
        problems=problems,
        chart=_chart(result) if result is not None else None,
        figure=format_figure,
        can_edit=actor.role.at_least(Role.ADMIN),
        kinds=kind_names(),
    )


def _chart(result: SummaryResult) -> dict[str, Any]:
    """Horizontal bars of the first figure, one per group (zero in the middle when some
    figures are negative); coordinates in a 640-wide view box."""
    measure = result.measures[0] if result.measures else None
    rows = result.rows[:CHART_BARS]
    values = [_first(row) for row in rows]
    numbers = [v for v in values if v is not None]
    low, high = min([0.0, *numbers]), max([0.0, *numbers])
    span = (high - low) or 1.0
    left, width, row_height = 170.0, 360.0, 26

    def x(value: float) -> float:
        return left + (value - low) / span * width

    bars = []
    for index, (row, value) in enumerate(zip(rows, values, strict=True)):
        start, end = sorted((x(0.0), x(value if value is not None else 0.0)))
        bars.append(
            {
                "y": index * row_height + 4,
                "x": round(start, 1),
                "width": round(end - start, 1),
                "label": row.label,
                "text": format_figure(value, measure),
                "negative": value is not None and value < 0,
                "text_x": round(end + 6, 1),
            }
        )
    return {
        "title": measure.label if measure else _("Count"),
        "bars": bars,
        "height": len(bars) * row_height + 8,
        "zero": round(x(0.0), 1),
        "more": len(result.rows) - len(rows),
    }


def _first(row: SummaryRow) -> float | None:
    value = row.values[0] if row.values else row.count
    return float(value) if value is not None else None


@bp.get("/<int:report_id>/summary.csv")
@workspace_view()
def export_csv(report_id: int) -> Response:
    """The summary table as CSV (UTF-8 with BOM; text that would run as a formula is
    neutralised, numbers stay numbers)."""
    actor, session = current_actor(), db.session()
    report = reports.get_report(session, actor, report_id)
    result = reports.summary(session, actor, report, locale=_locale())
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_cell(result.group_title), *(_cell(m.label) for m in result.measures)])
    for row in [*result.rows, result.totals]:
        writer.writerow([_cell(row.label), *(_cell(v) for v in row.values)])
    response = Response(buffer.getvalue(), mimetype=CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{report.key}.csv"'
    return response


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return neutralise(str(value))


@bp.route("/new", methods=["GET", "POST"])
@workspace_view(Role.ADMIN)
def new() -> tuple[str, int] | Response:
    """Create a summary report."""
    return _editor(None)


@bp.route("/<int:report_id>/edit", methods=["GET", "POST"])
@workspace_view(Role.ADMIN)
def edit(report_id: int) -> tuple[str, int] | Response:
    """Change a summary report."""
    actor = current_actor()
    report = reports.get_report(db.session(), actor, report_id)
    if report.kind != "summary":
        flash(_("Only summary tables are edited here."), "warning")
        return redirect(url_for("reports.index", workspace_id=actor.workspace_id))
    return _editor(report)


@bp.post("/<int:report_id>/delete")
@workspace_view(Role.ADMIN)
def delete(report_id: int) -> Response:
    """Delete a report (the records it summarises stay)."""
    actor = current_actor()
    session = db.session()
    report = reports.get_report(session, actor, report_id)
    name = report_title(report, _locale())
    reports.delete_report(session, actor, report.id)
    flash(_("Report “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("reports.index", workspace_id=actor.workspace_id))

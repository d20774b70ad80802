"""The results page of a form (``surveys.results``) and its exports (``surveys.export``).

Registered on the ``surveys`` blueprint by :func:`register_results`. Filters come from
the query string (period preset or dates on the workspace's clock, owner, grouping, the
NPS question, the tier scheme); a wrong filter is shown next to its input and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.wrappers import Response

from form_engine.dialect import label
from form_engine.messages import normalise_locale
from formwork import db
from formwork.db import utcnow
from formwork.models import Form
from formwork.services import apps, surveys, workspaces
from formwork.services.errors import NotFound
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.scope import Actor
from formwork.services.survey_catalog import (
    CHOICE_TYPES,
    NUMBER_TYPES,
    SCORE_TYPES,
    TEXT_TYPES,
    Question,
    questions,
    tier_names,
)
from formwork.services.survey_periods import GRANULARITIES
from formwork.services.survey_results import Filters, NpsScore, SurveyResults
from formwork.web import survey_charts as charts
from formwork.web import survey_export as export
from formwork.web.context import current_actor, workspace_view


def locale() -> str:
    return normalise_locale(str(get_locale()))


def published(session: Session, actor: Actor, form_id: int) -> tuple[Form, FormRuntime]:
    """The form and its runtime; NotFound when it is not (yet) published."""
    form = apps.get_form(session, actor, form_id)
    if form.published_version is None:
        raise NotFound(_l("This form is not published yet."))
    return form, runtime_for(session, form)


def form_title(form: Form, runtime: FormRuntime) -> str:
    return label(runtime.document, locale(), form.title)


PRESETS = {"30d": 30, "90d": 90, "365d": 365, "all": None, "custom": None}
DEFAULT_PRESET = "365d"


@dataclass
class Chosen:
    """The filters as read from the query string, the texts to show back, the errors."""

    filters: Filters
    preset: str
    start_text: str = ""
    end_text: str = ""
    nps_key: str | None = None
    text_key: str | None = None
    text_page: int = 1
    errors: dict[str, str] = field(default_factory=dict)


def _date(text: str, field_name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        what = _("From") if field_name == "start" else _("To")
        errors[field_name] = _("%(what)s: enter a date like 2026-03-01.", what=what)
        return None


def read_filters(
    args: Mapping[str, str], actor: Actor, members: Mapping[int, str], nps_keys: list[str]
) -> Chosen:
    """The results filters of a query string; bad parts are reported and left out."""
    errors: dict[str, str] = {}
    preset = args.get("preset") or DEFAULT_PRESET
    if preset not in PRESETS:
        errors["preset"] = _("Period: choose one of the periods listed.")
        preset = DEFAULT_PRESET
    today = utcnow().astimezone(actor.workspace.zone).date()
    start_text, end_text = (args.get("start") or "").strip(), (args.get("end") or "").strip()
    start = end = None
    if preset == "custom":
        start, end = _date(start_text, "start", errors), _date(end_text, "end", errors)
        if start and end and end < start:
            errors["end"] = _("To: choose a day on or after the first day.")
            end = None
    elif PRESETS[preset]:
        start, end = today - timedelta(days=PRESETS[preset] - 1), today  # type: ignore[operator]
    owner_id = None
    owner_text = (args.get("owner") or "").strip()
    if owner_text:
        if owner_text.isdigit() and int(owner_text) in members:
            owner_id = int(owner_text)
        else:
            errors["owner"] = _("Owner: choose a member of this workspace.")
    granularity = args.get("by") or {"30d": "day", "90d": "week"}.get(preset, "month")
    if granularity not in GRANULARITIES:
        errors["by"] = _("Group by: choose day, week or month.")
        granularity = "month"
    scheme_id = args.get("scheme", "")
    nps_key = (
        args.get("nps") if args.get("nps") in nps_keys else (nps_keys[0] if nps_keys else None)
    )
    text_page = args.get("tp", "1")
    return Chosen(
        Filters(
            start=start,
            end=end,
            owner_id=owner_id,
            granularity=granularity,
            scheme_id=int(scheme_id) if scheme_id.isdigit() else None,
        ),
        preset,
        start.isoformat() if start else start_text,
        end.isoformat() if end else end_text,
        nps_key,
        args.get("tq") or None,
        max(1, int(text_page)) if text_page.isdigit() else 1,
        errors,
    )


@dataclass
class Figures:
    """Everything the page and the summary export show."""

    total: int
    over_time: list[tuple[date, int]]
    nps_question: Question | None
    nps: NpsScore | None
    trend: list[tuple[date, NpsScore]]
    by_owner: dict[Any, NpsScore]
    by_segment: dict[Any, NpsScore]
    by_tier: dict[Any, NpsScore]
    questions: list[Question]
    stats: dict[str, Any]


def figures(session: Session, results: SurveyResults, chosen: Chosen, locale: str) -> Figures:
    asked = questions(results.runtime, locale)
    nps_question = next((q for q in asked if q.key == chosen.nps_key), None)
    key = nps_question.key if nps_question else None
    return Figures(
        total=results.total(),
        over_time=results.over_time(),
        nps_question=nps_question,
        nps=results.nps(key) if key else None,
        trend=results.nps_trend(key) if key else [],
        by_owner=results.nps_by(key, "owner_id") if key else {},
        by_segment=results.nps_by(key, "segment") if key and results.link else {},
        by_tier=results.nps_by(key, "tier") if key and results.scheme else {},
        questions=asked,
        stats=surveys.invitation_stats(
            session, results.actor.workspace_id, results.form.id, results.low, results.high
        ),
    )


def _members(session: Session, actor: Actor) -> dict[int, str]:
    return {m.user_id: m.user.name for m in workspaces.list_members(session, actor)}


def _setup(form_id: int) -> tuple[Session, Actor, Form, SurveyResults, Chosen, dict[int, str], str]:
    actor, session = current_actor(), db.session()
    form, runtime = published(session, actor, form_id)
    members = _members(session, actor)
    lang = locale()
    nps_keys = [q.key for q in questions(runtime, lang) if q.type == "nps"]
    chosen = read_filters(request.args, actor, members, nps_keys)
    return (
        session,
        actor,
        form,
        SurveyResults(session, actor, form, chosen.filters),
        chosen,
        members,
        lang,
    )


def owner_names(members: Mapping[int, str], keys: Any) -> dict[Any, str]:
    return {key: members.get(key, _("Former member #%(id)s", id=key)) for key in keys if key}


def results(form_id: int) -> str:
    """Results of a form: responses over time, NPS gauge and trend, splits, answers."""
    session, _actor, form, found, chosen, members, lang = _setup(form_id)
    shown = figures(session, found, chosen, lang)
    distributions = []
    for question in shown.questions:
        entry: dict[str, Any] = {"question": question}
        if question.type in SCORE_TYPES + CHOICE_TYPES:
            entry["bars"] = charts.distribution_items(question, found.distribution(question), lang)
        elif question.type in NUMBER_TYPES:
            entry["histogram"] = charts.histogram_items(found.histogram(question))
        elif question.type in TEXT_TYPES:
            page = chosen.text_page if chosen.text_key == question.key else 1
            entry["texts"] = found.text_answers(
                question.key, page, score_key=shown.nps_question.key if shown.nps_question else None
            )
        distributions.append(entry)
    scheme_names = tier_names(found.scheme, lang) if found.scheme else {}
    return render_template(
        "surveys/results.html",
        form=form,
        form_title=form_title(form, found.runtime),
        chosen=chosen,
        presets=tuple(PRESETS),
        granularities=GRANULARITIES,
        granularity=found.granularity,
        members=members,
        results=found,
        shown=shown,
        nps_questions=[q for q in shown.questions if q.type == "nps"],
        over_time=charts.over_time_items(shown.over_time, found.granularity),
        trend=charts.nps_trend_items(shown.trend, found.granularity),
        by_owner=charts.group_rows(
            shown.by_owner, owner_names(members, shown.by_owner), _("No owner")
        ),
        by_segment=charts.group_rows(shown.by_segment, charts.segment_names(), _("No segment")),
        by_tier=charts.group_rows(shown.by_tier, scheme_names, _("No tier")),
        distributions=distributions,
        nps_text=charts.nps_text,
        rate_text=charts.percent(shown.stats["response_rate"]),
        current_lang=lang,
        results_url=lambda **changes: _url("surveys.results", form, **changes),
        export_url=lambda fmt, what: _url("surveys.export", form, format=fmt, what=what),
    )


def _url(endpoint: str, form: Form, **changes: Any) -> str:
    """This page's URL with its filters, some of them changed."""
    params: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("tq", "tp")}
    params.update({k: str(v) for k, v in changes.items()})
    params.update(workspace_id=form.workspace_id, form_id=form.id)
    return url_for(endpoint, **params)


def summary_tables(
    found: SurveyResults, shown: Figures, members: Mapping[int, str], lang: str
) -> list[export.Table]:
    """The summary export: headline figures, then one table per breakdown and question."""
    stats = shown.stats
    head = [
        [_("Responses"), shown.total],
        [_("Invitations sent"), stats["sent"]],
        [_("Invitations answered"), stats["answered"]],
        [
            _("Response rate"),
            round(stats["response_rate"], 4) if stats["response_rate"] is not None else None,
        ],
    ]
    if shown.nps is not None and shown.nps_question is not None:
        score = shown.nps
        head += [
            [_("NPS: %(question)s", question=shown.nps_question.title), _rounded(score.nps)],
            [_("Promoters (9-10)"), score.promoters],
            [_("Passives (7-8)"), score.passives],
            [_("Detractors (0-6)"), score.detractors],
        ]
    tables = [export.Table(_("Summary"), [_("Figure"), _("Value")], head)]
    tables.append(
        export.Table(
            _("Responses per period"),
            [_("Period"), _("Responses")],
            [[charts.period_label(s, found.granularity)[0], n] for s, n in shown.over_time],
        )
    )
    score_head = [_("Responses"), _("Promoters"), _("Passives"), _("Detractors"), _("NPS")]
    if shown.nps_question is not None:
        tables.append(
            export.Table(
                _("NPS per period"),
                [_("Period"), *score_head],
                [
                    [charts.period_label(s, found.granularity)[0], *_score_cells(v)]
                    for s, v in shown.trend
                ],
            )
        )
        groups = [
            (
                _("NPS per owner"),
                _("Record owner"),
                shown.by_owner,
                owner_names(members, shown.by_owner),
                _("No owner"),
            ),
            (
                _("NPS per segment"),
                _("Segment"),
                shown.by_segment,
                charts.segment_names(),
                _("No segment"),
            ),
        ]
        if found.scheme is not None:
            groups.append(
                (
                    _("NPS per tier"),
                    _("Tier"),
                    shown.by_tier,
                    tier_names(found.scheme, lang),
                    _("No tier"),
                )
            )
        for title, name, scores, names, empty in groups:
            rows = charts.group_rows(scores, names, empty)
            tables.append(
                export.Table(
                    title,
                    [name, *score_head],
                    [[r["name"], *_score_cells(r["score"])] for r in rows],
                )
            )
    for question in shown.questions:
        if question.type in SCORE_TYPES + CHOICE_TYPES:
            counts = found.distribution(question)
            total = sum(n for _v, n in counts)
            shares = [
                [charts.answer_label(question, v, lang), n, round(n / total, 4) if total else None]
                for v, n in counts
            ]
            tables.append(
                export.Table(question.title, [_("Answer"), _("Count"), _("Share")], shares)
            )
        elif question.type in NUMBER_TYPES:
            ranges: list[list[Any]] = [[b.low, b.high, b.count] for b in found.histogram(question)]
            tables.append(
                export.Table(question.title, [_("From"), _("To (under)"), _("Count")], ranges)
            )
    return tables


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _score_cells(score: NpsScore) -> list[Any]:
    return [score.responses, score.promoters, score.passives, score.detractors, _rounded(score.nps)]


def export_results(form_id: int) -> Response:
    """Download the responses (``what=responses``) or the summary, as CSV or Excel
    (``format=csv|xlsx``)."""
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise HttpNotFound()
    session, actor, form, found, chosen, members, lang = _setup(form_id)
    stem = f"{form.key}-{utcnow().astimezone(actor.workspace.zone):%Y%m%d}"
    if request.args.get("what") == "summary":
        tables = summary_tables(found, figures(session, found, chosen, lang), members, lang)
        if fmt == "csv":
            return export.tables_csv(tables, f"{stem}-summary.csv")
        return export.xlsx_response(export.workbook(tables), f"{stem}-summary.xlsx")
    header = export.response_header(found, lang)
    rows = export.response_rows(found, lang, actor.workspace.zone, members)
    if fmt == "csv":
        return export.csv_response(header, rows, f"{stem}-responses.csv")
    table = export.Table(_("Responses"), header, rows)  # type: ignore[arg-type]
    return export.xlsx_response(export.workbook([table]), f"{stem}-responses.xlsx")


def register_results(bp: Blueprint) -> None:
    """Add the results page and its exports to the ``surveys`` blueprint."""
    bp.add_url_rule("/results", "results", workspace_view()(results), methods=["GET"])
    bp.add_url_rule("/results/export", "export", workspace_view()(export_results), methods=["GET"])

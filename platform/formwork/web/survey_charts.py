"""The results page's figures made readable: chart items for templates/value/_charts.html
(label, short label, value, formatted text, the row of the chart's data table) and the
tables of NPS per owner, segment and tier. Labels are in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.dates import format_skeleton
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _

from form_engine.fields.choice import option_title
from formwork.services.survey_catalog import Bucket, Question
from formwork.services.survey_results import DETRACTOR_MAX, PROMOTER_MIN, NpsScore
from formwork.value.catalog import SEGMENTS

# Detractors red, passives amber, promoters green (Bootstrap's danger/warning/success).
DETRACTOR_COLOR, PASSIVE_COLOR, PROMOTER_COLOR = "#dc3545", "#ffc107", "#198754"
RATING_COLOR = "#0d6efd"


def _babel() -> str:
    return str(get_locale() or "en")


def count(value: int) -> str:
    return str(format_decimal(value, format="#,##0"))


def percent(value: float | None) -> str:
    return "—" if value is None else str(format_percent(value, format="#,##0.0%"))


def nps_text(score: float | None) -> str:
    """An NPS with its sign, one decimal: +42.5 or -10.0 (a dash without answers)."""
    return "—" if score is None else str(format_decimal(score, format="+#,##0.0;-#,##0.0"))


def number(value: float) -> str:
    return str(format_decimal(value, format="#,##0.##"))


def period_label(start: date, granularity: str) -> tuple[str, str]:
    """(full label, short axis label) of the period starting on ``start``."""
    locale = _babel()
    if granularity == "month":
        return format_skeleton("yMMM", start, locale=locale), format_skeleton(
            "MMM", start, locale=locale
        )
    day = format_skeleton("yMMMd", start, locale=locale)
    short = format_skeleton("MMMd", start, locale=locale)
    if granularity == "week":
        return _("Week of %(day)s", day=day), short
    return day, short


def over_time_items(points: list[tuple[date, int]], granularity: str) -> list[dict[str, Any]]:
    items = []
    for start, number_ in points:
        title, short = period_label(start, granularity)
        items.append(
            {
                "label": title,
                "short": short,
                "value": number_,
                "text": count(number_),
                "row": (title, count(number_)),
            }
        )
    return items


def nps_trend_items(points: list[tuple[date, NpsScore]], granularity: str) -> list[dict[str, Any]]:
    items = []
    for start, score in points:
        title, short = period_label(start, granularity)
        items.append(
            {
                "label": title,
                "short": short,
                "value": score.nps,
                "text": nps_text(score.nps),
                "row": (
                    title,
                    count(score.responses),
                    count(score.promoters),
                    count(score.passives),
                    count(score.detractors),
                    nps_text(score.nps),
                ),
            }
        )
    return items


def score_color(question: Question, score: Any) -> str:
    if question.type != "nps" or not isinstance(score, int):
        return RATING_COLOR
    if score >= PROMOTER_MIN:
        return PROMOTER_COLOR
    return DETRACTOR_COLOR if score <= DETRACTOR_MAX else PASSIVE_COLOR


def distribution_items(
    question: Question, counts: list[tuple[Any, int]], locale: str
) -> list[dict[str, Any]]:
    """Bars of a score, choice or yes/no question, each with its share of the answers."""
    total = sum(n for _value, n in counts)
    items = []
    for value, number_ in counts:
        name = answer_label(question, value, locale)
        share = number_ / total if total else None
        items.append(
            {
                "label": name,
                "value": number_,
                "text": f"{count(number_)} ({percent(share)})",
                "color": score_color(question, value)
                if question.type in ("nps", "rating")
                else None,
                "row": (name, count(number_), percent(share)),
            }
        )
    return items


def answer_label(question: Question, value: Any, locale: str) -> str:
    """How an answer value reads: a score, an option's title, Yes/No."""
    if question.type == "checkbox":
        return str(_("Yes") if value else _("No"))
    if question.type in ("select", "multiselect"):
        return str(option_title(question.schema, value, locale))
    return str(value)


def histogram_items(buckets: list[Bucket]) -> list[dict[str, Any]]:
    items = []
    for bucket in buckets:
        span = (
            number(bucket.low)
            if bucket.low == bucket.high
            else _("%(low)s to under %(high)s", low=number(bucket.low), high=number(bucket.high))
        )
        items.append(
            {
                "label": span,
                "short": number(bucket.low),
                "value": bucket.count,
                "text": count(bucket.count),
                "row": (span, count(bucket.count)),
            }
        )
    return items


def group_rows(
    scores: Mapping[Any, NpsScore], names: Mapping[Any, str], empty: str
) -> list[dict[str, Any]]:
    """Rows of an NPS-per-group table, largest group first; ``None`` reads ``empty``."""
    rows = []
    for key, score in sorted(scores.items(), key=lambda kv: (-kv[1].responses, str(kv[0]))):
        rows.append(
            {
                "key": key,
                "name": names.get(key, str(key)) if key is not None else empty,
                "score": score,
                "nps": nps_text(score.nps),
            }
        )
    return rows


def segment_names() -> dict[str, str]:
    return {key: str(name) for key, name in SEGMENTS.items()}

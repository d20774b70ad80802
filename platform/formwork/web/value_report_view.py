"""The report page's presentation: its filters read from the query string, the template
filters and globals it uses (numbers, money and percentages in the reader's locale, the
gauge's arc, segment and churn names), and the chart items — labels, values and texts
formatted for the reader, each with the row its data table shows
(templates/value/_charts.html draws them)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal
from flask import Blueprint, current_app
from flask_babel import format_currency, format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from formwork.value import report
from formwork.value.catalog import CHURN_STATUSES, SEGMENTS
from formwork.value.report import AssetReport, TierRow

PRESETS = ("30d", "90d", "365d", "year")
DEFAULT_PRESET = "365d"
MAX_PERIOD_DAYS = 3660
GAUGE_RADIUS = 80

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# Segment colours match css/value.css (the grid cells) so bars and cells read alike.
SEGMENT_COLORS = {
    "champions": "#52b788",
    "loyal": "#74c69d",
    "potential_loyalist": "#95d5b2",
    "new": "#4dabf7",
    "promising": "#74c0fc",
    "need_attention": "#fcc419",
    "about_to_sleep": "#ffa94d",
    "at_risk": "#ff922b",
    "cant_lose": "#fa5252",
    "hibernating": "#adb5bd",
    "lost": "#868e96",
}
PARETO_TABLE_STEP = 10


def register(bp: Blueprint) -> None:
    """Make the filters and globals available to every template (the navigation and the
    record page use some of them too)."""
    bp.add_app_template_global(has_endpoint, "has_endpoint")
    bp.add_app_template_global(gauge_arc, "gauge_arc")
    bp.add_app_template_global(segment_names, "segment_names")
    bp.add_app_template_global(churn_names, "churn_names")
    bp.add_app_template_filter(number_filter, "fw_number")
    bp.add_app_template_filter(money_filter, "fw_money")
    bp.add_app_template_filter(percent_filter, "fw_percent")


def has_endpoint(name: str) -> bool:
    """Whether a page exists (navigation links to parts that may not be installed)."""
    return name in current_app.view_functions


def number_filter(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern))


def money_filter(value: Any, currency: str | None = None) -> str:
    if value is None:
        return "—"
    if currency:
        return str(format_currency(value, currency))
    return str(format_decimal(value, format="#,##0.00"))


def percent_filter(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    return str(format_percent(value, format="#,##0." + "0" * digits + "%" if digits else None))


def gauge_arc(fraction: float) -> str:
    """SVG path of a half-circle gauge's arc from its left end to ``fraction`` (0 to 1)."""
    fraction = min(max(float(fraction), 0.0), 1.0)
    angle = math.pi * (1 - fraction)
    x, y = 100 + GAUGE_RADIUS * math.cos(angle), 100 - GAUGE_RADIUS * math.sin(angle)
    return f"M {100 - GAUGE_RADIUS} 100 A {GAUGE_RADIUS} {GAUGE_RADIUS} 0 0 1 {x:.2f} {y:.2f}"


def segment_names() -> dict[str, str]:
    return {key: str(name) for key, name in SEGMENTS.items()}


def churn_names() -> dict[str, str]:
    return {key: str(name) for key, name in CHURN_STATUSES.items()}


# -- filters -----------------------------------------------------------------------------


@dataclass
class Filters:
    """The report's filters as chosen (and what was wrong with them, by input name)."""

    preset: str
    period: report.Period
    owner_id: int | None = None
    scheme_id: int | None = None
    start_text: str = ""
    end_text: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def parse_filters(args: MultiDict[str, str], today: date, members: dict[int, str]) -> Filters:
    """Period (preset, or start and end), owner and tier scheme from the query string.

    A bad value is reported by its input name and replaced by the default.
    """
    errors: dict[str, str] = {}
    start_text = (args.get("start") or "").strip()
    end_text = (args.get("end") or "").strip()
    preset = args.get("preset") or ("custom" if start_text or end_text else DEFAULT_PRESET)
    period = report.preset_period(DEFAULT_PRESET, today)
    if preset in PRESETS:
        period = report.preset_period(preset, today)
    elif preset == "custom":
        start = _day(start_text, "start", errors, _("Start date: enter a date like 2026-01-31."))
        end = _day(end_text, "end", errors, _("End date: enter a date like 2026-12-31."))
        if start and end and end < start:
            errors["end"] = _("End date: choose a day on or after the start date.")
        elif start and end and (end - start).days >= MAX_PERIOD_DAYS:
            errors["end"] = _("End date: the period can be at most ten years long.")
        elif start and end:
            period = report.Period(start, end)
    else:
        errors["preset"] = _("Period: choose one of the offered periods.")
    if "preset" in errors:
        preset = DEFAULT_PRESET
    if preset != "custom":
        # A preset decides the days; the date inputs show them (a script on the page
        # switches the choice to "custom" when someone edits a date).
        start_text, end_text = period.start.isoformat(), period.end.isoformat()
    owner_id = None
    owner_text = (args.get("owner") or "").strip()
    if owner_text:
        if owner_text.isdigit() and int(owner_text) in members:
            owner_id = int(owner_text)
        else:
            errors["owner"] = _("Owner: choose a member of this workspace.")
    scheme_text = (args.get("scheme") or "").strip()
    scheme_id = int(scheme_text) if scheme_text.isdigit() and len(scheme_text) < 10 else None
    if scheme_text and scheme_id is None:
        errors["scheme"] = _("Tier scheme: choose one of the offered schemes.")
    return Filters(
        preset, period, owner_id, scheme_id, start_text or period.start.isoformat(),
        end_text or period.end.isoformat(), errors,
    )  # fmt: skip


def _day(text: str, name: str, errors: dict[str, str], message: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = message
        return None


# -- charts ------------------------------------------------------------------------------


def _babel_locale() -> str:
    return str(get_locale() or "en")


def money(value: float, currency: str | None) -> str:
    if currency:
        return str(format_currency(value, currency))
    return str(format_decimal(value, format="#,##0.00"))


def percent(value: float | None) -> str:
    return "—" if value is None else str(format_percent(value, format="#,##0.0%"))


def count(value: int) -> str:
    return str(format_decimal(value, format="#,##0"))


def tier_name(tier: TierRow, locale: str) -> str:
    return tier.names.get(locale) or tier.names.get("en") or tier.key or _("No tier")


def safe_color(color: Any) -> str | None:
    """A tier colour only when it is a plain ``#rrggbb`` (it goes into an SVG attribute)."""
    return color if isinstance(color, str) and COLOR.fullmatch(color) else None


def chart_items(report: AssetReport, locale: str) -> dict[str, Any]:
    """Items for every chart of the report page."""
    customers = sum(t.customers for t in report.tiers)
    revenue = sum(t.revenue for t in report.tiers)
    tiers_customers, tiers_revenue = [], []
    for tier in report.tiers:
        name, color = tier_name(tier, locale), safe_color(tier.color)
        share = tier.customers / customers if customers else None
        tiers_customers.append(
            {
                "label": name,
                "value": tier.customers,
                "text": f"{count(tier.customers)} ({percent(share)})",
                "color": color,
                "row": (name, count(tier.customers), percent(share)),
            }
        )
        revenue_share = tier.revenue / revenue if revenue else None
        tiers_revenue.append(
            {
                "label": name,
                "value": tier.revenue,
                "text": f"{money(tier.revenue, report.currency)} ({percent(revenue_share)})",
                "color": color,
                "row": (name, money(tier.revenue, report.currency), percent(revenue_share)),
            }
        )
    return {
        "tiers_customers": tiers_customers,
        "tiers_revenue": tiers_revenue,
        "pareto_rows": _pareto_rows(report),
        "clv": _clv_items(report),
        "nps": _nps_items(report),
        "segments": _segment_items(report),
    }


def _pareto_rows(report: AssetReport) -> list[tuple[str, str]]:
    points = report.pareto
    picked = [p for i, p in enumerate(points) if i % PARETO_TABLE_STEP == 0]
    if points and picked[-1] != points[-1]:
        picked.append(points[-1])
    return [(percent(x), percent(y)) for x, y in picked]


def _clv_items(report: AssetReport) -> list[dict[str, Any]]:
    items = []
    for bucket in report.clv_buckets:
        span = _("%(low)s to %(high)s", low=money(bucket.low, report.currency),
                 high=money(bucket.high, report.currency))  # fmt: skip
        items.append(
            {
                "label": span,
                "short": format_compact_decimal(bucket.low, locale=_babel_locale()),
                "value": bucket.count,
                "text": count(bucket.count),
                "row": (span, count(bucket.count)),
            }
        )
    return items


def _nps_items(report: AssetReport) -> list[dict[str, Any]]:
    items = []
    for month in report.nps_months:
        title = format_skeleton("yMMM", month.month, locale=_babel_locale())
        score = month.nps
        text = "—" if score is None else format_decimal(score, format="+#,##0.0;-#,##0.0")
        items.append(
            {
                "label": title,
                "short": format_skeleton("MMM", month.month, locale=_babel_locale()),
                "value": score,
                "text": str(text),
                "row": (
                    title,
                    count(month.responses),
                    count(month.promoters),
                    count(month.detractors),
                    str(text),
                ),
            }
        )
    return items


def _segment_items(report: AssetReport) -> list[dict[str, Any]]:
    keys = [*SEGMENTS, *(k for k in report.segments if k not in SEGMENTS)]
    total = sum(report.segments.values())
    items = []
    for key in keys:
        number = report.segments.get(key, 0)
        name = str(SEGMENTS.get(key, key))
        share = number / total if total else None
        items.append(
            {
                "label": name,
                "value": number,
                "text": f"{count(number)} ({percent(share)})",
                "color": SEGMENT_COLORS.get(key),
                "row": (name, count(number), percent(share)),
            }
        )
    return items

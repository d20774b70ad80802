"""Reporting periods (day, ISO week, month) on the workspace's clock, in SQL and in Python.

A response submitted at 23:30 UTC belongs to the next day in Shanghai; results group by
the workspace's own days. PostgreSQL converts with the named zone (``timezone()``), then
``date_trunc``. SQLite knows no named zones, so its timestamps are shifted by the zone's
UTC offset, taken from a ``CASE`` over the offset changes (daylight saving) that happen
in the range being reported — exact, and the same grouping on both databases. Either
way a period is named by its first day as ISO text ``YYYY-MM-DD`` (weeks start on
Monday, as ISO 8601 and ``date_trunc('week')`` do).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, func, literal
from sqlalchemy.sql.elements import ColumnElement

GRANULARITIES = ("day", "week", "month")
# More points than this make an unreadable chart: a coarser period is used instead.
MAX_PERIODS = 400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def offset_minutes(zone: ZoneInfo, moment: datetime) -> int:
    """The zone's offset from UTC at ``moment``, in whole minutes."""
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def offset_spans(
    zone: ZoneInfo, low: datetime, high: datetime
) -> list[tuple[datetime | None, int]]:
    """``(until, minutes)`` pairs covering ``[low, high]``: the offset is ``minutes`` for
    instants before ``until`` (and after the previous pair's); the last ``until`` is None.

    Offset changes are found day by day, then to the minute by bisection.
    """
    low, high = low - timedelta(days=1), high + timedelta(days=1)
    current = offset_minutes(zone, low)
    spans: list[tuple[datetime | None, int]] = []
    day = low
    while day < high:
        following = min(day + timedelta(days=1), high)
        if offset_minutes(zone, following) != current:
            before = int((day - _EPOCH).total_seconds() // 60)
            after = int((following - _EPOCH).total_seconds() // 60) + 1
            while after - before > 1:
                middle = (before + after) // 2
                if offset_minutes(zone, _EPOCH + timedelta(minutes=middle)) == current:
                    before = middle
                else:
                    after = middle
            change = _EPOCH + timedelta(minutes=after)
            spans.append((change, current))
            current = offset_minutes(zone, change)
        day = following
    spans.append((None, current))
    return spans


def period_sql(
    created_at: Any,
    granularity: str,
    dialect: str,
    zone: ZoneInfo,
    low: datetime,
    high: datetime,
) -> ColumnElement[str]:
    """The first local day (``YYYY-MM-DD``) of the period holding timestamp ``created_at``.

    ``low``/``high`` bound the timestamps grouped (SQLite needs the offset changes in
    between). Bound parameters are used: group by this expression through a subquery
    column, not by repeating it (PostgreSQL would see different parameters).

    Raises:
        ValueError: an unknown granularity.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}")
    if dialect == "postgresql":
        local = func.timezone(literal(zone.key, String), created_at)
        start = func.date_trunc(literal(granularity, String), local)
        return func.to_char(start, literal("YYYY-MM-DD", String), type_=String)
    spans = offset_spans(zone, low, high)
    modifiers = [f"{minutes:+d} minutes" for _until, minutes in spans]
    if len(spans) == 1:
        shift: Any = literal(modifiers[0], String)
    else:
        shift = case(
            *[
                (created_at < until, literal(text, String))
                for (until, _m), text in zip(spans[:-1], modifiers, strict=False)
            ],
            else_=literal(modifiers[-1], String),
        )
    extra = {"day": (), "week": ("weekday 0", "-6 days"), "month": ("start of month",)}[granularity]
    return func.date(created_at, shift, *[literal(m, String) for m in extra], type_=String)


def period_start(day: date, granularity: str) -> date:
    """The first day of the period holding ``day``."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def next_period(start: date, granularity: str) -> date:
    """The first day of the period after the one starting on ``start``."""
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def periods(first: date, last: date, granularity: str) -> Iterator[date]:
    """The starts of every period from the one holding ``first`` to the one holding ``last``."""
    current = period_start(first, granularity)
    while current <= last:
        yield current
        current = next_period(current, granularity)


def count_periods(first: date, last: date, granularity: str) -> int:
    """How many periods :func:`periods` yields (without building them)."""
    if last < first:
        return 0
    if granularity == "day":
        return (last - first).days + 1
    if granularity == "week":
        return (period_start(last, "week") - period_start(first, "week")).days // 7 + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


def fitting_granularity(first: date, last: date, wanted: str) -> str:
    """``wanted``, or the next coarser granularity when it would make too many periods."""
    order = list(GRANULARITIES)
    for granularity in order[order.index(wanted) :]:
        if count_periods(first, last, granularity) <= MAX_PERIODS:
            return granularity
    return "month"


def local_bounds(
    zone: ZoneInfo, start: date | None, end: date | None
) -> tuple[datetime | None, datetime | None]:
    """UTC instants of local midnight starting ``start`` and ending ``end`` (inclusive)."""
    low = (
        datetime.combine(start, datetime.min.time(), tzinfo=zone).astimezone(UTC) if start else None
    )
    high = (
        datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)
        if end
        else None
    )
    return low, high

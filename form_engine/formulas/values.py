"""Runtime values of formulas and the spreadsheet coercions between them.

A value is a float, a str, a bool, a ``date``, an aware UTC ``datetime``, a list (a
multi-select, a subform column or a JSON array), an opaque JSON object (dict), or None
(empty). Integers read from records become floats.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias

from form_engine.formulas.errors import FormulaValueError, preview

Value: TypeAlias = "float | str | bool | date | list[Value] | dict[str, Any] | None"

MAX_TEXT = 10_000
SIGNIFICANT_DIGITS = 15  # what a spreadsheet shows and compares


def fail(code: str, offset: int, **params: Any) -> FormulaValueError:
    return FormulaValueError(code, offset=offset, params=params)


def from_record(value: object, kind: str, offset: int) -> Value:
    """A stored JSON value as a formula value; date strings of date fields become dates.

    List items are converted one level deep; nested lists and objects stay opaque.
    """
    if isinstance(value, list):
        return [_scalar(item, kind, offset) for item in value]
    return _scalar(value, kind, offset)


def _scalar(value: object, kind: str, offset: int) -> Value:
    if value is None or isinstance(value, bool | str | list | dict):
        if isinstance(value, str) and value and kind in ("date", "datetime"):
            moment = parse_date(value, offset, with_time=kind == "datetime" or "T" in value)
            if kind == "date" and isinstance(moment, datetime):
                return moment.date()  # a datetime stored in a date field: its UTC date
            return moment
        return value
    if isinstance(value, int | float | Decimal):
        try:
            number = float(value)
        except OverflowError:
            raise fail("formula_number_too_large", offset) from None
        if not math.isfinite(number):
            raise fail("formula_number_too_large", offset)
        return number
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    raise fail("formula_internal_error", offset)


def parse_date(text: str, offset: int, *, with_time: bool) -> date:
    """``YYYY-MM-DD`` as a date; with ``with_time`` an ISO datetime (``Z`` = UTC)."""
    try:
        if not with_time:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail("formula_not_date", offset, value=preview(text)) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def is_empty(value: Value) -> bool:
    return value is None or value == ""


def is_number(value: Value) -> bool:
    return isinstance(value, float | bool)


def to_number(value: Value, offset: int) -> float:
    """Numbers as they are, TRUE/FALSE as 1/0, empty as 0; anything else is ``#VALUE!``."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if is_empty(value):
        return 0.0
    raise fail("formula_not_number", offset, value=display(value))


def to_bool(value: Value, offset: int) -> bool:
    """TRUE/FALSE, a number (non-zero is TRUE), empty (FALSE), or text TRUE/FALSE."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0
    if is_empty(value):
        return False
    if isinstance(value, str) and value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    raise fail("formula_not_boolean", offset, value=display(value))


def to_date(value: Value, offset: int) -> date | None:
    """A date (datetimes keep their UTC time), an ISO date text, or None when empty."""
    if isinstance(value, date):
        return value
    if is_empty(value):
        return None
    if isinstance(value, str):
        return parse_date(value, offset, with_time="T" in value)
    raise fail("formula_not_date", offset, value=display(value))


def as_datetime(value: date) -> datetime:
    """A date as midnight UTC, so dates and datetimes compare and subtract."""
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def format_number(number: float) -> str:
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return format(number, f".{SIGNIFICANT_DIGITS}g")


def format_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_text(value: Value, offset: int) -> str:
    """Text as a spreadsheet shows it; a list becomes its items joined by ", "."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        parts: list[str] = []
        size = 0
        for item in value:
            if isinstance(item, list | dict):
                raise fail("formula_not_text", offset)
            part = to_text(item, offset)
            size += len(part) + 2
            if size > MAX_TEXT + 2:
                raise fail("formula_text_too_long", offset, max=MAX_TEXT)
            parts.append(part)
        return ", ".join(parts)
    raise fail("formula_not_text", offset)


def display(value: Value) -> str:
    """A short form of a value for error messages."""
    try:
        return preview(to_text(value, 0))
    except FormulaValueError:
        return preview(value)


def checked(number: float, offset: int) -> float:
    """``number`` if it is finite (``#NUM!`` otherwise), with -0 made 0."""
    if not math.isfinite(number):
        raise fail("formula_number_too_large", offset)
    return number + 0.0


def shift_date(day: date, days: float, offset: int) -> date:
    """``day`` plus ``days``; whole days for a date (truncated), any fraction for a datetime."""
    try:
        if isinstance(day, datetime):
            return day + timedelta(days=days)
        return day + timedelta(days=math.trunc(days))
    except (OverflowError, ValueError):
        raise fail("formula_date_out_of_range", offset) from None


def days_between(end: date, start: date) -> float:
    """``end - start`` in days; fractional when either has a time of day."""
    if isinstance(end, datetime) or isinstance(start, datetime):
        return (as_datetime(end) - as_datetime(start)) / timedelta(days=1)
    return float((end - start).days)


def to_json(value: Value) -> Any:
    """A JSON-storable form: dates as ISO text, whole floats as ints.

    Items of a list are converted one level deep, as ``from_record`` read them; nested
    lists and objects came from the record and are stored back unchanged.
    """
    if isinstance(value, list):
        return [item if isinstance(item, list | dict) else _json_scalar(item) for item in value]
    return _json_scalar(value)


def _json_scalar(value: Value) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value

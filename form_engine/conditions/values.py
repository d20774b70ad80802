"""How stored values are read and compared: the rules the SQL compiler mirrors exactly.

A field's value is read through its *kind* (the field type's SQL kind). A value of the
wrong JSON type for its kind — a string in a number field, ``"soon"`` in a date field —
reads as null, in Python and in SQL alike. Numbers compare as exact decimals (a float
through its shortest ``repr``, which is also the text JSON stores), text by code point
(PostgreSQL ``COLLATE "C"``, SQLite ``BINARY``), dates and datetimes as ISO text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

KINDS = frozenset({"text", "number", "integer", "boolean", "date", "datetime", "json"})
NUMERIC_KINDS = frozenset({"number", "integer"})
TEMPORAL_KINDS = frozenset({"date", "datetime"})

# The shapes a stored date/datetime must have; anything else reads as null. The same
# character classes are written as a POSIX regex (PostgreSQL) and a GLOB (SQLite).
DATE_REGEX = "^[0-9]{4}-[01][0-9]-[0-3][0-9]$"
DATETIME_REGEX = "^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$"
DATE_GLOB = "[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]"
DATETIME_GLOB = DATE_GLOB + "T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z"
# The greatest time part a datetime of the shape above can have (for day ranges).
DATETIME_MAX_SUFFIX = "T29:59:59Z"
_DATE_RE = re.compile(DATE_REGEX[1:-1])
_DATETIME_RE = re.compile(DATETIME_REGEX[1:-1])

MAX_DAYS = 100_000

Scalar = str | int | float | bool


def is_date_text(value: str) -> bool:
    return _DATE_RE.fullmatch(value) is not None


def is_datetime_text(value: str) -> bool:
    return _DATETIME_RE.fullmatch(value) is not None


def to_decimal(value: Any) -> Decimal | None:
    """An exact decimal for a JSON number (not a boolean, not NaN/infinity), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    return None


def _datetime_text(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read(value: Any, kind: str | None) -> Any:
    """The comparable value of a stored ``value`` for a field of ``kind`` (None: untyped).

    Returns None for missing, null and wrong-typed values. Numbers become ``Decimal``;
    Python ``date``/``datetime`` objects are accepted as their ISO text.
    """
    if kind is None:
        if isinstance(value, datetime):
            return _datetime_text(value)
        if isinstance(value, date):
            return value.isoformat()
        number = to_decimal(value)
        return number if number is not None else value
    if kind in NUMERIC_KINDS:
        return to_decimal(value)
    if kind == "text":
        return value if isinstance(value, str) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "date":
        if isinstance(value, datetime):
            return _datetime_text(value)[:10]
        if isinstance(value, date):
            return value.isoformat()
        return value if isinstance(value, str) and is_date_text(value) else None
    if kind == "datetime":
        if isinstance(value, datetime):
            return _datetime_text(value)
        return value if isinstance(value, str) and is_datetime_text(value) else None
    return value  # json: the raw value


def literal_value(value: Any) -> Any:
    """A condition literal as a comparable value (numbers as exact decimals)."""
    number = to_decimal(value)
    return number if number is not None else value


def same(left: Any, right: Any) -> bool:
    """Typed equality: numbers by value, text and booleans exactly, never across types."""
    left, right = literal_value(left), literal_value(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        return left == right
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    return False


def compare(op: str, left: Any, right: Any) -> bool:
    """``left op right`` on read values; False when either is null or the types differ."""
    if left is None or right is None:
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        if not (isinstance(left, bool) and isinstance(right, bool)):
            return False
        if op == "==":
            return left is right
        return op == "!=" and left is not right
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        pass
    elif not (isinstance(left, str) and isinstance(right, str)):
        return False
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def is_empty(value: Any) -> bool:
    """Null, missing, ``""`` and ``[]`` are empty (after reading through the kind)."""
    return value is None or value == "" or (isinstance(value, list) and not value)


def json_equal(left: Any, right: Any) -> bool:
    """Equality of raw JSON values (for ``changed``): numbers by value, 1 ≠ true."""
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if left is None or right is None:
        return left is None and right is None
    return same(read(left, None), read(right, None))


# days_since(x) OP n is evaluated as a comparison of x's date with a date relative to
# today, in Python and SQL alike: days_since(x) >= n  ⇔  date(x) <= today - n, etc.
_DAYS_SINCE_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def days_since_as_date(op: str, days: int, today: date) -> tuple[str, str]:
    """Rewrite ``days_since(x) op days`` as ``date(x) op' ISO-date``.

    Returns:
        The operator to apply to the ISO date text of x, and the date to compare with.
    """
    if op == ">":
        op, days = ">=", days + 1
    elif op == "<":
        op, days = "<=", days - 1
    try:
        bound = (today - timedelta(days=days)).isoformat()
    except OverflowError:
        bound = "0000-00-00" if days > 0 else "9999-99-99"
    return _DAYS_SINCE_FLIP[op], bound


def date_of(value: Any) -> str | None:
    """The ``YYYY-MM-DD`` part of date or datetime text (the UTC date), else None."""
    if not isinstance(value, str):
        return None
    if is_date_text(value):
        return value
    return value[:10] if is_datetime_text(value) else None

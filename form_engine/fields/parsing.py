# ruff: noqa: RUF001, RUF002 - full-width input is what these functions read
"""Reading what people type (numbers with separators, full-width digits, dates in the
spreadsheet styles common in China) and the display helpers shared by field types.
Standard library only."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

from form_engine.fields.base import CoercionError

# Larger magnitudes lose precision in JavaScript and in float SQL casts; refuse them.
MAX_NUMBER = 10**15

_SPACES = re.compile(r"[\s\u00a0\u2009\u202f_']+")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def fold(text: str) -> str:
    """Full-width to ASCII (``１２３，４`` → ``123,4``), trimmed; NFKC."""
    return unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip()


def parse_number(text: str) -> int | float:
    """``"1,234.5"``, ``"１２３"``, ``"-12"``, ``"1e3"`` → a finite JSON number.

    Thousands separators must group by three (``"12,5"`` is refused rather than read
    as 125). Integers stay ``int``; anything with a point or exponent is a ``float``.

    Raises:
        CoercionError: ``not_a_number``, or ``number_too_large`` beyond ±10^15.
    """
    compact = _SPACES.sub("", fold(text))
    if "," in compact:
        if not _GROUPED.fullmatch(compact):
            raise CoercionError("not_a_number")
        compact = compact.replace(",", "")
    if not _NUMBER.fullmatch(compact):
        raise CoercionError("not_a_number")
    digits = compact.lstrip("+-")
    if "." not in digits and "e" not in digits.lower():
        if len(digits.lstrip("0")) > 16:
            raise CoercionError("number_too_large")
        value: int | float = int(compact)
    else:
        value = float(compact)
    check_magnitude(value)
    return value


def check_magnitude(value: int | float) -> None:
    """Raises CoercionError for NaN/±Infinity and magnitudes beyond ``MAX_NUMBER``."""
    if isinstance(value, float) and not math.isfinite(value):
        raise CoercionError("not_a_number")
    if abs(value) > MAX_NUMBER:
        raise CoercionError("number_too_large")


def json_number(raw: object) -> int | float:
    """A JSON number (never a bool or a string), finite and in range.

    Raises:
        CoercionError: ``not_a_number`` / ``number_too_large``.
    """
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise CoercionError("not_a_number")
    check_magnitude(raw)
    return raw


def decimal_places(value: int | float) -> int:
    """Digits after the point in the shortest representation (``12.50`` → 1)."""
    if isinstance(value, int) or value.is_integer():
        return 0
    if round(value, 2) == value:  # the common case, without Decimal
        return 1 if round(value, 1) == value else 2
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def group_number(value: int | float, decimals: int | None = None) -> str:
    """``1234.5`` → ``"1,234.5"``; with ``decimals`` fixed places (``"1,234.50"``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    if isinstance(value, int):
        return f"{value:,}"
    if value.is_integer() and abs(value) < 1e16:
        return f"{int(value):,}"
    return format(Decimal(repr(value)), ",f")


TRUE_WORDS = frozenset(
    {"y", "yes", "true", "t", "1", "on", "checked", "是", "对", "有", "√", "✓", "✔"}
)
FALSE_WORDS = frozenset({"n", "no", "false", "f", "0", "off", "否", "错", "无", "×", "✗", "✘"})


def parse_bool(text: str) -> bool:
    """``是/否``, ``yes/no``, ``TRUE``, ``on``, ``1/0`` … → bool.

    Raises:
        CoercionError: ``not_a_boolean``.
    """
    word = fold(text).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CoercionError("not_a_boolean")


_SEPARATORS = re.compile(r"[;；,，、\n]")


def split_values(text: str) -> list[str]:
    """A multi-value cell (``"a; b；c,d、e"``) as trimmed, non-empty parts."""
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[T\s]+0{1,2}:00(?::00(?:\.0+)?)?)?"
)
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date_text(text: str) -> str:
    """A typed or spreadsheet date → ``YYYY-MM-DD``.

    Accepts ``2026-11-24``, ``2026/11/24``, ``2026.11.24``, ``2026年11月24日``,
    ``20261124``, single-digit months and days, and a midnight time from spreadsheets.

    Raises:
        CoercionError: ``bad_date``.
    """
    folded = fold(text)
    match = _DATE_TEXT.fullmatch(folded) or _DATE_COMPACT.fullmatch(folded)
    if not match:
        raise CoercionError("bad_date")
    try:
        return date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        raise CoercionError("bad_date") from None


def parse_date_json(raw: object) -> str:
    """A JSON date: exactly ``YYYY-MM-DD`` and a real day.

    Raises:
        CoercionError: ``bad_date``.
    """
    if not isinstance(raw, str) or not is_date(raw):
        raise CoercionError("bad_date")
    return raw


def is_date(text: str) -> bool:
    """The stored date shape: ``YYYY-MM-DD`` naming a real day."""
    if len(text) != 10 or not _DATE_ISO.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


_DATETIME_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[Tt]|\s+|(?<=日))\s*"
    r"(\d{1,2})\s*[:时]\s*(\d{2})(?:\s*[:分]\s*(\d{2})(?:\.\d+)?\s*秒?)?\s*"
    r"(Z|z|UTC|[+-]\d{2}:?\d{2})?"
)
_DATETIME_JSON = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|z|[+-]\d{2}:\d{2})"
)
_DATETIME_STORED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def _zone(text: str | None, default: tzinfo) -> tzinfo:
    if text is None:
        return default
    if text.upper() in ("Z", "UTC"):
        return UTC
    return datetime.strptime(text.replace(":", ""), "%z").tzinfo or UTC


def _to_utc(parts: tuple[str | None, ...], zone: tzinfo) -> str:
    year, month, day, hour, minute, second = (int(p or 0) for p in parts[:6])
    moment = datetime(year, month, day, hour, minute, second, tzinfo=zone)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime_text(text: str, tz: tzinfo | None) -> str:
    """A typed date-time (``2026-11-24 14:30``, ``2026/11/24T14:30:05+08:00``,
    ``2026年11月24日 14:30``; a bare date means midnight) → UTC ``…Z``.

    Naive input is read in ``tz`` (default UTC).

    Raises:
        CoercionError: ``bad_datetime``.
    """
    folded = fold(text)
    try:
        match = _DATETIME_TEXT.fullmatch(folded)
        if match:
            return _to_utc(match.groups(), _zone(match.group(7), tz or UTC))
        day = date.fromisoformat(parse_date_text(folded))
        return _to_utc((str(day.year), str(day.month), str(day.day), None, None, None), tz or UTC)
    except (ValueError, CoercionError):
        raise CoercionError("bad_datetime") from None


def parse_datetime_json(raw: object) -> str:
    """A JSON date-time: RFC 3339 with ``Z`` or an offset (converted to UTC).

    Raises:
        CoercionError: ``bad_datetime``.
    """
    match = _DATETIME_JSON.fullmatch(raw) if isinstance(raw, str) else None
    if not match:
        raise CoercionError("bad_datetime")
    try:
        return _to_utc(match.groups(), _zone(match.group(7), UTC))
    except ValueError:
        raise CoercionError("bad_datetime") from None


def is_utc_datetime(text: str) -> bool:
    """The stored date-time shape: ``YYYY-MM-DDTHH:MM:SSZ`` naming a real moment."""
    if len(text) != 20 or not _DATETIME_STORED.fullmatch(text):
        return False
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True

"""Templates: logic-less ``{{ … }}`` placeholders over a run's plain-data context.

Syntax (nothing else is accepted, nothing is ever executed)::

    {{ path }}                 record.name, steps.a1.task_id, record.lines.0.qty
    {{ path + N unit }}        record.delivered_on + 3 days
    {{ path - N unit }}        units: minute(s), hour(s), day(s), week(s), month(s)

A path is segments ``[a-z_][a-z0-9_]*`` joined by dots, resolved only through mapping
keys (and digit indexes into lists); names starting with ``__`` are refused, and there
are no attributes, calls, filters, loops or conditions. A ``{%`` block is refused.
Limits: 5,000 characters and 50 placeholders per template.

Rendering never fails on the data: a missing value, or date arithmetic on a value that
is not a date, gives ``None`` (rendered as ``""`` in text). Only a malformed template
raises ``TemplateError`` — documents are checked when saved, so at run time it does not.

Texts people read may show some values differently from the data (a choice field's
option label instead of its stored value): ``render_text`` takes an optional ``display``
hook from the host. It is only ever handed a resolved path and value — the template
syntax does not change and nothing in it can reach the hook.
"""

from __future__ import annotations

import calendar
import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from form_engine.conditions.values import is_date_text
from workflow_engine.errors import TemplateError

MAX_TEMPLATE = 5_000
MAX_PLACEHOLDERS = 50
MAX_AMOUNT = 1_000_000
UNITS = ("minutes", "hours", "days", "weeks", "months")

_INNER = re.compile(
    r"\s*(?P<path>[^\s+\-]+)\s*"
    r"(?:(?P<sign>[+-])\s*(?P<amount>[0-9]+)\s*(?P<unit>[A-Za-z_]+)\s*)?"
)
_FIRST = re.compile(r"[a-z_][a-z0-9_]*")
_SEGMENT = re.compile(r"[a-z_][a-z0-9_]*|[0-9]+")
_DATETIME_PREFIX = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}")

Display = Callable[[tuple[str, ...], Any], str | None]
"""How the host shows a value in a text: ``display(path, value)`` gets a placeholder's
path (``("record", "level")``) and its value (never None, never a shifted date) and
returns the text to show, or None for the default (``text_of``). It must not raise."""


@dataclass(frozen=True)
class Placeholder:
    """One ``{{ … }}``: its path, optional date shift, and offset in the template."""

    path: tuple[str, ...]
    offset: int
    sign: int = 0
    amount: int = 0
    unit: str | None = None

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


Part = str | Placeholder


def _placeholder(inner: str, offset: int) -> Placeholder:
    match = _INNER.fullmatch(inner)
    shown = inner.strip()[:50]
    if match is None:
        raise TemplateError("template_bad_placeholder", offset=offset, text=shown)
    segments = match["path"].split(".")
    for i, segment in enumerate(segments):
        if segment.startswith("__"):
            raise TemplateError("template_private_name", offset=offset, text=shown)
        if not (_FIRST if i == 0 else _SEGMENT).fullmatch(segment):
            raise TemplateError("template_bad_placeholder", offset=offset, text=shown)
    if match["sign"] is None:
        return Placeholder(tuple(segments), offset)
    unit = match["unit"].lower()
    unit = unit if unit.endswith("s") else unit + "s"
    if unit not in UNITS:
        hints = difflib.get_close_matches(unit, UNITS, n=1, cutoff=0.6)
        code = "template_bad_unit_hint" if hints else "template_bad_unit"
        raise TemplateError(
            code, offset=offset, suggestion=hints[0] if hints else None, name=match["unit"][:20]
        )
    amount_text = match["amount"]
    if len(amount_text) > 7 or int(amount_text) > MAX_AMOUNT:
        raise TemplateError("template_amount_range", offset=offset, max=MAX_AMOUNT)
    sign = 1 if match["sign"] == "+" else -1
    return Placeholder(tuple(segments), offset, sign, int(amount_text), unit)


@lru_cache(maxsize=2048)
def _parse(text: str) -> tuple[Part, ...]:
    parts: list[Part] = []
    block = text.find("{%")
    if block >= 0:
        raise TemplateError("template_block", offset=block)
    position = 0
    count = 0
    while True:
        start = text.find("{{", position)
        if start < 0:
            break
        end = text.find("}}", start + 2)
        if end < 0:
            raise TemplateError("template_unclosed", offset=start)
        count += 1
        if count > MAX_PLACEHOLDERS:
            raise TemplateError("template_too_many", offset=start, max=MAX_PLACEHOLDERS)
        if start > position:
            parts.append(text[position:start])
        parts.append(_placeholder(text[start + 2 : end], start))
        position = end + 2
    if position < len(text):
        parts.append(text[position:])
    return tuple(parts)


def parse_template(text: str) -> tuple[Part, ...]:
    """Split a template into literal text and ``Placeholder``\\ s.

    Args:
        text: The template string.

    Raises:
        TemplateError: the template is too long, has too many placeholders, or one is
            malformed; ``offset`` is where the bad placeholder starts.
    """
    if len(text) > MAX_TEMPLATE:
        raise TemplateError("template_too_long", offset=0, max=MAX_TEMPLATE)
    return _parse(text)


def check_template(text: str) -> list[str]:
    """The dotted paths a template reads, in order of first use (e.g. ``["record.name"]``).

    Args:
        text: The template string.

    Raises:
        TemplateError: the template is malformed (see ``parse_template``).
    """
    paths: list[str] = []
    for part in parse_template(text):
        if isinstance(part, Placeholder) and part.dotted not in paths:
            paths.append(part.dotted)
    return paths


# -- values ----------------------------------------------------------------------------
def _resolve(path: tuple[str, ...], context: Mapping[str, Any]) -> Any:
    current: Any = context
    for segment in path:
        if isinstance(current, Mapping):
            current = current.get(segment)
        elif isinstance(current, list | tuple) and segment.isdigit():
            index = int(segment)
            current = current[index] if index < len(current) else None
        else:
            return None
    return current


def _temporal(value: Any) -> date | datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        if is_date_text(value):
            return date.fromisoformat(value)
        if _DATETIME_PREFIX.match(value):
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    except ValueError:
        return None
    return None


def add_months(value: date, months: int) -> date:
    """``value`` moved by whole months, the day clamped (Jan 31 + 1 month = Feb 28/29).

    Works on datetimes too (the time and zone are kept).

    Raises:
        OverflowError: the result is outside years 1-9999.
    """
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def shift(value: Any, amount: int, unit: str) -> date | datetime | None:
    """A date/datetime (or ISO text of one) moved by ``amount`` ``unit``; else None.

    Days, weeks and months keep a date a date; minutes and hours turn a date into a
    datetime at midnight UTC. A datetime moves in its own zone's wall-clock time.
    """
    base = _temporal(value)
    if base is None:
        return None
    try:
        if unit == "months":
            return add_months(base, amount)
        if unit in ("days", "weeks"):
            return base + timedelta(days=amount * (7 if unit == "weeks" else 1))
        if not isinstance(base, datetime):
            base = datetime.combine(base, time(0), tzinfo=UTC)
        return base + timedelta(minutes=amount * (60 if unit == "hours" else 1))
    except (OverflowError, ValueError):
        return None


def _value(placeholder: Placeholder, context: Mapping[str, Any]) -> Any:
    value = _resolve(placeholder.path, context)
    if placeholder.unit is None:
        return value
    return shift(value, placeholder.sign * placeholder.amount, placeholder.unit)


def utc_text(value: datetime) -> str:
    """An aware (or UTC naive) datetime as ``YYYY-MM-DDTHH:MM:SSZ``."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_ready(value: Any) -> Any:
    """Plain JSON data for a context value: dates as ISO text, datetimes in UTC.

    Decimals become ints or floats, tuples lists; values JSON cannot hold (NaN,
    objects of other types) become None.
    """
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return None


def text_of(value: Any) -> str:
    """A context value as text: None → "", true/false, 3.0 → "3", dates ISO.

    Lists are joined with ", " (empty items left out); mappings render as "".
    """
    if value is None or isinstance(value, Mapping):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        number = json_ready(value)
        if number is None:
            return ""
        if isinstance(number, float) and number.is_integer() and abs(number) < 1e16:
            return str(int(number))
        return str(number)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(text for text in map(text_of, value) if text)
    return ""


def _shown(placeholder: Placeholder, context: Mapping[str, Any], display: Display | None) -> str:
    value = _value(placeholder, context)
    # A shifted value is a new date, no longer the field's value: the hook never sees it.
    if display is not None and value is not None and placeholder.unit is None:
        text = display(placeholder.path, value)
        if text is not None:
            return text
    return text_of(value)


def render_text(
    template: str, context: Mapping[str, Any], *, display: Display | None = None
) -> str:
    """Render a template as text (see ``text_of`` for how values look).

    Args:
        template: The template string.
        context: The run's context (plain data: mappings, lists, scalars, dates).
        display: The host's ``Display`` hook for texts people read (option labels);
            None renders every value with ``text_of``.

    Raises:
        TemplateError: the template is malformed (never because of the data).
    """
    return "".join(
        _shown(part, context, display) if isinstance(part, Placeholder) else part
        for part in parse_template(template)
    )


def render_value(template: Any, context: Mapping[str, Any]) -> Any:
    """Render every string of ``template`` (recursively through dicts and lists).

    A string that is exactly one placeholder (whitespace around it allowed) gives the
    value itself, JSON-ready (``json_ready``): a number stays a number, a date becomes
    ``"YYYY-MM-DD"``, a datetime ``"YYYY-MM-DDTHH:MM:SSZ"``, a missing value None.
    Other strings are rendered as text (``render_text``, with no ``display`` hook: what
    this renders is data — field values, webhook payloads — so it keeps stored values);
    other values are kept.

    Args:
        template: A string, or a JSON structure whose strings are templates.
        context: The run's context.

    Raises:
        TemplateError: a template string is malformed (never because of the data).
    """
    if isinstance(template, str):
        parts = parse_template(template)
        placeholders = [part for part in parts if isinstance(part, Placeholder)]
        literal = "".join(part for part in parts if isinstance(part, str))
        if len(placeholders) == 1 and not literal.strip():
            return json_ready(_value(placeholders[0], context))
        return render_text(template, context)
    if isinstance(template, Mapping):
        return {key: render_value(item, context) for key, item in template.items()}
    if isinstance(template, list | tuple):
        return [render_value(item, context) for item in template]
    return template

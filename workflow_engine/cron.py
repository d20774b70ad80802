"""Crontab expressions for ``schedule`` triggers: a small, strict validator and matcher.

Five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or jan-dec)
and weekday (0-7, 0 and 7 being Sunday, or sun-sat). Each field is ``*`` or a list of
items: a number ``5``, a range ``1-5``, a step ``*/15`` or ``1-30/5``. Names are
case-insensitive. As in crontab(5), when both day of month and weekday are restricted
(anything but a plain ``*``), a day matches when either matches.

``parse_cron`` returns a normalised expression. Its weekday field is written with
names (``mon-fri``, ``sun,sat``), never numbers or steps, because schedulers disagree
on weekday numbers (APScheduler's ``CronTrigger`` counts Monday as 0, crontab counts
Sunday as 0) while every one of them reads names the same way. Months are numbers.
Note that APScheduler combines day of month and weekday with AND, not OR; the platform
should use ``cron_matches`` when both are restricted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from workflow_engine.errors import AutomationError

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

_ITEM = re.compile(r"(?:(\*)|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:/([0-9]+))?")


@dataclass(frozen=True)
class _Field:
    kind: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day", 1, 31),
    _Field("month", 1, 12, MONTHS, 1),
    _Field("weekday", 0, 7, WEEKDAYS, 0),
)


@dataclass(frozen=True)
class CronSpec:
    """A parsed crontab: the allowed values of each field (weekdays 0-6, Sunday 0)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool
    weekdays_restricted: bool
    text: str

    def matches(self, moment: datetime) -> bool:
        """Whether the wall-clock minute of ``moment`` is a firing time."""
        if not (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and moment.month in self.months
        ):
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day_ok or weekday_ok
        return day_ok and weekday_ok


def _bad(value: str, spec: _Field, path: tuple[str | int, ...]) -> AutomationError:
    high = 7 if spec.kind == "weekday" else spec.high
    return AutomationError(
        "automation_bad_cron_value",
        path=path,
        value=value[:50],
        field_kind=spec.kind,
        min=spec.low,
        max=high,
    )


def _number(token: str, spec: _Field, raw: str, path: tuple[str | int, ...]) -> int:
    if token.isdigit() and len(token) <= 2:
        number = int(token)
    elif token in spec.names:
        number = spec.names.index(token) + spec.name_base
    else:
        raise _bad(raw, spec, path)
    if not spec.low <= number <= spec.high:
        raise _bad(raw, spec, path)
    return number


def _values(text: str, spec: _Field, path: tuple[str | int, ...]) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise _bad(item or text, spec, path)
        star, first, last, step_text = match.groups()
        if star:
            low, high = spec.low, spec.high
        else:
            low = _number(first, spec, item, path)
            high = _number(last, spec, item, path) if last else low
            if last is None and step_text is not None:
                raise _bad(item, spec, path)  # "5/10": only */n and a-b/n are steps
        if high < low:
            raise _bad(item, spec, path)
        step = 1
        if step_text is not None:
            step = int(step_text) if len(step_text) <= 2 else 0
            if not 1 <= step <= spec.high - spec.low + 1:
                raise _bad(item, spec, path)
        values.update(range(low, high + 1, step))
    if spec.kind == "weekday":
        values = {value % 7 for value in values}
    return frozenset(values)


def _weekday_text(days: frozenset[int]) -> str:
    """Names, with ranges only within mon-sat: a scheduler counting Monday as 0 puts
    Sunday last, so "sun-tue" would be an empty (refused) range there."""
    parts = ["sun"] if 0 in days else []
    runs: list[tuple[int, int]] = []
    for day in sorted(days - {0}):
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    for first, last in runs:
        if first == last:
            parts.append(WEEKDAYS[first])
        elif last == first + 1:
            parts.append(f"{WEEKDAYS[first]},{WEEKDAYS[last]}")
        else:
            parts.append(f"{WEEKDAYS[first]}-{WEEKDAYS[last]}")
    return ",".join(parts)


def _field_text(text: str, spec: _Field) -> str:
    """One field, normalised: names become numbers, numbers lose leading zeros."""
    items = []
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        assert match is not None  # checked by _values
        star, first, last, step_text = match.groups()
        head = "*" if star else str(_number(first, spec, item, ()))
        if last:
            head += "-" + str(_number(last, spec, item, ()))
        if step_text is not None:
            head += f"/{int(step_text)}"
        items.append(head)
    return ",".join(items)


def compile_cron(expr: str, *, path: tuple[str | int, ...] = ()) -> CronSpec:
    """Parse a crontab expression into the sets of values it allows.

    Args:
        expr: Five whitespace-separated fields, e.g. ``"0 9 * * mon-fri"``.
        path: Where the expression sits in its document, for error messages.

    Raises:
        AutomationError: ``automation_bad_cron_fields`` (not five fields) or
            ``automation_bad_cron_value`` (naming the field and the bad part).
    """
    parts = expr.lower().split() if isinstance(expr, str) and len(expr) <= 200 else []
    if len(parts) != 5:
        raise AutomationError(
            "automation_bad_cron_fields",
            path=path,
            value=str(expr)[:100],
            count=len(parts),
        )
    sets = [_values(text, spec, path) for text, spec in zip(parts, _FIELDS, strict=True)]
    texts = [_field_text(text, spec) for text, spec in zip(parts[:4], _FIELDS[:4], strict=True)]
    texts.append(_weekday_text(sets[4]) if parts[4] != "*" else "*")
    return CronSpec(
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=sets[4],
        days_restricted=parts[2] != "*",
        weekdays_restricted=parts[4] != "*",
        text=" ".join(texts),
    )


def parse_cron(expr: str, *, path: tuple[str | int, ...] = ()) -> str:
    """Check a crontab expression and return it normalised.

    Args:
        expr: Five fields, e.g. ``"0 9 * * 1-5"`` (normalised to ``"0 9 * * mon-fri"``).
        path: Where the expression sits in its document, for error messages.

    Raises:
        AutomationError: the expression is not a valid five-field crontab.
    """
    return compile_cron(expr, path=path).text


def cron_matches(expr: str, moment: datetime) -> bool:
    """Whether a schedule fires in the wall-clock minute of ``moment`` (its own zone).

    Raises:
        AutomationError: ``expr`` is not a valid crontab.
    """
    return compile_cron(expr).matches(moment)

"""The whitelisted functions. A formula can call these and nothing else.

Each function receives the evaluation context and its call node, so ``IF``, ``AND``,
``OR`` and ``IFERROR`` evaluate only the arguments they need.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, DecimalException, localcontext
from typing import Protocol

from form_engine.formulas.errors import WORK_LIMIT, FormulaValueError
from form_engine.formulas.nodes import Call, Node
from form_engine.formulas.values import (
    MAX_TEXT,
    Value,
    as_datetime,
    checked,
    fail,
    is_empty,
    to_bool,
    to_date,
    to_number,
    to_text,
)


class Evaluation(Protocol):
    """What a function may ask of the running evaluation."""

    today: date

    def value(self, node: Node) -> Value:
        """The node's value; reading a list field costs one step per item, every time."""
        ...


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int | None  # None: any number
    run: Callable[[Evaluation, Call], Value]


def _if(ev: Evaluation, call: Call) -> Value:
    condition = call.args[0]
    if to_bool(ev.value(condition), condition.offset):
        return ev.value(call.args[1])
    return ev.value(call.args[2]) if len(call.args) == 3 else False


def _truths(ev: Evaluation, call: Call, stop_at: bool) -> bool:
    """AND (``stop_at`` FALSE) and OR (TRUE): stops at the first deciding value.

    Empty values and text inside a list are skipped, as a spreadsheet skips them in a range.
    """
    for arg in call.args:
        value = ev.value(arg)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(value, list) and not isinstance(item, bool | float):
                continue
            if to_bool(item, arg.offset) is stop_at:
                return stop_at
    return not stop_at


def _not(ev: Evaluation, call: Call) -> Value:
    return not to_bool(ev.value(call.args[0]), call.args[0].offset)


SIGNIFICANT_PLACES = 15


def _round(ev: Evaluation, call: Call) -> Value:
    """Half away from zero on the decimal digits the user sees: ROUND(2.675, 2) is 2.68."""
    number = to_number(ev.value(call.args[0]), call.args[0].offset)
    digits = 0.0
    if len(call.args) == 2:
        digits = to_number(ev.value(call.args[1]), call.args[1].offset)
    places = math.trunc(digits)  # as Excel: ROUND(x, 1.9) rounds to 1 place
    if places > SIGNIFICANT_PLACES:
        return number
    if places < -400:  # beyond any float's magnitude
        return 0.0
    # repr() is the shortest text that reads back as the float, so 2.675 is "2.675"
    # and not 2.67499999…; 1000 digits hold any float quantized to these places.
    with localcontext(Context(prec=1000)):
        try:
            exact = Decimal(repr(number)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        except DecimalException:
            raise fail("formula_number_too_large", call.offset) from None
    return checked(float(exact), call.offset)


def _numbers(ev: Evaluation, call: Call, *, dates: bool) -> list[float | date]:
    """The numbers among the arguments, lists flattened; empties (and text in lists) skipped."""
    found: list[float | date] = []
    for arg in call.args:
        value = ev.value(arg)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, bool | float):
                    found.append(float(item))
                elif isinstance(item, date):
                    if not dates:
                        raise fail("formula_not_number", arg.offset, value=to_text(item, 0))
                    found.append(item)
        elif isinstance(value, date) and dates:
            found.append(value)
        elif not is_empty(value):
            found.append(to_number(value, arg.offset))
    return found


def _floats(ev: Evaluation, call: Call) -> list[float]:
    return [number for number in _numbers(ev, call, dates=False) if isinstance(number, float)]


def _sum(ev: Evaluation, call: Call) -> Value:
    try:
        return checked(math.fsum(_floats(ev, call)), call.offset)
    except OverflowError:
        raise fail("formula_number_too_large", call.offset) from None


def _average(ev: Evaluation, call: Call) -> Value:
    numbers = _floats(ev, call)
    if not numbers:
        raise fail("formula_div_zero", call.offset)
    try:
        return checked(math.fsum(numbers) / len(numbers), call.offset)
    except OverflowError:
        raise fail("formula_number_too_large", call.offset) from None


def _extreme(largest: bool) -> Callable[[Evaluation, Call], Value]:
    """MIN or MAX over numbers, or over dates (not both); nothing to compare gives empty."""

    def run(ev: Evaluation, call: Call) -> Value:
        found = _numbers(ev, call, dates=True)
        numbers = [item for item in found if isinstance(item, float)]
        days = [item for item in found if not isinstance(item, float)]
        if numbers and days:
            raise fail("formula_bad_comparison", call.offset)
        if numbers:
            return max(numbers) if largest else min(numbers)
        if days:
            return max(days, key=as_datetime) if largest else min(days, key=as_datetime)
        return None

    return run


def _concat(ev: Evaluation, call: Call) -> Value:
    parts: list[str] = []
    size = 0
    for arg in call.args:
        part = to_text(ev.value(arg), arg.offset)
        size += len(part)
        if size > MAX_TEXT:
            raise fail("formula_text_too_long", call.offset, max=MAX_TEXT)
        parts.append(part)
    return "".join(parts)


def _len(ev: Evaluation, call: Call) -> Value:
    return float(len(to_text(ev.value(call.args[0]), call.args[0].offset)))


def _day_arg(ev: Evaluation, node: Node) -> date | None:
    """A date argument as a calendar date (a datetime's UTC date), None when empty."""
    day = to_date(ev.value(node), node.offset)
    return day.date() if isinstance(day, datetime) else day


def _datedif(ev: Evaluation, call: Call) -> Value:
    start, end = _day_arg(ev, call.args[0]), _day_arg(ev, call.args[1])
    unit = to_text(ev.value(call.args[2]), call.args[2].offset).strip().upper()
    if unit not in ("D", "M", "Y"):
        raise fail("formula_bad_datedif_unit", call.args[2].offset, unit=unit[:10])
    if start is None or end is None:
        return None
    if start > end:
        raise fail("formula_date_order", call.offset)
    if unit == "D":
        return float((end - start).days)
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1  # the last month is not complete
    return float(months if unit == "M" else months // 12)


def _days(ev: Evaluation, call: Call) -> Value:
    end, start = _day_arg(ev, call.args[0]), _day_arg(ev, call.args[1])
    if start is None or end is None:
        return None
    return float((end - start).days)


def _iferror(ev: Evaluation, call: Call) -> Value:
    try:
        return ev.value(call.args[0])
    except FormulaValueError as error:
        if error.code == WORK_LIMIT:
            raise
        return ev.value(call.args[1])


def _counta(ev: Evaluation, call: Call) -> Value:
    count = 0
    for arg in call.args:
        value = ev.value(arg)
        items = value if isinstance(value, list) else [value]
        count += sum(1 for item in items if not is_empty(item))
    return float(count)


def _date(ev: Evaluation, call: Call) -> Value:
    """DATE(year, month, day); months and days past their end roll over, as in Excel."""
    year, month, day = (math.trunc(to_number(ev.value(a), a.offset)) for a in call.args)
    if not (0 < year < 10_000 and abs(month) < 200_000 and abs(day) < 5_000_000):
        raise fail("formula_date_out_of_range", call.offset)
    years, month_index = divmod(year * 12 + month - 1, 12)
    try:
        return date(years, month_index + 1, 1) + timedelta(days=day - 1)
    except (OverflowError, ValueError):
        raise fail("formula_date_out_of_range", call.offset) from None


def _part(pick: Callable[[date], int]) -> Callable[[Evaluation, Call], Value]:
    def run(ev: Evaluation, call: Call) -> Value:
        day = _day_arg(ev, call.args[0])
        return None if day is None else float(pick(day))

    return run


def _spec(name: str, low: int, high: int | None, run: Callable[[Evaluation, Call], Value]) -> None:
    FUNCTIONS[name] = FunctionSpec(name, low, high, run)


FUNCTIONS: dict[str, FunctionSpec] = {}
_spec("IF", 2, 3, _if)
_spec("AND", 1, None, lambda ev, call: _truths(ev, call, stop_at=False))
_spec("OR", 1, None, lambda ev, call: _truths(ev, call, stop_at=True))
_spec("NOT", 1, 1, _not)
_spec("IFERROR", 2, 2, _iferror)
_spec("ROUND", 1, 2, _round)
_spec("ABS", 1, 1, lambda ev, call: abs(to_number(ev.value(call.args[0]), call.args[0].offset)))
_spec("SUM", 1, None, _sum)
_spec("AVERAGE", 1, None, _average)
_spec("MIN", 1, None, _extreme(largest=False))
_spec("MAX", 1, None, _extreme(largest=True))
_spec("COUNTA", 1, None, _counta)
_spec("CONCAT", 1, None, _concat)
_spec("LEN", 1, 1, _len)
_spec("TODAY", 0, 0, lambda ev, call: ev.today)
_spec("DATE", 3, 3, _date)
_spec("YEAR", 1, 1, _part(lambda day: day.year))
_spec("MONTH", 1, 1, _part(lambda day: day.month))
_spec("DAY", 1, 1, _part(lambda day: day.day))
_spec("DATEDIF", 3, 3, _datedif)
_spec("DAYS", 2, 2, _days)

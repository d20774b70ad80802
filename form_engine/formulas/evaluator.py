"""Evaluation of a parsed formula against one record, with a step budget."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from form_engine.formulas.errors import WORK_LIMIT, FormulaValueError
from form_engine.formulas.functions import FUNCTIONS
from form_engine.formulas.nodes import (
    Boolean,
    Call,
    Chain,
    Compare,
    FieldRef,
    Node,
    Number,
    Percent,
    Text,
    Unary,
)
from form_engine.formulas.values import (
    MAX_TEXT,
    SIGNIFICANT_DIGITS,
    Value,
    as_datetime,
    checked,
    days_between,
    fail,
    from_record,
    is_empty,
    shift_date,
    to_date,
    to_number,
    to_text,
)

MAX_STEPS = 100_000  # node visits plus list items read
MAX_EXPONENT = 1024


class Evaluator:
    """Evaluates nodes for one record; every node visited and list item read is a step."""

    def __init__(self, record: Mapping[str, Any], today: date) -> None:
        self.record = record
        self.today = today
        self.steps = 0
        self._fields: dict[str, Value] = {}

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise FormulaValueError(WORK_LIMIT, params={"max": MAX_STEPS})

    def value(self, node: Node) -> Value:
        self.step()
        if isinstance(node, Number | Text | Boolean):
            return node.value
        if isinstance(node, FieldRef):
            return self.field(node)
        if isinstance(node, Unary):
            number = to_number(self.value(node.operand), node.operand.offset)
            return -number + 0.0 if node.operator == "-" else number
        if isinstance(node, Percent):
            return to_number(self.value(node.operand), node.operand.offset) / 100
        if isinstance(node, Chain):
            result = self.value(node.first)
            for operator, offset, operand in node.rest:
                right = self.value(operand)
                result = binary(operator, result, right, offset, node.first.offset, operand.offset)
            return result
        if isinstance(node, Compare):
            return compare(
                node.operator, self.value(node.left), self.value(node.right), node.offset
            )
        if isinstance(node, Call):
            return FUNCTIONS[node.name].run(self, node)
        raise fail("formula_internal_error", 0)  # pragma: no cover - every node kind is above

    def field(self, node: FieldRef) -> Value:
        if node.key in self._fields:
            value = self._fields[node.key]
            if isinstance(value, list):
                self.step(len(value))  # every use of a list may walk it
            return value
        raw: object = self.record.get(node.key)
        if node.key not in self.record and "." in node.key:
            # A subform column, {lines.amount}: the list of that column's values.
            subform, column = node.key.split(".", 1)
            rows = self.record.get(subform)
            if isinstance(rows, list):
                raw = [row.get(column) if isinstance(row, Mapping) else None for row in rows]
        if isinstance(raw, list):
            self.step(len(raw))
        value = from_record(raw, node.kind, node.offset)
        self._fields[node.key] = value
        return value


def binary(
    operator: str, left: Value, right: Value, offset: int, left_at: int, right_at: int
) -> Value:
    """``left operator right`` for the chained operators (arithmetic and ``&``)."""
    if operator == "&":
        head, tail = to_text(left, left_at), to_text(right, right_at)
        if len(head) + len(tail) > MAX_TEXT:
            raise fail("formula_text_too_long", offset, max=MAX_TEXT)
        return head + tail
    if operator in "+-" and (isinstance(left, date) or isinstance(right, date)):
        return _date_arithmetic(operator, left, right, offset, left_at, right_at)
    a, b = to_number(left, left_at), to_number(right, right_at)
    if operator == "+":
        return checked(a + b, offset)
    if operator == "-":
        return checked(a - b, offset)
    if operator == "*":
        return checked(a * b, offset)
    if operator == "/":
        if b == 0:
            raise fail("formula_div_zero", offset)
        return checked(a / b, offset)
    return _power(a, b, offset)


def _power(base: float, exponent: float, offset: int) -> float:
    if abs(exponent) > MAX_EXPONENT:
        raise fail("formula_power_out_of_range", offset, max=MAX_EXPONENT)
    if base == 0 and exponent < 0:
        raise fail("formula_div_zero", offset)
    if (base == 0 and exponent == 0) or (base < 0 and not exponent.is_integer()):
        raise fail("formula_number_too_large", offset)  # #NUM!, as in Excel
    try:
        return checked(math.pow(base, exponent), offset)
    except (OverflowError, ValueError):
        raise fail("formula_number_too_large", offset) from None


def _date_arithmetic(
    operator: str, left: Value, right: Value, offset: int, left_at: int, right_at: int
) -> Value:
    """date ± days is a date, date - date is days; an empty side makes the result empty."""
    if is_empty(left) or is_empty(right):
        return None
    if isinstance(left, date) and isinstance(right, date):
        if operator == "-":
            return days_between(left, right)
        raise fail("formula_not_number", right_at, value=to_text(right, right_at))
    if isinstance(left, date):
        days = to_number(right, right_at)
        return shift_date(left, days if operator == "+" else -days, offset)
    if operator == "-":  # number - date
        raise fail("formula_not_number", right_at, value=to_text(right, right_at))
    assert isinstance(right, date)
    return shift_date(right, to_number(left, left_at), offset)


def compare(operator: str, left: Value, right: Value, offset: int) -> bool:
    """A spreadsheet comparison.

    Text compares case-insensitively, numbers on 15 significant digits (so 0.1 + 0.2 = 0.3),
    TRUE/FALSE as 1/0 against numbers; empty is 0, "" or FALSE next to a number, text or
    TRUE/FALSE. Dates compare with dates or ISO date text; next to an empty value only
    ``<>`` holds. Values of different kinds are unequal and cannot be ordered.
    """
    has_date = isinstance(left, date) or isinstance(right, date)
    if has_date and (is_empty(left) or is_empty(right)):
        return operator == "<>"  # an empty date is like SQL NULL: never equal or ordered
    keys = _keys(left, right, offset)
    if keys is None:
        if operator in ("=", "<>"):
            return (operator == "=") == (left == right)
        raise fail("formula_bad_comparison", offset)
    a, b = keys
    if operator == "=":
        return bool(a == b)
    if operator == "<>":
        return bool(a != b)
    if operator == "<":
        return bool(a < b)
    if operator == "<=":
        return bool(a <= b)
    if operator == ">":
        return bool(a > b)
    return bool(a >= b)


def _keys(left: Value, right: Value, offset: int) -> tuple[Any, Any] | None:
    """Comparable forms of both sides, or None when they are of different kinds."""
    if isinstance(left, date) or isinstance(right, date):
        other = right if isinstance(left, date) else left
        if not isinstance(other, date | str):
            return None
        try:
            first, second = to_date(left, offset), to_date(right, offset)
        except FormulaValueError:
            return None  # text that is not a date: unequal, and not ordered
        assert first is not None and second is not None
        return as_datetime(first), as_datetime(second)
    if left is None and right is None:
        return 0, 0
    if left is None:
        left = _blank_like(right)
    elif right is None:
        right = _blank_like(left)
    if isinstance(left, float | bool) and isinstance(right, float | bool):
        return _rounded(float(left)), _rounded(float(right))
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold(), right.casefold()
    return None


def _blank_like(value: Value) -> Value:
    if isinstance(value, float | bool):
        return 0.0
    if isinstance(value, str):
        return ""
    return None


def _rounded(number: float) -> float:
    return float(format(number, f".{SIGNIFICANT_DIGITS}g"))

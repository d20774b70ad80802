"""``parse_formula`` and the ``Formula`` it returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from form_engine.formulas.errors import FormulaError, FormulaValueError
from form_engine.formulas.evaluator import Evaluator
from form_engine.formulas.nodes import FieldRef, Node, walk
from form_engine.formulas.parser import parse
from form_engine.formulas.values import (
    MAX_TEXT,
    Value,
    as_datetime,
    display,
    format_datetime,
    is_empty,
    parse_date,
    to_json,
    to_text,
)

logger = logging.getLogger(__name__)

KINDS = frozenset({"number", "text", "boolean", "date", "datetime", "json"})


def parse_formula(
    text: str,
    *,
    fields: Mapping[str, str],
    result_kind: str | None = None,
    path: tuple[str | int, ...] = (),
) -> Formula:
    """Parse and check a formula, as when a form with an ``x-formula`` field is saved.

    Args:
        text: The formula, e.g. ``IF(total_spent > 1000, "A", "B")``; a leading ``=``
            is allowed.
        fields: The fields the formula may use, key → kind (``number``, ``text``,
            ``boolean``, ``date``, ``datetime``, ``json``). A subform column is declared
            as ``"lines.amount"`` and referenced as ``{lines.amount}`` (a list).
        result_kind: The field's ``x-result``; ``compute_formulas`` converts to it.
        path: Where the formula sits in its document, copied onto errors.

    Raises:
        FormulaSyntaxError: the text is not a formula (``FormulaError`` subclass).
        FormulaError: too long, too deep or too large; an unknown field or function;
            a function called with the wrong number of arguments.
        ValueError: a kind in ``fields`` or ``result_kind`` is not one of the kinds above.
    """
    unknown = {kind for kind in fields.values() if kind not in KINDS}
    if result_kind is not None and result_kind not in KINDS:
        unknown.add(result_kind)
    if unknown:
        raise ValueError(f"unknown formula value kinds {sorted(unknown)}; use {sorted(KINDS)}")
    try:
        root = parse(text, fields)
    except FormulaError as error:
        error.path = path
        raise
    return Formula(text, root, result_kind)


@dataclass(frozen=True)
class Formula:
    """A checked formula; evaluating it never runs anything but the whitelisted functions.

    Attributes:
        text: The formula as written.
        root: The parsed tree.
        result_kind: The declared result kind (``x-result``), if given.
        references: The top-level field keys the formula reads (a subform column
            ``{lines.amount}`` counts as ``lines``).
    """

    text: str
    root: Node = field(repr=False)
    result_kind: str | None = None
    references: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        keys = {
            node.key.split(".", 1)[0] for node, _ in walk(self.root) if isinstance(node, FieldRef)
        }
        object.__setattr__(self, "references", frozenset(keys))

    def evaluate(self, record: Mapping[str, Any], *, today: date) -> Value:
        """The formula's value for ``record`` (floats, text, bool, date, list or None).

        Args:
            record: The record's data, as stored (dates as ISO text).
            today: What ``TODAY()`` returns; a datetime is reduced to its date.

        Raises:
            FormulaValueError: the value cannot be computed (``#DIV/0!``, ``#VALUE!``,
                ``#NUM!``), including when the step budget runs out.
        """
        if isinstance(today, datetime):
            today = today.date()
        try:
            return Evaluator(record, today).value(self.root)
        except FormulaValueError:
            raise
        except Exception as exc:  # a bug here must not reach the record's save
            logger.exception("formula %r failed unexpectedly", self.text)
            raise FormulaValueError("formula_internal_error") from exc

    def evaluate_as(self, record: Mapping[str, Any], result_kind: str, today: date) -> Any:
        """The value converted to ``result_kind`` and made JSON-storable (dates as ISO text).

        Raises:
            FormulaValueError: the value cannot be computed or is not of that kind.
            ValueError: ``result_kind`` is not a known kind.
        """
        return convert_result(self.evaluate(record, today=today), result_kind)


def convert_result(value: Value, kind: str) -> Any:
    """``value`` as a stored value of ``kind``; empty stays None.

    Raises:
        FormulaValueError: the value is not of that kind.
        ValueError: ``kind`` is unknown.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown formula result kind {kind!r}")
    if kind == "json":
        return to_json(value)
    if value is None or (value == "" and kind != "text"):
        return None
    if kind == "number":
        if isinstance(value, bool | float):
            return to_json(float(value))
        raise FormulaValueError("formula_result_not_number", params={"value": display(value)})
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, float):
            return value != 0
        if isinstance(value, str) and value.upper() in ("TRUE", "FALSE"):
            return value.upper() == "TRUE"
        raise FormulaValueError("formula_result_not_boolean", params={"value": display(value)})
    if kind == "text":
        try:
            text = to_text(value, 0)
        except FormulaValueError:
            raise FormulaValueError("formula_result_not_text") from None
        if len(text) > MAX_TEXT:
            raise FormulaValueError("formula_result_not_text")
        return text
    return _date_result(value, with_time=kind == "datetime")


def _date_result(value: Value, *, with_time: bool) -> str:
    code = "formula_result_not_datetime" if with_time else "formula_result_not_date"
    day: date | None = value if isinstance(value, date) else None
    if isinstance(value, str) and not is_empty(value):
        try:
            day = parse_date(value, 0, with_time="T" in value)
        except FormulaValueError:
            day = None
    if day is None:
        raise FormulaValueError(code, params={"value": display(value)})
    if with_time:
        return format_datetime(as_datetime(day))
    return (day.date() if isinstance(day, datetime) else day).isoformat()

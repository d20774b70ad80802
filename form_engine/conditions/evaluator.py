"""``evaluate``: a condition as a Python predicate over one record (or one event)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from form_engine.conditions.nodes import COMPARISONS, Condition, Literal, Node, Op, Var
from form_engine.conditions.values import (
    compare,
    date_of,
    days_since_as_date,
    is_empty,
    json_equal,
    literal_value,
    read,
    same,
)

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class EvalContext:
    """What a condition may know besides the record.

    Attributes:
        today: The date "today" in the workspace's time zone (``today``, ``days_since``).
        previous: The record before the change, for ``changed``/``was``; None when there
            is none (a created record: every field was missing).
    """

    today: date
    previous: Mapping[str, Any] | None = None


def evaluate(
    condition: Condition, record: Mapping[str, Any], *, context: EvalContext | None = None
) -> bool:
    """Whether ``record`` satisfies ``condition``.

    Args:
        condition: A tree from ``parse_condition``.
        record: The record's data (field key → stored JSON value).
        context: Today's date and the previous record; without it, today is the host's
            local date and there is no previous record.
    """
    return _Evaluation(record, context or EvalContext(today=date.today())).truth(condition)


class _Evaluation:
    def __init__(self, record: Mapping[str, Any], context: EvalContext) -> None:
        self.record = record
        self.context = context

    def truth(self, node: Node) -> bool:
        if isinstance(node, Literal):
            return node.value is True
        if isinstance(node, Var):
            return self.value(node) is True
        name, args = node.name, node.args
        if name == "and":
            return all(self.truth(arg) for arg in args)
        if name == "or":
            return any(self.truth(arg) for arg in args)
        if name == "!":
            return not self.truth(args[0])
        if name in COMPARISONS:
            return all(self._pair(name, args[i], args[i + 1]) for i in range(len(args) - 1))
        if name == "in":
            return self._in(args[0], args[1])
        if name == "contains_any":
            return self._contains_any(self.value(args[0]), args[1])
        if name == "is_empty":
            return is_empty(self.value(args[0]))
        if name == "not_empty":
            return not is_empty(self.value(args[0]))
        if name == "changed":
            field = args[0]
            assert isinstance(field, Var)
            before = (self.context.previous or {}).get(field.name)
            return not json_equal(before, self.record.get(field.name))
        if name == "was":
            field, expected = args
            assert isinstance(field, Var)
            before = (self.context.previous or {}).get(field.name)
            return compare("==", read(before, field.kind), self.value(expected))
        raise AssertionError(f"not a predicate: {name}")  # the parser refuses these

    def value(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return literal_value(node.value)
        if isinstance(node, Var):
            value = read(self.record.get(node.name), node.kind)
            if value is None and node.default is not None:
                return literal_value(node.default)
            return value
        if node.name == "today":
            return self.context.today.isoformat()
        raise AssertionError(f"not a value: {node.name}")  # days_since is compared only

    def _pair(self, op: str, left: Node, right: Node) -> bool:
        if isinstance(left, Op) and left.name == "days_since":
            return self._days_since(op, left.args[0], right)
        if isinstance(right, Op) and right.name == "days_since":
            return self._days_since(_FLIPPED[op], right.args[0], left)
        return compare(op, self.value(left), self.value(right))

    def _days_since(self, op: str, field: Node, days: Node) -> bool:
        assert isinstance(days, Literal) and isinstance(days.value, int)
        date_op, bound = days_since_as_date(op, days.value, self.context.today)
        return compare(date_op, date_of(self.value(field)), bound)

    def _in(self, needle: Node, haystack: Node) -> bool:
        wanted = self.value(needle)
        if isinstance(haystack, Literal) and isinstance(haystack.value, tuple):
            return wanted is not None and any(same(wanted, item) for item in haystack.value)
        within = self.value(haystack)
        if isinstance(within, list):
            return any(same(item, wanted) for item in within)
        is_list_field = isinstance(haystack, Var) and haystack.kind == "json"
        if isinstance(within, str) and isinstance(wanted, str) and not is_list_field:
            return wanted in within
        return False

    def _contains_any(self, value: Any, items: Node) -> bool:
        assert isinstance(items, Literal) and isinstance(items.value, tuple)
        if not isinstance(value, list):
            return False
        return any(same(element, item) for element in value for item in items.value)

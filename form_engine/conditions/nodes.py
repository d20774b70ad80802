"""The typed condition tree, its operator registry and its JSON form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from form_engine.conditions.values import Scalar

LOGIC = frozenset({"and", "or", "!"})
EQUALITY = frozenset({"==", "!="})
ORDERING = frozenset({"<", "<=", ">", ">="})
COMPARISONS = EQUALITY | ORDERING
EVENT_OPERATORS = frozenset({"changed", "was"})
# Operators whose result is true/false (usable under and/or/!).
PREDICATES = LOGIC | COMPARISONS | EVENT_OPERATORS | {"in", "contains_any", "is_empty", "not_empty"}
# Operators that produce a value to compare.
VALUE_OPERATORS = frozenset({"today", "days_since"})
OPERATORS = PREDICATES | VALUE_OPERATORS | {"var"}


@dataclass(frozen=True)
class Var:
    """A field of the record, read through its kind (None when parsed without fields)."""

    name: str
    kind: str | None = None
    default: Scalar | None = None
    _default_type: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_default_type", type(self.default).__name__)


@dataclass(frozen=True)
class Literal:
    """A constant: text, number, boolean, or a tuple of those (the list operand of in)."""

    value: Scalar | tuple[Scalar, ...]
    # Python says 1 == 1.0 == True; trees must not, or {"in": [x, [1]]} == {"in": [x, [true]]}.
    _types: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        values = self.value if isinstance(self.value, tuple) else (self.value,)
        object.__setattr__(self, "_types", tuple(type(v).__name__ for v in values))


@dataclass(frozen=True)
class Op:
    """An operator applied to its arguments (``changed``/``was`` take a ``Var`` first)."""

    name: str
    args: tuple[Node, ...] = ()


Node = Var | Literal | Op
Condition = Node


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents first."""
    yield node
    if isinstance(node, Op):
        for arg in node.args:
            yield from walk(arg)


def referenced_fields(condition: Condition) -> frozenset[str]:
    """The field keys a condition reads (including through ``changed``/``was``)."""
    return frozenset(node.name for node in walk(condition) if isinstance(node, Var))


def uses_event_operators(condition: Condition) -> bool:
    """True when the condition compares before/after values (``changed``, ``was``).

    Such conditions only make sense for one event and cannot be compiled to SQL.
    """
    return any(isinstance(n, Op) and n.name in EVENT_OPERATORS for n in walk(condition))


def to_json(condition: Condition) -> Any:
    """The canonical JSON document of a condition; ``parse_condition`` reads it back.

    Returns a dict, or a bare boolean for the constant conditions ``true``/``false``.
    """
    if isinstance(condition, Literal):
        value = condition.value
        return list(value) if isinstance(value, tuple) else value
    if isinstance(condition, Var):
        if condition.default is None:
            return {"var": condition.name}
        return {"var": [condition.name, condition.default]}
    if condition.name == "changed":
        return {"changed": _var_name(condition.args[0])}
    if condition.name == "was":
        return {"was": [_var_name(condition.args[0]), to_json(condition.args[1])]}
    return {condition.name: [to_json(arg) for arg in condition.args]}


def _var_name(node: Node) -> str:
    assert isinstance(node, Var)
    return node.name

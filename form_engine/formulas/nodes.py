"""The parsed formula: a small typed tree. Every node remembers its source offset."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    offset: int


@dataclass(frozen=True, slots=True)
class Text:
    value: str
    offset: int


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool
    offset: int


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A field of the record; ``kind`` is its declared result kind ("number", "date", …)."""

    key: str
    kind: str
    offset: int


@dataclass(frozen=True, slots=True)
class Unary:
    operator: str  # "-" or "+"
    operand: Node
    offset: int


@dataclass(frozen=True, slots=True)
class Percent:
    operand: Node
    offset: int  # of the "%" sign


@dataclass(frozen=True, slots=True)
class Chain:
    """Left-associative operators of one precedence level: ``a + b - c``.

    Kept flat so that a long sum does not make a deep tree.
    """

    first: Node
    rest: tuple[tuple[str, int, Node], ...]  # (operator, its offset, right operand)

    @property
    def offset(self) -> int:
        return self.first.offset


@dataclass(frozen=True, slots=True)
class Compare:
    operator: str
    left: Node
    right: Node
    offset: int  # of the operator


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # upper case
    args: tuple[Node, ...]
    offset: int


Node = Number | Text | Boolean | FieldRef | Unary | Percent | Chain | Compare | Call


def children(node: Node) -> Iterator[Node]:
    """The direct sub-nodes of ``node``, left to right."""
    if isinstance(node, Unary | Percent):
        yield node.operand
    elif isinstance(node, Chain):
        yield node.first
        for _operator, _offset, operand in node.rest:
            yield operand
    elif isinstance(node, Compare):
        yield node.left
        yield node.right
    elif isinstance(node, Call):
        yield from node.args


def walk(node: Node) -> Iterator[tuple[Node, int]]:
    """Every node with its depth (the root is 1), without recursion."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        yield current, depth
        stack.extend((child, depth + 1) for child in reversed(list(children(current))))

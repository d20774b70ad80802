"""``parse_condition``: JSON document → typed tree, refusing bad shapes with their spot."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from form_engine.conditions.errors import ConditionError
from form_engine.conditions.nodes import (
    COMPARISONS,
    LOGIC,
    OPERATORS,
    ORDERING,
    Condition,
    Literal,
    Node,
    Op,
    Var,
)
from form_engine.conditions.values import (
    KINDS,
    MAX_DAYS,
    NUMERIC_KINDS,
    TEMPORAL_KINDS,
    Scalar,
    is_date_text,
    is_datetime_text,
)

MAX_DEPTH = 32
MAX_NODES = 500
MAX_STRING = 10_000
FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")
# A variable the host provides beside the record's fields, e.g. ``metrics.total_spent``
# (a customer's computed figures). Accepted only when ``fields`` names it exactly: form
# field keys never contain a dot, so the two can never collide.
NAMESPACED_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}\.[a-z][a-z0-9_]{0,62}")
_INT64 = 2**63

Path = tuple[str | int, ...]


def parse_condition(doc: Any, *, fields: Mapping[str, str] | None = None) -> Condition:
    """Parse and check a condition document (JsonLogic shape, Formwork's subset).

    Args:
        doc: The decoded JSON document: an object with one operator, or true/false.
        fields: Field key → SQL kind (text, number, integer, boolean, date, datetime,
            json). When given, unknown fields are refused (with "did you mean") and
            operands are type-checked; the tree remembers each field's kind, so that
            ``evaluate`` reads values exactly as the SQL compiler does. A key may also be
            a namespaced variable ``<namespace>.<key>`` (``metrics.total_spent``): such
            a variable is accepted only when ``fields`` holds that exact name.

    Raises:
        ConditionError: the document is malformed, too big, or does not fit ``fields``;
            ``path`` names the spot.
        ValueError: ``fields`` holds an unknown kind (a programming error).
    """
    if fields is not None:
        unknown = {kind for kind in fields.values() if kind not in KINDS}
        if unknown:
            raise ValueError(f"unknown field kinds {sorted(unknown)}")
    return _Parser(fields).predicate(doc, (), 1)


def _suggest(name: str, known: Iterable[str]) -> str | None:
    if len(name) > 64:
        return None
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _class(node: Node) -> str | None:
    """The comparable class of an operand: text, number, boolean, temporal, json, days."""
    if isinstance(node, Var):
        if node.kind is None:
            return None
        if node.kind in NUMERIC_KINDS:
            return "number"
        return "temporal" if node.kind in TEMPORAL_KINDS else node.kind
    if isinstance(node, Literal):
        value = node.value
        if isinstance(value, bool):
            return "boolean"
        return "text" if isinstance(value, str) else "number"
    return "temporal" if node.name == "today" else "days"


def _kind_label(node: Node) -> str:
    if isinstance(node, Var):
        return node.kind or "value"
    if isinstance(node, Op):
        return "date" if node.name == "today" else "days"
    cls = _class(node)
    return "list" if isinstance(node, Literal) and isinstance(node.value, tuple) else str(cls)


class _Parser:
    def __init__(self, fields: Mapping[str, str] | None) -> None:
        self.fields = fields
        self.count = 0

    # -- structure ---------------------------------------------------------------------
    def _enter(self, path: Path, depth: int) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise ConditionError("condition_too_large", path=path, max=MAX_NODES)
        if depth > MAX_DEPTH:
            raise ConditionError("condition_too_deep", path=path, max=MAX_DEPTH)

    def _string(self, value: str, path: Path) -> str:
        if len(value) > MAX_STRING:
            raise ConditionError("condition_string_too_long", path=path, max=MAX_STRING)
        return value

    def _operator(self, doc: dict[Any, Any], path: Path) -> tuple[str, list[Any], list[Path]]:
        """The operator name of an object, its arguments and their paths."""
        if len(doc) != 1:
            raise ConditionError("condition_one_operator", path=path, count=len(doc))
        name, raw = next(iter(doc.items()))
        if not isinstance(name, str):
            raise ConditionError("condition_not_condition", path=path)
        self._string(name, path)
        if name not in OPERATORS:
            hint = _suggest(name, OPERATORS)
            code = "condition_unknown_operator_hint" if hint else "condition_unknown_operator"
            raise ConditionError(code, path=path, suggestion=hint, name=name[:50])
        if isinstance(raw, list):
            return name, raw, [(*path, name, i) for i in range(len(raw))]
        if raw is None and name == "today":
            return name, [], []
        return name, [raw], [(*path, name)]

    def _arity(self, name: str, args: list[Any], path: Path, *allowed: int) -> None:
        if len(args) not in allowed:
            expected = str(allowed[0]) if len(allowed) == 1 else f"{allowed[0]}-{allowed[-1]}"
            raise ConditionError(
                "condition_arity", path=path, name=name, expected=expected, count=len(args)
            )

    # -- predicates --------------------------------------------------------------------
    def predicate(self, doc: Any, path: Path, depth: int) -> Node:
        self._enter(path, depth)
        if isinstance(doc, bool):
            return Literal(doc)
        if not isinstance(doc, dict):
            raise ConditionError("condition_not_condition", path=path)
        name, args, paths = self._operator(doc, path)
        if name == "var":
            var = self._var(args, paths, path)
            if var.kind not in (None, "boolean"):
                raise ConditionError("condition_expected_predicate", path=path)
            return var
        if name in LOGIC:
            if name == "!":
                self._arity(name, args, path, 1)
            elif not args:
                raise ConditionError("condition_needs_conditions", path=path, name=name)
            return Op(
                name,
                tuple(self.predicate(a, p, depth + 1) for a, p in zip(args, paths, strict=True)),
            )
        if name in COMPARISONS:
            return self._comparison(name, args, paths, path, depth)
        if name == "in":
            return self._in(args, paths, path, depth)
        if name == "contains_any":
            self._arity(name, args, path, 2)
            field = self._field_operand(args[0], paths[0], depth + 1)
            if field.kind not in (None, "json"):
                raise self._wrong_kind(name, path, field, "json")
            return Op(name, (field, self._list(args[1], paths[1], depth + 1)))
        if name in ("is_empty", "not_empty"):
            self._arity(name, args, path, 1)
            return Op(name, (self._field_operand(args[0], paths[0], depth + 1),))
        if name == "changed":
            self._arity(name, args, path, 1)
            return Op(name, (self._named_field(args[0], paths[0]),))
        if name == "was":
            self._arity(name, args, path, 2)
            field = self._named_field(args[0], paths[0])
            value = self._scalar(args[1], paths[1], depth + 1)
            self._check_pair("==", field, value, path, paths[1])
            return Op(name, (field, value))
        raise ConditionError("condition_expected_predicate", path=path)  # today, days_since

    def _comparison(
        self, name: str, args: list[Any], paths: list[Path], path: Path, depth: int
    ) -> Node:
        if name in ("<", "<="):
            self._arity(name, args, path, 2, 3)
        else:
            self._arity(name, args, path, 2)
        operands = tuple(self._value(a, p, depth + 1) for a, p in zip(args, paths, strict=True))
        for i in range(len(operands) - 1):
            self._check_pair(name, operands[i], operands[i + 1], path, paths[i + 1])
        return Op(name, operands)

    def _in(self, args: list[Any], paths: list[Path], path: Path, depth: int) -> Node:
        self._arity("in", args, path, 2)
        needle = self._value(args[0], paths[0], depth + 1)
        if _class(needle) == "days":
            raise ConditionError("condition_days_since", path=paths[0], max=MAX_DAYS)
        if isinstance(args[1], list):
            if _class(needle) == "json":
                raise self._mismatch("in", path, needle, Literal(()))
            haystack = self._list(args[1], paths[1], depth + 1)
            assert isinstance(haystack.value, tuple)
            for i, item in enumerate(haystack.value):
                self._check_pair("in", needle, Literal(item), path, (*paths[1], i))
            return Op("in", (needle, haystack))
        haystack_node = self._value(args[1], paths[1], depth + 1)
        hay = _class(haystack_node)
        if hay == "json":  # a list field: membership of one constant
            if not isinstance(needle, Literal):
                raise self._mismatch("in", path, needle, haystack_node)
        elif hay in (None, "text"):  # substring
            if _class(needle) not in (None, "text"):
                raise self._mismatch("in", path, needle, haystack_node)
        else:
            raise self._mismatch("in", path, needle, haystack_node)
        return Op("in", (needle, haystack_node))

    # -- operands ----------------------------------------------------------------------
    def _value(self, doc: Any, path: Path, depth: int) -> Node:
        if isinstance(doc, dict):
            self._enter(path, depth)
            name, args, paths = self._operator(doc, path)
            if name == "var":
                return self._var(args, paths, path)
            if name == "today":
                self._arity(name, args, path, 0)
                return Op("today")
            if name == "days_since":
                self._arity(name, args, path, 1)
                field = self._field_operand(args[0], paths[0], depth + 1)
                if field.kind not in (None, *TEMPORAL_KINDS):
                    raise self._wrong_kind(name, path, field, "date")
                return Op(name, (field,))
            raise ConditionError("condition_expected_value", path=path)
        return self._scalar(doc, path, depth)

    def _scalar(self, doc: Any, path: Path, depth: int) -> Literal:
        self._enter(path, depth)
        if doc is None:
            raise ConditionError("condition_null_comparison", path=path)
        if isinstance(doc, str):
            return Literal(self._string(doc, path))
        if isinstance(doc, bool):
            return Literal(doc)
        if isinstance(doc, int) and -_INT64 <= doc < _INT64:
            return Literal(doc)
        if isinstance(doc, float) and math.isfinite(doc):
            return Literal(doc)
        if isinstance(doc, list | dict):
            raise ConditionError("condition_expected_value", path=path)
        raise ConditionError("condition_bad_literal", path=path)

    def _list(self, doc: Any, path: Path, depth: int) -> Literal:
        if not isinstance(doc, list):
            raise ConditionError("condition_expected_list", path=path)
        self._enter(path, depth)
        items: list[Scalar] = []
        for i, item in enumerate(doc):
            if isinstance(item, list | dict):
                raise ConditionError("condition_bad_literal", path=(*path, i))
            value = self._scalar(item, (*path, i), depth + 1).value
            assert not isinstance(value, tuple)
            items.append(value)
        return Literal(tuple(items))

    def _field_operand(self, doc: Any, path: Path, depth: int) -> Var:
        if not (isinstance(doc, dict) and len(doc) == 1 and "var" in doc):
            raise ConditionError("condition_expected_field", path=path)
        self._enter(path, depth)
        _, args, paths = self._operator(doc, path)
        return self._var(args, paths, path)

    def _named_field(self, doc: Any, path: Path) -> Var:
        if not isinstance(doc, str):
            raise ConditionError("condition_expected_field", path=path)
        return self._field(doc, path)

    def _field(self, name: str, path: Path) -> Var:
        self._string(name, path)
        namespaced = self.fields is not None and NAMESPACED_KEY.fullmatch(name) is not None
        if not (FIELD_KEY.fullmatch(name) or namespaced):
            raise ConditionError("condition_bad_field_key", path=path, name=name[:50])
        if self.fields is None:
            return Var(name)
        if name not in self.fields:
            hint = _suggest(name, self.fields)
            code = "condition_unknown_field_hint" if hint else "condition_unknown_field"
            raise ConditionError(code, path=path, suggestion=hint, name=name[:50])
        return Var(name, self.fields[name])

    def _var(self, args: list[Any], paths: list[Path], path: Path) -> Var:
        self._arity("var", args, path, 1, 2)
        if not isinstance(args[0], str):
            raise ConditionError("condition_expected_field", path=paths[0])
        var = self._field(args[0], paths[0])
        if len(args) == 1 or args[1] is None:
            return var
        default = self._scalar(args[1], paths[1], 1)
        if var.kind == "json":
            raise ConditionError(
                "condition_bad_default", path=paths[1], actual_kind="json", field=var.name
            )
        if var.kind is not None:
            try:
                self._check_pair("==", var, default, paths[1], paths[1])
            except ConditionError as exc:
                raise ConditionError(
                    "condition_bad_default", path=paths[1], actual_kind=var.kind, field=var.name
                ) from exc
        assert not isinstance(default.value, tuple)
        return Var(var.name, var.kind, default.value)

    # -- type checks -------------------------------------------------------------------
    def _check_pair(self, name: str, left: Node, right: Node, path: Path, spot: Path) -> None:
        """Refuse comparisons that can never hold or cannot be ordered."""
        lc, rc = _class(left), _class(right)
        if "days" in (lc, rc):
            other = right if lc == "days" else left
            days = other.value if isinstance(other, Literal) else None
            if not (
                name in COMPARISONS
                and isinstance(days, int)
                and not isinstance(days, bool)
                and abs(days) <= MAX_DAYS
            ):
                raise ConditionError("condition_days_since", path=path, max=MAX_DAYS)
            return
        if "json" in (lc, rc):
            raise self._mismatch(name, path, left, right)
        if lc is not None and rc is not None and lc != rc:
            if {lc, rc} != {"temporal", "text"}:
                raise self._mismatch(name, path, left, right)
            text = left if lc == "text" else right
            if not isinstance(text, Literal):
                raise self._mismatch(name, path, left, right)
            assert isinstance(text.value, str)
            if not (is_date_text(text.value) or is_datetime_text(text.value)):
                raise ConditionError("condition_bad_date", path=spot, value=text.value[:50])
        if name in ORDERING and "boolean" in (lc, rc):
            raise ConditionError(
                "condition_not_orderable", path=path, name=name, left_kind="boolean"
            )

    def _mismatch(self, name: str, path: Path, left: Node, right: Node) -> ConditionError:
        return ConditionError(
            "condition_type_mismatch",
            path=path,
            name=name,
            left_kind=_kind_label(left),
            right_kind=_kind_label(right),
        )

    def _wrong_kind(self, name: str, path: Path, field: Var, expected: str) -> ConditionError:
        return ConditionError(
            "condition_wrong_field_kind",
            path=path,
            name=name,
            field=field.name,
            expected_kind=expected,
            actual_kind=field.kind,
        )

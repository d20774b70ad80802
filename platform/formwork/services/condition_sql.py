"""Conditions as SQL: the same tree ``form_engine.evaluate`` runs, over the JSON column.

``compile_condition`` turns a condition into a SQLAlchemy boolean expression for SQLite
(JSON1) and PostgreSQL (JSONB) that selects exactly the records ``evaluate`` accepts,
nulls and wrong-typed values included (the rules are in ``form_engine.conditions``).
Every predicate compiles to a two-valued expression (never SQL NULL), so ``NOT`` means
what ``!`` means in Python. User values are bound parameters; field keys are checked
against the key pattern and written as constants, so that ``json_value`` renders the
same text every time and expression indexes on it are used.

Known limit: SQLite holds numbers as 64-bit integers or doubles, so comparisons between
an integer and a float beyond ±2**53 may differ from Python's exact decimals there;
PostgreSQL (NUMERIC) agrees exactly.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    Integer,
    Numeric,
    String,
    Text,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql.elements import ColumnElement

from form_engine.conditions import (
    ConditionError,
    Literal,
    Node,
    Op,
    Var,
    parse_condition,
    to_json,
)
from form_engine.conditions.nodes import COMPARISONS, EVENT_OPERATORS, LOGIC
from form_engine.conditions.parser import FIELD_KEY
from form_engine.conditions.values import (
    DATE_GLOB,
    DATE_REGEX,
    DATETIME_GLOB,
    DATETIME_MAX_SUFFIX,
    DATETIME_REGEX,
    NUMERIC_KINDS,
    days_since_as_date,
)

DIALECTS = ("sqlite", "postgresql")
_COMPARE: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _const(text: str, type_: Any = Text) -> ColumnElement[Any]:
    """An SQL string constant written inline (for fixed text and checked keys only)."""
    assert "'" not in text and "%" not in text
    return literal_column(f"'{text}'", type_)


def _key(key: str) -> str:
    if not FIELD_KEY.fullmatch(key):
        raise ValueError(f"not a field key: {key!r}")
    return key


def _check_dialect(dialect_name: str) -> None:
    if dialect_name not in DIALECTS:
        raise ValueError(f"conditions compile for {DIALECTS}, not {dialect_name!r}")


def _pg_json(data: Any, key: str) -> ColumnElement[Any]:
    return data.op("->", return_type=JSONB)(_const(_key(key)))  # type: ignore[no-any-return]


def json_value(data_column: Any, key: str, sql_kind: str, dialect_name: str) -> ColumnElement[Any]:
    """The typed SQL value of field ``key``: NULL when missing, null or wrong-typed.

    The text is deterministic (constants inline, no parameters), so the platform can
    build expression indexes on it and sort by it. Numbers are NUMERIC (PostgreSQL) or
    the stored integer/real (SQLite); text, dates and datetimes are text compared by
    code point (``COLLATE "C"`` on PostgreSQL); booleans are boolean (1/0 on SQLite);
    ``json`` is the raw JSON value.

    Raises:
        ValueError: an invalid key, kind or dialect name.
    """
    _check_dialect(dialect_name)
    if dialect_name == "postgresql":
        return _pg_value(data_column, key, sql_kind)
    return _sqlite_value(data_column, key, sql_kind)


def _pg_value(data: Any, key: str, kind: str) -> ColumnElement[Any]:
    raw = _pg_json(data, key)
    as_text = data.op("->>", return_type=Text)(_const(_key(key)))
    of_type = func.jsonb_typeof(raw, type_=Text)
    if kind == "json":
        return raw
    if kind in NUMERIC_KINDS:
        return case((of_type == _const("number"), cast(as_text, Numeric)))
    if kind == "boolean":
        return case((of_type == _const("boolean"), cast(as_text, Boolean)))
    if kind == "text":
        return case((of_type == _const("string"), as_text)).collate("C")
    if kind in ("date", "datetime"):
        pattern = _const(DATE_REGEX if kind == "date" else DATETIME_REGEX)
        # COLLATE "C": bracket ranges match by code point, as Python's re does.
        matches = as_text.collate("C").op("~", is_comparison=True)(pattern)
        shaped = and_(of_type == _const("string"), matches)
        return case((shaped, as_text)).collate("C")
    raise ValueError(f"unknown field kind {kind!r}")


def _sqlite_value(data: Any, key: str, kind: str) -> ColumnElement[Any]:
    path = _const(f"$.{_key(key)}")
    of_type = func.json_type(data, path, type_=Text)
    extracted = func.json_extract(data, path)
    if kind == "json":
        return extracted
    if kind in NUMERIC_KINDS:
        number = or_(of_type == _const("integer"), of_type == _const("real"))
        # The stored int/float as is: SQLite has no decimals, and a float→Decimal
        # result conversion would round to 10 places.
        return case((number, type_coerce(extracted, Numeric(asdecimal=False))))
    if kind == "boolean":
        flag = case(
            (of_type == _const("true"), literal_column("1")),
            (of_type == _const("false"), literal_column("0")),
        )
        return type_coerce(flag, Boolean)
    if kind == "text":
        return case((of_type == _const("text"), type_coerce(extracted, Text)))
    if kind in ("date", "datetime"):
        pattern = _const(DATE_GLOB if kind == "date" else DATETIME_GLOB)
        shaped = and_(of_type == _const("text"), extracted.op("GLOB", is_comparison=True)(pattern))
        return case((shaped, type_coerce(extracted, Text)))
    raise ValueError(f"unknown field kind {kind!r}")


def compile_condition(
    condition: Node,
    data_column: Any,
    fields: Mapping[str, str],
    *,
    dialect_name: str,
    today: date,
    columns: Mapping[str, ColumnElement[Any]] | None = None,
) -> ColumnElement[bool]:
    """A SQL predicate selecting exactly the records ``evaluate(condition, …)`` accepts.

    Args:
        condition: A parsed condition; it is re-checked against ``fields``.
        data_column: The JSON (SQLite) / JSONB (PostgreSQL) column holding record data.
        fields: Field key → SQL kind of the form the records belong to, plus the kind of
            every variable named in ``columns``.
        dialect_name: ``sqlite`` or ``postgresql``.
        today: Today's date in the workspace's time zone (``today``, ``days_since``).
        columns: Variables read from a typed SQL column instead of the JSON data, e.g.
            ``{"metrics.total_spent": CustomerMetrics.total_spent}`` (the caller joins
            the column's table). They follow the same rules as fields: SQL NULL is null
            (a comparison with it is false, ``is_empty`` is true), text compares by code
            point, and date/datetime text that is not ISO-shaped reads as null.

    Raises:
        ConditionError: the condition does not fit ``fields``, or compares before/after
            values (``changed``, ``was``), which only exist for one event.
        ValueError: an unsupported dialect, or a column whose name is missing from
            ``fields`` or whose kind has no column form (``json``).
    """
    _check_dialect(dialect_name)
    columns = dict(columns or {})
    for name in columns:
        kind = fields.get(name)
        if kind is None or kind == "json":
            raise ValueError(f"column variable {name!r} needs a scalar kind in fields")
    typed = parse_condition(to_json(condition), fields=fields)
    return _Compiler(data_column, dialect_name, today, columns).truth(typed, ())


def column_value(column: ColumnElement[Any], kind: str, dialect_name: str) -> ColumnElement[Any]:
    """A typed column read the way ``json_value`` reads a field of ``kind``: text by code
    point, dates and datetimes only when ISO-shaped (else NULL), numbers and booleans as
    stored. SQL NULL stays NULL.

    Raises:
        ValueError: an unsupported kind (``json``) or dialect.
    """
    _check_dialect(dialect_name)
    pg = dialect_name == "postgresql"
    if kind in NUMERIC_KINDS or kind == "boolean":
        # Numbers compare as stored: an integer column with a NUMERIC constant is exact; a
        # double column compares as doubles, which orders like Python's exact decimals
        # (both sides are doubles once a JSON float is read).
        return column
    if kind == "text":
        return column.collate("C") if pg else column
    if kind in ("date", "datetime"):
        if pg:
            pattern = _const(DATE_REGEX if kind == "date" else DATETIME_REGEX)
            shaped = column.collate("C").op("~", is_comparison=True)(pattern)
            return case((shaped, column)).collate("C")
        glob = _const(DATE_GLOB if kind == "date" else DATETIME_GLOB)
        return case((column.op("GLOB", is_comparison=True)(glob), column))
    raise ValueError(f"no column form for kind {kind!r}")


class _Compiler:
    def __init__(
        self,
        data: Any,
        dialect: str,
        today: date,
        columns: Mapping[str, ColumnElement[Any]] | None = None,
    ) -> None:
        self.data = data
        self.pg = dialect == "postgresql"
        self.dialect = dialect
        self.today = today
        self.columns = dict(columns or {})

    # -- predicates --------------------------------------------------------------------
    def truth(self, node: Node, path: tuple[str | int, ...]) -> ColumnElement[bool]:
        if isinstance(node, Literal):
            return true() if node.value is True else false()
        if isinstance(node, Var):
            return self.value(node).is_(true())
        name, args = node.name, node.args
        if name in EVENT_OPERATORS:
            raise ConditionError("condition_event_only", path=path, name=name)
        if name not in LOGIC:
            return self.predicate(node)
        parts = [self.truth(arg, (*path, name, i)) for i, arg in enumerate(args)]
        if name == "and":
            return and_(*parts)
        if name == "or":
            return or_(*parts)
        if name == "!":
            return not_(parts[0])
        raise AssertionError(name)

    def predicate(self, node: Op) -> ColumnElement[bool]:
        name, args = node.name, node.args
        if name in COMPARISONS:
            return and_(*(self._pair(name, args[i], args[i + 1]) for i in range(len(args) - 1)))
        if name == "in":
            return self._in(args[0], args[1])
        if name == "contains_any":
            items = args[1]
            assert isinstance(items, Literal) and isinstance(items.value, tuple)
            return self._contains_any(args[0], items.value)
        if name in ("is_empty", "not_empty"):
            empty = self._is_empty(args[0])
            return empty if name == "is_empty" else not_(empty)
        raise AssertionError(name)

    def _pair(self, op: str, left: Node, right: Node) -> ColumnElement[bool]:
        if isinstance(left, Op) and left.name == "days_since":
            return self._days_since(op, left.args[0], right)
        if isinstance(right, Op) and right.name == "days_since":
            return self._days_since(_FLIPPED[op], right.args[0], left)
        return self._guarded((left, right), _COMPARE[op](self.value(left), self.value(right)))

    def _guarded(self, nodes: tuple[Node, ...], test: ColumnElement[bool]) -> ColumnElement[bool]:
        """``test`` with IS NOT NULL guards for fields: never NULL, so NOT is exact."""
        guards = [self.value(n).is_not(None) for n in nodes if isinstance(n, Var)]
        return and_(*guards, test)

    def _days_since(self, op: str, field: Node, days: Node) -> ColumnElement[bool]:
        assert isinstance(days, Literal) and isinstance(days.value, int)
        date_op, bound = days_since_as_date(op, days.value, self.today)
        value = self.value(field)
        # date(v) <= B  ⇔  v <= B + "T29:59:59Z" for date and datetime text alike.
        low = value >= self._text(bound)
        high = value <= self._text(bound + DATETIME_MAX_SUFFIX)
        if date_op == ">=":
            return self._guarded((field,), low)
        if date_op == "<=":
            return self._guarded((field,), high)
        within = and_(low, high)
        return self._guarded((field,), within if date_op == "==" else not_(within))

    def _in(self, needle: Node, haystack: Node) -> ColumnElement[bool]:
        if isinstance(haystack, Literal) and isinstance(haystack.value, tuple):
            if not haystack.value:
                return false()
            items = [self._literal(item) for item in haystack.value]
            return self._guarded((needle,), self.value(needle).in_(items))
        if isinstance(haystack, Var) and haystack.kind == "json":
            assert isinstance(needle, Literal) and not isinstance(needle.value, tuple)
            return self._contains_any(haystack, (needle.value,))
        where = func.strpos if self.pg else func.instr
        found = where(self.value(haystack), self.value(needle), type_=Integer) > 0
        return self._guarded((needle, haystack), found)

    def _contains_any(self, field: Node, items: tuple[Any, ...]) -> ColumnElement[bool]:
        assert isinstance(field, Var)
        if not items:
            return false()
        if self.pg:
            return self._pg_contains_any(field.name, items)
        path = _const(f"$.{_key(field.name)}")
        is_array = func.coalesce(func.json_type(self.data, path), _const("")) == _const("array")
        elements = func.json_each(self.data, path).table_valued("value", "type")
        value, of_type = elements.c.value, elements.c.type
        texts = [i for i in items if isinstance(i, str)]
        numbers = [i for i in items if isinstance(i, int | float) and not isinstance(i, bool)]
        matches = []
        if texts:
            matches.append(and_(of_type == _const("text"), value.in_(texts)))
        if numbers:
            is_number = or_(of_type == _const("integer"), of_type == _const("real"))
            matches.append(and_(is_number, value.in_(numbers)))
        for flag in {i for i in items if isinstance(i, bool)}:
            matches.append(of_type == _const("true" if flag else "false"))
        found = exists(select(literal_column("1")).select_from(elements).where(or_(*matches)))
        return and_(is_array, found)

    def _pg_contains_any(self, key: str, items: tuple[Any, ...]) -> ColumnElement[bool]:
        raw = _pg_json(self.data, key)
        of_type = func.jsonb_typeof(raw, type_=Text)
        is_array = func.coalesce(of_type, _const("")) == _const("array")
        if all(isinstance(item, str) for item in items):
            return and_(
                is_array, raw.op("?|", is_comparison=True)(literal(list(items), ARRAY(Text)))
            )
        array = case((of_type == _const("array"), raw), else_=literal_column("'[]'::jsonb", JSONB))
        elements = func.jsonb_array_elements(array).table_valued("value")
        wanted = [cast(literal(json.dumps(item), Text), JSONB) for item in items]
        found = exists(
            select(literal_column("1")).select_from(elements).where(elements.c.value.in_(wanted))
        )
        return found

    def _is_empty(self, field: Node) -> ColumnElement[bool]:
        assert isinstance(field, Var)
        if field.kind != "json":
            value = self.value(field)
            if field.kind == "text":
                return or_(value.is_(None), value == self._text(""))
            return value.is_(None)
        if self.pg:
            raw = _pg_json(self.data, field.name)
            empties = [literal_column(f"'{doc}'::jsonb", JSONB) for doc in ("null", '""', "[]")]
            return or_(raw.is_(None), raw.in_(empties))
        path = _const(f"$.{_key(field.name)}")
        of_type = func.json_type(self.data, path, type_=Text)
        extracted = func.json_extract(self.data, path)
        return or_(
            of_type.is_(None),
            of_type == _const("null"),
            and_(of_type == _const("text"), extracted == _const("")),
            and_(of_type == _const("array"), func.json_array_length(self.data, path) == 0),
        )

    # -- values ------------------------------------------------------------------------
    def value(self, node: Node) -> ColumnElement[Any]:
        if isinstance(node, Literal):
            assert not isinstance(node.value, tuple)
            return self._literal(node.value)
        if isinstance(node, Var):
            assert node.kind is not None
            column = self.columns.get(node.name)
            if column is not None:
                typed = column_value(column, node.kind, self.dialect)
            else:
                typed = json_value(self.data, node.name, node.kind, self.dialect)
            if node.default is None:
                return typed
            return func.coalesce(typed, self._literal(node.default), type_=typed.type)
        assert node.name == "today"
        return self._text(self.today.isoformat())

    def _literal(self, value: Any) -> ColumnElement[Any]:
        if isinstance(value, bool):
            return literal(value, Boolean)
        if isinstance(value, str):
            return self._text(value)
        if self.pg:
            exact = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
            return literal(exact, Numeric)
        return literal(value, Integer if isinstance(value, int) else Float)

    def _text(self, value: str) -> ColumnElement[Any]:
        bound = literal(value, String)
        return bound.collate("C") if self.pg else bound

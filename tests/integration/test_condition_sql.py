"""Conditions compiled to SQL select exactly the records ``evaluate`` accepts (both backends)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.engine import Engine

from form_engine.conditions import ConditionError, EvalContext, evaluate, parse_condition
from form_engine.conditions.values import read
from formwork.db import JSONType
from formwork.services.condition_sql import compile_condition, json_value

TODAY = date(2026, 11, 15)
FIELDS = {
    "name": "text",
    "city": "text",
    "amount": "number",
    "qty": "integer",
    "vip": "boolean",
    "born": "date",
    "seen_at": "datetime",
    "tags": "json",
}
KEYS_BY_KIND: dict[str, list[str]] = {}
for _key, _kind in FIELDS.items():
    KEYS_BY_KIND.setdefault(_kind, []).append(_key)


@dataclass
class Probe:
    """A throw-away ``cond_probe`` table (id + JSON/JSONB data) on one backend."""

    engine: Engine
    table: Table

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def selected(
        self, records: Sequence[dict[str, Any]], docs: Sequence[Any]
    ) -> list[tuple[Any, set[int], set[int]]]:
        """Per condition: (doc, ids SQL selects, ids ``evaluate`` accepts)."""
        results = []
        with self.engine.connect() as connection:
            transaction = connection.begin()
            connection.execute(
                insert(self.table), [{"id": i, "data": r} for i, r in enumerate(records)]
            )
            for doc in docs:
                condition = parse_condition(doc, fields=FIELDS)
                where = compile_condition(
                    condition, self.table.c.data, FIELDS, dialect_name=self.dialect, today=TODAY
                )
                in_sql = set(connection.scalars(select(self.table.c.id).where(where)))
                context = EvalContext(today=TODAY)
                in_python = {
                    i for i, r in enumerate(records) if evaluate(condition, r, context=context)
                }
                results.append((doc, in_sql, in_python))
            transaction.rollback()
        return results


@pytest.fixture(scope="module")
def probe(database_url: str) -> Iterator[Probe]:
    engine = create_engine(database_url)
    metadata = MetaData()
    table = Table(
        "cond_probe",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("data", JSONType, nullable=False),
    )
    metadata.create_all(engine)
    try:
        yield Probe(engine, table)
    finally:
        metadata.drop_all(engine)
        engine.dispose()


# -- targeted cases: one table of records, one expected id set per condition -------------
RECORDS: list[dict[str, Any]] = [
    {
        "name": "Ann",
        "amount": 60000,
        "qty": 3,
        "vip": True,
        "born": "1990-05-01",
        "seen_at": "2026-11-14T23:30:00Z",
        "tags": ["vip", "north"],
        "city": "北京",
    },
    {
        "name": "bob",
        "amount": 10.5,
        "qty": 0,
        "vip": False,
        "born": "2026-08-17",
        "seen_at": "2026-08-17T00:00:00Z",
        "tags": [1, "1", True],
        "city": "",
    },
    {
        "name": "",
        "amount": "60000",
        "vip": "yes",
        "born": "soon",
        "seen_at": "2026-11-15",
        "tags": "vip",
        "city": None,
    },
    {"amount": None, "qty": 2.0, "born": None, "tags": [], "city": "上海市"},
    {
        "name": 7,
        "amount": True,
        "vip": None,
        "born": 20260101,
        "tags": {"vip": 1},
        "seen_at": "2026-11-15T08:00:00Z",
        "city": 'O\'Brien "q" %_',
    },
    {},
]


def _v(key: str) -> dict[str, str]:
    return {"var": key}


CASES: list[tuple[str, Any, set[int]]] = [
    ("ge-number", {">=": [_v("amount"), 50000]}, {0}),
    (
        "not-ge-number-includes-null-and-wrong-type",
        {"!": {">=": [_v("amount"), 50000]}},
        {1, 2, 3, 4, 5},
    ),
    ("lt-number-excludes-null", {"<": [_v("amount"), 50000]}, {1}),
    ("ne-excludes-null", {"!=": [_v("qty"), 3]}, {1, 3}),
    ("eq-integer-and-float", {"==": [_v("qty"), 2]}, {3}),
    ("between", {"<=": [0, _v("qty"), 2]}, {1, 3}),
    ("between-strict", {"<": [0, _v("qty"), 3]}, {3}),
    ("eq-text-is-case-sensitive", {"==": [_v("name"), "ann"]}, set()),
    ("text-orders-by-code-point", {"<": [_v("name"), "a"]}, {0, 2}),
    ("text-in-list", {"in": [_v("name"), ["Ann", "bob", "carl"]]}, {0, 1}),
    ("empty-list-matches-nothing", {"in": [_v("name"), []]}, set()),
    ("substring", {"in": ["北", _v("city")]}, {0}),
    ("empty-substring-needs-text", {"in": ["", _v("city")]}, {0, 1, 3, 4}),
    ("quotes-are-data", {"in": ['\'Brien "q" %_', _v("city")]}, {4}),
    ("in-list-field", {"in": ["vip", _v("tags")]}, {0}),
    ("in-list-field-number", {"in": [1.0, _v("tags")]}, {1}),
    ("contains-any-strings", {"contains_any": [_v("tags"), ["north", "south"]]}, {0}),
    ("contains-any-typed", {"contains_any": [_v("tags"), [True]]}, {1}),
    ("contains-any-text-1-is-not-number", {"contains_any": [_v("tags"), ["1"]]}, {1}),
    ("contains-any-empty", {"contains_any": [_v("tags"), []]}, set()),
    ("is-empty-text", {"is_empty": [_v("name")]}, {2, 3, 4, 5}),
    ("is-empty-list", {"is_empty": [_v("tags")]}, {3, 5}),
    ("not-empty-city", {"not_empty": [_v("city")]}, {0, 3, 4}),
    ("boolean-var", _v("vip"), {0}),
    ("not-boolean-var", {"!": _v("vip")}, {1, 2, 3, 4, 5}),
    ("boolean-eq-false", {"==": [_v("vip"), False]}, {1}),
    ("date-ge-literal", {">=": [_v("born"), "2000-01-01"]}, {1}),
    ("date-before-today", {"<": [_v("born"), {"today": []}]}, {0, 1}),
    ("datetime-vs-date-text", {">=": [_v("seen_at"), "2026-11-15"]}, {4}),
    ("days-since-date", {"==": [{"days_since": [_v("born")]}, 90]}, {1}),
    ("days-since-datetime", {"<=": [{"days_since": [_v("seen_at")]}, 1]}, {0, 4}),
    ("days-since-datetime-exact", {"==": [{"days_since": [_v("seen_at")]}, 1]}, {0}),
    ("days-since-flipped", {">": [1, {"days_since": [_v("seen_at")]}]}, {4}),
    ("days-since-between", {"<=": [0, {"days_since": [_v("seen_at")]}, 100]}, {0, 1, 4}),
    ("not-days-since", {"!": {"==": [{"days_since": [_v("seen_at")]}, 0]}}, {0, 1, 2, 3, 5}),
    ("default-fills-null", {"==": [{"var": ["amount", 0]}, 0]}, {2, 3, 4, 5}),
    (
        "and-or",
        {"or": [{"and": [_v("vip"), {">": [_v("qty"), 1]}]}, {"is_empty": [_v("qty")]}]},
        {0, 2, 4, 5},
    ),
    ("constant-true", True, {0, 1, 2, 3, 4, 5}),
    ("literal-compare", {"<": ["a", "B"]}, set()),
]


@pytest.mark.parametrize(("doc", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_operator_selects_the_expected_records(
    probe: Probe, doc: Any, expected: set[int]
) -> None:
    """SQL and ``evaluate`` agree with the hand-written answer on tricky records."""
    [(_, in_sql, in_python)] = probe.selected(RECORDS, [doc])
    assert in_python == expected
    assert in_sql == expected


def test_datetimes_with_late_hours_count_for_their_own_day(probe: Probe) -> None:
    """days_since uses the UTC date of a datetime, whatever its time part holds."""
    batch = [{"seen_at": f"2026-11-14T{hour}Z"} for hour in ("00:00:00", "23:59:59", "29:59:59")]
    batch.append({"seen_at": "2026-11-15T00:00:00Z"})
    docs = [{op: [{"days_since": [_v("seen_at")]}, 1]} for op in ("==", "!=", "<=", ">=", "<")]
    for doc, in_sql, in_python in probe.selected(batch, docs):
        assert in_sql == in_python, doc
    assert [r[2] for r in probe.selected(batch, docs)] == [
        {0, 1, 2},
        {3},
        {0, 1, 2, 3},
        {0, 1, 2},
        {3},
    ]


def test_event_operators_are_refused_in_sql(probe: Probe) -> None:
    condition = parse_condition({"or": [_v("vip"), {"changed": "name"}]}, fields=FIELDS)
    with pytest.raises(ConditionError) as caught:
        compile_condition(
            condition, probe.table.c.data, FIELDS, dialect_name=probe.dialect, today=TODAY
        )
    assert caught.value.code == "condition_event_only"
    assert caught.value.pointer == "/or/1"
    assert "automation" in str(caught.value)
    assert "自动化" in caught.value.message_in("zh-CN")


def test_untyped_conditions_are_checked_against_the_fields(probe: Probe) -> None:
    untyped = parse_condition({">": [_v("amout"), 1]})
    with pytest.raises(ConditionError) as caught:
        compile_condition(
            untyped, probe.table.c.data, FIELDS, dialect_name=probe.dialect, today=TODAY
        )
    assert caught.value.suggestion == "amount"


def test_user_values_are_bound_parameters(probe: Probe) -> None:
    condition = parse_condition({"==": [_v("name"), "x' OR 1=1 --"]}, fields=FIELDS)
    where = compile_condition(
        condition, probe.table.c.data, FIELDS, dialect_name=probe.dialect, today=TODAY
    )
    compiled = where.compile(dialect=probe.engine.dialect)
    assert "OR 1=1" not in str(compiled)
    assert "x' OR 1=1 --" in compiled.params.values()


def test_text_compares_by_code_point_whatever_the_database_collation(probe: Probe) -> None:
    """PostgreSQL databases often collate en_US; Python orders by code point, so SQL must."""
    doc = {"or": [{"<": [_v("name"), _v("city")]}, {"<": ["a", "B"]}]}
    condition = parse_condition(doc, fields=FIELDS)
    where = compile_condition(
        condition, probe.table.c.data, FIELDS, dialect_name=probe.dialect, today=TODAY
    )
    sql = str(where.compile(dialect=probe.engine.dialect))
    if probe.dialect == "postgresql":
        assert sql.count('END COLLATE "C"') == 4  # each field, and again in its guard
        assert sql.count('::VARCHAR COLLATE "C"') == 2  # both constants
    else:  # SQLite compares text with BINARY (code point order for UTF-8) by default
        assert "COLLATE" not in sql


@pytest.mark.parametrize("key", [k for k, kind in FIELDS.items() if kind != "json"])
def test_json_value_reads_like_evaluate(probe: Probe, key: str) -> None:
    """Sorts and indexes see the same typed value as conditions: wrong types are NULL."""
    kind = FIELDS[key]
    expression = json_value(probe.table.c.data, key, kind, probe.dialect)
    with probe.engine.connect() as connection, connection.begin():
        connection.execute(
            insert(probe.table), [{"id": i, "data": r} for i, r in enumerate(RECORDS)]
        )
        rows = connection.execute(select(probe.table.c.id, expression)).all()
        connection.rollback()
    got = {i: value for i, value in rows}
    for i, record in enumerate(RECORDS):
        expected = read(record.get(key), kind)
        value = got[i]
        if kind in ("number", "integer") and value is not None:
            value = Decimal(str(value))
        elif kind == "boolean" and value is not None:
            value = bool(value)
        assert value == expected, (i, record.get(key), got[i])


@pytest.mark.parametrize("bad", ["Name", "a.b", "a'b", "x" * 64, ""])
def test_json_value_refuses_keys_that_are_not_field_keys(probe: Probe, bad: str) -> None:
    with pytest.raises(ValueError, match="not a field key"):
        json_value(probe.table.c.data, bad, "text", probe.dialect)


def test_unknown_dialects_are_refused(probe: Probe) -> None:
    with pytest.raises(ValueError, match="mysql"):
        json_value(probe.table.c.data, "name", "text", "mysql")


INDEXED = [
    ("name", "text", "m"),
    ("amount", "number", 5),
    ("qty", "integer", 2),
    ("vip", "boolean", True),
    ("born", "date", "2020-01-01"),
    ("seen_at", "datetime", "2026-01-01T00:00:00Z"),
]


@pytest.mark.parametrize(("key", "kind", "value"), INDEXED, ids=[i[1] for i in INDEXED])
def test_expression_indexes_on_json_value_serve_filters(
    probe: Probe, key: str, kind: str, value: Any
) -> None:
    """json_value renders the same text every time, so an index on it is used."""
    dialect = probe.engine.dialect
    expression = json_value(probe.table.c.data, key, kind, probe.dialect)
    again = json_value(probe.table.c.data, key, kind, probe.dialect)
    sql = str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    assert sql == str(again.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    assert not expression.compile(dialect=dialect).params  # constants only
    op = "==" if kind == "boolean" else ">="
    condition = parse_condition({op: [_v(key), value]}, fields=FIELDS)
    where = compile_condition(
        condition, probe.table.c.data, FIELDS, dialect_name=probe.dialect, today=TODAY
    )
    query = select(probe.table.c.id).where(where)
    query_sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    with probe.engine.connect() as connection, connection.begin():
        index_sql = sql.replace("cond_probe.data", "data")
        connection.execute(text(f"CREATE INDEX ix_cond_probe_{key} ON cond_probe (({index_sql}))"))
        if probe.dialect == "postgresql":
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = connection.execute(text(f"EXPLAIN {query_sql}")).scalars().all()
        else:
            plan = [row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {query_sql}"))]
        connection.rollback()
    assert any(f"ix_cond_probe_{key}" in line for line in plan), plan


# -- property: generated records and conditions ------------------------------------------
# Small pools make equal and neighbouring values common, so conditions split the batch;
# the open-ended strategies add unicode, huge and tiny numbers, and every date shape.
# (``one_of`` ignores repeated branches, so weights are drawn explicitly.)


def weighted(*branches: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    indexes = [i for i, (weight, _) in enumerate(branches) for _ in range(weight)]
    return st.sampled_from(indexes).flatmap(lambda i: branches[i][1])


_chars = st.characters(codec="utf-8", exclude_characters="\x00")  # PostgreSQL refuses NUL
_TEXT_POOL = [
    "",
    "a",
    "A",
    "ab",
    "b",
    "Zoë",
    "zoe",
    "北京",
    "上海",
    "😀",
    "a b",
    "1",
    "true",
    "null",
    "é",
    "e\u0301",
    "2026-11-15",
    "%",
    "_",
    "'",
    "[]",
]
TEXTS = weighted((3, st.sampled_from(_TEXT_POOL)), (1, st.text(_chars, max_size=6)))
_NUMBER_POOL = [
    0,
    1,
    -1,
    2,
    2.5,
    1.0,
    0.1,
    0.3,
    100,
    -0.0,
    1e-7,
    10**15,
    0.30000000000000004,
    2**53,
    9007199254740991.0,
]
NUMBERS = weighted(
    (3, st.sampled_from(_NUMBER_POOL)),
    (1, st.integers(-(2**53), 2**53)),
    (1, st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)),
)
_NEAR = [-1, 0, 1, 2, 29, 30, 31, 89, 90, 91, 365]
_DATES = weighted(
    (3, st.sampled_from([(TODAY - timedelta(days=d)).isoformat() for d in _NEAR])),
    (1, st.dates(date(1900, 1, 1), date(2100, 1, 1)).map(date.isoformat)),
)
BAD_DATES = st.sampled_from(
    [
        "2024-02-30",
        "2024-19-01",
        "2024-1-1",
        "20240101",
        "2024-01-01 ",
        "2024-01-01\n",
        "\uff12\uff10\uff12\uff14-01-01",
        "soon",
        "",
    ]
)
DATES = weighted((3, _DATES), (1, BAD_DATES))
_TIMES = st.sampled_from(["T00:00:00Z", "T08:30:00Z", "T23:59:59Z", "T25:00:00Z", "T29:59:59Z"])
_DATETIMES = st.builds(str.__add__, _DATES, _TIMES)
DATETIMES = weighted(
    (4, _DATETIMES),
    (
        1,
        st.sampled_from(
            [
                "2026-11-15T10:00:00",
                "2026-11-15T10:00:00+08:00",
                "2026-11-15 10:00:00Z",
                "2026-11-15T10:00:00.5Z",
                "2026-11-15T10:00:00z",
            ]
        ),
    ),
    (1, _DATES),
)
_ELEMENT_POOL = st.sampled_from(["vip", "1", 1, 1.0, True, False, 0, "", "a", 2.5])
_ELEMENTS = weighted(
    (4, _ELEMENT_POOL),
    (1, TEXTS),
    (1, NUMBERS),
    (1, st.none()),
    (1, st.lists(_ELEMENT_POOL, max_size=1)),
)
SCALARS = st.one_of(TEXTS, NUMBERS, st.booleans(), DATES)
JSONS = weighted(
    (4, st.lists(_ELEMENTS, max_size=4)),
    (1, st.dictionaries(st.sampled_from(["a", "vip"]), NUMBERS, max_size=1)),
    (1, SCALARS),
)
RIGHT_VALUES = {
    "text": TEXTS,
    "number": NUMBERS,
    "integer": st.integers(-3, 3),
    "boolean": st.booleans(),
    "date": DATES,
    "datetime": DATETIMES,
    "json": JSONS,
}
_MISSING = object()


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record = {}
    for key, kind in FIELDS.items():
        value = draw(
            weighted((1, st.just(_MISSING)), (1, st.none()), (6, RIGHT_VALUES[kind]), (1, SCALARS))
        )
        if value is not _MISSING:
            record[key] = value
    return record


def _field(kinds: Sequence[str]) -> st.SearchStrategy[str]:
    return st.sampled_from([k for kind in kinds for k in KEYS_BY_KIND[kind]])


LITERALS = {
    "text": TEXTS,
    "number": NUMBERS,
    "boolean": st.booleans(),
    "temporal": st.one_of(_DATES, st.builds(str.__add__, _DATES, _TIMES)),
}
GROUPS = {
    "text": ["text"],
    "number": ["number", "integer"],
    "boolean": ["boolean"],
    "temporal": ["date", "datetime"],
}


@st.composite
def operand(draw: st.DrawFn, group: str) -> Any:
    choice = draw(st.sampled_from(["var", "var", "literal", "default"]))
    if choice == "literal":
        if group == "temporal" and draw(st.booleans()):
            return {"today": []}
        return draw(LITERALS[group])
    key = draw(_field(GROUPS[group]))
    if choice == "default":
        return {"var": [key, draw(LITERALS[group])]}
    return {"var": key}


@st.composite
def comparison(draw: st.DrawFn) -> Any:
    group = draw(st.sampled_from(sorted(GROUPS)))
    if group == "boolean":
        op = draw(st.sampled_from(["==", "!="]))
    else:
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    if group == "temporal" and draw(st.integers(0, 2)) == 0:  # days_since
        since = {"days_since": [{"var": draw(_field(GROUPS["temporal"]))}]}
        days = st.one_of(st.sampled_from(_NEAR), st.integers(-400, 400))
        if op in ("<", "<=") and draw(st.booleans()):
            return {op: [draw(days), since, draw(days)]}
        return {op: [since, draw(days)] if draw(st.booleans()) else [draw(days), since]}
    if op in ("<", "<=") and draw(st.integers(0, 3)) == 0:
        return {op: [draw(operand(group)) for _ in range(3)]}
    return {op: [draw(operand(group)), draw(operand(group))]}


@st.composite
def membership(draw: st.DrawFn) -> Any:
    form = draw(st.sampled_from(["list", "substring", "list_field", "contains_any", "empty"]))
    if form == "list":
        group = draw(st.sampled_from(sorted(GROUPS)))
        items = draw(st.lists(LITERALS[group], max_size=4))
        return {"in": [draw(operand(group)), items]}
    if form == "substring":
        return {"in": [draw(operand("text")), draw(operand("text"))]}
    if form == "list_field":
        needle = draw(_ELEMENT_POOL)
        return {"in": [needle, {"var": "tags"}]}
    if form == "contains_any":
        items = draw(st.lists(_ELEMENT_POOL, max_size=3))
        return {"contains_any": [{"var": "tags"}, items]}
    op = draw(st.sampled_from(["is_empty", "not_empty"]))
    return {op: [{"var": draw(st.sampled_from(sorted(FIELDS)))}]}


LEAVES = st.one_of(comparison(), comparison(), membership(), st.just({"var": "vip"}), st.booleans())
CONDITIONS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.builds(lambda c: {"!": [c]}, inner),
        st.builds(
            lambda op, cs: {op: cs},
            st.sampled_from(["and", "or"]),
            st.lists(inner, min_size=1, max_size=3),
        ),
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.lists(records(), min_size=1, max_size=16),
    docs=st.lists(CONDITIONS, min_size=1, max_size=8),
)
def test_sql_selects_exactly_what_evaluate_accepts(
    probe: Probe, batch: list[dict[str, Any]], docs: list[Any]
) -> None:
    """DESIGN §4: on generated records, the SQL predicate and ``evaluate`` agree."""
    for doc, in_sql, in_python in probe.selected(batch, docs):
        assert in_sql == in_python, (doc, [batch[i] for i in in_sql ^ in_python])


# -- typed columns beside the JSON data (tier rules read metrics.<name>) ------------------
COLUMN_KINDS = {
    "metrics.spent": "number",
    "metrics.orders": "integer",
    "metrics.segment": "text",
    "metrics.last_on": "date",
}
COLUMN_FIELDS = {**FIELDS, **COLUMN_KINDS}


@dataclass
class ColumnProbe:
    """A ``metric_probe`` table: JSON data plus typed, nullable metric columns."""

    engine: Engine
    table: Table

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def columns(self) -> dict[str, Any]:
        c = self.table.c
        return {
            "metrics.spent": c.spent,
            "metrics.orders": c.orders,
            "metrics.segment": c.segment,
            "metrics.last_on": c.last_on,
        }

    def selected(
        self, rows: Sequence[tuple[dict[str, Any], dict[str, Any]]], docs: Sequence[Any]
    ) -> list[tuple[Any, set[int], set[int]]]:
        """Per condition: (doc, ids SQL selects, ids ``evaluate`` accepts on data+metrics)."""
        results = []
        with self.engine.connect() as connection:
            transaction = connection.begin()
            connection.execute(
                insert(self.table),
                [
                    {
                        "id": i,
                        "data": data,
                        **{k.split(".")[1]: metrics.get(k) for k in COLUMN_KINDS},
                    }
                    for i, (data, metrics) in enumerate(rows)
                ],
            )
            for doc in docs:
                condition = parse_condition(doc, fields=COLUMN_FIELDS)
                where = compile_condition(
                    condition,
                    self.table.c.data,
                    COLUMN_FIELDS,
                    dialect_name=self.dialect,
                    today=TODAY,
                    columns=self.columns,
                )
                in_sql = set(connection.scalars(select(self.table.c.id).where(where)))
                context = EvalContext(today=TODAY)
                in_python = {
                    i
                    for i, (data, metrics) in enumerate(rows)
                    if evaluate(condition, {**data, **metrics}, context=context)
                }
                results.append((doc, in_sql, in_python))
            transaction.rollback()
        return results


@pytest.fixture(scope="module")
def column_probe(database_url: str) -> Iterator[ColumnProbe]:
    from sqlalchemy import Float, String

    engine = create_engine(database_url)
    metadata = MetaData()
    table = Table(
        "metric_probe",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("data", JSONType, nullable=False),
        Column("spent", Float),
        Column("orders", Integer),
        Column("segment", String(32)),
        # Wider than customer_metrics' String(10): PostgreSQL silently trims trailing
        # spaces that overflow a varchar, which would turn a bad date into a good one.
        Column("last_on", String(32)),
    )
    metadata.create_all(engine)
    try:
        yield ColumnProbe(engine, table)
    finally:
        metadata.drop_all(engine)
        engine.dispose()


METRIC_ROWS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {"name": "Ann", "vip": True},
        {
            "metrics.spent": 1200.5,
            "metrics.orders": 7,
            "metrics.segment": "champions",
            "metrics.last_on": "2026-11-01",
        },
    ),
    (
        {"name": "Bo"},
        {
            "metrics.spent": 0.0,
            "metrics.orders": 0,
            "metrics.segment": "lost",
            "metrics.last_on": None,
        },
    ),
    # No metrics row at all (a LEFT JOIN gives NULLs): nothing compares, is_empty holds.
    ({"name": "Cy"}, {}),
    (
        {"name": "Di", "amount": 5000},
        {
            "metrics.spent": 0.30000000000000004,
            "metrics.orders": 2,
            "metrics.segment": "Lost",
            "metrics.last_on": "soon",
        },
    ),
]
COLUMN_CASES: list[tuple[str, Any, set[int]]] = [
    ("ge-number", {">=": [_v("metrics.spent"), 500]}, {0}),
    ("not-ge-includes-null", {"!": {">=": [_v("metrics.spent"), 500]}}, {1, 2, 3}),
    ("ne-excludes-null", {"!=": [_v("metrics.orders"), 7]}, {1, 3}),
    ("float-precision", {">": [_v("metrics.spent"), 0.3]}, {0, 3}),
    ("integer-eq-float", {"==": [_v("metrics.orders"), 2.0]}, {3}),
    ("text-eq-case-sensitive", {"==": [_v("metrics.segment"), "lost"]}, {1}),
    ("text-orders-by-code-point", {"<": [_v("metrics.segment"), "a"]}, {3}),
    ("text-in-list", {"in": [_v("metrics.segment"), ["lost", "champions"]]}, {0, 1}),
    ("is-empty-null-row", {"is_empty": [_v("metrics.segment")]}, {2}),
    ("date-bad-shape-reads-null", {"is_empty": [_v("metrics.last_on")]}, {1, 2, 3}),
    ("date-compare", {">=": [_v("metrics.last_on"), "2026-10-01"]}, {0}),
    ("days-since", {"<=": [{"days_since": [_v("metrics.last_on")]}, 30]}, {0}),
    ("default-fills-null", {"==": [{"var": ["metrics.orders", 0]}, 0]}, {1, 2}),
    ("metric-and-field", {"and": [_v("vip"), {">": [_v("metrics.orders"), 1]}]}, {0}),
    ("metric-vs-field", {"<": [_v("metrics.spent"), _v("amount")]}, {3}),
]


@pytest.mark.parametrize(
    ("doc", "expected"), [c[1:] for c in COLUMN_CASES], ids=[c[0] for c in COLUMN_CASES]
)
def test_column_variables_select_like_evaluate(
    column_probe: ColumnProbe, doc: Any, expected: set[int]
) -> None:
    """Typed columns follow the JSON fields' rules: NULL never compares, shapes checked."""
    [(_, in_sql, in_python)] = column_probe.selected(METRIC_ROWS, [doc])
    assert in_python == expected
    assert in_sql == expected


def test_column_variables_need_a_scalar_kind_in_fields(column_probe: ColumnProbe) -> None:
    condition = parse_condition({">": [_v("amount"), 1]}, fields=FIELDS)
    for fields in (FIELDS, {**FIELDS, "metrics.spent": "json"}):
        with pytest.raises(ValueError, match=r"metrics\.spent"):
            compile_condition(
                condition,
                column_probe.table.c.data,
                fields,
                dialect_name=column_probe.dialect,
                today=TODAY,
                columns={"metrics.spent": column_probe.table.c.spent},
            )


def test_a_namespaced_variable_without_a_column_is_refused(column_probe: ColumnProbe) -> None:
    """A dotted name can never reach the JSON path (keys are checked there)."""
    condition = parse_condition({">": [_v("metrics.spent"), 1]}, fields=COLUMN_FIELDS)
    with pytest.raises(ValueError, match="not a field key"):
        compile_condition(
            condition,
            column_probe.table.c.data,
            COLUMN_FIELDS,
            dialect_name=column_probe.dialect,
            today=TODAY,
        )


_METRIC_VALUES = {
    "metrics.spent": weighted((4, NUMBERS), (1, st.sampled_from([0.0, 0.3, 1200.5]))),
    "metrics.orders": st.integers(-3, 12),
    "metrics.segment": TEXTS,
    "metrics.last_on": DATES,
}
_METRIC_GROUPS = {
    "metrics.spent": "number",
    "metrics.orders": "number",
    "metrics.segment": "text",
    "metrics.last_on": "temporal",
}


@st.composite
def metric_rows(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    data = draw(records())
    if draw(st.integers(0, 4)) == 0:
        return data, {}  # no metrics row
    metrics = {}
    for name, values in _METRIC_VALUES.items():
        metrics[name] = draw(weighted((1, st.none()), (5, values)))
    return data, metrics


@st.composite
def metric_conditions(draw: st.DrawFn) -> Any:
    name = draw(st.sampled_from(sorted(_METRIC_GROUPS)))
    group = _METRIC_GROUPS[name]
    shape = draw(st.sampled_from(["compare", "compare", "between", "in", "empty", "mixed"]))
    if shape == "empty":
        return {draw(st.sampled_from(["is_empty", "not_empty"])): [_v(name)]}
    if shape == "in":
        return {"in": [_v(name), draw(st.lists(LITERALS[group], max_size=3))]}
    if shape == "between" and group != "text":
        low, high = draw(LITERALS[group]), draw(LITERALS[group])
        return {"<=": [low, _v(name), high]}
    if group == "temporal" and draw(st.booleans()):
        since = {"days_since": [_v(name)]}
        return {draw(st.sampled_from(["<=", ">", "=="])): [since, draw(st.sampled_from(_NEAR))]}
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    other = draw(operand(group)) if shape == "mixed" else draw(LITERALS[group])
    compared = {op: [_v(name), other]}
    if draw(st.booleans()):
        return {draw(st.sampled_from(["and", "or"])): [compared, draw(CONDITIONS)]}
    return compared


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.lists(metric_rows(), min_size=1, max_size=12),
    docs=st.lists(metric_conditions(), min_size=1, max_size=6),
)
def test_sql_over_columns_selects_exactly_what_evaluate_accepts(
    column_probe: ColumnProbe,
    batch: list[tuple[dict[str, Any], dict[str, Any]]],
    docs: list[Any],
) -> None:
    """Metric columns and JSON fields mixed: SQL and ``evaluate`` agree."""
    for doc, in_sql, in_python in column_probe.selected(batch, docs):
        assert in_sql == in_python, (doc, [batch[i] for i in in_sql ^ in_python])

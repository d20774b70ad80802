"""Summary reports as SQL: one ``GROUP BY`` over the records table's JSON, plus one
aggregate for the totals. Records are never read into Python, only the groups.

What a summary can group by (``GROUP_TYPES``), decided once here and used by the checks
in ``formwork.services.reports``:

- choice and text-like fields (select, text, email, phone, URL): by value; a select
  group is labelled with its option title in the reader's language;
- member: by user id, labelled with the member's name;
- checkbox: yes / no;
- date and date-time: by calendar month (``YYYY-MM``; date-times by their UTC month);
- rating and NPS: by score;
- link to one record (not ``x-multiple``): by linked record id, labelled with the
  linked record's title (its first text field) as record pages show it;
- formula with a text, yes/no or date result: as a field of that kind.

Records without a value fall into one "(No value)" group. Measures (``sum``, ``avg``,
``min``, ``max``) take number-valued fields (``MEASURE_TYPES``); ``count`` counts records.
Which records count is decided exactly as in lists (``record_query``): the workspace's
live records of the form, then the report's filter compiled by ``compile_condition``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_skeleton
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.orm import Session

from form_engine.conditions import parse_condition
from form_engine.conditions.values import NUMERIC_KINDS
from form_engine.dialect import label
from form_engine.fields.choice import option_title
from formwork.db import utcnow
from formwork.models import Form, Membership, Record, User
from formwork.services.condition_sql import compile_condition, json_value
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.record_query import ListQuery, filtered_records
from formwork.services.scope import Actor

AGGREGATES = ("count", "sum", "avg", "min", "max")
GROUP_TYPES = frozenset(
    {
        "select",
        "text",
        "email",
        "phone",
        "url",
        "member",
        "checkbox",
        "date",
        "datetime",
        "rating",
        "nps",
        "link",
        "formula",
    }
)
# A formula groups records only when its result is one of these kinds.
FORMULA_GROUP_KINDS = frozenset({"text", "boolean", "date"})
MEASURE_TYPES = frozenset({"number", "money", "percent", "rating", "nps", "rollup", "formula"})
# A text field can have as many values as records: the table keeps the largest groups.
MAX_GROUPS = 500

_SQL_AGGREGATES: dict[str, Callable[[Any], ColumnElement[Any]]] = {
    "sum": func.sum,
    "avg": func.avg,
    "min": func.min,
    "max": func.max,
}

Number = int | float


@dataclass(frozen=True)
class MeasureSpec:
    agg: str
    field: str | None = None


@dataclass(frozen=True)
class SummarySpec:
    """A checked summary document resolved against the form's published version."""

    form: Form
    runtime: FormRuntime
    group_by: str
    measures: tuple[MeasureSpec, ...]
    condition: Any = None


@dataclass(frozen=True)
class MeasureColumn:
    agg: str
    field: str | None
    label: str
    # The measured field's type (``money`` shows two decimals); None for a count.
    field_type: str | None = None


@dataclass
class SummaryRow:
    """One group: its value (JSON-able; None for "no value"), label, record count and
    one figure per measure (None where the group has no value to aggregate)."""

    value: Any
    label: str
    count: int
    values: list[Number | None] = field(default_factory=list)


@dataclass
class SummaryResult:
    form: Form
    form_title: str
    group_by: str
    group_title: str
    group_type: str
    measures: list[MeasureColumn]
    rows: list[SummaryRow]
    totals: SummaryRow
    truncated: bool = False


def groupable(runtime: FormRuntime, key: str, field_type: str) -> bool:
    """Whether records of ``runtime``'s form can be grouped by field ``key``."""
    if field_type not in GROUP_TYPES or key not in runtime.kinds:
        return False
    if field_type == "link":
        return key not in runtime.multi_links
    if field_type == "formula":
        return runtime.kinds[key] in FORMULA_GROUP_KINDS
    return True


def measurable(runtime: FormRuntime, key: str, field_type: str) -> bool:
    """Whether field ``key`` holds numbers that can be summed and averaged."""
    return field_type in MEASURE_TYPES and runtime.kinds.get(key) in NUMERIC_KINDS


def field_types(runtime: FormRuntime) -> dict[str, str]:
    """Field key → field type (``x-field``) of every field that holds data."""
    return {key: kind.key for key, _schema, kind in runtime.compiled.fields if not kind.layout}


def compute(session: Session, actor: Actor, spec: SummarySpec, locale: str) -> SummaryResult:
    """Group the form's visible live records; labels and titles in ``locale``."""
    runtime = spec.runtime
    dialect = session.get_bind().dialect.name
    group_type = field_types(runtime)[spec.group_by]
    kind = runtime.kinds[spec.group_by]
    base = filtered_records(actor, runtime, spec.form, ListQuery(), dialect)
    if spec.condition is not None:
        condition = parse_condition(spec.condition, fields=runtime.kinds)
        today = utcnow().astimezone(actor.workspace.zone).date()
        base = base.where(
            compile_condition(
                condition, Record.data, runtime.kinds, dialect_name=dialect, today=today
            )
        )
    value = json_value(Record.data, spec.group_by, kind, dialect)
    if kind in ("date", "datetime"):
        # Constants inline: PostgreSQL must see the same expression in GROUP BY.
        value = func.substr(value, literal_column("1"), literal_column("7"))
    group = value.label("grp")
    figures = [_aggregate(measure, runtime, dialect) for measure in spec.measures]
    records = func.count(Record.id)
    grouped = (
        base.with_only_columns(group, records, *figures)
        .group_by(group)
        .order_by(records.desc(), group)
        .limit(MAX_GROUPS + 1)
    )
    found = session.execute(grouped).all()
    truncated = len(found) > MAX_GROUPS
    rows = [
        SummaryRow(_plain(row[0]), "", int(row[1]), [_plain(v) for v in row[2:]])
        for row in found[:MAX_GROUPS]
    ]
    total = session.execute(base.with_only_columns(records, *figures)).one()
    totals = SummaryRow(None, "", int(total[0]), [_plain(v) for v in total[1:]])
    schema = runtime.document.get("properties", {}).get(spec.group_by, {})
    with force_locale(locale.replace("-", "_")):
        labels = _labels(session, actor, runtime, spec.group_by, group_type, rows, locale)
        for row in rows:
            row.label = labels.get(row.value, str(row.value))
        totals.label = str(_l("Total"))
        columns = [_column(measure, runtime, locale) for measure in spec.measures]
        group_title = label(schema, locale, spec.group_by)
    return SummaryResult(
        form=spec.form,
        form_title=label(runtime.document, locale, spec.form.title),
        group_by=spec.group_by,
        group_title=group_title,
        group_type=group_type,
        measures=columns,
        rows=_ordered(rows, group_type, kind, schema),
        totals=totals,
        truncated=truncated,
    )


def _aggregate(measure: MeasureSpec, runtime: FormRuntime, dialect: str) -> ColumnElement[Any]:
    if measure.agg == "count":
        return func.count(Record.id)
    assert measure.field is not None
    value = json_value(Record.data, measure.field, runtime.kinds[measure.field], dialect)
    return _SQL_AGGREGATES[measure.agg](value)


def _plain(value: Any) -> Any:
    """SQL results as plain JSON values: NUMERIC (PostgreSQL) becomes int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _column(measure: MeasureSpec, runtime: FormRuntime, locale: str) -> MeasureColumn:
    if measure.agg == "count":
        return MeasureColumn("count", None, str(_l("Count")))
    assert measure.field is not None
    schema = runtime.document.get("properties", {}).get(measure.field, {})
    name = label(schema, locale, measure.field)
    texts = {
        "sum": _l("Sum of %(field)s", field=name),
        "avg": _l("Average of %(field)s", field=name),
        "min": _l("Minimum of %(field)s", field=name),
        "max": _l("Maximum of %(field)s", field=name),
    }
    field_type = field_types(runtime).get(measure.field)
    return MeasureColumn(measure.agg, measure.field, str(texts[measure.agg]), field_type)


def _labels(
    session: Session,
    actor: Actor,
    runtime: FormRuntime,
    key: str,
    group_type: str,
    rows: Iterable[SummaryRow],
    locale: str,
) -> dict[Any, str]:
    values = [row.value for row in rows if row.value is not None]
    labels: dict[Any, str] = {None: str(_l("(No value)"))}
    schema = runtime.document.get("properties", {}).get(key, {})
    if group_type == "select":
        labels |= {v: option_title(schema, v, locale) for v in values}
    elif runtime.kinds[key] == "boolean":
        labels |= {True: str(_l("Yes")), False: str(_l("No"))}
    elif runtime.kinds[key] in ("date", "datetime"):
        labels |= {v: _month(v, locale) for v in values}
    elif group_type == "member":
        labels |= _member_names(session, actor, values)
    elif group_type == "link":
        labels |= _record_titles(session, actor, runtime.links[key], values)
    return labels


def _month(value: Any, locale: str) -> str:
    try:
        year, month = (int(part) for part in str(value).split("-"))
        first = date(year, month, 1)
    except ValueError:
        return str(value)
    return str(format_skeleton("yMMM", first, locale="zh_Hans_CN" if locale == "zh-CN" else "en"))


def _member_names(session: Session, actor: Actor, ids: list[Any]) -> dict[Any, str]:
    wanted = [int(i) for i in ids if isinstance(i, int)]
    if not wanted:
        return {}
    rows = session.execute(
        select(User.id, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == actor.workspace_id, User.id.in_(wanted))
    )
    return {user_id: name for user_id, name in rows}


def _record_titles(session: Session, actor: Actor, form_key: str, ids: list[Any]) -> dict[Any, str]:
    """``Acme · #12`` for linked records that are live and visible, ``#12`` otherwise."""
    wanted = [int(i) for i in ids if isinstance(i, int)]
    titles: dict[Any, str] = {i: f"#{i}" for i in wanted}
    target = session.scalar(
        select(Form).where(
            Form.workspace_id == actor.workspace_id,
            Form.key == form_key,
            Form.published_version.is_not(None),
        )
    )
    if target is None or not wanted:
        return titles
    target_runtime = runtime_for(session, target)
    name_key = next(
        (key for key, _s, kind in target_runtime.compiled.fields if kind.key == "text"), None
    )
    if name_key is None:
        return titles
    dialect = session.get_bind().dialect.name
    name = json_value(Record.data, name_key, "text", dialect)
    visible = filtered_records(actor, target_runtime, target, ListQuery(), dialect)
    for record_id, text in session.execute(
        visible.with_only_columns(Record.id, name).where(Record.id.in_(wanted))
    ):
        if text:
            titles[record_id] = f"{text} · #{record_id}"
    return titles


def _ordered(
    rows: list[SummaryRow], group_type: str, kind: str, schema: Mapping[str, Any]
) -> list[SummaryRow]:
    """Choices in the form's option order, scales and months ascending, yes before no,
    everything else largest group first; "(No value)" always last."""
    present = [row for row in rows if row.value is not None]
    empty = [row for row in rows if row.value is None]
    if group_type == "select":
        options = [v for v in schema.get("enum") or [] if isinstance(v, str)]
        position = {value: index for index, value in enumerate(options)}
        present.sort(key=lambda r: (position.get(r.value, len(position)), str(r.value)))
    elif group_type in ("rating", "nps") or kind in ("date", "datetime"):
        present.sort(key=lambda r: r.value)
    elif kind == "boolean":
        present.sort(key=lambda r: not r.value)
    else:
        present.sort(key=lambda r: (-r.count, r.label))
    return present + empty

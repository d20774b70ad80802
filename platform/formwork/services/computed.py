"""Computed fields: auto-numbers, lookups, rollups and formulas, and keeping them current
when linked records change (also on delete and restore)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from form_engine.formulas import compute_formulas
from formwork.automation import outbox
from formwork.db import dialect_insert
from formwork.models import AutonumberCounter, Form, Record, RecordLink, RecordRevision
from formwork.services.condition_sql import json_value
from formwork.services.form_runtime import FormRuntime, runtime_for

# A change can ripple: an order changes a customer's rollup, which feeds a lookup on a
# follow-up. Bounded so a loop of links can never run away.
MAX_PROPAGATION_DEPTH = 3

_AGGREGATES = {"sum": func.sum, "min": func.min, "max": func.max, "avg": func.avg}


def assign_autonumbers(
    session: Session, runtime: FormRuntime, data: dict[str, Any]
) -> dict[str, Any]:
    """Hand out the next number per auto-number field (atomic on both databases)."""
    if not runtime.autonumbers:
        return data
    result = dict(data)
    for key, spec in runtime.autonumbers.items():
        session.execute(
            dialect_insert(session, AutonumberCounter)
            .values(
                form_id=runtime.form_id, field_key=key, workspace_id=runtime.workspace_id, value=0
            )
            .on_conflict_do_nothing()
        )
        number = session.execute(
            update(AutonumberCounter)
            .where(AutonumberCounter.form_id == runtime.form_id, AutonumberCounter.field_key == key)
            .values(value=AutonumberCounter.value + 1)
            .returning(AutonumberCounter.value)
        ).scalar_one()
        digits = int(spec.get("digits", 5))
        result[key] = f"{spec.get('prefix', '')}{number:0{digits}d}"
    return result


def assign_autonumbers_bulk(
    session: Session, runtime: FormRuntime, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Reserve a block of numbers per auto-number field in one statement."""
    if not runtime.autonumbers or not rows:
        return rows
    result = [dict(row) for row in rows]
    for key, spec in runtime.autonumbers.items():
        session.execute(
            dialect_insert(session, AutonumberCounter)
            .values(
                form_id=runtime.form_id, field_key=key, workspace_id=runtime.workspace_id, value=0
            )
            .on_conflict_do_nothing()
        )
        last = session.execute(
            update(AutonumberCounter)
            .where(AutonumberCounter.form_id == runtime.form_id, AutonumberCounter.field_key == key)
            .values(value=AutonumberCounter.value + len(rows))
            .returning(AutonumberCounter.value)
        ).scalar_one()
        digits = int(spec.get("digits", 5))
        for offset, row in enumerate(result):
            row[key] = f"{spec.get('prefix', '')}{last - len(rows) + 1 + offset:0{digits}d}"
    return result


def with_computed_bulk(
    session: Session, runtime: FormRuntime, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Computed fields of new records: lookups fetched in one query per link field,
    rollups start empty (nothing links to a new record yet), formulas per row."""
    if not (runtime.lookups or runtime.rollups or runtime.formulas):
        return rows
    targets: dict[int, dict[str, Any]] = {}
    wanted = {
        i for row in rows for lookup in runtime.lookups.values() for i in _ids(row.get(lookup.link))
    }
    if wanted:
        targets = dict(
            session.execute(
                select(Record.id, Record.data).where(
                    Record.workspace_id == runtime.workspace_id,
                    Record.id.in_(wanted),
                    Record.deleted_at.is_(None),
                )
            ).all()
        )
    today = date.today()
    result = []
    for row in rows:
        data = dict(row)
        for key, lookup in runtime.lookups.items():
            found = [
                targets[i].get(lookup.target_field)
                for i in _ids(row.get(lookup.link))
                if i in targets
            ]
            found = [value for value in found if value is not None]
            if lookup.link in runtime.multi_links:
                data[key] = found or None
            else:
                data[key] = found[0] if found else None
        for key, rollup in runtime.rollups.items():
            data[key] = 0 if rollup.agg == "count" else None
        values, _errors = compute_formulas(runtime.formulas, data, today=today)
        data.update(values)
        result.append({key: value for key, value in data.items() if value is not None})
    return result


def with_computed(
    session: Session, runtime: FormRuntime, record_id: int | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Fill lookups and rollups from the database, then formulas in dependency order.

    Empty computed values are left out of the stored data (like empty input values).
    """
    result = dict(data)
    result.update(lookups_for(session, runtime, result))
    if record_id is not None:
        result.update(rollups_for(session, runtime, record_id))
    values, _errors = compute_formulas(runtime.formulas, result, today=date.today())
    result.update(values)
    return {key: value for key, value in result.items() if value is not None}


def lookups_for(session: Session, runtime: FormRuntime, data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, lookup in runtime.lookups.items():
        ids = _ids(data.get(lookup.link))
        if not ids:
            values[key] = None
            continue
        rows = dict(
            session.execute(
                select(Record.id, Record.data).where(
                    Record.workspace_id == runtime.workspace_id,
                    Record.id.in_(ids),
                    Record.deleted_at.is_(None),
                )
            ).all()
        )
        found = [rows[i].get(lookup.target_field) for i in ids if i in rows]
        found = [value for value in found if value is not None]
        if lookup.link in runtime.multi_links:
            values[key] = found or None
        else:
            values[key] = found[0] if found else None
    return values


def rollups_for(session: Session, runtime: FormRuntime, record_id: int) -> dict[str, Any]:
    """Aggregate the live records linking here, in SQL."""
    values: dict[str, Any] = {}
    dialect = session.get_bind().dialect.name
    for key, rollup in runtime.rollups.items():
        source_form_id = session.scalar(
            select(Form.id).where(
                Form.workspace_id == runtime.workspace_id, Form.key == rollup.source_form
            )
        )
        if source_form_id is None:
            values[key] = None
            continue
        base = (
            select()
            .select_from(Record)
            .join(RecordLink, RecordLink.source_id == Record.id)
            .where(
                RecordLink.workspace_id == runtime.workspace_id,
                RecordLink.target_id == record_id,
                RecordLink.field_key == rollup.link,
                Record.form_id == source_form_id,
                Record.deleted_at.is_(None),
            )
        )
        if rollup.agg == "count":
            values[key] = session.scalar(base.add_columns(func.count()))
            continue
        if rollup.of is None:
            values[key] = None
            continue
        number = json_value(Record.data, rollup.of, "number", dialect_name=dialect)
        result = session.scalar(base.add_columns(_AGGREGATES[rollup.agg](number)))
        values[key] = None if result is None else _plain_number(result)
    return values


def propagate(
    session: Session,
    runtime: FormRuntime,
    record: Record,
    *,
    before: Mapping[str, Any],
    presence_changed: bool = False,
    depth: int = 0,
) -> None:
    """Recompute the records whose computed fields read this one: those whose rollups
    count it (through a link of this record) and those whose lookups copy one of its
    fields (through a link to it).

    Only where what they read changed: a rollup when the record came or went
    (``presence_changed``: created, deleted, restored), its link moved, or the field it
    sums changed; a lookup when the record came or went or the copied field changed.
    So saving an order recomputes its customer, not every other order of that customer.
    """
    if depth >= MAX_PROPAGATION_DEPTH:
        return
    session.flush()
    changed = {key for key in {*before, *record.data} if before.get(key) != record.data.get(key)}
    forms = _FormsByKey(session, runtime.workspace_id)
    own_key = forms.key_of(runtime.form_id)
    affected: set[int] = set()
    for link_key, target_form in runtime.links.items():
        targets = {*_ids(before.get(link_key)), *_ids(record.data.get(link_key))}
        target_runtime = forms.runtime(target_form) if targets else None
        if target_runtime is not None and any(
            rollup.source_form == own_key
            and rollup.link == link_key
            and (presence_changed or link_key in changed or rollup.of in changed)
            for rollup in target_runtime.rollups.values()
        ):
            affected.update(targets)
    readers = session.execute(
        select(RecordLink.source_id, RecordLink.source_form_id, RecordLink.field_key).where(
            RecordLink.workspace_id == record.workspace_id, RecordLink.target_id == record.id
        )
    ).all()
    for source_id, source_form_id, field_key in readers:
        source_runtime = forms.runtime_by_id(source_form_id)
        if source_runtime is not None and any(
            lookup.link == field_key and (presence_changed or lookup.target_field in changed)
            for lookup in source_runtime.lookups.values()
        ):
            affected.add(source_id)
    affected.discard(record.id)
    if not affected:
        return
    for other in session.scalars(select(Record).where(Record.id.in_(affected))):
        recompute(session, other, depth=depth + 1)


class _FormsByKey:
    """The published runtimes of a workspace's forms, by key or id, read once per call."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self._session = session
        self._workspace_id = workspace_id
        self._by_key: dict[str, FormRuntime | None] = {}
        self._keys: dict[int, str] = {}

    def key_of(self, form_id: int) -> str | None:
        if form_id not in self._keys:
            form = self._session.get(Form, form_id)
            if form is None:
                return None
            self._keys[form_id] = form.key
        return self._keys[form_id]

    def runtime_by_id(self, form_id: int) -> FormRuntime | None:
        key = self.key_of(form_id)
        return None if key is None else self.runtime(key)

    def runtime(self, key: str) -> FormRuntime | None:
        if key not in self._by_key:
            form = self._session.scalar(
                select(Form).where(Form.workspace_id == self._workspace_id, Form.key == key)
            )
            published = form is not None and form.published_version is not None
            self._by_key[key] = runtime_for(self._session, form) if published else None
        return self._by_key[key]


def recompute(session: Session, record: Record, *, depth: int = 0) -> bool:
    """Refresh one record's computed fields; records a revision when anything changed."""
    form = session.get(Form, record.form_id)
    if form is None or form.published_version is None:
        return False
    runtime = runtime_for(session, form)
    if not (runtime.lookups or runtime.rollups or runtime.formulas):
        return False
    before = dict(record.data)
    computed_keys = set(runtime.lookups) | set(runtime.rollups) | set(runtime.formulas)
    inputs = {k: v for k, v in before.items() if k not in computed_keys}
    after = with_computed(session, runtime, record.id, inputs)
    changes = {
        k: [before.get(k), after.get(k)] for k in computed_keys if before.get(k) != after.get(k)
    }
    if not changes:
        return False
    # Computed values do not bump the record's version: a person editing it meanwhile
    # changed none of these fields, and their save recomputes them anyway.
    record.data = after
    session.add(
        RecordRevision(
            workspace_id=record.workspace_id,
            record_id=record.id,
            form_id=record.form_id,
            action="recomputed",
            changes=changes,
            record_version=record.version,
            actor_id=None,
        )
    )
    # Computed changes raise events too: "total spent changed" is what tier and
    # follow-up automations listen for.
    outbox.emit(
        session,
        workspace_id=record.workspace_id,
        type="updated",
        form_id=record.form_id,
        record_id=record.id,
        payload={"before": before, "after": dict(after), "changed": sorted(changes)},
        source="computed",
    )
    propagate(session, runtime, record, before=before, depth=depth)
    return True


def _ids(value: Any) -> list[int]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _plain_number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else round(number, 10)

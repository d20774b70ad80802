"""Records: create, update (optimistic concurrency), delete/restore, history.

A "created" revision stores no values: a record's first values are its current values
with every later revision's ``before`` applied backwards (see :func:`values_at`), so
imports do not write every value twice.

Every write goes through here: values are coerced and validated by the form's compiled
schema, computed fields (auto-number, lookups, rollups, formulas) are filled in, links
are mirrored into ``record_links``, a field-level revision is written, and records that
depend on this one (rollups over it, lookups into it) are recomputed — all in one
transaction.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from form_engine.messages import FieldError, register_messages
from formwork.automation import outbox
from formwork.db import utcnow
from formwork.models import Form, Membership, Record, RecordLink, RecordRevision, Role
from formwork.services import computed
from formwork.services.errors import NotFound, RecordInvalid, RowsInvalid, StaleRecord
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.scope import Actor, scoped
from formwork.value import refresh as value_refresh

register_messages(
    {
        "link_not_found": {
            "en": "Record #{id} does not exist in the linked form.",
            "zh-CN": "关联表单中不存在记录 #{id}。",
        },
        "member_not_found": {
            "en": "This person is not a member of the workspace.",
            "zh-CN": "此人不是本工作区的成员。",
        },
        "not_unique": {
            "en": "Another record already has this value.",
            "zh-CN": "已有其他数据使用了这个值。",
        },
    }
)

_UNIQUE_INDEX = re.compile(r"fwx_u_\d+_([a-z][a-z0-9_]*)")
SEARCH_TEXT_MAX = 4000
# The revision/event key of an owner change (not a field: owners live on the record row).
OWNER_CHANGE_KEY = "_owner"
# About five seconds of waiting in all, like the connection's busy timeout.
SQLITE_WRITE_RETRIES = 30


def get_record(
    session: Session, actor: Actor, form: Form, record_id: int, *, include_deleted: bool = False
) -> Record:
    query = scoped(Record, actor).where(Record.form_id == form.id, Record.id == record_id)
    if not include_deleted:
        query = query.where(Record.deleted_at.is_(None))
    record = session.scalar(query)
    if record is None:
        raise NotFound(_l("This record does not exist or was deleted."))
    return record


class _Writer(Protocol):
    """Who writes: a workspace member (:class:`Actor`) or an anonymous
    :class:`Respondent`."""

    @property
    def workspace_id(self) -> int: ...

    @property
    def user_id(self) -> int | None: ...


@dataclass(frozen=True)
class Respondent:
    """Someone answering a public form or a survey invitation: no account, no role.

    Their records name no creator; ``owner_id`` (a member, e.g. the customer's owner)
    or nobody owns them. Only :func:`create_response` accepts a respondent.
    """

    workspace_id: int
    owner_id: int | None = None

    @property
    def user_id(self) -> None:
        return None


def create_record(
    session: Session,
    actor: Actor,
    form: Form,
    raw: Mapping[str, Any],
    *,
    source: str = "html",
    commit: bool = True,
) -> Record:
    """Validate and store a new record. Raises RecordInvalid with per-field errors.

    Writes a ``created`` event in the same transaction (automations, DESIGN §5).
    """
    actor.require(Role.MEMBER)
    return _create(session, actor, form, raw, source, actor.user_id, source, commit=commit)


def create_response(
    session: Session,
    respondent: Respondent,
    form: Form,
    raw: Mapping[str, Any],
    *,
    event_source: str = "public",
    commit: bool = True,
) -> Record:
    """Store an anonymous answer (public link, survey invitation) like a record entered
    in the form's page: the same validation, computed fields, links and ``created``
    event, with no actor. ``raw`` is HTML-style input; the caller decides which fields
    a respondent may set. Raises RecordInvalid with per-field errors.
    """
    if form.workspace_id != respondent.workspace_id:
        raise NotFound(_l("This form does not exist."))
    return _create(
        session, respondent, form, raw, "html", respondent.owner_id, event_source, commit=commit
    )


def _create(
    session: Session,
    actor: _Writer,
    form: Form,
    raw: Mapping[str, Any],
    source: str,
    owner_id: int | None,
    event_source: str,
    *,
    commit: bool,
) -> Record:
    runtime = _runtime(session, form)
    data = _clean(session, actor, runtime, raw, source)
    now = utcnow()
    record = Record(
        workspace_id=actor.workspace_id,
        form_id=form.id,
        data={},
        form_version=runtime.version,
        owner_id=owner_id,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(record)
    session.flush()
    data = computed.assign_autonumbers(session, runtime, data)
    data = computed.with_computed(session, runtime, record.id, data)
    record.data = data
    record.search_text = search_text(runtime, data)
    _sync_links(session, runtime, record)
    session.add(
        RecordRevision(
            workspace_id=actor.workspace_id,
            record_id=record.id,
            form_id=form.id,
            action="created",
            changes={},
            record_version=1,
            actor_id=actor.user_id,
        )
    )
    _flush_unique(session, runtime)
    _emit(session, actor, record, "created", before=None, source=event_source)
    computed.propagate(session, runtime, record, before={}, presence_changed=True)
    value_refresh.on_records_changed(
        session, record.workspace_id, form.id, [(record.id, None, record.data)]
    )
    if commit:
        session.commit()
    return record


def bulk_create(
    session: Session,
    actor: Actor,
    form: Form,
    rows: Sequence[Mapping[str, Any]],
    *,
    source: str = "json",
    fire_automations: bool = True,
    commit: bool = True,
    created_at: Sequence[datetime | None] | None = None,
) -> list[int]:
    """Validate and insert many records in one transaction (imports, API batches).

    All or nothing: when any row is invalid, nothing is stored and RowsInvalid lists the
    errors by row number (1-based). Computed fields, links, revisions and the rollups of
    linked records are handled in batches rather than row by row. Every row raises a
    ``created`` event like a single save, unless the caller opts out explicitly with
    ``fire_automations=False`` (the events are still stored, marked not to fire).
    ``commit=False`` leaves the transaction open, so a caller can record what it
    inserted in the same transaction (template install: exactly once, even after a crash).
    ``created_at`` (one per row; None: now) dates rows created earlier elsewhere (sample
    data), so lists, trends and survey results show when they happened.
    """
    actor.require(Role.MEMBER)
    if not rows:
        # An empty executemany INSERT would be sent as one row of defaults.
        return []
    runtime = _runtime(session, form)
    cleaned: list[dict[str, Any]] = []
    problems: dict[int, list[FieldError]] = {}
    for number, raw in enumerate(rows, start=1):
        data, errors = runtime.compiled.clean(
            raw, source, visible=runtime.is_visible, required_if=runtime.is_required_if
        )
        if errors:
            problems[number] = errors
        cleaned.append(data)
    for number, errors in _bulk_reference_errors(session, actor, runtime, cleaned).items():
        problems.setdefault(number, []).extend(errors)
    if problems:
        raise RowsInvalid(_l("Some rows are not valid; nothing was imported."), problems)
    cleaned = computed.assign_autonumbers_bulk(session, runtime, cleaned)
    cleaned = computed.with_computed_bulk(session, runtime, cleaned)
    now = utcnow()
    stamps = [when or now for when in created_at] if created_at is not None else [now] * len(rows)
    ids = list(
        session.scalars(
            insert(Record).returning(Record.id, sort_by_parameter_order=True),
            [
                {
                    "workspace_id": actor.workspace_id,
                    "form_id": form.id,
                    "data": data,
                    "form_version": runtime.version,
                    "owner_id": actor.user_id,
                    "created_by_id": actor.user_id,
                    "created_at": when,
                    "updated_at": when,
                    "version": 1,
                    "search_text": search_text(runtime, data),
                }
                for data, when in zip(cleaned, stamps, strict=True)
            ],
        )
    )
    session.execute(
        insert(RecordRevision),
        [
            {
                "workspace_id": actor.workspace_id,
                "record_id": record_id,
                "form_id": form.id,
                "action": "created",
                "changes": {},
                "record_version": 1,
                "actor_id": actor.user_id,
                "created_at": when,
            }
            for record_id, when in zip(ids, stamps, strict=True)
        ],
    )
    links = [
        {
            "source_id": record_id,
            "field_key": key,
            "target_id": target,
            "workspace_id": actor.workspace_id,
            "source_form_id": form.id,
        }
        for record_id, data in zip(ids, cleaned, strict=True)
        for key in runtime.links
        for target in dict.fromkeys(_as_ids(data.get(key)))
    ]
    if links:
        session.execute(insert(RecordLink), links)
    _flush_unique(session, runtime)
    outbox.emit_many(
        session,
        [
            {
                "workspace_id": actor.workspace_id,
                "type": "created",
                "form_id": form.id,
                "record_id": record_id,
                "payload": {"before": None, "after": data, "changed": sorted(data)},
                "actor_id": actor.user_id,
                "source": _event_source(source),
                "fire": fire_automations,
            }
            for record_id, data in zip(ids, cleaned, strict=True)
        ],
    )
    targets = {target for link in links for target in [link["target_id"]]}
    for record in session.scalars(select(Record).where(Record.id.in_(targets))):
        computed.recompute(session, record, depth=1)
    created = [(i, None, data) for i, data in zip(ids, cleaned, strict=True)]
    value_refresh.on_records_changed(session, actor.workspace_id, form.id, created)
    if commit:
        session.commit()
    return ids


def update_record(
    session: Session,
    actor: Actor,
    form: Form,
    record_id: int,
    raw: Mapping[str, Any],
    *,
    expected_version: int,
    source: str = "html",
    partial: bool = False,
    commit: bool = True,
) -> Record:
    """Save an edit made on ``expected_version``; a newer stored version is a conflict.

    With ``partial`` (API PATCH), fields absent from ``raw`` keep their stored values.
    """
    actor.require(Role.MEMBER)
    runtime = _runtime(session, form)
    record = get_record(session, actor, form, record_id)
    before = dict(record.data)
    if record.version != expected_version:
        raise _stale(record)
    if partial:
        active = {key for key, _schema, kind in runtime.compiled.fields if not kind.computed}
        raw = {**{k: v for k, v in before.items() if k in active}, **raw}
        source = "json"
    cleaned = _clean(session, actor, runtime, raw, source)
    # Values of archived fields stay with the record (hidden, restorable).
    archived = {k: v for k, v in before.items() if k in runtime.document.get("x-archived", {})}
    data = {**archived, **_kept_computed(runtime, before), **cleaned}
    data = computed.with_computed(session, runtime, record.id, data)
    changes = diff_values(before, data)
    if not changes:
        return record
    values = {
        "data": data,
        "version": expected_version + 1,
        "updated_at": utcnow(),
        "form_version": runtime.version,
        "search_text": search_text(runtime, data),
    }
    result = _versioned_update(session, actor, form, record_id, expected_version, values)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise _stale(get_record(session, actor, form, record_id))
    session.add(
        RecordRevision(
            workspace_id=actor.workspace_id,
            record_id=record.id,
            form_id=form.id,
            action="updated",
            changes=changes,
            record_version=expected_version + 1,
            actor_id=actor.user_id,
        )
    )
    session.refresh(record)
    _sync_links(session, runtime, record)
    _flush_unique(session, runtime)
    _emit(session, actor, record, "updated", before=before, source=source)
    computed.propagate(session, runtime, record, before=before)
    value_refresh.on_records_changed(
        session, record.workspace_id, form.id, [(record.id, before, record.data)]
    )
    if commit:
        session.commit()
    return record


def delete_record(
    session: Session, actor: Actor, form: Form, record_id: int, *, commit: bool = True
) -> None:
    """Soft delete: the record disappears from lists and rollups, restorable."""
    _set_deleted(session, actor, form, record_id, deleted=True, commit=commit)


def restore_record(
    session: Session, actor: Actor, form: Form, record_id: int, *, commit: bool = True
) -> None:
    _set_deleted(session, actor, form, record_id, deleted=False, commit=commit)


def assign_owner(
    session: Session,
    actor: Actor,
    form: Form,
    record_id: int,
    owner_id: int | None,
    *,
    commit: bool = True,
) -> Record:
    """Make ``owner_id`` (a workspace member, or nobody) the record's owner (负责人)."""
    actor.require(Role.MEMBER)
    record = get_record(session, actor, form, record_id)
    if owner_id is not None and session.get(Membership, (actor.workspace_id, owner_id)) is None:
        raise RecordInvalid(
            _l("Please correct the marked fields."),
            [FieldError(("owner",), "member_not_found", {"id": owner_id})],
        )
    if record.owner_id == owner_id:
        return record
    previous = record.owner_id
    record.owner_id = owner_id
    record.version += 1
    record.updated_at = utcnow()
    session.add(
        RecordRevision(
            workspace_id=actor.workspace_id,
            record_id=record.id,
            form_id=form.id,
            action="assigned",
            changes={OWNER_CHANGE_KEY: [previous, owner_id]},
            record_version=record.version,
            actor_id=actor.user_id,
        )
    )
    outbox.emit(
        session,
        workspace_id=actor.workspace_id,
        type="updated",
        form_id=form.id,
        record_id=record.id,
        payload={
            "before": record.data,
            "after": record.data,
            "changed": [OWNER_CHANGE_KEY],
            "owner": [previous, owner_id],
        },
        actor_id=actor.user_id,
        source="ui",
    )
    if commit:
        session.commit()
    return record


def _set_deleted(
    session: Session, actor: Actor, form: Form, record_id: int, *, deleted: bool, commit: bool
) -> None:
    actor.require(Role.MEMBER)
    runtime = _runtime(session, form)
    record = get_record(session, actor, form, record_id, include_deleted=True)
    if (record.deleted_at is not None) == deleted:
        return
    record.deleted_at = utcnow() if deleted else None
    record.version += 1
    session.add(
        RecordRevision(
            workspace_id=actor.workspace_id,
            record_id=record.id,
            form_id=form.id,
            action="deleted" if deleted else "restored",
            changes={},
            record_version=record.version,
            actor_id=actor.user_id,
        )
    )
    if not deleted:
        _flush_unique(session, runtime)
    _emit(session, actor, record, "deleted" if deleted else "restored", before=record.data)
    computed.propagate(session, runtime, record, before=record.data, presence_changed=True)
    change = (record.id, record.data, None) if deleted else (record.id, None, record.data)
    value_refresh.on_records_changed(session, record.workspace_id, form.id, [change])
    if commit:
        session.commit()


def revisions(session: Session, actor: Actor, record: Record) -> list[RecordRevision]:
    query = (
        scoped(RecordRevision, actor)
        .where(RecordRevision.record_id == record.id)
        .order_by(RecordRevision.id.desc())
    )
    return list(session.scalars(query))


def values_at(record: Record, history: list[RecordRevision], version: int) -> dict[str, Any]:
    """The record's values as of ``version``, rebuilt from its newest-first history."""
    data = dict(record.data)
    for revision in history:
        if revision.record_version <= version:
            break
        for key, (before, _after) in revision.changes.items():
            if key.startswith("_"):  # not a field (an owner change)
                continue
            if before is None:
                data.pop(key, None)
            else:
                data[key] = before
    return data


def diff_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{key: [before, after]}`` for every key whose value differs."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def search_text(runtime: FormRuntime, data: Mapping[str, Any]) -> str:
    parts = [str(data[key]) for key in runtime.searchable if data.get(key) not in (None, "")]
    return " ".join(parts).lower()[:SEARCH_TEXT_MAX]


def _runtime(session: Session, form: Form) -> FormRuntime:
    if form.published_version is None:
        raise NotFound(_l("This form is not published yet."))
    return runtime_for(session, form)


def _clean(
    session: Session, actor: _Writer, runtime: FormRuntime, raw: Mapping[str, Any], source: str
) -> dict[str, Any]:
    data, errors = runtime.compiled.clean(
        raw, source, visible=runtime.is_visible, required_if=runtime.is_required_if
    )
    errors = [*errors, *_reference_errors(session, actor, runtime, data)]
    if errors:
        raise RecordInvalid(_l("Please correct the marked fields."), errors)
    return data


def _reference_errors(
    session: Session, actor: _Writer, runtime: FormRuntime, data: Mapping[str, Any]
) -> list[FieldError]:
    """Links must point at live records of the right form in this workspace; members at
    members of this workspace. Ids from elsewhere look exactly like missing ones."""
    return _bulk_reference_errors(session, actor, runtime, [data]).get(1, [])


def _bulk_reference_errors(
    session: Session, actor: _Writer, runtime: FormRuntime, rows: Sequence[Mapping[str, Any]]
) -> dict[int, list[FieldError]]:
    """Link and member checks for many rows with one query per field."""
    problems: dict[int, list[FieldError]] = {}
    for key, target_form_key in runtime.links.items():
        wanted = {i for data in rows for i in _as_ids(data.get(key))}
        if not wanted:
            continue
        found = set(
            session.scalars(
                select(Record.id)
                .join(Form, Form.id == Record.form_id)
                .where(
                    Record.workspace_id == actor.workspace_id,
                    Form.key == target_form_key,
                    Record.id.in_(wanted),
                    Record.deleted_at.is_(None),
                )
            )
        )
        for number, data in enumerate(rows, start=1):
            for missing in sorted(set(_as_ids(data.get(key))) - found):
                problems.setdefault(number, []).append(
                    FieldError((key,), "link_not_found", {"id": missing})
                )
    members = set(
        session.scalars(
            select(Membership.user_id).where(Membership.workspace_id == actor.workspace_id)
        )
    )
    for key, _schema, kind in runtime.compiled.fields:
        if kind.key != "member":
            continue
        for number, data in enumerate(rows, start=1):
            if data.get(key) is not None and data[key] not in members:
                problems.setdefault(number, []).append(
                    FieldError((key,), "member_not_found", {"id": data[key]})
                )
    return problems


def _as_ids(value: Any) -> list[int]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _kept_computed(runtime: FormRuntime, before: Mapping[str, Any]) -> dict[str, Any]:
    """Auto-numbers are assigned once and never change on edit."""
    return {key: before[key] for key in runtime.autonumbers if key in before}


def _versioned_update(
    session: Session,
    actor: Actor,
    form: Form,
    record_id: int,
    expected_version: int,
    values: dict[str, Any],
) -> Any:
    """``UPDATE … WHERE version = expected``; a concurrent save makes it match nothing.

    SQLite refuses to turn a read transaction into a write while another connection is
    writing ("database is locked", without waiting, to avoid a deadlock). Then we start
    over with a fresh snapshot after a short pause: once the other save has committed,
    the version check reports the conflict.
    """
    for attempt in range(SQLITE_WRITE_RETRIES):
        try:
            return session.execute(
                update(Record)
                .where(Record.id == record_id, Record.version == expected_version)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        except OperationalError as exc:
            session.rollback()
            if "locked" not in str(exc.orig) or attempt == SQLITE_WRITE_RETRIES - 1:
                raise
            current = get_record(session, actor, form, record_id)
            if current.version != expected_version:
                raise _stale(current) from exc
            session.rollback()
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")


def _sync_links(session: Session, runtime: FormRuntime, record: Record) -> None:
    """Mirror the record's link values into record_links (deleted links removed)."""
    if not runtime.links:
        return
    session.execute(delete(RecordLink).where(RecordLink.source_id == record.id))
    rows = [
        {
            "source_id": record.id,
            "field_key": key,
            "target_id": target,
            "workspace_id": record.workspace_id,
            "source_form_id": record.form_id,
        }
        for key in runtime.links
        for target in dict.fromkeys(_as_ids(record.data.get(key)))
    ]
    if rows:
        session.execute(RecordLink.__table__.insert(), rows)


def _flush_unique(session: Session, runtime: FormRuntime) -> None:
    """Flush; a unique-index violation becomes a field error (the database decides)."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        match = _UNIQUE_INDEX.search(str(exc.orig))
        key = match.group(1) if match else ""
        raise RecordInvalid(
            _l("Please correct the marked fields."),
            [FieldError((key,) if key else (), "not_unique", {})],
        ) from exc


def _stale(record: Record) -> StaleRecord:
    return StaleRecord(
        _l(
            "Someone else saved this record while you were editing it. Nothing was "
            "overwritten: compare the values and save again."
        ),
        current=dict(record.data),
        current_version=record.version,
    )


def _event_source(source: str) -> str:
    return {"html": "ui", "json": "api", "csv": "import"}.get(source, source)


def _emit(
    session: Session,
    actor: _Writer,
    record: Record,
    type_: str,
    *,
    before: Mapping[str, Any] | None,
    source: str = "html",
) -> None:
    """Write the change's event into this transaction (the outbox)."""
    after = dict(record.data)
    if type_ == "updated":
        changed = sorted(diff_values(before or {}, after))
    elif type_ == "created":
        changed = sorted(after)
    else:
        changed = []
    outbox.emit(
        session,
        workspace_id=record.workspace_id,
        type=type_,
        form_id=record.form_id,
        record_id=record.id,
        payload={
            "before": dict(before) if before is not None else None,
            "after": after,
            "changed": changed,
        },
        actor_id=actor.user_id,
        source=_event_source(source),
    )


def ids_of(records: Iterable[Record]) -> list[int]:
    return [record.id for record in records]

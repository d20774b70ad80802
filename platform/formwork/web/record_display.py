"""Stored record values for people: the show page, the history and the conflict table.

Every value goes through its field type's ``format`` in the user's locale; members show
their names and linked records their label with a link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from form_engine.fields.base import generic_format
from formwork.models import Form, RecordRevision
from formwork.services.attachments import human_size, valid_id
from formwork.services.form_runtime import FormRuntime
from formwork.services.records import OWNER_CHANGE_KEY
from formwork.web.record_forms import FieldSpec, field_specs
from formwork.web.record_input import hidden_keys


class LinkResolver(Protocol):
    def members(self) -> list[tuple[int, str]]: ...

    def form(self, form_key: str) -> Form | None: ...

    def labels(self, form_key: str, ids: Iterable[int]) -> dict[int, str]: ...


RecordUrl = Callable[[Form, int], str]
FileUrl = Callable[[str], str]


@dataclass
class ShownField:
    """One field on the show page: its text, or linked records, or subform rows."""

    spec: FieldSpec
    text: str = ""
    links: list[tuple[str, str | None]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    files: list[tuple[str, str, str]] = field(default_factory=list)  # name, size, url

    @property
    def empty(self) -> bool:
        return not (self.text or self.links or self.rows or self.files)


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    action: str  # created | updated | deleted | restored | recomputed
    who: str | None  # None: Formwork itself (recomputed values)
    when: datetime
    version: int
    changes: list[Change]


@dataclass
class ConflictRow:
    label: str
    stored: str
    mine: str


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def text_of(
    spec: FieldSpec | None, value: Any, locale: str, members: Mapping[int, str] | None = None
) -> str:
    """A stored value as text in ``locale`` (member ids as names)."""
    if value is None:
        return ""
    if spec is None:
        return generic_format(value, locale)
    if spec.type == "member" and members is not None:
        return ", ".join(members.get(uid, f"#{uid}") for uid in _ids(value))
    return spec.kind.format(value, locale, spec.schema)


def _input_data(runtime: FormRuntime, data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in runtime.kinds and not _computed(runtime, k)}


def _computed(runtime: FormRuntime, key: str) -> bool:
    return (
        key in runtime.formulas
        or key in runtime.lookups
        or key in runtime.rollups
        or (key in runtime.autonumbers)
    )


def shown_fields(
    runtime: FormRuntime,
    data: Mapping[str, Any],
    locale: str,
    resolver: LinkResolver,
    record_url: RecordUrl,
    file_url: FileUrl | None = None,
) -> list[ShownField]:
    """The fields of a record in display order; hidden fields are left out."""
    hidden = hidden_keys(runtime, _input_data(runtime, data))
    members = dict(resolver.members())
    shown: list[ShownField] = []
    for spec in field_specs(runtime.compiled.document, locale):
        if spec.key in hidden or spec.type == "description":
            continue
        value = data.get(spec.key)
        item = ShownField(spec)
        if spec.type == "link" and value is not None:
            target = resolver.form(spec.link_form)
            labels = resolver.labels(spec.link_form, _ids(value)) if target else {}
            for rid in _ids(value):
                url = record_url(target, rid) if target is not None and rid in labels else None
                item.links.append((labels.get(rid, f"#{rid}"), url))
        elif spec.type == "subform" and isinstance(value, list):
            item.rows = [
                [text_of(column, row.get(column.key), locale, members) for column in spec.columns]
                for row in value
                if isinstance(row, Mapping)
            ]
        elif spec.type == "attachment" and file_url is not None and isinstance(value, list):
            item.files = [
                (str(one.get("name", "")), human_size(one.get("size")), file_url(one["id"]))
                for one in value
                if isinstance(one, Mapping) and valid_id(one.get("id"))
            ]
        elif spec.type != "section":
            item.text = text_of(spec, value, locale, members)
        shown.append(item)
    return shown


def history(
    runtime: FormRuntime,
    revisions: Iterable[RecordRevision],
    locale: str,
    members: Mapping[int, str],
) -> list[HistoryEntry]:
    """Revisions, newest first, with field-level before → after in display order."""
    specs = {spec.key: spec for spec in field_specs(runtime.compiled.document, locale)}
    order = {key: index for index, key in enumerate(specs)}
    entries: list[HistoryEntry] = []
    for revision in revisions:
        changes = [
            _owner_change(pair, members)
            if key == OWNER_CHANGE_KEY
            else Change(
                label=specs[key].label if key in specs else key,
                before=text_of(specs.get(key), pair[0], locale, members),
                after=text_of(specs.get(key), pair[1], locale, members),
            )
            for key, pair in sorted(
                revision.changes.items(), key=lambda item: (order.get(item[0], len(order)), item[0])
            )
            if isinstance(pair, list) and len(pair) == 2
        ]
        who = None if revision.actor_id is None else members.get(revision.actor_id, "")
        entries.append(
            HistoryEntry(
                revision.action, who, revision.created_at, revision.record_version, changes
            )
        )
    return entries


def _owner_change(pair: list[Any], members: Mapping[int, str]) -> Change:
    def name(user_id: Any) -> str:
        return "" if user_id is None else members.get(user_id, f"#{user_id}")

    return Change(label=str(_l("Record owner")), before=name(pair[0]), after=name(pair[1]))


def conflict_rows(
    runtime: FormRuntime,
    stored: Mapping[str, Any],
    mine: Mapping[str, Any],
    locale: str,
    members: Mapping[int, str] | None = None,
) -> list[ConflictRow]:
    """Input fields whose stored value differs from the one the person tried to save."""
    rows: list[ConflictRow] = []
    for spec in field_specs(runtime.compiled.document, locale):
        if not spec.takes_input:
            continue
        before, after = stored.get(spec.key), mine.get(spec.key)
        if before != after:
            rows.append(
                ConflictRow(
                    spec.label,
                    text_of(spec, before, locale, members),
                    text_of(spec, after, locale, members),
                )
            )
    return rows

"""Sample CSV rows → record values (docs/templates.md, "Sample data").

Cells are text; the form document says what each becomes: numbers, booleans, JSON lists,
links (the ``_key`` of a row inserted earlier → its record id), and dates and date-times
shifted by ``shift`` days so that sample data always ends today (an exported app's own
records keep their dates: its manifest says ``"shift_dates": false``). The optional
``_created_at`` column says when a row's record was created (exports carry it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from templates_library.loader import CREATED_AT_COLUMN


class SampleDataError(ValueError):
    """A sample cell does not fit its field (a template bug, reported with its place)."""


def created_at(value: Any, zone: tzinfo) -> datetime | None:
    """When a sample record happened, from its date field: a date-time as it is, a date
    at 09:00 in the workspace's zone; None (now) for no or an unreadable value."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(9), zone).astimezone(UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def exported_created_at(text: str | None, shift: int) -> datetime | None:
    """A ``_created_at`` cell (ISO date-time with an offset) moved by ``shift`` days."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SampleDataError(f"{CREATED_AT_COLUMN}: cannot read {text!r}") from exc
    if moment.tzinfo is None:
        raise SampleDataError(f"{CREATED_AT_COLUMN}: {text!r} has no UTC offset")
    return (moment + timedelta(days=shift)).astimezone(UTC)


def self_link_keys(document: Mapping[str, Any], form_key: str) -> list[str]:
    """Link fields of the form that point to its own records (a customer referred by
    another customer): their targets are rows of the same file."""
    properties: Mapping[str, Any] = document.get("properties") or {}
    return [
        key
        for key, schema in properties.items()
        if schema.get("x-field") == "link" and (schema.get("x-link") or {}).get("form") == form_key
    ]


def insertion_rounds(
    row_keys: Sequence[str], targets: Sequence[set[str]]
) -> tuple[list[list[int]], list[int]]:
    """Row indexes in rounds such that every row's self-link ``targets`` are inserted in
    an earlier round, and the rows caught in a circle of such links (A → B → A), which
    must be inserted first and linked afterwards.

    A target that is no row of the file is left to :func:`convert_row` to report.
    """
    known = set(row_keys)
    # Kahn's algorithm, a round at a time: linear in rows and links, however deep.
    # A row linking to itself never gets ready, so it is linked afterwards like a circle.
    waiting_for = [len({t for t in targets[i] if t in known}) for i in range(len(row_keys))]
    dependents: dict[str, list[int]] = {}
    for i, wanted in enumerate(targets):
        for target in {t for t in wanted if t in known}:
            dependents.setdefault(target, []).append(i)
    rounds: list[list[int]] = []
    ready = [i for i, count in enumerate(waiting_for) if count == 0]
    while ready:
        rounds.append(ready)
        following: list[int] = []
        for i in ready:
            for j in dependents.pop(row_keys[i], []):
                waiting_for[j] -= 1
                if waiting_for[j] == 0:
                    following.append(j)
        ready = sorted(following)
    return rounds, [i for i, count in enumerate(waiting_for) if count > 0]


def shift_days(as_of: str, today: date) -> int:
    return (today - date.fromisoformat(as_of)).days


def _number(text: str, integer: bool) -> int | float:
    value = float(text)
    return int(value) if integer or value.is_integer() else value


def _shift_date(text: str, shift: int) -> str:
    return (date.fromisoformat(text) + timedelta(days=shift)).isoformat()


def _shift_datetime(text: str, shift: int) -> str:
    return (datetime.fromisoformat(text) + timedelta(days=shift)).isoformat()


def link_cell_keys(text: str, multiple: bool) -> list[str]:
    """The row keys a link cell names: one key, or a JSON array of keys."""
    try:
        keys = json.loads(text) if multiple else [text]
    except ValueError as exc:
        raise SampleDataError(f"cannot read the link cell {text!r} ({exc})") from exc
    if not isinstance(keys, list):
        raise SampleDataError(f"the link cell {text!r} is not a list of keys")
    return [str(key) for key in keys]


def _link(text: str, targets: Mapping[str, int], multiple: bool) -> int | list[int]:
    ids = [targets[key] for key in link_cell_keys(text, multiple)]
    return ids if multiple else ids[0]


def convert_row(
    row: Mapping[str, str],
    document: Mapping[str, Any],
    *,
    shift: int,
    linked_ids: Mapping[str, Mapping[str, int]],
) -> dict[str, Any]:
    """One CSV row (``_key`` already removed) as record data.

    ``linked_ids``: template form key → row key → record id, for link cells.

    Raises:
        SampleDataError: a cell cannot be read as its field's type.
    """
    properties: Mapping[str, Any] = document.get("properties") or {}
    data: dict[str, Any] = {}
    for key, text in row.items():
        schema = properties.get(key) or {}
        kind = schema.get("x-field")
        try:
            if kind == "link":
                link = schema.get("x-link") or {}
                multiple = schema.get("type") == "array"
                data[key] = _link(text, linked_ids[link["form"]], multiple)
            elif schema.get("type") == "array" or kind in {"subform", "address"}:
                data[key] = json.loads(text)
            elif schema.get("type") == "integer":
                data[key] = int(_number(text, integer=True))
            elif schema.get("type") == "number":
                data[key] = _number(text, integer=False)
            elif schema.get("type") == "boolean":
                data[key] = text == "true"
            elif schema.get("format") == "date":
                data[key] = _shift_date(text, shift)
            elif schema.get("format") == "date-time":
                data[key] = _shift_datetime(text, shift)
            else:
                data[key] = text
        except (ValueError, KeyError, TypeError) as exc:
            raise SampleDataError(f"field {key!r}: cannot read {text!r} ({exc})") from exc
    return data

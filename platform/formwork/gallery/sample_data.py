"""Sample CSV rows → record values (docs/templates.md, "Sample data").

Cells are text; the form document says what each becomes: numbers, booleans, JSON lists,
links (the ``_key`` of a row inserted earlier → its record id), and dates and date-times
shifted by ``shift`` days so that sample data always ends today.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any


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


def shift_days(as_of: str, today: date) -> int:
    return (today - date.fromisoformat(as_of)).days


def _number(text: str, integer: bool) -> int | float:
    value = float(text)
    return int(value) if integer or value.is_integer() else value


def _shift_date(text: str, shift: int) -> str:
    return (date.fromisoformat(text) + timedelta(days=shift)).isoformat()


def _shift_datetime(text: str, shift: int) -> str:
    return (datetime.fromisoformat(text) + timedelta(days=shift)).isoformat()


def _link(text: str, targets: Mapping[str, int], multiple: bool) -> int | list[int]:
    keys = json.loads(text) if multiple else [text]
    ids = [targets[str(key)] for key in keys]
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

"""Date and date-time field types."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any, ClassVar

from form_engine.fields.base import (
    FieldType,
    Problem,
    Source,
    SqlKind,
    expect,
    input_text,
    is_zh,
    register,
    single,
)
from form_engine.fields.parsing import (
    parse_date_json,
    parse_date_text,
    parse_datetime_json,
    parse_datetime_text,
)


@register
class DateType(FieldType):
    """A calendar day stored as ``YYYY-MM-DD``."""

    key = "date"
    sql_kind: ClassVar[SqlKind | None] = "date"
    type_error_code = "bad_date"
    names: ClassVar[Mapping[str, str]] = {"en": "Date", "zh-CN": "日期"}

    def build(self, **options: Any) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "string") + expect(schema, "format", "date")

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        raw = single(raw, source)
        if source == "json":
            return None if raw is None or raw == "" else parse_date_json(raw)
        if isinstance(raw, datetime):  # a spreadsheet cell read by a library
            return raw.date().isoformat()
        if isinstance(raw, date):
            return raw.isoformat()
        text = input_text(raw, source, "bad_date")
        return None if text is None else parse_date_text(text)

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        try:
            day = date.fromisoformat(value)
        except (TypeError, ValueError):
            return super().format(value, locale, schema)
        return f"{day.year}年{day.month}月{day.day}日" if is_zh(locale) else day.isoformat()


@register
class DatetimeType(FieldType):
    """A moment stored in UTC as ``YYYY-MM-DDTHH:MM:SSZ``; shown in the person's zone."""

    key = "datetime"
    sql_kind: ClassVar[SqlKind | None] = "datetime"
    type_error_code = "bad_datetime"
    names: ClassVar[Mapping[str, str]] = {"en": "Date and time", "zh-CN": "日期时间"}

    def build(self, **options: Any) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "string") + expect(schema, "format", "date-time")

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        raw = single(raw, source)
        if source == "json":
            return None if raw is None or raw == "" else parse_datetime_json(raw)
        if isinstance(raw, datetime):
            moment = raw if raw.tzinfo else raw.replace(tzinfo=tz or UTC)
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = input_text(raw, source, "bad_datetime")
        return None if text is None else parse_datetime_text(text, tz)

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        try:
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except (TypeError, ValueError):
            return super().format(value, locale, schema)
        local = moment.astimezone(tz or UTC)
        if is_zh(locale):
            return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
        return f"{local:%Y-%m-%d %H:%M}"

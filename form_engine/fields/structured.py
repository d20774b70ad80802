"""Field types with structure: address, member, link, subform, attachment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, ClassVar

from form_engine.errors import FormEngineError
from form_engine.fields.base import (
    CoercionError,
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
from form_engine.fields.parsing import split_values

ADDRESS_PARTS = ("province", "city", "district", "detail")
# A one-cell Chinese address: 广东省深圳市南山区科技园路1号. Heuristic: when it fails
# the parts land in ``detail`` and validation asks for the province.
_ADDRESS = re.compile(
    r"(?P<province>[^省市]{1,8}?(?:省|自治区|特别行政区)|(?:北京|上海|天津|重庆)市?)?"
    r"(?P<city>[^市]{1,10}?(?:市|自治州|地区|盟))?"
    r"(?P<district>[^区县旗]{1,10}?(?:区|县|旗))?"
    r"(?P<detail>.*)",
    re.DOTALL,
)


def _address_from_text(text: str) -> dict[str, str]:
    pieces = [piece for piece in re.split(r"\s*[/|]\s*|\s+", text) if piece]
    if len(pieces) > 1:
        head = dict(zip(ADDRESS_PARTS[:3], pieces[:3], strict=False))
        if len(pieces) > 3:
            head["detail"] = " ".join(pieces[3:])
        return head
    match = _ADDRESS.fullmatch(text)
    groups = match.groupdict() if match else {"detail": text}
    return {part: value for part, value in groups.items() if value}


@register
class AddressType(FieldType):
    """``{province, city, district, detail}``; the province is needed once any is set."""

    key = "address"
    sql_kind: ClassVar[SqlKind | None] = "json"
    type_error_code = "bad_address"
    item_error_code = "bad_address"
    names: ClassVar[Mapping[str, str]] = {"en": "Address", "zh-CN": "地址"}

    def build(self, **options: Any) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                part: {"type": "string", "maxLength": 500 if part == "detail" else 100}
                for part in ADDRESS_PARTS
            },
            "additionalProperties": False,
        }

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "object")

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        raw = single(raw, source) if not isinstance(raw, Mapping) else raw
        if raw is None or raw == "":
            return None
        if isinstance(raw, str) and source != "json":
            text = input_text(raw, source, "bad_address")
            parts: Mapping[str, Any] = _address_from_text(text) if text else {}
        elif isinstance(raw, Mapping):
            if source == "json" and any(name not in ADDRESS_PARTS for name in raw):
                raise CoercionError("bad_address")
            parts = raw
        else:
            raise CoercionError("bad_address")
        result: dict[str, str] = {}
        for part in ADDRESS_PARTS:
            value = parts.get(part)
            if value is not None and not isinstance(value, str):
                raise CoercionError("bad_address", path=(part,))
            if value and value.strip():
                result[part] = value if source == "json" else value.strip()
        return result or None

    def check_value(self, value: Any, schema: Mapping[str, Any]) -> list[Problem]:
        if any(value.get(part) for part in ADDRESS_PARTS) and not value.get("province"):
            return [(("province",), "address_needs_province", {})]
        return []

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        if not isinstance(value, Mapping):
            return super().format(value, locale, schema)
        parts: list[str] = []
        for part in ADDRESS_PARTS:
            text = value.get(part)
            if isinstance(text, str) and text and (not parts or parts[-1] != text):
                parts.append(text)  # 北京市 is both province and city: show it once
        return ("" if is_zh(locale) else " ").join(parts)


def _record_id(raw: Any, source: Source, code: str) -> int | None:
    """A positive integer id from a form string, a cell or JSON."""
    if source == "json":
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise CoercionError(code)
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = input_text(raw, source, code, normalise=True)
    if text is None:
        return None
    text = text.lstrip("#")
    if not text.isdigit() or len(text) > 18:
        raise CoercionError(code)
    return int(text)


@register
class MemberType(FieldType):
    """A user of the workspace, by id (the platform checks membership)."""

    key = "member"
    sql_kind: ClassVar[SqlKind | None] = "integer"
    type_error_code = "bad_member"
    names: ClassVar[Mapping[str, str]] = {"en": "Member", "zh-CN": "成员"}

    def build(self, **options: Any) -> dict[str, Any]:
        return {"type": "integer", "minimum": 1}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "integer")

    def error_for(
        self, keyword: str, detail: Mapping[str, Any], schema: Mapping[str, Any], *, item: bool
    ) -> tuple[str, dict[str, Any]]:
        if keyword in ("type", "minimum", "exclusiveMinimum"):
            return self.type_error_code, {}
        return super().error_for(keyword, detail, schema, item=item)

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        return _record_id(single(raw, source), source, self.type_error_code)


@register
class LinkType(MemberType):
    """A record of ``x-link.form`` by id, or a list of ids with ``x-multiple``."""

    key = "link"
    type_error_code = "bad_link"
    item_error_code = "bad_link"
    names: ClassVar[Mapping[str, str]] = {"en": "Linked record", "zh-CN": "关联数据"}
    options: ClassVar[Mapping[str, Any]] = {"form": None, "multiple": False}

    def build(self, **options: Any) -> dict[str, Any]:
        if not options["form"]:
            raise FormEngineError("a link field needs the form it links to (option 'form')")
        link = {"x-link": {"form": options["form"]}}
        if options["multiple"]:
            items = {"type": "integer", "minimum": 1}
            many = {"type": "array", "items": items, "uniqueItems": True, "x-multiple": True}
            return {**many, **link}
        return {"type": "integer", "minimum": 1, **link}

    def sql_kind_for(self, schema: Mapping[str, Any]) -> SqlKind | None:
        return "json" if schema.get("x-multiple") else "integer"

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "array" if schema.get("x-multiple") else "integer")

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        if not (schema or {}).get("x-multiple"):
            return _record_id(single(raw, source), source, "bad_link")
        if raw is None or raw == "" or raw == []:
            return None
        if source == "json" and not isinstance(raw, list):
            raise CoercionError("bad_link")
        items = split_values(raw) if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple):
            raise CoercionError("bad_link")
        ids = [_record_id(item, source, "bad_link") for item in items]
        unique = [i for i in dict.fromkeys(ids) if i is not None]
        return (ids if source == "json" else unique) or None

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        if isinstance(value, list):
            return ", ".join(f"#{item}" for item in value)
        return "" if value is None else f"#{value}"

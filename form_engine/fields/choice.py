"""Choice field types: select, multiselect, checkbox, tags."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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
    shorten,
    single,
)
from form_engine.fields.parsing import parse_bool, split_values
from form_engine.messages import normalise_locale

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def option_title(schema: Mapping[str, Any], value: Any, locale: str | None) -> str:
    """An option's title in ``locale``: ``x-option-titles`` → English title → value."""
    titles = schema.get("x-option-titles")
    entry = titles.get(value) if isinstance(titles, Mapping) and isinstance(value, str) else None
    if isinstance(entry, Mapping):
        for candidate in (normalise_locale(locale), "en"):
            text = entry.get(candidate)
            if isinstance(text, str) and text:
                return text
    return str(value)


def _build_options(options: Sequence[Any]) -> dict[str, Any]:
    """Builder options (values, or ``{"value", "titles", "color"}``) → keywords."""
    values: list[str] = []
    titles: dict[str, dict[str, str]] = {}
    colors: dict[str, str] = {}
    for option in options:
        spec: dict[str, Any] = {"value": option} if isinstance(option, str) else dict(option)
        value = spec.get("value")
        if not isinstance(value, str) or not value or value in values:
            raise FormEngineError(f"option values must be distinct, non-empty text: {value!r}")
        values.append(value)
        if spec.get("titles"):
            titles[value] = dict(spec["titles"])
        if spec.get("color"):
            colors[value] = spec["color"]
    keywords: dict[str, Any] = {"enum": values}
    if titles:
        keywords["x-option-titles"] = titles
    if colors:
        keywords["x-option-colors"] = colors
    return keywords


def _check_options(enum: Any, schema: Mapping[str, Any], at: tuple[str, ...]) -> list[Problem]:
    if not isinstance(enum, list) or not enum:
        return [(at, "doc_no_options", {})]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, value in enumerate(enum):
        if not isinstance(value, str):
            problems.append(((*at, index), "doc_option_not_text", {}))
        elif value in seen:
            problems.append(((*at, index), "doc_option_duplicate", {"value": shorten(value)}))
        else:
            seen.add(value)
    for keyword in ("x-option-titles", "x-option-colors"):
        extra = schema.get(keyword)
        if not isinstance(extra, Mapping):
            continue
        for value in extra:
            if value not in seen:
                problems.append(((keyword, value), "doc_option_unknown", {"value": shorten(value)}))
            elif keyword == "x-option-colors" and not (
                isinstance(extra[value], str) and _COLOR.fullmatch(extra[value])
            ):
                shown = shorten(extra[value])
                problems.append(((keyword, value), "doc_bad_color", {"value": shown}))
    return problems


def _match_option(text: str, schema: Mapping[str, Any], enum: Any) -> str:
    """A spreadsheet cell may hold the option's value or its title in any language."""
    options = enum if isinstance(enum, list) else []
    if text in options:
        return text
    wanted = text.casefold()
    titles = schema.get("x-option-titles")
    for value in options:
        names = [value]
        entry = titles.get(value) if isinstance(titles, Mapping) else None
        if isinstance(entry, Mapping):
            names.extend(str(title) for title in entry.values())
        if any(str(name).casefold() == wanted for name in names):
            return str(value)
    return text


@register
class SelectType(FieldType):
    """One option out of ``enum``; titles per locale, optional colours."""

    key = "select"
    type_error_code = "not_an_option"
    names: ClassVar[Mapping[str, str]] = {"en": "Single choice", "zh-CN": "单选"}
    options: ClassVar[Mapping[str, Any]] = {"options": ()}

    def build(self, **options: Any) -> dict[str, Any]:
        return {"type": "string", **_build_options(options["options"])}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        problems = _check_options(schema.get("enum"), schema, ("enum",))
        if "type" in schema:
            problems += expect(schema, "type", "string")
        return problems

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        raw = single(raw, source)
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            raise CoercionError("not_an_option", {"value": shorten(raw)})
        if source == "json":
            return raw
        text = raw.strip() or None
        if text is not None and source == "csv":
            return _match_option(text, schema or {}, (schema or {}).get("enum"))
        return text

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        return "" if value is None else option_title(schema or {}, value, locale)


def _string_list(raw: Any, source: Source, code: str) -> list[str] | None:
    """A list of strings from HTML (list or one string), CSV (separated) or JSON (list)."""
    if raw is None or raw == "" or raw == []:
        return None
    if source == "json":
        if not isinstance(raw, list):
            raise CoercionError(code)
        return list(raw) or None
    if isinstance(raw, str):
        parts = split_values(raw) if source == "csv" else [raw]
    elif isinstance(raw, list | tuple):
        parts = list(raw)
    else:
        raise CoercionError(code)
    items: list[str] = []
    for part in parts:
        text = input_text(part, source, code)
        if text is not None and text not in items:
            items.append(text)
    return items or None


@register
class MultiselectType(FieldType):
    """Several options (a list of distinct ``enum`` values)."""

    key = "multiselect"
    sql_kind: ClassVar[SqlKind | None] = "json"
    type_error_code = "not_a_list"
    item_error_code = "not_an_option"
    names: ClassVar[Mapping[str, str]] = {"en": "Multiple choice", "zh-CN": "多选"}
    options: ClassVar[Mapping[str, Any]] = {"options": (), "max_items": None}

    def build(self, **options: Any) -> dict[str, Any]:
        keywords = _build_options(options["options"])
        fragment: dict[str, Any] = {
            "type": "array",
            "items": {"type": "string", "enum": keywords.pop("enum")},
            "uniqueItems": True,
            **keywords,
        }
        if options["max_items"] is not None:
            fragment["maxItems"] = options["max_items"]
        return fragment

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        problems = expect(schema, "type", "array") + expect(schema, "uniqueItems", True)
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return [*problems, (("items",), "doc_keyword_missing", {"keyword": "items"})]
        return problems + _check_options(items.get("enum"), schema, ("items", "enum"))

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        values = _string_list(raw, source, "not_a_list")
        if values is None or source != "csv":
            return values
        items = (schema or {}).get("items")
        enum = items.get("enum") if isinstance(items, Mapping) else None
        return list(dict.fromkeys(_match_option(v, schema or {}, enum) for v in values))

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        if not isinstance(value, list):
            return super().format(value, locale, schema)
        joiner = "、" if is_zh(locale) else ", "
        return joiner.join(option_title(schema or {}, item, locale) for item in value)


@register
class CheckboxType(FieldType):
    """Yes or no. An unticked HTML box sends nothing, which reads as ``False``; a
    required checkbox must be ticked (as HTML's ``required`` does)."""

    key = "checkbox"
    sql_kind: ClassVar[SqlKind | None] = "boolean"
    type_error_code = "not_a_boolean"
    names: ClassVar[Mapping[str, str]] = {"en": "Checkbox", "zh-CN": "勾选框"}

    def build(self, **options: Any) -> dict[str, Any]:
        return {"type": "boolean"}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "boolean")

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        if source == "json":
            if raw is None or isinstance(raw, bool):
                return raw
            raise CoercionError("not_a_boolean")
        if isinstance(raw, bool):
            return raw
        if source == "html" and isinstance(raw, list | tuple):
            raw = raw[-1] if raw else None  # a hidden "n" before the box is common
        text = input_text(raw, source, "not_a_boolean")
        if text is None:
            return False if source == "html" else None
        return parse_bool(text)

    def error_for(
        self, keyword: str, detail: Mapping[str, Any], schema: Mapping[str, Any], *, item: bool
    ) -> tuple[str, dict[str, Any]]:
        if keyword == "required":
            return "must_be_ticked", {}
        return super().error_for(keyword, detail, schema, item=item)

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        if not isinstance(value, bool):
            return super().format(value, locale, schema)
        if is_zh(locale):
            return "是" if value else "否"
        return "Yes" if value else "No"


TAG_MAX_LENGTH = 50


@register
class TagsType(FieldType):
    """Free tags: distinct strings of at most 50 characters."""

    key = "tags"
    sql_kind: ClassVar[SqlKind | None] = "json"
    type_error_code = "not_a_list"
    item_error_code = "not_text"
    names: ClassVar[Mapping[str, str]] = {"en": "Tags", "zh-CN": "标签"}

    def build(self, **options: Any) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"type": "string", "maxLength": TAG_MAX_LENGTH},
            "uniqueItems": True,
        }

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        problems = expect(schema, "type", "array") + expect(schema, "uniqueItems", True)
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return [*problems, (("items",), "doc_keyword_missing", {"keyword": "items"})]
        nested = expect(items, "type", "string")
        return problems + [(("items", *path), code, params) for path, code, params in nested]

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        if source == "html" and isinstance(raw, str):
            raw = split_values(raw)
        return _string_list(raw, source, "not_a_list")

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        if not isinstance(value, list):
            return super().format(value, locale, schema)
        return ("、" if is_zh(locale) else ", ").join(str(item) for item in value)

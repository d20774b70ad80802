"""Field types holding lists of objects: subform rows and attachments."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, ClassVar

from form_engine.errors import FormEngineError
from form_engine.fields.base import (
    CoercionError,
    FieldType,
    Path,
    Problem,
    Source,
    SqlKind,
    expect,
    field_type,
    input_names,
    is_zh,
    register,
    unknown_name,
)


def row_fields(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The nested fields of a subform fragment (``items.properties``)."""
    items = schema.get("items")
    properties = items.get("properties") if isinstance(items, Mapping) else None
    return dict(properties) if isinstance(properties, Mapping) else {}


def _flatten(error: CoercionError, prefix: Path) -> list[CoercionError]:
    if error.problems:
        return [item for problem in error.problems for item in _flatten(problem, prefix)]
    return [CoercionError(error.code, error.params, path=(*prefix, *error.path))]


@register
class SubformType(FieldType):
    """Rows of nested fields (``items.properties``); no subform inside a subform."""

    key = "subform"
    sql_kind: ClassVar[SqlKind | None] = "json"
    type_error_code = "bad_rows"
    item_error_code = "bad_rows"
    names: ClassVar[Mapping[str, str]] = {"en": "Subform", "zh-CN": "子表单"}
    # ``required_fields``: nested keys every row needs (``required`` is the field's own).
    options: ClassVar[Mapping[str, Any]] = {"fields": {}, "required_fields": ()}

    def build(self, **options: Any) -> dict[str, Any]:
        fields = dict(options["fields"])
        items: dict[str, Any] = {
            "type": "object",
            "x-order": list(fields),
            "properties": fields,
            "additionalProperties": False,
        }
        if options["required_fields"]:
            items["required"] = list(options["required_fields"])
        return {"type": "array", "items": items}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        problems = expect(schema, "type", "array")
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return [*problems, (("items",), "doc_keyword_missing", {"keyword": "items"})]
        return problems + [(("items", *p), c, d) for p, c, d in expect(items, "type", "object")]

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        if raw is None or raw == "" or raw == []:
            return None
        if source == "csv" and isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise CoercionError("bad_rows") from None
        if not isinstance(raw, list | tuple):
            raise CoercionError("bad_rows")
        fields = row_fields(schema or {})
        names = input_names(fields)
        rows: list[dict[str, Any]] = []
        problems: list[CoercionError] = []
        for index, row in enumerate(raw):
            if not isinstance(row, Mapping):
                problems.append(CoercionError("bad_rows", path=(index,)))
                continue
            cleaned: dict[str, Any] = {}
            for name, value in row.items():
                key = names.get(name)
                kind = _kind(fields.get(key)) if key else None
                if key is None or kind is None:
                    if source == "json" and name not in fields:
                        problems.append(unknown_name(str(name), names, (index, str(name))))
                    continue
                try:
                    coerced = kind.coerce(value, source, fields[key], tz=tz)
                except CoercionError as error:
                    problems.extend(_flatten(error, (index, key)))
                    continue
                if coerced is not None:
                    cleaned[key] = coerced
            if source == "html":
                if all(value is False for value in cleaned.values()):
                    continue  # the empty row a page keeps for adding lines
                for key, nested in fields.items():
                    if _kind(nested) is field_type("checkbox"):
                        cleaned.setdefault(key, False)
            elif not cleaned and source == "csv":
                continue
            rows.append(cleaned)
        if problems:
            raise CoercionError("bad_rows", problems=problems)
        return rows or None

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
        count = len(value)
        if is_zh(locale):
            return f"{count} 行"
        return f"{count} row" if count == 1 else f"{count} rows"


def _kind(schema: Any) -> FieldType | None:
    """The input-taking field type of a nested field, or None (computed, layout, bad)."""
    if not isinstance(schema, Mapping) or schema.get("readOnly"):
        return None
    try:
        kind = field_type(str(schema.get("x-field")))
    except FormEngineError:  # the dialect reports unknown types
        return None
    return None if kind.computed or kind.layout else kind


@register
class AttachmentType(FieldType):
    """Uploaded files as ``{id, name, size, content_type}`` (the platform stores bytes)."""

    key = "attachment"
    sql_kind: ClassVar[SqlKind | None] = "json"
    type_error_code = "bad_attachment"
    item_error_code = "bad_attachment"
    names: ClassVar[Mapping[str, str]] = {"en": "Attachment", "zh-CN": "附件"}
    options: ClassVar[Mapping[str, Any]] = {"max_items": None}

    def build(self, **options: Any) -> dict[str, Any]:
        fragment: dict[str, Any] = {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": ["string", "integer"]},
                    "name": {"type": "string", "maxLength": 255},
                    "size": {"type": "integer", "minimum": 0},
                    "content_type": {"type": "string", "maxLength": 255},
                },
                "additionalProperties": False,
            },
        }
        if options["max_items"] is not None:
            fragment["maxItems"] = options["max_items"]
        return fragment

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "array")

    def error_for(
        self, keyword: str, detail: Mapping[str, Any], schema: Mapping[str, Any], *, item: bool
    ) -> tuple[str, dict[str, Any]]:
        if item and keyword not in ("maxLength",):
            return "bad_attachment", {}
        return super().error_for(keyword, detail, schema, item=item)

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        if raw is None or raw == "" or raw == []:
            return None
        if source == "csv":
            raise CoercionError("not_importable")
        if source == "html" and isinstance(raw, Mapping):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
            raise CoercionError("bad_attachment")
        return [dict(item) for item in raw]

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
        names = [str(item.get("name", "")) for item in value if isinstance(item, Mapping)]
        return ("、" if is_zh(locale) else ", ").join(names)

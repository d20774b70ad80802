"""The meta-schema of form documents (JSON Schema 2020-12, as data).

It fixes the shape of every keyword of docs/form-documents.md; what it cannot say
(keys listed once in ``x-order``, a select's options, no subform in a subform …) is
checked by :func:`form_engine.dialect.check_form`.
"""

from __future__ import annotations

from typing import Any

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"

_TEXTS = {
    "type": "object",
    "propertyNames": {"pattern": r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"},
    "additionalProperties": {"type": "string", "maxLength": 10000},
}
_KEY = {"type": "string", "pattern": KEY_PATTERN}
# The condition language's own parser (form_engine.conditions) checks the inside.
_CONDITION = {"type": "object"}

FIELD: dict[str, Any] = {
    "type": "object",
    "required": ["x-field"],
    "properties": {
        "x-field": {"type": "string"},
        "title": {"type": "string", "maxLength": 500},
        "x-titles": _TEXTS,
        "description": {"type": "string", "maxLength": 10000},
        "x-descriptions": _TEXTS,
        "x-unique": {"type": "boolean"},
        # Staff only: public links and survey invitations never show or take it.
        "x-internal": {"type": "boolean"},
        "x-visible-if": _CONDITION,
        "x-required-if": _CONDITION,
        "x-aliases": {"type": "array", "items": _KEY, "uniqueItems": True},
        "readOnly": {"type": "boolean"},
        "x-option-titles": {"type": "object", "additionalProperties": _TEXTS},
        "x-option-colors": {"type": "object", "additionalProperties": {"type": "string"}},
        "x-decimals": {"type": "integer", "minimum": 0, "maximum": 10},
        "x-currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "x-max": {"type": "integer", "minimum": 1, "maximum": 10},
        "x-phone-region": {"enum": ["CN", "intl"]},
        "x-link": {
            "type": "object",
            "required": ["form"],
            "properties": {"form": {"type": "string", "minLength": 1, "maxLength": 100}},
        },
        "x-multiple": {"type": "boolean"},
        "x-lookup": {
            "type": "object",
            "required": ["link", "field"],
            "properties": {"link": _KEY, "field": _KEY},
        },
        "x-rollup": {
            "type": "object",
            "required": ["form", "link", "agg"],
            "properties": {
                "form": {"type": "string", "minLength": 1, "maxLength": 100},
                "link": _KEY,
                "agg": {"enum": ["count", "sum", "min", "max", "avg"]},
                "of": _KEY,
            },
        },
        "x-formula": {"type": "string", "minLength": 1, "maxLength": 10000},
        "x-result": {"enum": ["number", "text", "boolean", "date"]},
        "x-autonumber": {
            "type": "object",
            "properties": {
                "prefix": {"type": "string", "maxLength": 20},
                "digits": {"type": "integer", "minimum": 1, "maximum": 12},
            },
        },
        "x-layout": {"const": True},
        "maxLength": {"type": "integer", "minimum": 1},
        "minLength": {"type": "integer", "minimum": 0},
        "pattern": {"type": "string"},
        "enum": {"type": "array"},
    },
    "if": {"properties": {"x-field": {"const": "subform"}}, "required": ["x-field"]},
    "then": {
        "required": ["items"],
        "properties": {
            "items": {
                "type": "object",
                "required": ["properties"],
                "properties": {
                    "properties": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/$defs/field"},
                    },
                    "x-order": {"type": "array", "items": {"type": "string"}},
                    "required": {"type": "array", "items": {"type": "string"}},
                },
            }
        },
    },
}

META_SCHEMA: dict[str, Any] = {
    "$schema": DRAFT_2020_12,
    "$id": "https://formwork.invalid/schemas/form-document/1",
    "title": "Formwork form document, format 1",
    "type": "object",
    "required": ["x-format", "type", "properties", "x-order"],
    "properties": {
        "$schema": {"const": DRAFT_2020_12},
        "x-format": {"const": 1},
        "type": {"const": "object"},
        "title": {"type": "string", "maxLength": 500},
        "x-titles": _TEXTS,
        "description": {"type": "string", "maxLength": 10000},
        "x-descriptions": _TEXTS,
        "x-order": {"type": "array", "items": {"type": "string"}},
        "properties": {"type": "object", "additionalProperties": {"$ref": "#/$defs/field"}},
        "required": {"type": "array", "items": {"type": "string"}},
        "additionalProperties": {"const": False},
        "x-archived": {"type": "object", "additionalProperties": {"type": "object"}},
    },
    "$defs": {"field": FIELD},
}

# x- keywords a document may carry, per level; anything else is a typo to report.
FORM_KEYWORDS = frozenset({"x-format", "x-titles", "x-descriptions", "x-order", "x-archived"})
FIELD_KEYWORDS = frozenset(name for name in FIELD["properties"] if name.startswith("x-"))

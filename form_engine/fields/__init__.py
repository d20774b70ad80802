"""The field catalogue: one class per ``x-field`` type of docs/form-documents.md.

``FIELD_TYPES`` maps each key to its (stateless) type; ``field_type(key)`` looks one up
with a "did you mean" on typos. Importing this package registers the types and their
bilingual messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from form_engine.fields import choice, computed, numeric, rows, structured, temporal, text
from form_engine.fields.base import (
    _REGISTRY,
    SOURCES,
    CoercionError,
    FieldType,
    Source,
    SqlKind,
    field_type,
    input_names,
)
from form_engine.fields.formats import FORMAT_CHECKS

FIELD_TYPES: Mapping[str, FieldType] = MappingProxyType(_REGISTRY)

__all__ = [
    "FIELD_TYPES",
    "FORMAT_CHECKS",
    "SOURCES",
    "CoercionError",
    "FieldType",
    "Source",
    "SqlKind",
    "choice",
    "computed",
    "field_type",
    "input_names",
    "numeric",
    "rows",
    "structured",
    "temporal",
    "text",
]

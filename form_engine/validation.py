"""Record validation: a form document compiled once into a validator, then used for
every record (``compile_form(doc).clean(raw, source)`` / ``.validate(data)``).

Two interchangeable backends run the same JSON Schema (2020-12) with the same format
checks: ``"rs"`` (jsonschema-rs, compiled Rust; the default) and ``"reference"``
(jsonschema). Requiredness, visibility and the rules JSON Schema cannot say (phone
numbers, money decimals, address province …) are applied in Python on top, so both
backends give the same errors.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Literal, NamedTuple

from form_engine.dialect import FORMAT_VERSION, UPGRADER, DocumentProblem, check_form, fields_of
from form_engine.errors import FormEngineError
from form_engine.fields import FIELD_TYPES, SOURCES, CoercionError, FieldType, Source, SqlKind
from form_engine.fields.backends import ReferenceValidator, RsValidator, SchemaValidator
from form_engine.fields.base import Path, input_names, suggest, unknown_name
from form_engine.fields.metaschema import DRAFT_2020_12
from form_engine.fields.ranking import (
    COERCION,
    NON_FINITE,
    PRIORITY,
    VALUE_RULE,
    Found,
    flatten,
    keep,
    non_finite,
    schema_error,
    value_at,
)
from form_engine.fields.rows import row_fields
from form_engine.messages import FieldError

Backend = Literal["rs", "reference"]
BACKENDS: tuple[Backend, ...] = ("rs", "reference")
Predicate = Callable[[str, Mapping[str, Any]], bool]
CACHE_SIZE = 512

__all__ = [
    "BACKENDS",
    "Backend",
    "CacheInfo",
    "CompiledForm",
    "FormField",
    "InvalidFormError",
    "Predicate",
    "clear_compile_cache",
    "compile_cache_info",
    "compile_form",
]


class InvalidFormError(FormEngineError):
    """The document does not pass ``check_form``; ``problems`` lists why."""

    def __init__(self, problems: list[DocumentProblem]) -> None:
        first = problems[0]
        super().__init__(f"invalid form document: {first.message('en')}", path=first.path)
        self.problems = problems


class FormField(NamedTuple):
    """One active field: its key, its schema fragment and its type."""

    key: str
    schema: dict[str, Any]
    type: FieldType


def _is_empty(value: Any, kind: FieldType) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    return kind.key == "checkbox" and value is False


def _plain(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A field's fragment for the validator (defaults are not constraints)."""
    return {key: value for key, value in schema.items() if key != "default"}


class CompiledForm:
    """A form version ready to clean and validate records; build it with
    :func:`compile_form` (cached) rather than directly.

    Attributes:
        document: The (upgraded) form document.
        backend: ``"rs"`` or ``"reference"``.
        fields: Active fields in display order (layout items included).
        sql_kinds: SQL cast per storing field (``sql_kind_for`` of its type).
        schema: The plain JSON Schema records are validated against (no top-level
            ``required``: requiredness depends on conditions and is checked apart).
    """

    def __init__(self, document: Mapping[str, Any], backend: Backend = "rs") -> None:
        if backend not in BACKENDS:
            raise FormEngineError(f"unknown validation backend {backend!r}")
        self.document = copy.deepcopy(dict(document))
        self.backend = backend
        self.fields = [FormField(*entry) for entry in fields_of(self.document)]
        self._by_key = {f.key: f for f in self.fields}
        self._tops = {f.key: (f.schema, f.type) for f in self.fields}
        self._order = {f.key: index for index, f in enumerate(self.fields)}
        properties = self.document.get("properties") or {}
        self._names = input_names(properties)
        self._archived = frozenset(self.document.get("x-archived") or ())
        self._inputs = [
            f
            for f in self.fields
            if f.type.stores and not f.type.computed and not f.schema.get("readOnly")
        ]
        self.sql_kinds: dict[str, SqlKind] = {}
        for f in self.fields:
            kind = f.type.sql_kind_for(f.schema)
            if kind is not None:
                self.sql_kinds[f.key] = kind
        layout = {f.key for f in self.fields if f.type.layout}
        self._required = [
            f
            for f in self.fields
            if f.key in (self.document.get("required") or ()) and f.key not in layout
        ]
        self._required_if = [f for f in self.fields if "x-required-if" in f.schema]
        self._visible_if = [f.key for f in self.fields if "x-visible-if" in f.schema]
        self._checked = [
            (f.key, f.schema, f.type.check_value) for f in self.fields if _has_value_rules(f.type)
        ]
        self._nested_checked = {
            f.key: [
                (key, schema, FIELD_TYPES[schema["x-field"]])
                for key, schema in row_fields(f.schema).items()
                if _has_value_rules(FIELD_TYPES[schema["x-field"]])
            ]
            for f in self.fields
            if f.type.key == "subform"
        }
        props: dict[str, Any] = {key: True for key in self._archived}
        props.update({f.key: True if f.type.layout else _plain(f.schema) for f in self.fields})
        self.schema: dict[str, Any] = {
            "$schema": DRAFT_2020_12,
            "type": "object",
            "properties": props,
            "additionalProperties": False,
        }
        maker = RsValidator if backend == "rs" else ReferenceValidator
        self._validator: SchemaValidator = maker(self.schema)

    def field(self, key: str) -> FormField:
        """The active field ``key``.

        Raises:
            FormEngineError: no such active field (with a suggestion).
        """
        try:
            return self._by_key[key]
        except KeyError:
            hint = suggest(key, self._by_key)
            raise FormEngineError(f"no field {key!r}", path=(key,), suggestion=hint) from None

    def defaults(self) -> dict[str, Any]:
        """The ``default`` of every input field that declares one (for a new record)."""
        return {
            f.key: copy.deepcopy(f.schema["default"])
            for f in self._inputs
            if f.schema.get("default") is not None
        }

    def clean(
        self,
        raw: Mapping[str, Any],
        source: Source,
        *,
        visible: Predicate | None = None,
        required_if: Predicate | None = None,
        tz: tzinfo | None = None,
    ) -> tuple[dict[str, Any], list[FieldError]]:
        """Coerce raw input into record data and validate it.

        Input for computed, read-only and layout fields is ignored, as are unknown
        names from HTML and CSV (submit buttons, CSRF tokens); unknown names in JSON
        are errors. ``x-aliases`` are accepted as input names. Hidden fields are
        dropped. Defaults are not applied (see :meth:`defaults`).

        Args:
            raw: Field name → raw value (see ``FieldType.coerce`` for each source).
            source: ``"html"``, ``"csv"`` or ``"json"``.
            visible: ``visible(key, data)`` for fields with ``x-visible-if``; the
                platform wires the condition evaluator. Without it, all are visible.
            required_if: ``required_if(key, data)`` for fields with ``x-required-if``;
                without it those fields are optional.
            tz: The person's time zone, for naive date-times.

        Returns:
            The cleaned data (no None values) and the errors, in display order.

        Raises:
            FormEngineError: an unknown ``source``.
        """
        if source not in SOURCES:
            raise FormEngineError(f"unknown input source {source!r}; use one of {SOURCES}")
        if not isinstance(raw, Mapping):
            return {}, [FieldError((), "not_a_record")]
        found: Found = {}
        data: dict[str, Any] = {}
        for f in self._inputs:
            name = self._input_name(f, raw)
            if name is None and not (source == "html" and f.type.key == "checkbox"):
                continue
            try:
                value = f.type.coerce(raw.get(name) if name else None, source, f.schema, tz=tz)
            except CoercionError as error:
                for item in flatten(error, (f.key,)):
                    keep(found, item.path, COERCION, FieldError(item.path, item.code, item.params))
                continue
            if value is not None:
                data[f.key] = value
        if source == "json":
            for name in raw:
                if name not in self._names and name not in self._archived:
                    unknown = unknown_name(str(name), self._names, (str(name),))
                    bad = FieldError(unknown.path, unknown.code, unknown.params)
                    keep(found, unknown.path, COERCION, bad)
        hidden = self._hidden(data, visible)
        for key in hidden:
            data.pop(key, None)
        failed = {path[0] for path in found if path}
        for path, ranked in self._problems(data, data, hidden, required_if).items():
            if not path or path[0] not in failed:
                keep(found, path, *ranked)
        return data, self._ordered(found)

    def validate(
        self,
        data: Mapping[str, Any],
        *,
        visible: Predicate | None = None,
        required_if: Predicate | None = None,
    ) -> list[FieldError]:
        """Check stored record data against the form.

        None values count as absent; values of archived fields are ignored; values of
        computed fields are checked like any other; hidden fields are skipped.

        Args:
            data: Field key → stored JSON value.
            visible: As for :meth:`clean`.
            required_if: As for :meth:`clean`.

        Returns:
            One error per spot, in display order; empty when the data is valid.
        """
        if not isinstance(data, Mapping):
            return [FieldError((), "not_a_record")]
        present = {key: value for key, value in data.items() if value is not None}
        hidden = self._hidden(data, visible)
        for key in hidden:
            present.pop(key, None)
        return self._ordered(self._problems(present, data, hidden, required_if))

    # -- internals ----------------------------------------------------------------

    def _input_name(self, f: FormField, raw: Mapping[str, Any]) -> str | None:
        if f.key in raw:
            return f.key
        for alias in f.schema.get("x-aliases") or ():
            if alias in raw and self._names.get(alias) == f.key:
                return str(alias)
        return None

    def _hidden(self, data: Mapping[str, Any], visible: Predicate | None) -> set[str]:
        if visible is None:
            return set()
        return {key for key in self._visible_if if not visible(key, data)}

    def _problems(
        self,
        present: Mapping[str, Any],
        context: Mapping[str, Any],
        hidden: set[str],
        required_if: Predicate | None,
    ) -> Found:
        found: Found = {}
        for f in self._required:
            if f.key not in hidden and _is_empty(present.get(f.key), f.type):
                self._schema_error(found, (f.key,), "required", {})
        if required_if is not None:
            for f in self._required_if:
                if f.key in hidden or not _is_empty(present.get(f.key), f.type):
                    continue
                if (f.key,) not in found and required_if(f.key, context):
                    self._schema_error(found, (f.key,), "required", {})
        # JSON has no NaN/Infinity and the backends disagree on them (jsonschema-rs fails
        # every "type", jsonschema calls them numbers and equal to each other), so a value
        # holding one is reported here and kept away from the validator.
        checked = present
        tainted: set[str | int] = set()
        bad = non_finite(present, ())
        if bad:
            tainted = {path[0] for path in bad}
            checked = {key: value for key, value in present.items() if key not in tainted}
            for path in bad:
                keep(found, path, NON_FINITE, FieldError(path, "not_a_number", {}))
        if not self._validator.is_valid(checked):
            for error in self._validator.errors(checked):
                # Quote the value from the record: jsonschema-rs hands back NaN/Infinity
                # as null and may reorder objects.
                detail = {**error.detail, "value": value_at(present, error.path)}
                self._schema_error(found, error.path, error.keyword, detail)
        failed = {path[:3] for path in found} | {path[:1] for path in found} if found else set()
        for key, schema, check in self._checked:
            value = present.get(key)
            if value is not None and (key,) not in failed:
                for rel, code, params in check(value, schema):
                    path = (key, *rel)
                    keep(found, path, VALUE_RULE, FieldError(path, code, params))
        for key, nested in self._nested_checked.items():
            rows = present.get(key)
            if not nested or key in tainted or not isinstance(rows, list):
                continue  # value rules only run on what the schema has checked
            for index, row in enumerate(rows):
                for name, cell_schema, kind in nested:
                    value = row.get(name) if isinstance(row, Mapping) else None
                    if value is None or (key, index, name) in failed:
                        continue
                    for rel, code, params in kind.check_value(value, cell_schema):
                        path = (key, index, name, *rel)
                        keep(found, path, VALUE_RULE, FieldError(path, code, params))
        return found

    def _schema_error(
        self, found: Found, path: Path, keyword: str, detail: Mapping[str, Any]
    ) -> None:
        rank = (PRIORITY.get(keyword, 6), keyword)
        keep(found, path, rank, schema_error(self._tops, self._names, path, keyword, detail))

    def _ordered(self, found: Found) -> list[FieldError]:
        if not found:
            return []
        last = len(self._order)

        def place(path: Path) -> tuple[int, str]:
            first = self._order.get(str(path[0]), last) if path else -1
            return first, json.dumps([str(p).zfill(8) for p in path])

        return [found[path][1] for path in sorted(found, key=place)]


def _has_value_rules(kind: FieldType) -> bool:
    return type(kind).check_value is not FieldType.check_value


@dataclass(frozen=True)
class CacheInfo:
    """Counters of the compile cache: ``misses`` is how many forms were compiled."""

    hits: int
    misses: int
    size: int


_cache: OrderedDict[tuple[str, Backend], CompiledForm] = OrderedDict()
_cache_lock = threading.Lock()
_counters = {"hits": 0, "misses": 0}


def compile_form(
    doc: Mapping[str, Any], backend: Backend = "rs", *, cache: bool = True
) -> CompiledForm:
    """The compiled form for ``doc``, from the cache when the same document (same
    canonical JSON) was compiled before.

    Older format versions are upgraded first; the document must pass ``check_form``.

    Args:
        doc: A form document.
        backend: ``"rs"`` (jsonschema-rs, default) or ``"reference"`` (jsonschema).
        cache: False builds a fresh validator (benchmarks, tests).

    Raises:
        DocumentVersionError: the format version is missing, unknown or too new.
        InvalidFormError: the document has problems (``.problems``).
        FormEngineError: the document is not JSON, or the backend is unknown.
    """
    try:
        canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise FormEngineError(f"a form document must be plain JSON: {exc}") from exc
    key = (hashlib.sha256(canonical.encode()).hexdigest(), backend)
    if cache:
        with _cache_lock:
            compiled = _cache.get(key)
            if compiled is not None:
                _cache.move_to_end(key)
                _counters["hits"] += 1
                return compiled
    document = doc if doc.get("x-format") == FORMAT_VERSION else UPGRADER.upgrade(doc)
    problems = check_form(document)
    if problems:
        raise InvalidFormError(problems)
    compiled = CompiledForm(document, backend)
    if cache:
        with _cache_lock:
            _counters["misses"] += 1
            _cache[key] = compiled
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return compiled


def compile_cache_info() -> CacheInfo:
    """Hits, misses (compilations) and size of the compile cache."""
    with _cache_lock:
        return CacheInfo(_counters["hits"], _counters["misses"], len(_cache))


def clear_compile_cache() -> None:
    """Empty the compile cache and reset its counters."""
    with _cache_lock:
        _cache.clear()
        _counters.update(hits=0, misses=0)

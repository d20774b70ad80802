"""A published form version made ready for use: compiled validator, parsed conditions and
formulas, field kinds for SQL, links, lookups and rollups.

Built once per (form, version) and cached: documents of published versions never change.
This is the adapter between the pure engines and the platform.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from form_engine.conditions import Condition, EvalContext, evaluate, parse_condition
from form_engine.fields import field_type
from form_engine.formulas import Formula, formula_order, parse_formula
from form_engine.validation import CompiledForm, compile_form
from formwork.models import Form, FormVersion


@dataclass(frozen=True)
class Rollup:
    key: str
    source_form: str
    link: str
    agg: str
    of: str | None


@dataclass(frozen=True)
class Lookup:
    key: str
    link: str
    target_field: str


@dataclass
class FormRuntime:
    form_id: int
    workspace_id: int
    version: int
    document: dict[str, Any]
    compiled: CompiledForm
    # field key -> sql kind ("text", "number", "integer", "boolean", "date", "datetime", "json")
    kinds: dict[str, str]
    visible_if: dict[str, Condition] = field(default_factory=dict)
    required_if: dict[str, Condition] = field(default_factory=dict)
    formulas: dict[str, Formula] = field(default_factory=dict)
    formula_kinds: dict[str, str] = field(default_factory=dict)
    formula_order: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # field key -> target form key
    multi_links: frozenset[str] = frozenset()
    lookups: dict[str, Lookup] = field(default_factory=dict)
    rollups: dict[str, Rollup] = field(default_factory=dict)
    autonumbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    unique: tuple[str, ...] = ()
    searchable: tuple[str, ...] = ()

    def is_visible(self, key: str, data: Mapping[str, Any]) -> bool:
        condition = self.visible_if.get(key)
        return condition is None or evaluate(
            condition, data, context=EvalContext(today=date.today())
        )

    def is_required_if(self, key: str, data: Mapping[str, Any]) -> bool:
        condition = self.required_if.get(key)
        return condition is not None and evaluate(
            condition, data, context=EvalContext(today=date.today())
        )

    def labels(self, locale: str | None) -> dict[str, str]:
        from form_engine.dialect import label

        return {key: label(schema, locale) for key, schema, _type in self.compiled.fields}


# Keyed by the version row's id too: a deleted workspace's form id never comes back (ids
# are AUTOINCREMENT), but the key must not depend on that alone.
_cache: dict[tuple[str, int, int, int], FormRuntime] = {}
_cache_lock = threading.Lock()


def runtime_for(session: Session, form: Form, version: int | None = None) -> FormRuntime:
    """The runtime of ``form`` at ``version`` (default: its published version)."""
    number = version or form.published_version
    if number is None:
        raise LookupError(f"form {form.id} has no published version")
    version_id = session.scalar(
        select(FormVersion.id).where(FormVersion.form_id == form.id, FormVersion.version == number)
    )
    if version_id is None:
        raise LookupError(f"form {form.id} has no version {number}")
    # The database is part of the key: one process may serve (or test) several.
    key = (str(session.get_bind().url), form.id, number, version_id)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    document = session.scalar(select(FormVersion.document).where(FormVersion.id == version_id))
    assert document is not None
    runtime = build_runtime(form.id, form.workspace_id, number, document)
    with _cache_lock:
        _cache[key] = runtime
    return runtime


def build_runtime(
    form_id: int, workspace_id: int, version: int, document: dict[str, Any]
) -> FormRuntime:
    """Parse everything a document declares; raises the engines' errors when it is bad."""
    compiled = compile_form(document)
    kinds: dict[str, str] = {}
    runtime = FormRuntime(form_id, workspace_id, version, document, compiled, kinds)
    searchable: list[str] = []
    unique: list[str] = []
    for key, schema, kind in compiled.fields:
        if kind.layout:
            continue
        kinds[key] = kind.sql_kind_for(schema) or "json"
        if kind.key in {"text", "textarea", "email", "phone", "url", "select", "autonumber"}:
            searchable.append(key)
        if schema.get("x-unique"):
            unique.append(key)
        if kind.key == "link":
            runtime.links[key] = schema["x-link"]["form"]
            if schema.get("x-multiple"):
                runtime.multi_links = runtime.multi_links | {key}
        elif kind.key == "lookup":
            spec = schema["x-lookup"]
            runtime.lookups[key] = Lookup(key, spec["link"], spec["field"])
        elif kind.key == "rollup":
            spec = schema["x-rollup"]
            runtime.rollups[key] = Rollup(
                key, spec["form"], spec["link"], spec["agg"], spec.get("of")
            )
        elif kind.key == "autonumber":
            runtime.autonumbers[key] = dict(schema.get("x-autonumber") or {})
    for key, schema, kind in compiled.fields:
        if "x-visible-if" in schema:
            runtime.visible_if[key] = parse_condition(schema["x-visible-if"], fields=kinds)
        if "x-required-if" in schema:
            runtime.required_if[key] = parse_condition(schema["x-required-if"], fields=kinds)
        if kind.key == "formula":
            result_kind = schema.get("x-result", "number")
            runtime.formulas[key] = parse_formula(
                schema["x-formula"],
                fields=_formula_kinds(kinds),
                result_kind=result_kind,
                path=("properties", key, "x-formula"),
            )
            runtime.formula_kinds[key] = result_kind
    runtime.formula_order = formula_order(runtime.formulas)
    runtime.unique = tuple(unique)
    runtime.searchable = tuple(searchable)
    return runtime


def _formula_kinds(kinds: Mapping[str, str]) -> dict[str, str]:
    """Formulas see numbers, text, booleans, dates; everything else as JSON values."""
    mapping = {
        "integer": "number",
        "number": "number",
        "text": "text",
        "boolean": "boolean",
        "date": "date",
        "datetime": "datetime",
    }
    return {key: mapping.get(kind, "json") for key, kind in kinds.items()}


def field_kind(x_field: str) -> str:
    return str(field_type(x_field).sql_kind)

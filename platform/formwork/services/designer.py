"""What the form designer (表单设计器) needs beyond saving and publishing: the palette,
the keys that are already published, the other forms for link/lookup/rollup pickers, and
live checks of a working document (every problem at once, in the person's language).

Publishing (``formwork.services.publishing``) stays the gate; these checks give early,
per-field feedback and run again before a publish.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from form_engine.conditions import ConditionError, parse_condition
from form_engine.dialect import check_form, label
from form_engine.fields import FIELD_TYPES
from form_engine.formulas import (
    FUNCTIONS,
    FormulaCycleError,
    FormulaError,
    formula_order,
    parse_formula,
)
from form_engine.messages import normalise_locale
from formwork.models import Form, FormVersion, Role
from formwork.services.publishing import published_document
from formwork.services.scope import Actor

# The palette: groups of field types, in the order people look for them.
PALETTE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("basic", ("text", "textarea", "number", "money", "percent", "date", "datetime")),
    ("choice", ("select", "multiselect", "checkbox", "rating", "nps")),
    ("contact", ("email", "phone", "url", "address")),
    ("relations", ("member", "link", "lookup", "rollup")),
    ("advanced", ("formula", "subform", "tags", "autonumber", "attachment")),
    ("layout", ("section", "description")),
)

# Types whose catalogue fragment() needs options: the designer starts them incomplete and
# the checks below say what is missing.
_STARTERS: dict[str, dict[str, Any]] = {
    "link": {"x-field": "link", "type": "integer", "minimum": 1, "x-link": {"form": ""}},
    "lookup": {"x-field": "lookup", "readOnly": True, "x-lookup": {"link": "", "field": ""}},
    "rollup": {
        "x-field": "rollup",
        "type": "number",
        "readOnly": True,
        "x-rollup": {"form": "", "link": "", "agg": "count"},
    },
    "formula": {
        "x-field": "formula",
        "type": "number",
        "readOnly": True,
        "x-formula": "",
        "x-result": "number",
    },
}
# Formulas see these kinds; everything else is a JSON value.
_FORMULA_KINDS = {
    "integer": "number",
    "number": "number",
    "text": "text",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
}
_RESULT_KINDS = {"number": "number", "text": "text", "boolean": "boolean", "date": "date"}
_NUMERIC = {"number", "integer"}


@dataclass(frozen=True)
class DesignProblem:
    """One problem of a working document: where (JSON Pointer), which field, what."""

    path: str
    key: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "key": self.key, "message": self.message}


def starter_fragment(type_key: str) -> dict[str, Any]:
    """The schema a new field of ``type_key`` starts with in the designer."""
    if type_key in _STARTERS:
        return dict(_STARTERS[type_key])
    return FIELD_TYPES[type_key].fragment()


def catalogue(locale: str | None) -> list[dict[str, Any]]:
    """The palette entries, grouped, with names in ``locale`` and starting fragments."""
    wanted = normalise_locale(locale)
    entries = []
    for group, keys in PALETTE:
        for key in keys:
            kind = FIELD_TYPES[key]
            fragment = starter_fragment(key)
            entries.append(
                {
                    "key": key,
                    "group": group,
                    "title": kind.names.get(wanted) or kind.names.get("en") or key,
                    "titles": dict(kind.names),
                    "computed": kind.computed,
                    "layout": kind.layout,
                    "kind": kind.sql_kind_for(fragment) if not kind.layout else None,
                    "fragment": fragment,
                }
            )
    return entries


def functions() -> list[dict[str, Any]]:
    """The formula functions people may call, with their argument counts."""
    return [
        {"name": spec.name, "min": spec.min_args, "max": spec.max_args}
        for spec in FUNCTIONS.values()
    ]


def published_keys(session: Session, form: Form) -> list[str]:
    """Keys that were ever published (active or archived): they can no longer change."""
    keys: set[str] = set()
    versions = session.scalars(
        select(FormVersion.document).where(
            FormVersion.form_id == form.id, FormVersion.workspace_id == form.workspace_id
        )
    )
    for document in versions:
        keys.update((document or {}).get("properties") or {})
        keys.update((document or {}).get("x-archived") or {})
    return sorted(keys)


def published_options(session: Session, form: Form) -> dict[str, list[str]]:
    """Option values of the published choice fields (values in stored data keep theirs)."""
    document = published_document(session, form) or {}
    found: dict[str, list[str]] = {}
    for key, schema in _fields(document):
        enum = schema.get("enum") or (schema.get("items") or {}).get("enum")
        if isinstance(enum, list):
            found[key] = [value for value in enum if isinstance(value, str)]
    return found


def _fields(document: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    properties = document.get("properties")
    if not isinstance(properties, Mapping):
        return
    for key, schema in properties.items():
        if isinstance(key, str) and isinstance(schema, dict):
            yield key, schema


def _sql_kind(schema: Mapping[str, Any]) -> str | None:
    kind = FIELD_TYPES.get(str(schema.get("x-field")))
    if kind is None or kind.layout:
        return None
    return kind.sql_kind_for(schema)


def workspace_forms(session: Session, actor: Actor, locale: str | None) -> list[dict[str, Any]]:
    """Every published form of the workspace with its fields, for the relation pickers."""
    actor.require(Role.ADMIN)
    rows = session.execute(
        select(Form, FormVersion.document)
        .join(
            FormVersion,
            (FormVersion.workspace_id == Form.workspace_id)
            & (FormVersion.form_id == Form.id)
            & (FormVersion.version == Form.published_version),
        )
        .where(Form.workspace_id == actor.workspace_id, Form.archived_at.is_(None))
        .order_by(Form.app_id, Form.position, Form.id)
    )
    result = []
    for other, document in rows:
        fields = []
        for key, schema in _ordered_fields(document):
            kind = _sql_kind(schema)
            if kind is None:
                continue
            fields.append(
                {
                    "key": key,
                    "title": label(schema, locale, key),
                    "type": schema.get("x-field"),
                    "kind": kind,
                    "link_form": (schema.get("x-link") or {}).get("form"),
                }
            )
        result.append(
            {
                "id": other.id,
                "key": other.key,
                "title": label(document, locale, other.key),
                "fields": fields,
            }
        )
    return result


def _ordered_fields(document: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    fields = dict(_fields(document))
    order = [k for k in document.get("x-order") or () if isinstance(k, str) and k in fields]
    order += [k for k in fields if k not in order]
    return [(key, fields[key]) for key in order]


def formula_fields(document: Mapping[str, Any], exclude: str | None = None) -> dict[str, str]:
    """What a formula may refer to: field key → formula kind (subform columns included)."""
    kinds: dict[str, str] = {}
    for key, schema in _fields(document):
        if key == exclude:
            continue
        x_field = schema.get("x-field")
        if x_field == "formula":
            kinds[key] = _RESULT_KINDS.get(str(schema.get("x-result")), "number")
            continue
        kind = _sql_kind(schema)
        if kind is None:
            continue
        kinds[key] = _FORMULA_KINDS.get(kind, "json")
        if x_field == "subform":
            columns = (schema.get("items") or {}).get("properties") or {}
            for column, inner in columns.items():
                inner_kind = _sql_kind(inner) if isinstance(inner, Mapping) else None
                if inner_kind is not None:
                    kinds[f"{key}.{column}"] = _FORMULA_KINDS.get(inner_kind, "json")
    return kinds


def condition_fields(document: Mapping[str, Any]) -> dict[str, str]:
    """What a condition may refer to: field key → SQL kind."""
    return {
        key: kind for key, schema in _fields(document) if (kind := _sql_kind(schema)) is not None
    }


def check_formula(
    document: Any, key: str | None, formula: Any, locale: str | None
) -> dict[str, Any]:
    """Parse one formula against the working document's fields (for the live editor)."""
    document = document if isinstance(document, Mapping) else {}
    text = formula if isinstance(formula, str) else ""
    try:
        parsed = parse_formula(text, fields=formula_fields(document, exclude=key))
    except FormulaError as exc:
        return {
            "ok": False,
            "message": exc.localized(normalise_locale(locale)),
            "column": exc.column,
            "references": [],
        }
    return {
        "ok": True,
        "message": str(_l("The formula is valid.")),
        "column": None,
        "references": sorted(parsed.references),
    }


def check_document(
    session: Session, actor: Actor, form: Form, document: Any, locale: str | None
) -> list[DesignProblem]:
    """Every problem of a working document, per field, in ``locale``.

    The dialect's checks (``check_form``), then what needs the workspace or the engines:
    formulas, visibility/requiredness conditions, and link, lookup and rollup targets.
    """
    actor.require(Role.ADMIN)
    engine_locale = normalise_locale(locale)
    own: list[DesignProblem] = []
    if isinstance(document, Mapping):
        own = list(_field_problems(session, form, document, engine_locale))
    owned = {problem.path for problem in own}
    found = [
        DesignProblem(problem.pointer, _key_of(problem.pointer), problem.message(engine_locale))
        for problem in check_form(document)
        if not any(problem.pointer.startswith(prefix) for prefix in owned)
    ]
    return found + own


def _key_of(pointer: str) -> str | None:
    parts = pointer.split("/")
    if len(parts) > 2 and parts[1] in ("properties", "x-archived"):
        return parts[2].replace("~1", "/").replace("~0", "~")
    return None


def _field_problems(
    session: Session, form: Form, document: Mapping[str, Any], locale: str
) -> Iterator[DesignProblem]:
    formulas = formula_fields(document)
    conditions = condition_fields(document)
    forms = _forms_by_key(session, form)
    parsed = {}
    for key, schema in _fields(document):
        at = f"/properties/{key}"
        x_field = schema.get("x-field")
        for keyword in ("x-visible-if", "x-required-if"):
            if keyword in schema:
                try:
                    parse_condition(schema[keyword], fields=conditions)
                except ConditionError as exc:
                    yield DesignProblem(f"{at}/{keyword}", key, exc.message_in(locale))
        if x_field == "formula":
            mine = {k: v for k, v in formulas.items() if k != key}
            text = schema.get("x-formula")
            try:
                parsed[key] = parse_formula(text if isinstance(text, str) else "", fields=mine)
            except FormulaError as exc:
                yield DesignProblem(f"{at}/x-formula", key, exc.localized(locale))
        elif x_field == "link":
            yield from _link_problems(form, forms, key, schema)
        elif x_field == "lookup":
            yield from _lookup_problems(session, document, forms, key, schema)
        elif x_field == "rollup":
            yield from _rollup_problems(session, form, forms, key, schema)
    if parsed:
        try:
            formula_order(parsed)
        except FormulaCycleError as exc:
            yield DesignProblem("/x-order", None, exc.localized(locale))


def _forms_by_key(session: Session, form: Form) -> dict[str, Form]:
    return {
        other.key: other
        for other in session.scalars(
            select(Form).where(Form.workspace_id == form.workspace_id, Form.archived_at.is_(None))
        )
    }


def _link_problems(
    form: Form, forms: Mapping[str, Form], key: str, schema: Mapping[str, Any]
) -> Iterator[DesignProblem]:
    target = (
        (schema.get("x-link") or {}).get("form")
        if isinstance(schema.get("x-link"), Mapping)
        else None
    )
    at = f"/properties/{key}/x-link"
    if not target:
        yield DesignProblem(at, key, str(_l("Choose the form this field links to.")))
    elif target not in forms:
        yield DesignProblem(
            at, key, str(_l("The linked form “%(form)s” does not exist.", form=target))
        )
    elif target != form.key and forms[target].published_version is None:
        yield DesignProblem(
            at,
            key,
            str(_l("Publish the form “%(form)s” before linking to it.", form=forms[target].title)),
        )


def _lookup_problems(
    session: Session,
    document: Mapping[str, Any],
    forms: Mapping[str, Form],
    key: str,
    schema: Mapping[str, Any],
) -> Iterator[DesignProblem]:
    spec = schema.get("x-lookup") if isinstance(schema.get("x-lookup"), Mapping) else {}
    at = f"/properties/{key}/x-lookup"
    link_key = spec.get("link")
    link = dict(_fields(document)).get(link_key) if isinstance(link_key, str) else None
    if not link_key or link is None or link.get("x-field") != "link":
        yield DesignProblem(at, key, str(_l("Choose the linked-record field to look up through.")))
        return
    target = forms.get(str((link.get("x-link") or {}).get("form")))
    target_doc = published_document(session, target) if target is not None else None
    if target_doc is None:
        yield DesignProblem(at, key, str(_l("Choose the form of the linked-record field first.")))
        return
    wanted = spec.get("field")
    if not wanted:
        yield DesignProblem(at, key, str(_l("Choose the field to show from the linked record.")))
    elif wanted not in (target_doc.get("properties") or {}):
        yield DesignProblem(
            at, key, str(_l("The linked form has no field “%(field)s”.", field=wanted))
        )


def _rollup_problems(
    session: Session, form: Form, forms: Mapping[str, Form], key: str, schema: Mapping[str, Any]
) -> Iterator[DesignProblem]:
    spec = schema.get("x-rollup") if isinstance(schema.get("x-rollup"), Mapping) else {}
    at = f"/properties/{key}/x-rollup"
    source = forms.get(str(spec.get("form") or ""))
    source_doc = published_document(session, source) if source is not None else None
    if source_doc is None:
        yield DesignProblem(at, key, str(_l("Choose the published form whose records to sum up.")))
        return
    fields = dict(_fields(source_doc))
    link = fields.get(str(spec.get("link") or ""))
    if (
        link is None
        or link.get("x-field") != "link"
        or ((link.get("x-link") or {}).get("form") != form.key)
    ):
        yield DesignProblem(
            at,
            key,
            str(
                _l(
                    "Choose the field of “%(form)s” that links to this form.",
                    form=source.title if source else "",
                )
            ),
        )
        return
    agg = spec.get("agg")
    if agg not in ("count", "sum", "min", "max", "avg"):
        yield DesignProblem(
            at, key, str(_l("Choose how to sum up: count, sum, minimum, maximum or average."))
        )
    elif agg != "count":
        of = fields.get(str(spec.get("of") or ""))
        if of is None or _sql_kind(of) not in _NUMERIC:
            yield DesignProblem(at, key, str(_l("Choose the number field to sum up.")))

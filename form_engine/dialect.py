"""The form-document dialect: format version, meta-schema, semantic checks, and the
helpers the form builder uses to make documents (docs/form-documents.md).

``check_form`` is what a document must pass before it is saved or published; every
problem names the spot as a JSON Pointer with a bilingual message code.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from form_engine.documents import DocumentUpgrader
from form_engine.errors import FormEngineError
from form_engine.fields import FIELD_TYPES, FieldType, field_type
from form_engine.fields.base import Path, Problem, shorten, suggest
from form_engine.fields.formats import format_checker
from form_engine.fields.metaschema import (
    DRAFT_2020_12,
    FIELD_KEYWORDS,
    FORM_KEYWORDS,
    KEY_PATTERN,
    META_SCHEMA,
)
from form_engine.messages import normalise_locale, render

FORMAT_VERSION = 1
UPGRADER = DocumentUpgrader(kind="form", current=FORMAT_VERSION, version_key="x-format")
_KEY = re.compile(KEY_PATTERN)

__all__ = [
    "FORMAT_VERSION",
    "KEY_PATTERN",
    "META_SCHEMA",
    "UPGRADER",
    "DocumentProblem",
    "add_field",
    "check_form",
    "field_key_for",
    "fields_of",
    "label",
    "new_form",
]


@dataclass(frozen=True)
class DocumentProblem:
    """One problem in a form document.

    Attributes:
        path: Where, as segments (``("properties", "phone", "x-field")``).
        code: A registered message code (``doc_*``).
        params: Values for the message template.
    """

    path: Path
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def pointer(self) -> str:
        """The path as a JSON Pointer, e.g. ``/properties/phone/x-field``."""
        return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in self.path)

    def message(self, locale: str | None = None) -> str:
        """The problem in ``locale`` (``en`` or ``zh-CN``)."""
        return render(self.code, locale, **self.params)

    def as_dict(self, locale: str | None = None) -> dict[str, Any]:
        """JSON shape for the API: ``{"path": "/properties/x", "code": …, "message": …}``."""
        return {"path": self.pointer, "code": self.code, "message": self.message(locale)}


@cache
def _meta_validator() -> Draft202012Validator:
    return Draft202012Validator(META_SCHEMA)


def _name(path: Path) -> str:
    if not path:
        return "form"
    if isinstance(path[-1], int) and len(path) > 1:
        return f"{path[-2]}/{path[-1]}"
    return str(path[-1])


def _meta_problems(doc: Mapping[str, Any]) -> Iterator[DocumentProblem]:
    for error in _meta_validator().iter_errors(doc):
        path: Path = tuple(error.absolute_path)
        if error.validator == "required":
            present = error.instance if isinstance(error.instance, Mapping) else {}
            for missing in error.validator_value:
                if missing not in present:
                    yield DocumentProblem((*path, missing), "doc_missing", {"name": missing})
        elif error.validator == "type" and isinstance(error.validator_value, str):
            code = f"doc_expected_{error.validator_value}"
            yield DocumentProblem(path, code, {"name": _name(path)})
        elif error.validator not in ("if", "then", "$ref"):
            yield DocumentProblem(path, "doc_bad_value", {"name": _name(path)})


def _unknown_keywords(node: Mapping[str, Any], known: frozenset[str], at: Path) -> list[Problem]:
    problems: list[Problem] = []
    for name in node:
        if isinstance(name, str) and name.startswith("x-") and name not in known:
            hint = suggest(name, known)
            params = {"name": shorten(name)} | ({"suggestion": hint} if hint else {})
            code = "doc_unknown_keyword_suggestion" if hint else "doc_unknown_keyword"
            problems.append(((*at, name), code, params))
    return problems


def _default_fits(kind: FieldType, schema: Mapping[str, Any]) -> bool:
    plain = {k: v for k, v in schema.items() if k != "default"}
    value = schema["default"]
    try:
        if not Draft202012Validator(plain, format_checker=format_checker()).is_valid(value):
            return False
    except Exception:  # a broken fragment (bad regex …) is reported by its own check
        return True
    return value is None or not kind.check_value(value, schema)


def _check_fields(
    properties: Mapping[str, Any], at: Path, *, nested_in: str | None = None
) -> list[Problem]:
    """Per-field rules for ``properties`` (top level, or a subform's rows)."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    for key, schema in properties.items():
        spot: Path = (*at, key)
        shown = f"{nested_in}.{key}" if nested_in else key
        if not _KEY.fullmatch(key):
            problems.append((spot, "doc_bad_key", {"key": shorten(key)}))
        if not isinstance(schema, Mapping):
            continue  # the meta-schema reports it
        for alias in schema.get("x-aliases") or ():
            if not isinstance(alias, str):
                continue
            if alias in properties or alias in names:
                params = {"key": shown, "alias": shorten(alias)}
                problems.append(((*spot, "x-aliases"), "doc_alias_taken", params))
            names.setdefault(alias, key)
        problems += [(p, c, {"key": shown} | d) for p, c, d in _check_field(schema, spot)]
        lookup = schema.get("x-lookup") if schema.get("x-field") == "lookup" else None
        if isinstance(lookup, Mapping) and isinstance(lookup.get("link"), str):
            target = properties.get(lookup["link"])
            if not (isinstance(target, Mapping) and target.get("x-field") == "link"):
                params = {"key": shown, "link": shorten(lookup["link"])}
                problems.append(((*spot, "x-lookup", "link"), "doc_lookup_not_a_link", params))
        if schema.get("x-field") == "subform" and nested_in is not None:
            problems.append((spot, "doc_nested_subform", {"key": nested_in}))
    return problems


def _check_field(schema: Mapping[str, Any], spot: Path) -> list[Problem]:
    x_field = schema.get("x-field")
    if not isinstance(x_field, str):
        return []  # the meta-schema reports it
    problems = _unknown_keywords(schema, FIELD_KEYWORDS, spot)
    kind = FIELD_TYPES.get(x_field)
    if kind is None:
        hint = suggest(x_field, FIELD_TYPES)
        params = {"type": shorten(x_field)} | ({"suggestion": hint} if hint else {})
        code = "doc_unknown_field_type_suggestion" if hint else "doc_unknown_field_type"
        return [*problems, ((*spot, "x-field"), code, params)]
    problems += [((*spot, *path), code, d) for path, code, d in kind.check_fragment(schema)]
    if "default" in schema and not problems and not _default_fits(kind, schema):
        problems.append(((*spot, "default"), "doc_bad_default", {}))
    if x_field == "subform":
        items = schema.get("items")
        rows = items.get("properties") if isinstance(items, Mapping) else None
        if isinstance(rows, Mapping):
            assert isinstance(items, Mapping)
            inner = (*spot, "items")
            problems += _check_fields(rows, (*inner, "properties"), nested_in=str(spot[-1]))
            problems += _check_order(items, rows, inner)
    return problems


def _check_order(node: Mapping[str, Any], properties: Mapping[str, Any], at: Path) -> list[Problem]:
    """``x-order`` lists each key once; ``required`` names fields that can be required."""
    problems: list[Problem] = []
    order = node.get("x-order")
    if isinstance(order, list):
        seen: set[str] = set()
        for index, key in enumerate(order):
            if not isinstance(key, str):
                continue
            if key not in properties:
                problems.append(((*at, "x-order", index), "doc_order_unknown", {"key": key}))
            elif key in seen:
                problems.append(((*at, "x-order", index), "doc_order_duplicate", {"key": key}))
            seen.add(key)
        for key in properties:
            if key not in seen:
                problems.append(((*at, "x-order"), "doc_order_missing", {"key": key}))
    required = node.get("required")
    if isinstance(required, list):
        listed: set[str] = set()
        for index, key in enumerate(required):
            spot = (*at, "required", index)
            if not isinstance(key, str):
                continue
            schema = properties.get(key)
            x_field = schema.get("x-field") if isinstance(schema, Mapping) else None
            kind = FIELD_TYPES.get(str(x_field))
            if schema is None:
                problems.append((spot, "doc_required_unknown", {"key": key}))
            elif key in listed:
                problems.append((spot, "doc_required_duplicate", {"key": key}))
            elif kind is not None and kind.layout:
                problems.append((spot, "doc_required_layout", {"key": key}))
            elif kind is not None and kind.computed:
                problems.append((spot, "doc_required_computed", {"key": key}))
            listed.add(key)
    return problems


def check_form(doc: Any) -> list[DocumentProblem]:
    """Every problem of a form document: meta-schema shape plus the dialect's rules.

    Args:
        doc: A form document (current format; upgrade older ones with ``UPGRADER``).

    Returns:
        Problems ordered by pointer; empty when the document may be stored.
    """
    if not isinstance(doc, Mapping):
        return [DocumentProblem((), "doc_expected_object", {"name": "form"})]
    semantic: list[Problem] = _unknown_keywords(doc, FORM_KEYWORDS, ())
    properties = doc.get("properties")
    if isinstance(properties, Mapping):
        semantic += _check_fields(properties, ("properties",))
        semantic += _check_order(doc, properties, ())
        archived = doc.get("x-archived")
        for key in properties:
            if isinstance(archived, Mapping) and key in archived:
                semantic.append((("properties", key), "doc_archived_reused", {"key": key}))
    found = [DocumentProblem(path, code, params) for path, code, params in semantic]
    pointers = {problem.pointer for problem in found}
    found += [p for p in _meta_problems(doc) if p.pointer not in pointers]
    unique = {
        (p.pointer, p.code, json.dumps(p.params, sort_keys=True, default=str)): p for p in found
    }
    return sorted(unique.values(), key=lambda p: (p.pointer, p.code))


def fields_of(doc: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any], FieldType]]:
    """The active fields in display order as ``(key, schema, type)``.

    Raises:
        FormEngineError: a field's type is unknown (run ``check_form`` first).
    """
    properties = doc.get("properties") or {}
    order = [key for key in doc.get("x-order") or () if key in properties]
    order += [key for key in properties if key not in order]
    for key in order:
        schema = properties[key]
        yield key, schema, field_type(str(schema.get("x-field")))


def new_form(title: str, titles: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An empty form document of the current format.

    Args:
        title: The English title.
        titles: Titles in other languages, e.g. ``{"zh-CN": "客户档案"}``.
    """
    doc: dict[str, Any] = {
        "$schema": DRAFT_2020_12,
        "x-format": FORMAT_VERSION,
        "type": "object",
        "title": title,
        "x-order": [],
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }
    if titles:
        doc["x-titles"] = dict(titles)
    return doc


def add_field(
    doc: Mapping[str, Any],
    key: str,
    field_type_key: str,
    *,
    required: bool = False,
    after: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """A copy of ``doc`` with a new field (the input is not modified).

    Args:
        doc: The form document.
        key: The new field's key (see ``field_key_for``).
        field_type_key: An ``x-field`` type key.
        required: Add the key to ``required``.
        after: Place it after this key (default: at the end).
        **options: Options of the type's ``fragment()`` (title, titles, max_length …).

    Raises:
        FormEngineError: a bad or taken key (archived keys included), an unknown type
            or option, a layout or computed field marked required, an unknown ``after``.
    """
    kind = field_type(field_type_key)
    result = copy.deepcopy(dict(doc))
    properties: dict[str, Any] = result.setdefault("properties", {})
    if not _KEY.fullmatch(key):
        raise FormEngineError(f"field key {key!r} does not match {KEY_PATTERN}", path=(key,))
    taken = {*properties, *(result.get("x-archived") or {})}
    taken |= {a for s in properties.values() for a in s.get("x-aliases") or ()}
    if key in taken:
        raise FormEngineError(f"field key {key!r} is already used", path=(key,))
    if required and (kind.layout or kind.computed):
        raise FormEngineError(f"a {kind.key} field cannot be required", path=(key,))
    order: list[str] = result.setdefault("x-order", [])
    if after is not None and after not in order:
        hint = suggest(after, order)
        raise FormEngineError(f"no field {after!r} to add after", path=(after,), suggestion=hint)
    properties[key] = kind.fragment(**options)
    order.insert(order.index(after) + 1 if after is not None else len(order), key)
    if required:
        result.setdefault("required", []).append(key)
    return result


def field_key_for(label_text: str, existing_keys: Iterable[str]) -> str:
    """A new, unused field key for a label: ``Total spent`` → ``total_spent``; a label
    with no ASCII letters (``客户名称``) → ``field_1``, ``field_2`` …

    Args:
        label_text: The label the person typed.
        existing_keys: Keys in use, archived keys and aliases included.
    """
    taken = set(existing_keys)
    ascii_text = unicodedata.normalize("NFKD", label_text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if slug and not slug[0].isalpha():
        slug = f"f_{slug}"
    slug = slug[:56].rstrip("_")
    if not re.search(r"[a-z]", slug.removeprefix("f_")):
        slug = ""
    if slug and slug not in taken:
        return slug
    base = slug or "field"
    number = 1 if not slug else 2
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def label(node: Mapping[str, Any], locale: str | None, key: str = "") -> str:
    """A form's or field's label in ``locale``: ``x-titles[locale]``, else ``title``,
    else ``key``.

    Args:
        node: A form document or a field schema.
        locale: ``en`` or ``zh-CN`` (others fall back to English).
        key: Shown when there is no title at all.
    """
    wanted = normalise_locale(locale)
    titles = node.get("x-titles")
    if isinstance(titles, Mapping) and isinstance(titles.get(wanted), str) and titles[wanted]:
        return str(titles[wanted])
    title = node.get("title")
    return title if isinstance(title, str) and title else key

"""How a record's errors are collected: one error per spot, the most telling one.

Two validators (and the engine's own rules) may find several problems at one spot, in
any order; ranks decide which one the person sees, so every backend shows the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from form_engine.fields.base import CoercionError, FieldType, Path, find_type, unknown_name
from form_engine.fields.rows import row_fields
from form_engine.messages import FieldError

Rank = tuple[int, str]
Found = dict[Path, tuple[Rank, FieldError]]

# One error per spot, the most basic first: the value's type, a missing value, size,
# the options, the format, the rest; ties by keyword, so the backends' order never matters.
PRIORITY = {"type": 0, "required": 1, "maxLength": 2, "minLength": 2, "maxItems": 2,
             "minItems": 2, "enum": 3, "const": 3, "format": 4, "pattern": 5}  # fmt: skip
COERCION: Rank = (0, "")  # input that could not be read at all
NON_FINITE: Rank = (0, "")  # as basic as a wrong type
VALUE_RULE: Rank = (9, "")  # FieldType.check_value, after every schema rule


def non_finite(value: Any, path: Path) -> list[Path]:
    """Paths of NaN/±Infinity floats inside ``value``."""
    found: list[Path] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        kind = type(item)
        if kind is float:
            if not math.isfinite(item):
                found.append((*path, key))
        elif kind is dict or kind is list:
            found += non_finite(item, (*path, key))
    return found


def value_at(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def keep(found: Found, path: Path, rank: Rank, error: FieldError) -> None:
    """Keep the most telling error per spot (lower rank wins, the first on a full tie)."""
    current = found.get(path)
    if current is None or rank < current[0]:
        found[path] = (rank, error)


def flatten(error: CoercionError, prefix: Path) -> list[CoercionError]:
    if error.problems:
        return [item for problem in error.problems for item in flatten(problem, prefix)]
    return [CoercionError(error.code, error.params, path=(*prefix, *error.path))]


def schema_error(
    fields: Mapping[str, tuple[Mapping[str, Any], FieldType]],
    names: Mapping[str, str],
    path: Path,
    keyword: str,
    detail: Mapping[str, Any],
) -> FieldError:
    """The person's message for a validator error at ``path``, chosen by the field the
    path belongs to (a subform's nested field when inside a row).

    Args:
        fields: The form's fields, ``key -> (schema, type)``.
        names: Input names (keys and aliases), for "did you mean" on unknown keys.
        path: Where the error is (for ``required``, the missing property).
        keyword: The failing JSON Schema keyword.
        detail: ``limit``, ``value``, ``format`` as the keyword has them.
    """
    top = fields.get(str(path[0])) if path else None
    if keyword == "additionalProperties":
        siblings = row_fields(top[0]) if top and top[1].key == "subform" else {}
        candidates = names if len(path) == 1 else siblings
        error = unknown_name(str(path[-1]), candidates, path)
        return FieldError(path, error.code, error.params)
    if top is None:
        return FieldError(path, "invalid", {})
    schema, kind = top
    item = len(path) > 1
    if kind.key == "subform" and len(path) >= 3 and isinstance(path[1], int):
        nested = row_fields(schema).get(str(path[2]))
        nested_kind = find_type(nested.get("x-field")) if nested is not None else None
        if nested is not None and nested_kind is not None:
            schema, kind, item = nested, nested_kind, len(path) > 3
    code, params = kind.error_for(keyword, detail, schema, item=item)
    return FieldError(path, code, params)

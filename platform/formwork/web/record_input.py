"""Posted record forms and the engine: the raw mapping ``CompiledForm.clean(raw, "html")``
reads, engine errors back on the WTForms fields, and live visibility.

The view passes ``request.form`` through :func:`raw_input` to the records service; on
``RecordInvalid`` :func:`apply_errors` puts each message (in the user's language) on the
input it concerns. :func:`hidden_keys` and :func:`page_config` give the page the same
visibility the server will decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import Field, FieldList, FormField

from form_engine.conditions import to_json
from form_engine.fields.structured import ADDRESS_PARTS
from form_engine.messages import FieldError
from formwork.services.form_runtime import FormRuntime
from formwork.web.record_forms import FieldSpec, RecordForm

# -- posted MultiDict → the raw mapping the engine reads ---------------------------------


@dataclass
class RawInput:
    """What ``clean(raw, "html")`` reads, and for each subform which page row (position
    among the posted rows) each row handed to the engine came from."""

    values: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)


def raw_input(specs: Iterable[FieldSpec], formdata: MultiDict[str, Any]) -> RawInput:
    """Read the posted inputs of every input field.

    Absent names stay absent (an unticked checkbox, a field the page hid); a name posted
    twice for a single-valued field goes to the engine as a list, which refuses it.
    Subform rows come from ``<key>-<n>-<column>`` names, in ``n`` order; rows left
    completely empty (the spare row a page keeps) are dropped.
    """
    result = RawInput()
    for spec in specs:
        if spec.type == "subform":
            rows, kept = _posted_rows(spec, formdata)
            if rows is not None:
                result.values[spec.key] = rows
                result.rows[spec.key] = kept
            continue
        found, value = _posted(spec, spec.key, formdata)
        if found:
            result.values[spec.key] = value
    return result


def _posted(spec: FieldSpec, name: str, formdata: MultiDict[str, Any]) -> tuple[bool, Any]:
    if not spec.takes_input:
        return False, None
    if spec.type == "address":
        names = {part: f"{name}-{part}" for part in ADDRESS_PARTS}
        if not any(posted in formdata for posted in names.values()):
            return False, None
        return True, {part: formdata.get(posted, "") for part, posted in names.items()}
    if name not in formdata:
        return False, None
    values = formdata.getlist(name)
    if spec.multiple or spec.type == "checkbox":
        return True, values
    return True, values[0] if len(values) == 1 else values


def _posted_rows(
    spec: FieldSpec, formdata: MultiDict[str, Any]
) -> tuple[list[dict[str, Any]] | None, list[int]]:
    pattern = re.compile(rf"{re.escape(spec.key)}-(\d+)-")
    indices = sorted({int(m.group(1)) for name in formdata if (m := pattern.match(name))})
    if not indices:
        return None, []
    rows: list[dict[str, Any]] = []
    kept: list[int] = []
    for position, index in enumerate(indices):
        row: dict[str, Any] = {}
        for column in spec.columns:
            found, value = _posted(column, f"{spec.key}-{index}-{column.key}", formdata)
            if found:
                row[column.key] = value
        if not _blank(row):
            rows.append(row)
            kept.append(position)
    return rows, kept


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_blank(v) for v in value)
    return value is None


# -- engine errors → the fields they belong to ------------------------------------------


def apply_errors(
    form: RecordForm,
    errors: Iterable[FieldError],
    locale: str | None,
    rows: Mapping[str, list[int]],
) -> list[str]:
    """Put each error on the input it concerns; return those that fit no input.

    Messages come from the engine's catalogue in ``locale``. The deepest rendered input
    on the error's path gets it: a subform cell, an address part, else the field.
    """
    names = _rendered_names(form)
    labels = {spec.key: spec.label for spec in form.specs}
    unplaced: list[str] = []
    for error in errors:
        message = error.message(locale)
        target = _target(form, error.path, rows, names)
        if target is None:
            text = labels.get(error.key)
            unplaced.append(f"{text}: {message}" if text else message)
            continue
        form.problems.setdefault(target, []).append(message)
        leaf = names[target]
        if leaf is not None:
            leaf.errors = [*leaf.errors, message]
    return unplaced


def _target(
    form: RecordForm,
    path: tuple[str | int, ...],
    rows: Mapping[str, list[int]],
    names: Mapping[str, Field | None],
) -> str | None:
    if not path:
        return None
    parts = [str(path[0])]
    for step in path[1:]:
        if isinstance(step, int) and len(parts) == 1 and parts[0] in rows:
            kept = rows[parts[0]]
            if step >= len(kept):
                break
            step = kept[step]
        parts.append(str(step))
    for end in range(len(parts), 0, -1):
        name = "-".join(parts[:end])
        if name in names:
            return name
    return None


def _rendered_names(form: RecordForm) -> dict[str, Field | None]:
    """HTML name → the field to mark (None for groups: address, subform, a row)."""
    names: dict[str, Field | None] = {}

    def walk(bound: Any) -> None:
        if isinstance(bound, FormField):
            names[bound.name] = None
            for sub in bound.form:
                walk(sub)
        elif isinstance(bound, FieldList):
            names[bound.name] = None
            for entry in bound.entries:
                walk(entry)
        else:
            names[bound.name] = bound

    for spec in form.specs:
        bound = form.field_of(spec)
        if bound is not None:
            walk(bound)
    return names


# -- live visibility ---------------------------------------------------------------------


def hidden_keys(runtime: FormRuntime, data: Mapping[str, Any]) -> set[str]:
    """Fields hidden by ``x-visible-if`` for input ``data``, as the page computes them.

    The page does not post hidden inputs, so a field depending on a hidden one sees it as
    empty (an unticked checkbox as false, as the engine reads a missing checkbox): the
    hidden set is the fixed point of that rule — what the server will decide on submit.
    """
    checkboxes = {key for key, _s, kind in runtime.compiled.fields if kind.key == "checkbox"}
    hidden: set[str] = set()
    for _attempt in range(len(runtime.visible_if) + 1):
        values = {k: v for k, v in data.items() if k not in hidden}
        values.update({k: False for k in hidden & checkboxes})
        now = {key for key in runtime.visible_if if not runtime.is_visible(key, values)}
        if now == hidden:
            break
        hidden = now
    return hidden


def required_now(runtime: FormRuntime, data: Mapping[str, Any], hidden: set[str]) -> set[str]:
    """Fields whose ``x-required-if`` holds for ``data`` (hidden fields never are)."""
    values = {k: v for k, v in data.items() if k not in hidden}
    return {
        key
        for key in runtime.required_if
        if key not in hidden and runtime.is_required_if(key, values)
    }


def input_values(runtime: FormRuntime, raw: Mapping[str, Any]) -> dict[str, Any]:
    """What the engine reads from ``raw`` (values that fail to read are left out)."""
    data, _errors = runtime.compiled.clean(raw, "html")
    return data


def page_config(runtime: FormRuntime, specs: Iterable[FieldSpec]) -> dict[str, Any]:
    """The JSON the page's script needs to evaluate the conditions live."""
    return {
        "today": date.today().isoformat(),
        "kinds": dict(runtime.kinds),
        "visibleIf": {key: to_json(c) for key, c in runtime.visible_if.items()},
        "requiredIf": {key: to_json(c) for key, c in runtime.required_if.items()},
        "fields": {
            spec.key: {
                "type": spec.type,
                "multiple": spec.multiple,
                "region": spec.schema.get("x-phone-region", "CN"),
                "input": spec.takes_input,
                "columns": [c.key for c in spec.columns if c.takes_input],
            }
            for spec in specs
            if spec.type not in ("section", "description")
        },
    }

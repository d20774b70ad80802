# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""Schema evolution between form versions: typed diffs, key-preserving edits, and the
impact of a change on stored values, so that no change ever loses data.

Fields are never deleted: they move to ``x-archived`` (values kept, hidden, restorable).
A type or constraint change is planned against every stored value first
(:func:`plan_migration`); the platform publishes it only when the plan is ``ok``.
Keys never change: there is deliberately no ``rename_key`` (labels change instead).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from form_engine.errors import FormEngineError
from form_engine.messages import normalise_locale, register_messages, render

Document = dict[str, Any]
POSITION = "x-archived-position"
WAS_REQUIRED = "x-archived-required"
_REMEMBERED = (POSITION, WAS_REQUIRED)
_LABELS = frozenset({"title", "x-titles"})
_TYPES = frozenset({"x-field", "type"})
# Keywords kept through change_field_type: what the field is called, shown and keyed by.
_CARRIED: tuple[str, ...] = ("title", "x-titles", "description", "x-descriptions")
_CARRIED += ("x-aliases", "x-unique", "x-internal", "x-visible-if", "x-required-if")
_UPPER = frozenset({"maxLength", "maxItems", "maximum", "exclusiveMaximum"})
_LOWER = frozenset({"minLength", "minItems", "minimum", "exclusiveMinimum"})
_OTHER = frozenset({"pattern", "format", "multipleOf", "const", "uniqueItems", "properties"})
_CONSTRAINTS = _UPPER | _LOWER | _OTHER | {"enum", "items", "required", "additionalProperties"}
_ANNOTATIONS = frozenset({"title", "description", "default", "examples"})
_NAMED = frozenset({"properties", "$defs", "definitions", "patternProperties", "dependentSchemas"})
_DATA = frozenset({"enum", "const", "default", "examples", "required"})

register_messages(
    {
        "evolution_field_dropped": {
            "en": "Field “{field}” would be deleted; archive it instead",
            "zh-CN": "字段“{field}”将被删除；请改为归档",
        },
        "evolution_archived_changed": {
            "en": "Archived field “{field}” cannot be changed; restore it first",
            "zh-CN": "已归档的字段“{field}”不能修改；请先恢复",
        },
        "evolution_both_active_and_archived": {
            "en": "Field “{field}” is both active and archived",
            "zh-CN": "字段“{field}”不能同时处于启用和归档状态",
        },
        "evolution_unknown_field": {
            "en": "There is no field “{field}”",
            "zh-CN": "没有字段“{field}”",
        },
        "evolution_not_archived": {
            "en": "Field “{field}” is not archived",
            "zh-CN": "字段“{field}”未被归档",
        },
        "evolution_key_taken": {
            "en": "The key “{field}” is already used (archived keys are never reused)",
            "zh-CN": "键“{field}”已被使用（已归档字段的键不能重复使用）",
        },
        "evolution_bad_order": {
            "en": "The new order must list every field once (missing: {missing}; unknown or "
            "repeated: {extra})",
            "zh-CN": "新的顺序必须恰好列出每个字段一次（缺少：{missing}；未知或重复：{extra}）",
        },
        "evolution_bad_fragment": {
            "en": "The new schema of “{field}” must name its field type (x-field)",
            "zh-CN": "字段“{field}”的新定义必须指明字段类型（x-field）",
        },
        "evolution_no_converter": {
            "en": "No converter for field type “{type}”",
            "zh-CN": "没有字段类型“{type}”的转换器",
        },
    }
)


class EvolutionError(FormEngineError):
    """A schema change that is refused; ``code``/``params`` render in any locale."""

    def __init__(self, code: str, *, path: tuple[str | int, ...] = (), **params: Any) -> None:
        super().__init__(render(code, "en", **params), path=path)
        self.code = code
        self.params = params

    def localised(self, locale: str | None = None) -> str:
        return render(self.code, locale, **self.params)


# --- the diff -------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldAdded:
    key: str


@dataclass(frozen=True)
class FieldArchived:
    key: str


@dataclass(frozen=True)
class FieldRestored:
    key: str


@dataclass(frozen=True)
class FieldRelabelled:
    key: str
    old_titles: Mapping[str, str]
    new_titles: Mapping[str, str]


@dataclass(frozen=True)
class FieldsReordered:
    old_order: tuple[str, ...]
    new_order: tuple[str, ...]


@dataclass(frozen=True)
class TypeChanged:
    key: str
    old_field: str | None
    new_field: str | None


@dataclass(frozen=True)
class ConstraintChange:
    """One keyword of a field's rules, e.g. ``maxLength`` 100 → 20 (``tightens``)."""

    keyword: str
    old: Any
    new: Any
    tightens: bool


@dataclass(frozen=True)
class ConstraintsChanged:
    key: str
    changes: tuple[ConstraintChange, ...]

    @property
    def keywords(self) -> tuple[str, ...]:
        return tuple(change.keyword for change in self.changes)

    @property
    def tightens(self) -> bool:
        return any(change.tightens for change in self.changes)


@dataclass(frozen=True)
class SettingsChanged:
    """Anything else about a field (help text, option titles, conditions, currency …)."""

    key: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class FormRelabelled:
    old_titles: Mapping[str, str]
    new_titles: Mapping[str, str]


Change = (
    FieldAdded
    | FieldArchived
    | FieldRestored
    | FieldRelabelled
    | FieldsReordered
    | TypeChanged
    | ConstraintsChanged
    | SettingsChanged
    | FormRelabelled
)


@dataclass(frozen=True)
class Problem:
    """Why a new version must not be published; ``message(locale)`` says so to users."""

    key: str
    code: ClassVar[str] = ""

    def message(self, locale: str | None = None) -> str:
        return render(self.code, locale, field=self.key)


@dataclass(frozen=True)
class DroppedField(Problem):
    """A field vanished instead of being archived: its values would be lost."""

    code: ClassVar[str] = "evolution_field_dropped"


@dataclass(frozen=True)
class ArchivedFieldChanged(Problem):
    code: ClassVar[str] = "evolution_archived_changed"


@dataclass(frozen=True)
class ActiveAndArchived(Problem):
    code: ClassVar[str] = "evolution_both_active_and_archived"


@dataclass(frozen=True)
class FormDiff:
    changes: tuple[Change, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [change for change in self.changes if isinstance(change, kind)]

    def for_key(self, key: str) -> list[Change]:
        return [change for change in self.changes if getattr(change, "key", None) == key]


def titles_of(fragment: Mapping[str, Any], fallback: str = "") -> dict[str, str]:
    """``{"en": title, **x-titles}``; the key stands in for a missing English title."""
    titles = {"en": str(fragment.get("title") or fallback)}
    titles.update({k: str(v) for k, v in dict(fragment.get("x-titles") or {}).items()})
    return titles


def _props(doc: Mapping[str, Any]) -> dict[str, Any]:
    return dict(doc.get("properties") or {})


def _archived(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _forget(v) for k, v in dict(doc.get("x-archived") or {}).items()}


def _forget(fragment: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fragment.items() if k not in _REMEMBERED}


def _order(doc: Mapping[str, Any]) -> list[str]:
    props = _props(doc)
    order = list(dict.fromkeys(k for k in doc.get("x-order") or [] if k in props))
    return order + [k for k in props if k not in order]


def _tightens(keyword: str, old: Any, new: Any) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    if keyword in _UPPER:
        return bool(new < old)
    if keyword in _LOWER:
        return bool(new > old)
    if keyword == "enum":
        return any(option not in new for option in old)
    return True  # a changed pattern, format, shape …: check every value to be sure


def plain_schema(schema: Any, *, labels: bool = True) -> Any:
    """``schema`` without Formwork's ``x-`` keywords (and without titles, help text,
    defaults and examples unless ``labels``); property names and enum values are data."""
    if isinstance(schema, list):
        return [plain_schema(item, labels=labels) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    result: dict[str, Any] = {}
    for kw, value in schema.items():
        if kw.startswith("x-") or (not labels and kw in _ANNOTATIONS):
            continue
        if kw in _NAMED and isinstance(value, Mapping):
            result[kw] = {name: plain_schema(sub, labels=labels) for name, sub in value.items()}
        else:
            result[kw] = value if kw in _DATA else plain_schema(value, labels=labels)
    return result


def _bare(schema: Any) -> Any:
    return plain_schema(schema, labels=False)


def _constraints(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ConstraintChange]:
    changes: list[ConstraintChange] = []
    for kw in sorted((set(old) | set(new)) & _CONSTRAINTS):
        before, after = old.get(kw), new.get(kw)
        if _bare(before) == _bare(after):
            continue
        if kw == "items" and isinstance(before, Mapping) and isinstance(after, Mapping):
            inner = _constraints(before, after)
            if before.get("type") != after.get("type"):
                inner.append(ConstraintChange("type", before.get("type"), after.get("type"), True))
            changes += [
                ConstraintChange(f"items.{c.keyword}", c.old, c.new, c.tightens) for c in inner
            ]
            continue
        changes.append(ConstraintChange(kw, before, after, _tightens(kw, before, after)))
    return changes


def _compare(
    key: str, old: Mapping[str, Any], new: Mapping[str, Any], was_required: bool, is_required: bool
) -> list[Change]:
    found: list[Change] = []
    if titles_of(old, key) != titles_of(new, key):
        found.append(FieldRelabelled(key, titles_of(old, key), titles_of(new, key)))
    if any(old.get(kw) != new.get(kw) for kw in _TYPES):
        found.append(TypeChanged(key, old.get("x-field"), new.get("x-field")))
    rules = _constraints(old, new)
    if was_required != is_required:
        rules.append(ConstraintChange("required", was_required, is_required, is_required))
    if bool(old.get("x-unique")) != bool(new.get("x-unique")):
        unique = bool(new.get("x-unique"))
        rules.append(ConstraintChange("unique", not unique, unique, unique))
    if rules:
        found.append(ConstraintsChanged(key, tuple(rules)))
    handled = _LABELS | _TYPES | _CONSTRAINTS | {"x-unique"}
    others = sorted(k for k in (set(old) | set(new)) - handled if old.get(k) != new.get(k))
    if others:
        found.append(SettingsChanged(key, tuple(others)))
    return found


def diff_forms(old: Mapping[str, Any], new: Mapping[str, Any]) -> FormDiff:
    """Every change from ``old`` to ``new``, and the problems that forbid publishing.

    A field missing from the new ``properties`` must be in the new ``x-archived``,
    otherwise it is a ``DroppedField`` problem; archived fields may not be edited.
    """
    old_props, new_props = _props(old), _props(new)
    old_arch, new_arch = _archived(old), _archived(new)
    old_req, new_req = set(old.get("required") or ()), set(new.get("required") or ())
    changes: list[Change] = []
    problems: list[Problem] = []
    if titles_of(old) != titles_of(new):
        changes.append(FormRelabelled(titles_of(old), titles_of(new)))
    for key in old_props:
        if key in new_props:
            changes += _compare(key, old_props[key], new_props[key], key in old_req, key in new_req)
        elif key in new_arch:
            changes.append(FieldArchived(key))
            if new_arch[key] != old_props[key]:
                problems.append(ArchivedFieldChanged(key))
        else:
            problems.append(DroppedField(key))
    for key, fragment in new_props.items():
        if key in old_props:
            continue
        if key in old_arch:
            changes.append(FieldRestored(key))
            changes += _compare(key, old_arch[key], fragment, False, key in new_req)
        else:
            changes.append(FieldAdded(key))
    for key, fragment in old_arch.items():
        if key not in new_arch and key not in new_props:
            problems.append(DroppedField(key))
        elif key in new_arch and new_arch[key] != fragment:
            problems.append(ArchivedFieldChanged(key))
    problems += [ActiveAndArchived(key) for key in new_props if key in new_arch]
    before = [k for k in _order(old) if k in new_props]
    after = [k for k in _order(new) if k in old_props]
    if before != after:
        changes.append(FieldsReordered(tuple(_order(old)), tuple(_order(new))))
    return FormDiff(tuple(changes), tuple(problems))


# --- operations: pure, key-preserving -------------------------------------------------


def _copy(doc: Mapping[str, Any]) -> Document:
    result: Document = copy.deepcopy(dict(doc))
    result["properties"] = dict(result.get("properties") or {})
    result["x-order"] = _order(result)
    result["required"] = list(result.get("required") or [])
    return result


def _active(doc: Mapping[str, Any], key: str) -> None:
    if key not in _props(doc):
        raise EvolutionError("evolution_unknown_field", path=("properties", key), field=key)


def add_field(
    doc: Mapping[str, Any],
    key: str,
    fragment: Mapping[str, Any],
    *,
    required: bool = False,
    position: int | None = None,
) -> Document:
    """A copy of ``doc`` with a new field (at ``position`` in ``x-order``, else last).

    Raises:
        EvolutionError: the key is used by an active or archived field.
    """
    if key in _props(doc) or key in (doc.get("x-archived") or {}):
        raise EvolutionError("evolution_key_taken", path=("properties", key), field=key)
    result = _copy(doc)
    result["properties"][key] = copy.deepcopy(dict(fragment))
    order = result["x-order"]
    order.insert(len(order) if position is None else position, key)
    if required:
        result["required"].append(key)
    return result


def archive_field(doc: Mapping[str, Any], key: str) -> Document:
    """Move a field to ``x-archived``, remembering its position and requiredness.

    Raises:
        EvolutionError: ``key`` is not an active field.
    """
    _active(doc, key)
    result = _copy(doc)
    fragment = result["properties"].pop(key)
    fragment[POSITION] = result["x-order"].index(key)
    if key in result["required"]:
        fragment[WAS_REQUIRED] = True
        result["required"].remove(key)
    result["x-order"].remove(key)
    result["x-archived"] = {**dict(result.get("x-archived") or {}), key: fragment}
    return result


def restore_field(doc: Mapping[str, Any], key: str) -> Document:
    """Bring an archived field back at its remembered position (else last), required
    again if it was.

    Raises:
        EvolutionError: ``key`` is not archived.
    """
    if key not in (doc.get("x-archived") or {}):
        raise EvolutionError("evolution_not_archived", path=("x-archived", key), field=key)
    result = _copy(doc)
    archived = dict(result["x-archived"])
    fragment = archived.pop(key)
    if archived:
        result["x-archived"] = archived
    else:
        del result["x-archived"]
    position = fragment.pop(POSITION, None)
    order = result["x-order"]
    at = position if isinstance(position, int) and 0 <= position <= len(order) else len(order)
    order.insert(at, key)
    if fragment.pop(WAS_REQUIRED, False):
        result["required"].append(key)
    result["properties"][key] = fragment
    return result


def relabel_field(
    doc: Mapping[str, Any],
    key: str,
    title: str | None = None,
    titles: Mapping[str, str] | None = None,
) -> Document:
    """Change a field's labels: ``title`` (English) and/or ``titles`` per locale.

    Raises:
        EvolutionError: ``key`` is not an active field.
    """
    _active(doc, key)
    result = _copy(doc)
    fragment = result["properties"][key]
    for locale, text in {**dict(titles or {}), **({"en": title} if title else {})}.items():
        if locale == "en":
            fragment["title"] = text
        else:
            fragment["x-titles"] = {**dict(fragment.get("x-titles") or {}), locale: text}
    return result


def reorder_fields(doc: Mapping[str, Any], order: Sequence[str]) -> Document:
    """Set the display order; ``order`` must be a permutation of the active keys.

    Raises:
        EvolutionError: a key is missing, unknown or repeated.
    """
    active = _order(doc)
    if sorted(order) != sorted(active):
        missing = [k for k in active if k not in order]
        extra = sorted({k for k in order if k not in active or list(order).count(k) > 1})
        raise EvolutionError(
            "evolution_bad_order",
            path=("x-order",),
            missing=", ".join(missing) or "-",
            extra=", ".join(extra) or "-",
        )
    result = _copy(doc)
    result["x-order"] = list(order)
    return result


def change_field_type(
    doc: Mapping[str, Any], key: str, new_fragment: Mapping[str, Any]
) -> Document:
    """Replace a field's schema by ``new_fragment`` (from the field catalogue), keeping its
    labels, help text, aliases, uniqueness and conditions unless the fragment sets them.

    Raises:
        EvolutionError: ``key`` is not active, or the fragment has no ``x-field``.
    """
    _active(doc, key)
    if not new_fragment.get("x-field"):
        raise EvolutionError("evolution_bad_fragment", path=("properties", key), field=key)
    result = _copy(doc)
    old = result["properties"][key]
    carried = {kw: old[kw] for kw in _CARRIED if kw in old}
    result["properties"][key] = {**carried, **copy.deepcopy(dict(new_fragment))}
    return result


def same_json(a: Any, b: Any) -> bool:
    """Equal as stored JSON: ``1`` and ``1.0`` and ``True`` differ, dict order does not."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def is_empty(value: Any) -> bool:
    """No value: missing/``null``, ``""``, ``[]`` or ``{}`` (what "required" refuses)."""
    return value is None or (isinstance(value, str | list | dict) and not value)


# --- impact on stored values ----------------------------------------------------------

_RULE_NAMES = {
    "maxLength": ("too long", "过长"),
    "minLength": ("too short", "过短"),
    "maximum": ("too large", "过大"),
    "exclusiveMaximum": ("too large", "过大"),
    "minimum": ("too small", "过小"),
    "exclusiveMinimum": ("too small", "过小"),
    "enum": ("not an option", "不在选项中"),
    "const": ("not an option", "不在选项中"),
    "pattern": ("wrong format", "格式不符"),
    "format": ("wrong format", "格式不符"),
    "type": ("wrong kind of value", "值的类型不符"),
    "multipleOf": ("not a multiple of the step", "不是步长的整数倍"),
    "maxItems": ("too many items", "项数过多"),
    "minItems": ("too few items", "项数过少"),
    "uniqueItems": ("repeated items", "有重复项"),
    "other": ("other rules", "其他规则"),
}
register_messages(
    {f"evolution_rule_{kw}": {"en": en, "zh-CN": zh} for kw, (en, zh) in _RULE_NAMES.items()}
)
register_messages(
    {
        "evolution_plan_not_convert": {
            "en": "{failing} of {total} values of “{field}” would not convert, e.g. {examples}",
            "zh-CN": "“{field}”有 {failing}/{total} 个值无法转换，例如 {examples}",
        },
        "evolution_plan_breaks_rules": {
            "en": "{failing} of {total} values of “{field}” break the new rules ({rules}), "
            "e.g. {examples}",
            "zh-CN": "“{field}”有 {failing}/{total} 个值不符合新规则（{rules}），例如 {examples}",
        },
        "evolution_plan_duplicates": {
            "en": "{failing} values of “{field}” repeat other values, so it cannot be unique, "
            "e.g. {examples}",
            "zh-CN": "“{field}”有 {failing} 个值与其他值重复，无法设为唯一，例如 {examples}",
        },
        "evolution_plan_required_missing": {
            "en": "{missing} records have no value for “{field}”, which becomes required, "
            "e.g. {examples}; give it a default value",
            "zh-CN": "“{field}”改为必填，但有 {missing} 条数据没有值，例如 {examples}；"
            "请设置默认值",
        },
        "evolution_plan_required_default": {
            "en": "{missing} records have no value for “{field}”; they get the default {default}",
            "zh-CN": "有 {missing} 条数据的“{field}”没有值，将填入默认值 {default}",
        },
        "evolution_plan_archived": {
            "en": "“{field}” is archived: its {count} values are kept, hidden",
            "zh-CN": "“{field}”将被归档：保留 {count} 个值（隐藏）",
        },
        "evolution_plan_restored": {
            "en": "“{field}” is restored with its {count} kept values",
            "zh-CN": "“{field}”将被恢复，保留的 {count} 个值重新显示",
        },
        "evolution_plan_converts": {
            "en": "All {total} values of “{field}” fit; {changed} are rewritten",
            "zh-CN": "“{field}”的 {total} 个值全部符合，其中 {changed} 个将被改写",
        },
    }
)

ValuesByField = Callable[[str], Iterable[tuple[int, Any]]]
Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class ValueExample:
    """A stored value that blocks a change; ``reason`` is ``convert``, ``required``,
    ``unique`` or the JSON Schema keyword it breaks (``maxLength``, ``enum`` …)."""

    record_id: int
    value: Any
    reason: str


@dataclass(frozen=True)
class FieldImpact:
    """What a change does to the stored values of one field.

    Attributes:
        kind: ``archive``, ``restore``, ``convert`` (type changed), ``check`` (rules
            tightened) or ``add`` (a new required field).
        values: Stored, non-empty values looked at (kept, for archive/restore).
        failing: Values (or records lacking one) that block the change.
        reasons: ``failing`` broken down by reason.
        converted: Record id → value to write; empty unless nothing fails. Holds the
            values whose stored JSON changes, and default fills.
        missing: Records without a value for a field that became required.
    """

    key: str
    titles: Mapping[str, str]
    kind: str
    values: int
    failing: int = 0
    reasons: Mapping[str, int] = field(default_factory=dict)
    examples: tuple[ValueExample, ...] = ()
    converted: Mapping[int, Any] = field(default_factory=dict)
    missing: int = 0
    default: Any = None

    @property
    def ok(self) -> bool:
        return self.failing == 0

    def title(self, locale: str | None = None) -> str:
        return self.titles.get(normalise_locale(locale)) or self.titles.get("en") or self.key


@dataclass(frozen=True)
class MigrationPlan:
    diff: FormDiff
    fields: tuple[FieldImpact, ...]

    @property
    def ok(self) -> bool:
        return self.diff.ok and all(impact.ok for impact in self.fields)

    def field(self, key: str) -> FieldImpact:
        return next(impact for impact in self.fields if impact.key == key)

    def writes(self) -> dict[int, dict[str, Any]]:
        """Record id → {key: new value}; empty when the plan is not ``ok``."""
        result: dict[int, dict[str, Any]] = {}
        for impact in self.fields if self.ok else ():
            for record_id, value in impact.converted.items():
                result.setdefault(record_id, {})[impact.key] = value
        return result

    def summary(self, locale: str | None = None) -> list[str]:
        """One line per problem and per affected field, in ``locale``."""
        lines = [problem.message(locale) for problem in self.diff.problems]
        for impact in self.fields:
            lines += _describe(impact, locale)
        return lines


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return f"“{value[:30]}…”" if len(value) > 30 else f"“{value}”"
    text = json.dumps(value, ensure_ascii=False)
    return text[:30] + "…" if len(text) > 30 else text


def _describe(impact: FieldImpact, locale: str | None) -> list[str]:
    sep = "、" if normalise_locale(locale) == "zh-CN" else ", "
    reasons = dict(impact.reasons)
    rules = {kw: n for kw, n in reasons.items() if kw not in ("convert", "required", "unique")}

    def examples(*wanted: str) -> str:
        chosen = [
            e for e in impact.examples if e.reason in wanted or (not wanted and e.reason in rules)
        ]
        return sep.join(
            f"#{e.record_id}" if e.reason == "required" else f"#{e.record_id} {_quote(e.value)}"
            for e in chosen[:3]
        )

    found: list[tuple[str, dict[str, Any]]] = []
    if impact.kind in ("archive", "restore"):
        found.append((f"evolution_plan_{impact.kind}d", {"count": impact.values}))
    if reasons.get("convert"):
        failing = reasons["convert"]
        found.append(
            ("evolution_plan_not_convert", {"failing": failing, "examples": examples("convert")})
        )
    if rules:
        names = (
            render(f"evolution_rule_{kw if kw in _RULE_NAMES else 'other'}", locale) for kw in rules
        )
        params = {"failing": sum(rules.values()), "rules": sep.join(dict.fromkeys(names))}
        found.append(("evolution_plan_breaks_rules", {**params, "examples": examples()}))
    if reasons.get("unique"):
        found.append(
            (
                "evolution_plan_duplicates",
                {"failing": reasons["unique"], "examples": examples("unique")},
            )
        )
    if reasons.get("required"):
        found.append(("evolution_plan_required_missing", {"examples": examples("required")}))
    elif impact.missing:
        found.append(("evolution_plan_required_default", {"default": _quote(impact.default)}))
    if impact.ok and impact.kind in ("convert", "check"):
        found.append(
            ("evolution_plan_converts", {"changed": len(impact.converted) - impact.missing})
        )
    common = {"field": impact.title(locale), "total": impact.values, "missing": impact.missing}
    return [render(code, locale, **{**common, **params}) for code, params in found]


def _check(
    key: str,
    fragment: Mapping[str, Any],
    kind: str,
    values: Iterable[tuple[int, Any]],
    converter: Converter | None,
    *,
    required_now: bool,
    errors: tuple[type[Exception], ...],
    max_examples: int,
) -> FieldImpact:
    validator = Draft202012Validator(_bare(fragment))
    default, has_default = fragment.get("default"), "default" in fragment
    has_default = has_default and not is_empty(default) and validator.is_valid(default)
    unique = bool(fragment.get("x-unique"))
    reasons: dict[str, int] = {}
    examples: list[ValueExample] = []
    converted: dict[int, Any] = {}
    seen: set[str] = set()
    count = missing = 0

    def fail(record_id: int, value: Any, reason: str) -> None:
        reasons[reason] = reasons.get(reason, 0) + 1
        if len(examples) < max_examples:
            examples.append(ValueExample(record_id, value, reason))

    for record_id, value in values:
        if is_empty(value):
            if required_now:
                missing += 1
                if has_default:
                    converted[record_id] = copy.deepcopy(default)
                else:
                    fail(record_id, value, "required")
            continue
        count += 1
        new = value
        if converter is not None:
            try:
                new = converter(value)
            except errors:
                fail(record_id, value, "convert")
                continue
        broken = best_match(validator.iter_errors(new))
        if broken is not None:
            fail(record_id, value, str(broken.validator))
            continue
        token = json.dumps(new, sort_keys=True)
        if unique and token in seen:
            fail(record_id, value, "unique")
            continue
        seen.add(token)
        if not same_json(value, new):
            converted[record_id] = new
    failing = sum(reasons.values())
    return FieldImpact(
        key,
        titles_of(fragment, key),
        kind,
        count,
        failing,
        reasons,
        tuple(examples),
        {} if failing else converted,
        missing,
        default if has_default else None,
    )


def plan_migration(
    old_doc: Mapping[str, Any],
    new_doc: Mapping[str, Any],
    values_by_field: ValuesByField,
    converters: Mapping[str, Converter],
    *,
    conversion_errors: tuple[type[Exception], ...] = (ValueError,),
    max_examples: int = 5,
) -> MigrationPlan:
    """Run every stored value that a change touches through the new field's rules.

    Args:
        values_by_field: ``key -> (record id, stored value)`` for EVERY live record of
            the form, ``None`` where a record has no value (what a JSON path query on
            the records gives). Called once per affected field.
        converters: Field type (the new ``x-field``) → converter; a converter raises one
            of ``conversion_errors`` for a value it cannot convert.
        conversion_errors: What a converter raises for a value that does not convert.
        max_examples: Examples kept per field.

    Raises:
        EvolutionError: a type changed and no converter is given for the new type.
    """
    diff = diff_forms(old_doc, new_doc)
    props = _props(new_doc)
    type_changed = {c.key for c in diff.of_type(TypeChanged)}
    tightened: dict[str, set[str]] = {}
    for change in diff.of_type(ConstraintsChanged):
        tightened[change.key] = {c.keyword for c in change.changes if c.tightens}
    added = {c.key for c in diff.of_type(FieldAdded)}
    restored = {c.key for c in diff.of_type(FieldRestored)}
    impacts: list[FieldImpact] = []
    for change in diff.of_type(FieldArchived):
        kept = sum(not is_empty(value) for _, value in values_by_field(change.key))
        archived = dict(new_doc.get("x-archived") or {})[change.key]
        impacts.append(FieldImpact(change.key, titles_of(archived, change.key), "archive", kept))
    for key in _order(new_doc):
        required_now = "required" in tightened.get(key, ()) or (
            key in added and key in set(new_doc.get("required") or ())
        )
        rules = bool(tightened.get(key)) or key in type_changed
        if not (rules or required_now or key in restored):
            continue
        kind = "restore" if key in restored else "convert" if key in type_changed else "check"
        kind = "add" if key in added else kind
        converter = None
        if key in type_changed:
            new_type = props[key].get("x-field") or props[key].get("type")
            converter = converters.get(str(new_type))
            if converter is None:
                raise EvolutionError(
                    "evolution_no_converter", path=("properties", key), type=new_type
                )
        impacts.append(
            _check(
                key,
                props[key],
                kind,
                values_by_field(key),
                converter,
                required_now=required_now,
                errors=conversion_errors,
                max_examples=max_examples,
            )
        )
    return MigrationPlan(diff, tuple(impacts))

"""Tier scheme documents: their shape, their checks, and the compiled form SQL uses.

A scheme document (format ``version`` 1)::

    {"version": 1,
     "tiers": [{"key": "gold", "name": {"en": "Gold", "zh-CN": "金卡"}, "color": "#d4af37",
                "condition": {">=": [{"var": "metrics.total_spent"}, 5000]}}, …],
     "fallback": {"key": "bronze", "name": {"en": "Bronze", "zh-CN": "铜卡"},
                  "color": "#cd7f32"}}

Tiers are tried in order and the first whose condition holds wins; customers matching
none get the fallback. Conditions use the one condition language over the target form's
fields and the customer's metrics, named ``metrics.<name>`` (``formwork.value.catalog``).
``check_scheme`` reports every problem at once, each with a JSON pointer (``/tiers/0/color``,
``/field``, ``/schedule``) and a message in English and Chinese.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from form_engine.conditions import Condition, ConditionError, parse_condition
from form_engine.conditions.errors import pointer
from form_engine.conditions.nodes import EVENT_OPERATORS as EVENTS
from form_engine.conditions.nodes import Op, uses_event_operators, walk
from form_engine.messages import render
from formwork.models import CustomerMetrics, Form
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.value import tier_messages  # noqa: F401 - registers the tier_* messages
from formwork.value.catalog import METRIC_PREFIX, METRICS
from workflow_engine.cron import parse_cron
from workflow_engine.errors import AutomationError

CURRENT_VERSION = 1
# MIGRATIONS[n] turns a version-n document into version n + 1 (none yet: v1 is the first).
MIGRATIONS: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = MappingProxyType({})
MAX_TIERS = 20
MAX_KEY = 64
MAX_NAME = 100
DOCUMENT_MAX_CHARS = 100_000
TARGET_TYPES = ("text", "select")
NAME_LOCALES = ("en", "zh-CN")
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# Tier keys are what the target field stores and what history and automations compare:
# any text without control characters or surrounding spaces.
BAD_KEY_CHARS = re.compile(r"[\x00-\x1f\x7f]")

# The variables tier conditions may read beside the form's fields, and their columns.
METRIC_KINDS: Mapping[str, str] = MappingProxyType(
    {METRIC_PREFIX + metric.name: metric.kind for metric in METRICS}
)
METRIC_COLUMNS: Mapping[str, ColumnElement[Any]] = MappingProxyType(
    {METRIC_PREFIX + metric.name: getattr(CustomerMetrics, metric.name) for metric in METRICS}
)


@dataclass(frozen=True)
class TierProblem:
    """One problem of a scheme: a JSON pointer, a registered code and its parameters.

    ``error`` holds the engine's own error (a condition or crontab problem) when the
    problem comes from one; its message is then the engine's, re-rooted at ``path``.
    """

    path: tuple[str | int, ...]
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    suggestion: str | None = None
    error: ConditionError | AutomationError | None = None

    @property
    def pointer(self) -> str:
        return pointer(self.path) if self.path else ""

    def message_in(self, locale: str | None) -> str:
        """The message in ``en`` or ``zh-CN`` (other locales fall back to English)."""
        if self.error is not None:
            return str(self.error.message_in(locale))
        return render(
            self.code, locale, where=pointer(self.path), suggestion=self.suggestion, **self.params
        )


def as_problem(path: tuple[str | int, ...], error: ConditionError | AutomationError) -> TierProblem:
    """An engine error (condition, crontab) as a scheme problem, its path under ``path``."""
    full = (*path, *error.path)
    params = dict(error.params)
    rerooted = type(error)(error.code, path=full, suggestion=error.suggestion, **params)
    return TierProblem(full, error.code, params, error.suggestion, rerooted)


def problem_dicts(problems: list[TierProblem], locale: str) -> list[dict[str, str]]:
    """``[{"path": "/tiers/0/color", "code": ..., "message": ...}]`` for pages and the API."""
    return [{"path": p.pointer, "code": p.code, "message": p.message_in(locale)} for p in problems]


# -- compiled -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Tier:
    key: str
    name: Mapping[str, str]
    color: str
    condition: Condition | None  # None: the fallback

    def title(self, locale: str) -> str:
        """The name in ``locale``, else in the other language, else the key."""
        other = "en" if locale == "zh-CN" else "zh-CN"
        return self.name.get(locale) or self.name.get(other) or self.key


@dataclass(frozen=True)
class CompiledScheme:
    """A checked scheme ready for SQL: its form, target field, tiers and fallback."""

    form: Form
    runtime: FormRuntime
    field_key: str
    tiers: tuple[Tier, ...]
    fallback: Tier

    @property
    def all_tiers(self) -> tuple[Tier, ...]:
        """The tiers in rank order, the fallback last."""
        return (*self.tiers, self.fallback)

    @property
    def fields(self) -> dict[str, str]:
        """What conditions may read: the form's fields and the metrics."""
        return {**self.runtime.kinds, **METRIC_KINDS}


def upgrade(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document at ``CURRENT_VERSION`` (a deep copy; a missing version means 1).

    Raises:
        ValueError: the version is not an integer from 1 to ``CURRENT_VERSION``.
    """
    version = document.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError("version")
    if not 1 <= version <= CURRENT_VERSION:
        raise ValueError("version")
    result = copy.deepcopy(dict(document))
    while version < CURRENT_VERSION:
        result = MIGRATIONS[version](result)
        version += 1
    result["version"] = CURRENT_VERSION
    return result


def check_scheme(
    session: Session,
    workspace_id: int,
    form: Form | None,
    field_key: Any,
    document: Any,
    schedule: Any,
) -> list[TierProblem]:
    """Every problem of a scheme for ``form`` writing into ``field_key`` (empty: fine).

    Checks the document's shape (1-20 tiers, unique keys, names, #rrggbb colours, a
    fallback), each condition with the condition parser against the form's fields and
    the metrics (its own messages, with "did you mean"), that the target is a text or
    select field of the form whose options cover every tier key, and the crontab.
    """
    problems: list[TierProblem] = []
    runtime = _target(session, workspace_id, form, field_key, problems)
    fields = {**runtime.kinds, **METRIC_KINDS} if runtime is not None else None
    keys = _document(document, fields, problems)
    if runtime is not None and keys:
        _target_fits(runtime, str(field_key), keys, problems)
    _schedule(schedule, problems)
    return problems


def compile_scheme(
    session: Session, workspace_id: int, form: Form | None, field_key: str, document: Any
) -> CompiledScheme:
    """The checked scheme, compiled.

    Raises:
        SchemeProblems: the scheme does not fit (every problem listed).
    """
    problems = check_scheme(session, workspace_id, form, field_key, document, None)
    if problems:
        raise SchemeProblems(problems)
    assert form is not None
    runtime = runtime_for(session, form)
    fields = {**runtime.kinds, **METRIC_KINDS}
    doc = upgrade(document)
    tiers = tuple(
        Tier(
            tier["key"],
            MappingProxyType(_names(tier["name"])),
            tier["color"],
            parse_condition(tier["condition"], fields=fields),
        )
        for tier in doc["tiers"]
    )
    fb = doc["fallback"]
    fallback = Tier(fb["key"], MappingProxyType(_names(fb["name"])), fb["color"], None)
    return CompiledScheme(form, runtime, field_key, tiers, fallback)


class SchemeProblems(Exception):
    """A scheme does not fit its form (raised where a checked scheme is required)."""

    def __init__(self, problems: list[TierProblem]) -> None:
        super().__init__(problems[0].message_in("en") if problems else "invalid tier scheme")
        self.problems = problems


# -- the parts ----------------------------------------------------------------------------
def _suggest(name: str, known: list[str]) -> str | None:
    found = difflib.get_close_matches(name[:64], sorted(known), n=1, cutoff=0.6)
    return found[0] if found else None


def _target(
    session: Session,
    workspace_id: int,
    form: Form | None,
    field_key: Any,
    problems: list[TierProblem],
) -> FormRuntime | None:
    if form is None or form.workspace_id != workspace_id or form.published_version is None:
        problems.append(TierProblem(("form",), "tier_form_missing"))
        return None
    runtime = runtime_for(session, form)
    if not isinstance(field_key, str) or not field_key:
        problems.append(TierProblem(("field",), "tier_field_missing"))
        return runtime
    specs = {key: (schema, kind) for key, schema, kind in runtime.compiled.fields}
    if field_key not in specs or field_key not in runtime.kinds:
        data_keys = [key for key in specs if key in runtime.kinds]
        hint = _suggest(field_key, data_keys)
        code = "tier_field_unknown_hint" if hint else "tier_field_unknown"
        problems.append(TierProblem(("field",), code, {"name": field_key[:64]}, hint))
        return runtime
    schema, kind = specs[field_key]
    if kind.key not in TARGET_TYPES or kind.computed or schema.get("readOnly"):
        problems.append(
            TierProblem(("field",), "tier_field_type", {"name": field_key, "type": kind.key})
        )
    return runtime


def _target_fits(
    runtime: FormRuntime, field_key: str, keys: list[str], problems: list[TierProblem]
) -> None:
    """A select field must offer every key; a text field must be long enough."""
    specs = {key: (schema, kind) for key, schema, kind in runtime.compiled.fields}
    if field_key not in specs or field_key not in runtime.kinds:
        return
    schema, kind = specs[field_key]
    if kind.key == "select":
        options = schema.get("enum")
        offered = set(options) if isinstance(options, list) else set()
        missing = [key for key in keys if key not in offered]
        if missing:
            shown = ", ".join(f"“{key}”" for key in missing[:10])
            params = {"name": field_key, "keys": shown}
            problems.append(TierProblem(("field",), "tier_field_options", params))
    elif kind.key == "text":
        limit = schema.get("maxLength")
        if isinstance(limit, int) and not isinstance(limit, bool):
            for key in keys:
                if len(key) > limit:
                    params = {"name": field_key, "max": limit, "key": key}
                    problems.append(TierProblem(("field",), "tier_field_too_short", params))
                    break


def _document(
    document: Any, fields: Mapping[str, str] | None, problems: list[TierProblem]
) -> list[str]:
    """Check the document; returns the tier keys (fallback last) that are well formed."""
    if not isinstance(document, Mapping) or not all(isinstance(k, str) for k in document):
        problems.append(TierProblem((), "tier_not_object"))
        return []
    try:
        too_large = len(json.dumps(document)) > DOCUMENT_MAX_CHARS
    except (TypeError, ValueError):
        problems.append(TierProblem((), "tier_not_object"))
        return []
    if too_large:
        problems.append(TierProblem((), "tier_too_large"))
        return []
    try:
        upgrade(document)
    except ValueError:
        problems.append(TierProblem(("version",), "tier_bad_version", {"current": CURRENT_VERSION}))
        return []
    _keys(document, (), ("version", "tiers", "fallback"), ("tiers", "fallback"), problems)
    keys: list[str] = []
    seen: set[str] = set()
    tiers = document.get("tiers")
    if "tiers" in document:
        if not isinstance(tiers, list):
            problems.append(TierProblem(("tiers",), "tier_not_list"))
        else:
            if not 1 <= len(tiers) <= MAX_TIERS:
                params = {"max": MAX_TIERS, "count": len(tiers)}
                problems.append(TierProblem(("tiers",), "tier_count", params))
            for index, tier in enumerate(tiers[: MAX_TIERS * 2]):
                key = _tier(tier, ("tiers", index), fields, seen, problems, with_condition=True)
                if key is not None:
                    keys.append(key)
    if "fallback" in document:
        key = _tier(document["fallback"], ("fallback",), fields, seen, problems)
        if key is not None:
            keys.append(key)
    return keys


def _keys(
    obj: Mapping[str, Any],
    path: tuple[str | int, ...],
    allowed: tuple[str, ...],
    required: tuple[str, ...],
    problems: list[TierProblem],
) -> None:
    for name in obj:
        if name not in allowed:
            hint = _suggest(name, list(allowed))
            code = "tier_unknown_key_hint" if hint else "tier_unknown_key"
            problems.append(TierProblem((*path, name), code, {"name": name[:50]}, hint))
    for name in required:
        if name not in obj:
            problems.append(TierProblem(path, "tier_missing", {"name": name}))


def _tier(
    tier: Any,
    path: tuple[str | int, ...],
    fields: Mapping[str, str] | None,
    seen: set[str],
    problems: list[TierProblem],
    *,
    with_condition: bool = False,
) -> str | None:
    if not isinstance(tier, Mapping) or not all(isinstance(k, str) for k in tier):
        problems.append(TierProblem(path, "tier_entry_not_object"))
        return None
    allowed = ("key", "name", "color", "condition") if with_condition else ("key", "name", "color")
    _keys(tier, path, allowed, (), problems)
    key = tier.get("key")
    good_key: str | None = None
    if not isinstance(key, str) or not _good_key(key):
        problems.append(TierProblem((*path, "key"), "tier_key_bad", {"max": MAX_KEY}))
    elif key in seen:
        problems.append(TierProblem((*path, "key"), "tier_key_duplicate", {"key": key}))
    else:
        seen.add(key)
        good_key = key
    _name(tier.get("name"), (*path, "name"), problems)
    color = tier.get("color")
    if not isinstance(color, str) or not COLOR.fullmatch(color):
        shown = color[:20] if isinstance(color, str) else json.dumps(color)[:20]
        problems.append(TierProblem((*path, "color"), "tier_color_bad", {"value": shown}))
    if with_condition:
        _condition(tier, path, fields, problems)
    return good_key


def _good_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY and key == key.strip() and BAD_KEY_CHARS.search(key) is None


def _names(name: Any) -> dict[str, str]:
    if not isinstance(name, Mapping):
        return {}
    return {
        locale: name[locale].strip()
        for locale in NAME_LOCALES
        if isinstance(name.get(locale), str) and name[locale].strip()
    }


def _name(name: Any, path: tuple[str | int, ...], problems: list[TierProblem]) -> None:
    if not isinstance(name, Mapping) or any(
        locale not in NAME_LOCALES or not isinstance(text, str) for locale, text in name.items()
    ):
        problems.append(TierProblem(path, "tier_name_bad"))
        return
    if not _names(name):
        problems.append(TierProblem((*path, "en"), "tier_name_missing"))
    for locale, text in name.items():
        if len(text.strip()) > MAX_NAME:
            problems.append(TierProblem((*path, locale), "tier_name_too_long", {"max": MAX_NAME}))


def _condition(
    tier: Mapping[str, Any],
    path: tuple[str | int, ...],
    fields: Mapping[str, str] | None,
    problems: list[TierProblem],
) -> None:
    spot = (*path, "condition")
    if tier.get("condition") is None:
        problems.append(TierProblem(spot, "tier_condition_missing"))
        return
    if fields is None:
        return  # no form to check against yet: its problem is reported on its own
    try:
        parsed = parse_condition(tier["condition"], fields=fields)
    except ConditionError as exc:
        problems.append(as_problem(spot, exc))
        return
    if uses_event_operators(parsed):
        # changed/was compare one event's before and after: a scheme has no event.
        name = next(n.name for n in walk(parsed) if isinstance(n, Op) and n.name in EVENTS)
        problems.append(as_problem(spot, ConditionError("condition_event_only", name=name)))


def _schedule(schedule: Any, problems: list[TierProblem]) -> None:
    if schedule is None or schedule == "":
        return
    if not isinstance(schedule, str):
        problems.append(TierProblem(("schedule",), "tier_schedule_bad"))
        return
    try:
        parse_cron(schedule)
    except AutomationError as exc:
        problems.append(as_problem(("schedule",), exc))

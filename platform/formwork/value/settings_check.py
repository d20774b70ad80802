# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""Checks of the customer-value settings document against the workspace's forms.

Every problem is reported at once, each with a JSON pointer into the document, a code and
its message in English and Chinese (registered in the engines' message catalogue, like
record errors), e.g. ``/orders/amount: The field “amount” of the form “orders” is not a
number field.``
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session

from form_engine.messages import SUPPORTED_LOCALES, register_messages, render
from formwork.models import Form
from formwork.services.form_runtime import runtime_for
from formwork.value.catalog import DEFAULT_SEGMENT_GRID, SEGMENTS

register_messages(
    {
        "value_not_object": {
            "en": "Expected a group of settings (an object).",
            "zh-CN": "此处应为一组设置（对象）。",
        },
        "value_required": {"en": "This setting is required.", "zh-CN": "此项为必填。"},
        "value_unknown_key": {
            "en": "Unknown setting “{key}”.",
            "zh-CN": "无法识别的设置项“{key}”。",
        },
        "value_bad_version": {
            "en": "Settings format version {version} is not supported; use 1.",
            "zh-CN": "不支持设置格式版本 {version}，请使用 1。",
        },
        "value_too_large": {
            "en": "These settings are too large to save.",
            "zh-CN": "设置内容过大，无法保存。",
        },
        "value_not_key": {
            "en": "Expected the key of a form or field (text).",
            "zh-CN": "此处应为表单或字段的标识（文本）。",
        },
        "value_form_missing": {
            "en": "There is no form “{form}” in this workspace.",
            "zh-CN": "本工作区中没有表单“{form}”。",
        },
        "value_form_unpublished": {
            "en": "The form “{form}” is not published yet.",
            "zh-CN": "表单“{form}”尚未发布。",
        },
        "value_form_archived": {
            "en": "The form “{form}” is archived.",
            "zh-CN": "表单“{form}”已归档。",
        },
        "value_customer_form_reused": {
            "en": "The form “{form}” is the customer form; choose another form here.",
            "zh-CN": "表单“{form}”是客户表单，此处请选择其他表单。",
        },
        "value_field_missing": {
            "en": "The form “{form}” has no field “{field}”.",
            "zh-CN": "表单“{form}”中没有字段“{field}”。",
        },
        "value_not_link": {
            "en": "The field “{field}” of the form “{form}” is not a link to the customer "
            "form “{customers}”.",
            "zh-CN": "表单“{form}”的字段“{field}”不是关联到客户表单“{customers}”的关联数据字段。",
        },
        "value_not_amount": {
            "en": "The field “{field}” of the form “{form}” is not a number field.",
            "zh-CN": "表单“{form}”的字段“{field}”不是数字字段。",
        },
        "value_not_date": {
            "en": "The field “{field}” of the form “{form}” is not a date field.",
            "zh-CN": "表单“{form}”的字段“{field}”不是日期字段。",
        },
        "value_not_score": {
            "en": "The field “{field}” of the form “{form}” is not a number, rating or NPS field.",
            "zh-CN": "表单“{form}”的字段“{field}”不是数字、评分或 NPS 字段。",
        },
        "value_not_resolved_field": {
            "en": "The field “{field}” of the form “{form}” cannot tell whether a complaint "
            "is resolved: use a checkbox, select or text field.",
            "zh-CN": "表单“{form}”的字段“{field}”无法表示投诉是否已解决，"
            "请使用复选框、单选或文本字段。",
        },
        "value_resolved_values": {
            "en": "List the values of “{field}” that mean resolved (at least one).",
            "zh-CN": "请列出字段“{field}”中表示已解决的取值（至少一个）。",
        },
        "value_not_option": {
            "en": "“{value}” is not an option of the field “{field}”.",
            "zh-CN": "“{value}”不是字段“{field}”的选项。",
        },
        "value_number_range": {
            "en": "Enter a number from {min} to {max}.",
            "zh-CN": "请输入 {min} 到 {max} 之间的数。",
        },
        "value_integer_range": {
            "en": "Enter a whole number from {min} to {max}.",
            "zh-CN": "请输入 {min} 到 {max} 之间的整数。",
        },
        "value_not_boolean": {"en": "Expected true or false.", "zh-CN": "此处应为是或否。"},
        "value_rfm_method": {
            "en": "Choose “quantiles” or “thresholds”.",
            "zh-CN": "请选择“quantiles”（按分位数）或“thresholds”（按阈值）。",
        },
        "value_thresholds": {
            "en": "Enter 4 cut points from 0 upwards, each larger than the one before.",
            "zh-CN": "请填写 4 个不小于 0 的分界值，且每个都大于前一个。",
        },
        "value_grid_cell": {
            "en": "“{cell}” is not a cell of the R×F grid (11 to 55).",
            "zh-CN": "“{cell}”不是 R×F 网格中的格子（11 到 55）。",
        },
        "value_unknown_segment": {
            "en": "Unknown segment “{segment}”.",
            "zh-CN": "无法识别的客户细分“{segment}”。",
        },
        "value_dormant_before_risk": {
            "en": "Days until dormant must be more than days until at risk ({at_risk}).",
            "zh-CN": "沉睡天数必须大于风险流失天数（{at_risk}）。",
        },
    }
)

DOCUMENT_MAX_CHARS = 50_000
PARTS = ("customers", "orders", "complaints", "surveys", "follow_ups")
# The keys of each part (which are required: see ``_Checker.part``).
PART_KEYS: dict[str, set[str]] = {
    "customers": {"form"},
    "orders": {"form", "link", "amount", "date"},
    "complaints": {"form", "link", "date", "resolved", "resolved_values"},
    "surveys": {"form", "link", "score", "date"},
    "follow_ups": {"form", "link", "date"},
}
TOP_KEYS = {"version", *PARTS, "clv", "rfm", "churn"}
# (min, max, integer only) of each number.
NUMBERS: dict[str, dict[str, tuple[float, float, bool]]] = {
    "clv": {
        "margin": (0, 1, False),
        "expected_years": (0, 50, False),
        "discount_rate": (0, 1, False),
        "horizon_days": (1, 3650, True),
    },
    "churn": {
        "interval_multiple": (1, 100, False),
        "at_risk_days": (1, 3650, True),
        "dormant_days": (1, 3650, True),
        "complaints_at_risk": (0, 1000, True),
    },
}
THRESHOLD_KEYS = ("recency_days", "frequency", "monetary")
AMOUNT_TYPES = {"number", "money", "percent", "rollup", "formula"}
SCORE_TYPES = {"number", "rating", "nps", "rollup", "formula"}
NUMERIC_KINDS = {"number", "integer"}

# part name → (form id, form key, field key → SQL kind), filled in by a clean check.
ResolvedForms = dict[str, tuple[int, str, dict[str, str]]]


@dataclass(frozen=True)
class Problem:
    """One problem with the settings: where (JSON pointer), what (code), its values."""

    path: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, locale: str | None = None) -> str:
        """The message in ``locale`` (``en`` or ``zh-CN``; others fall back to English)."""
        return render(self.code, locale, **self.params)

    @property
    def messages(self) -> dict[str, str]:
        """The message in every supported language: ``{"en": …, "zh-CN": …}``."""
        return {locale: self.message(locale) for locale in SUPPORTED_LOCALES}

    def as_dict(self, locale: str | None = None) -> dict[str, Any]:
        return {"path": self.path, "code": self.code, "message": self.message(locale)}

    def __str__(self) -> str:
        return f"{self.path}: {self.message('en')}"


class _Checker:
    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.problems: list[Problem] = []
        self.resolved: ResolvedForms = {}
        # field key -> (x-field type, sql kind, schema) per form key
        self.fields: dict[str, dict[str, tuple[str, str, Mapping[str, Any]]]] = {}
        # link field key -> target form key, per form key
        self.links: dict[str, dict[str, str]] = {}

    def add(self, path: str, code: str, **params: Any) -> None:
        self.problems.append(Problem(path, code, params))

    def mapping(self, value: Any, path: str, allowed: set[str]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, "value_not_object")
            return None
        for key in sorted(set(value) - allowed, key=str):
            self.add(f"{path}/{_escape(str(key))}", "value_unknown_key", key=key)
        return value

    # -- forms and fields --------------------------------------------------------------
    def form(self, part: str, spec: Mapping[str, Any]) -> str | None:
        key = spec.get("form")
        path = f"/{part}/form"
        if not isinstance(key, str) or not key:
            self.add(path, "value_required" if key in (None, "") else "value_not_key")
            return None
        form = self.session.scalar(
            select(Form).where(Form.workspace_id == self.workspace_id, Form.key == key)
        )
        if form is None:
            self.add(path, "value_form_missing", form=key)
            return None
        if form.archived_at is not None:
            self.add(path, "value_form_archived", form=key)
            return None
        if form.published_version is None:
            self.add(path, "value_form_unpublished", form=key)
            return None
        runtime = runtime_for(self.session, form)
        shapes: dict[str, tuple[str, str, Mapping[str, Any]]] = {
            name: (kind.key, runtime.kinds.get(name, "json"), schema)
            for name, schema, kind in runtime.compiled.fields
            if not kind.layout
        }
        self.fields[key] = shapes
        self.resolved[part] = (form.id, key, {name: shape[1] for name, shape in shapes.items()})
        self.links[key] = dict(runtime.links)
        return key

    def field(
        self, part: str, form: str, spec: Mapping[str, Any], name: str, required: bool
    ) -> tuple[str, str, Mapping[str, Any]] | None:
        key = spec.get(name)
        path = f"/{part}/{name}"
        if key is None or key == "":
            if required:
                self.add(path, "value_required")
            return None
        if not isinstance(key, str):
            self.add(path, "value_not_key")
            return None
        shape = self.fields[form].get(key)
        if shape is None:
            self.add(path, "value_field_missing", form=form, field=key)
        return shape

    def part(self, part: str, doc: Mapping[str, Any], customers: str | None) -> None:
        spec = self.mapping(doc.get(part), f"/{part}", PART_KEYS[part])
        if spec is None:
            return
        form = self.form(part, spec)
        if form is None or part == "customers":
            return
        if form == customers:
            self.add(f"/{part}/form", "value_customer_form_reused", form=form)
            return
        where = {"form": form}
        link = self.field(part, form, spec, "link", True)
        if link is not None and customers is not None:
            target = self.links[form].get(spec["link"])
            if link[0] != "link" or target != customers:
                self.add(
                    f"/{part}/link",
                    "value_not_link",
                    field=spec["link"],
                    customers=customers,
                    **where,
                )
        date = self.field(part, form, spec, "date", part == "orders")
        if date is not None and date[1] not in ("date", "datetime"):
            self.add(f"/{part}/date", "value_not_date", field=spec["date"], **where)
        if part == "orders":
            amount = self.field(part, form, spec, "amount", True)
            if amount is not None and not _numeric(amount, AMOUNT_TYPES):
                self.add("/orders/amount", "value_not_amount", field=spec["amount"], **where)
        if part == "surveys":
            score = self.field(part, form, spec, "score", True)
            if score is not None and not _numeric(score, SCORE_TYPES):
                self.add("/surveys/score", "value_not_score", field=spec["score"], **where)
        if part == "complaints":
            self.resolved_field(form, spec)

    def resolved_field(self, form: str, spec: Mapping[str, Any]) -> None:
        shape = self.field("complaints", form, spec, "resolved", False)
        if shape is None:
            return
        name = spec["resolved"]
        if shape[1] == "boolean":
            return
        if shape[1] != "text":
            self.add("/complaints/resolved", "value_not_resolved_field", form=form, field=name)
            return
        values = spec.get("resolved_values")
        path = "/complaints/resolved_values"
        if not isinstance(values, list) or not values:
            self.add(path, "value_resolved_values", field=name)
            return
        options = shape[2].get("enum")
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value:
                self.add(f"{path}/{i}", "value_resolved_values", field=name)
            elif isinstance(options, list) and value not in options:
                self.add(f"{path}/{i}", "value_not_option", value=value, field=name)

    # -- numbers -------------------------------------------------------------------------
    def number(self, group: str, spec: Mapping[str, Any], name: str) -> None:
        low, high, integer = NUMBERS[group][name]
        value = spec.get(name)
        ok = _is_number(value) and low <= value <= high
        if not (ok and _is_number(value) and (not integer or float(value).is_integer())):
            code = "value_integer_range" if integer else "value_number_range"
            self.add(f"/{group}/{name}", code, min=_plain(low), max=_plain(high))

    def rfm(self, spec: Mapping[str, Any]) -> None:
        if spec.get("method") not in ("quantiles", "thresholds"):
            self.add("/rfm/method", "value_rfm_method")
        thresholds = self.mapping(spec.get("thresholds"), "/rfm/thresholds", set(THRESHOLD_KEYS))
        for key in THRESHOLD_KEYS:
            cuts = thresholds.get(key) if thresholds is not None else []
            valid = (
                isinstance(cuts, list)
                and len(cuts) == 4
                and all(_is_number(c) and c >= 0 for c in cuts)
                and all(a < b for a, b in itertools.pairwise(cuts))
            )
            if not valid and thresholds is not None:
                self.add(f"/rfm/thresholds/{key}", "value_thresholds")
        grid = self.mapping(spec.get("grid"), "/rfm/grid", set(DEFAULT_SEGMENT_GRID))
        for cell, segment in (grid or {}).items():
            if cell not in DEFAULT_SEGMENT_GRID:
                continue  # reported as an unknown key
            if not isinstance(segment, str) or segment not in SEGMENTS:
                self.add(f"/rfm/grid/{cell}", "value_unknown_segment", segment=segment)


def check_settings(
    doc: Any, session: Session, workspace_id: int, *, resolved: ResolvedForms | None = None
) -> list[Problem]:
    """Every problem of ``doc`` (normalised: see ``settings.normalise``) against the
    workspace's forms. Empty when it is fine; then ``resolved`` (if given) holds the id,
    key and field kinds of each configured form, by part name."""
    checker = _Checker(session, workspace_id)
    doc_map = checker.mapping(doc, "", TOP_KEYS)
    if doc_map is None:
        return checker.problems
    try:
        size = len(json.dumps(doc_map))
    except (TypeError, ValueError):
        size = DOCUMENT_MAX_CHARS + 1
    if size > DOCUMENT_MAX_CHARS:
        return [Problem("", "value_too_large")]
    if doc_map.get("version") != 1:
        checker.add("/version", "value_bad_version", version=doc_map.get("version"))
    for part in ("customers", "orders"):
        if doc_map.get(part) is None:
            checker.add(f"/{part}", "value_required")
    customers: str | None = None
    if doc_map.get("customers") is not None:
        checker.part("customers", doc_map, None)
        if "customers" in checker.resolved:
            customers = checker.resolved["customers"][1]
    for part in PARTS[1:]:
        if doc_map.get(part) is not None:
            checker.part(part, doc_map, customers)
    for group in ("clv", "churn"):
        spec = checker.mapping(doc_map.get(group), f"/{group}", {*NUMBERS[group], "predictive"})
        if spec is None:
            continue
        for name in NUMBERS[group]:
            checker.number(group, spec, name)
        if group == "clv" and not isinstance(spec.get("predictive"), bool):
            checker.add("/clv/predictive", "value_not_boolean")
    churn = doc_map.get("churn")
    if isinstance(churn, Mapping):
        at_risk, dormant = churn.get("at_risk_days"), churn.get("dormant_days")
        if _is_number(at_risk) and _is_number(dormant) and dormant <= at_risk:
            checker.add("/churn/dormant_days", "value_dormant_before_risk", at_risk=at_risk)
    rfm = checker.mapping(doc_map.get("rfm"), "/rfm", {"method", "thresholds", "grid"})
    if rfm is not None:
        checker.rfm(rfm)
    if resolved is not None and not checker.problems:
        resolved.update(checker.resolved)
    return checker.problems


def _numeric(shape: tuple[str, str, Mapping[str, Any]], types: set[str]) -> bool:
    """A number field of one of ``types`` (a formula or rollup must compute a number)."""
    return shape[0] in types and shape[1] in NUMERIC_KINDS


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")

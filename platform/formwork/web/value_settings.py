"""The customer-value settings page's form: the choices it offers, the posted inputs turned
into the settings document, and problems (JSON pointers) placed next to their inputs.

Input names spell the document path with dots (``orders.amount``,
``rfm.thresholds.recency_days.0``, ``rfm.grid.51``), so a problem's pointer
(``/orders/amount``) names its input directly. Margin and discount rate are entered in
percent and stored as fractions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import HiddenField

from form_engine.dialect import label
from formwork.services import apps
from formwork.services.form_runtime import runtime_for
from formwork.services.scope import Actor
from formwork.value.catalog import DEFAULT_SEGMENT_GRID
from formwork.value.settings_check import AMOUNT_TYPES, SCORE_TYPES

OPTIONAL_PARTS = ("complaints", "surveys", "follow_ups")
# Each linked part's field inputs: (name, what the field must be, required).
PART_FIELDS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "orders": (("link", "link", True), ("amount", "amount", True), ("date", "date", True)),
    "complaints": (("link", "link", True), ("date", "date", False), ("resolved", "flag", False)),
    "surveys": (("link", "link", True), ("score", "score", True), ("date", "date", False)),
    "follow_ups": (("link", "link", True), ("date", "date", False)),
}
NUMERIC_KINDS = ("number", "integer")
THRESHOLDS = ("recency_days", "frequency", "monetary")
GRID_CELLS = [f"{r}{f}" for r in range(5, 0, -1) for f in range(1, 6)]
CLV_NUMBERS = ("margin", "expected_years", "discount_rate", "horizon_days")
CHURN_NUMBERS = ("interval_multiple", "at_risk_days", "dormant_days", "complaints_at_risk")
INTEGERS = {"clv.horizon_days", "churn.at_risk_days", "churn.dormant_days"}
INTEGERS |= {"churn.complaints_at_risk"}
PERCENTS = {"clv.margin", "clv.discount_rate"}
# Commas and semicolons, ASCII or full-width (as typed with a Chinese input method).
_LIST_SPLIT = re.compile("[,;\uff0c\uff1b\n]+")


class SettingsForm(FlaskForm):
    """CSRF and the revision the edit started from; the inputs are read by name."""

    revision = HiddenField()


@dataclass(frozen=True)
class FieldChoice:
    key: str
    title: str
    # The parts this field can play: link, amount, score, date, flag (the page offers it
    # there only; the settings checker has the last word).
    roles: tuple[str, ...]
    link: str | None


def field_roles(field_type: str, kind: str) -> tuple[str, ...]:
    """What a field of this type (``x-field``) and SQL kind can stand for."""
    roles = []
    if field_type == "link":
        roles.append("link")
    if kind in NUMERIC_KINDS and field_type in AMOUNT_TYPES:
        roles.append("amount")
    if kind in NUMERIC_KINDS and field_type in SCORE_TYPES:
        roles.append("score")
    if kind in ("date", "datetime"):
        roles.append("date")
    if kind in ("boolean", "text"):
        roles.append("flag")
    return tuple(roles)


@dataclass(frozen=True)
class FormChoice:
    key: str
    title: str
    fields: tuple[FieldChoice, ...]


def form_choices(session: Session, actor: Actor, locale: str) -> list[FormChoice]:
    """Published forms of the workspace with their data fields (layout items left out)."""
    found = []
    for form in apps.list_forms(session, actor):
        if form.published_version is None or form.archived_at is not None:
            continue
        runtime = runtime_for(session, form)
        fields = tuple(
            FieldChoice(
                key,
                label(schema, locale, key),
                field_roles(kind.key, runtime.kinds[key]),
                runtime.links.get(key),
            )
            for key, schema, kind in runtime.compiled.fields
            if key in runtime.kinds
        )
        found.append(FormChoice(form.key, label(runtime.document, locale, form.title), fields))
    return found


# -- document → inputs ------------------------------------------------------------------


def inputs_from_document(doc: Mapping[str, Any]) -> dict[str, str]:
    """The page's input values (text) for a settings document."""
    values: dict[str, str] = {}
    for part in ("customers", "orders", *OPTIONAL_PARTS):
        spec = doc.get(part)
        if not isinstance(spec, Mapping):
            continue
        values[f"{part}.form"] = str(spec.get("form") or "")
        for name, _role, _required in PART_FIELDS.get(part, ()):
            values[f"{part}.{name}"] = str(spec.get(name) or "")
        if part == "complaints":
            listed = spec.get("resolved_values") or []
            values["complaints.resolved_values"] = ", ".join(str(v) for v in listed)
    clv = doc.get("clv") if isinstance(doc.get("clv"), Mapping) else {}
    for name in CLV_NUMBERS:
        number = clv.get(name)
        if f"clv.{name}" in PERCENTS and isinstance(number, int | float):
            number = number * 100
        values[f"clv.{name}"] = plain(number)
    values["clv.predictive"] = "1" if clv.get("predictive", True) else ""
    rfm = doc.get("rfm") if isinstance(doc.get("rfm"), Mapping) else {}
    values["rfm.method"] = str(rfm.get("method") or "quantiles")
    thresholds = rfm.get("thresholds") if isinstance(rfm.get("thresholds"), Mapping) else {}
    for name in THRESHOLDS:
        cuts = thresholds.get(name) if isinstance(thresholds.get(name), list) else []
        for index in range(4):
            values[f"rfm.thresholds.{name}.{index}"] = plain(
                cuts[index] if index < len(cuts) else None
            )
    grid = rfm.get("grid") if isinstance(rfm.get("grid"), Mapping) else {}
    for cell in GRID_CELLS:
        values[f"rfm.grid.{cell}"] = str(grid.get(cell) or DEFAULT_SEGMENT_GRID[cell])
    churn = doc.get("churn") if isinstance(doc.get("churn"), Mapping) else {}
    for name in CHURN_NUMBERS:
        values[f"churn.{name}"] = plain(churn.get(name))
    return values


def plain(number: Any) -> str:
    """A number as people type it: ``100``, ``12.5``, never ``1e+06``."""
    if isinstance(number, bool) or not isinstance(number, int | float):
        return ""
    rounded = round(float(number), 9)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.9f}".rstrip("0")


# -- inputs → document ------------------------------------------------------------------


def document_from_inputs(posted: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The settings document the posted inputs describe, and the inputs that are not
    numbers where numbers are needed (by input name). Only known names are read."""
    errors: dict[str, list[str]] = {}

    def text(name: str) -> str:
        return str(posted.get(name) or "").strip()

    def number(name: str) -> float | int | None:
        raw = text(name).replace("\uff0c", "").replace(",", "")
        if not raw:
            errors.setdefault(name, []).append(str(_l("Enter a number.")))
            return None
        try:
            value = float(raw)
        except ValueError:
            errors.setdefault(name, []).append(str(_l("“%(text)s” is not a number.", text=raw)))
            return None
        if name in INTEGERS and value.is_integer():
            return int(value)
        if name in PERCENTS:
            return round(value / 100, 12)
        return int(value) if value.is_integer() and name.startswith("rfm.") else value

    doc: dict[str, Any] = {"version": 1, "customers": {"form": text("customers.form")}}
    for part in ("orders", *OPTIONAL_PARTS):
        form = text(f"{part}.form")
        if not form and part in OPTIONAL_PARTS:
            doc[part] = None
            continue
        spec: dict[str, Any] = {"form": form}
        for name, _role, required in PART_FIELDS[part]:
            value = text(f"{part}.{name}")
            if value or required:
                spec[name] = value
        if part == "complaints" and spec.get("resolved"):
            listed = _LIST_SPLIT.split(text("complaints.resolved_values"))
            spec["resolved_values"] = [v.strip() for v in listed if v.strip()]
        doc[part] = spec
    clv: dict[str, Any] = {name: number(f"clv.{name}") for name in CLV_NUMBERS}
    clv["predictive"] = bool(text("clv.predictive"))
    for name in PERCENTS:
        value = clv[name.split(".")[1]]
        if value is not None and not 0 <= value <= 1:
            errors.setdefault(name, []).append(str(_l("Enter a percentage from 0 to 100.")))
    doc["clv"] = clv
    doc["rfm"] = {
        "method": text("rfm.method"),
        "thresholds": {
            name: [number(f"rfm.thresholds.{name}.{i}") for i in range(4)] for name in THRESHOLDS
        },
        "grid": {cell: text(f"rfm.grid.{cell}") for cell in GRID_CELLS},
    }
    doc["churn"] = {name: number(f"churn.{name}") for name in CHURN_NUMBERS}
    return doc, errors


# -- problems → inputs ------------------------------------------------------------------


def known_names() -> set[str]:
    """Every input name and group name a problem can be shown next to."""
    names = {"customers", "customers.form", "orders", "clv", "rfm", "churn"}
    names |= {"rfm.method", "rfm.thresholds", "rfm.grid", "clv.predictive"}
    for part, fields in PART_FIELDS.items():
        names |= {part, f"{part}.form", *(f"{part}.{name}" for name, _r, _q in fields)}
    names.add("complaints.resolved_values")
    names |= {f"clv.{name}" for name in CLV_NUMBERS}
    names |= {f"churn.{name}" for name in CHURN_NUMBERS}
    for name in THRESHOLDS:
        names.add(f"rfm.thresholds.{name}")
        names |= {f"rfm.thresholds.{name}.{i}" for i in range(4)}
    names |= {f"rfm.grid.{cell}" for cell in GRID_CELLS}
    return names


def place_problems(problems: list[Any], locale: str) -> tuple[dict[str, list[str]], list[str]]:
    """Problems by the input (or group) they name, and those that name none."""
    names = known_names()
    placed: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in problems:
        message = problem.message(locale)
        name = ".".join(
            part.replace("~1", "/").replace("~0", "~") for part in problem.path.split("/")[1:]
        )
        while name and name not in names:
            name = name.rpartition(".")[0]
        if name:
            placed.setdefault(name, []).append(message)
        else:
            general.append(message)
    return placed, general

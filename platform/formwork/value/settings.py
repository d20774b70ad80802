"""The customer-value settings document (``ValueModel.settings``): its defaults, its
checks against the workspace's forms, the typed view the computations use, and saving.

Shape (version 1)::

    {"version": 1,
     "customers": {"form": "customers"},
     "orders": {"form": "orders", "link": "customer", "amount": "amount", "date": "ordered_on"},
     "complaints": {"form", "link", "date"?, "resolved"?, "resolved_values"?} | null,
     "surveys": {"form", "link", "score", "date"?} | null,
     "follow_ups": {"form", "link", "date"?} | null,
     "clv": {"margin", "expected_years", "discount_rate", "predictive", "horizon_days"},
     "rfm": {"method": "quantiles" | "thresholds",
             "thresholds": {"recency_days": [4], "frequency": [4], "monetary": [4]},
             "grid": {"RF": segment key}},
     "churn": {"interval_multiple", "at_risk_days", "dormant_days", "complaints_at_risk"}}

``clv``, ``rfm`` and ``churn`` (and each of their entries) may be left out: the defaults
fill them in. Problems carry a JSON pointer, a code and the message in English and
Chinese (the engines' message catalogue), so pages show each one next to its input.
The checks live in :mod:`formwork.value.settings_check`.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork.db import utcnow
from formwork.models import Form, ValueModel
from formwork.services import audit
from formwork.services.errors import Conflict, Invalid
from formwork.services.scope import Actor
from formwork.value.catalog import DEFAULT_SEGMENT_GRID
from formwork.value.settings_check import Problem, ResolvedForms, check_settings

__all__ = [
    "ChurnSettings",
    "ClvSettings",
    "Problem",
    "RfmSettings",
    "SettingsInvalid",
    "Source",
    "ValueSettings",
    "check_settings",
    "default_settings",
    "load",
    "normalise",
    "plays_a_part",
    "save",
]

log = logging.getLogger(__name__)

_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "customers": {"form": "customers"},
    "orders": {"form": "orders", "link": "customer", "amount": "amount", "date": "ordered_on"},
    "complaints": None,
    "surveys": None,
    "follow_ups": None,
    "clv": {
        "margin": 1.0,
        "expected_years": 3,
        "discount_rate": 0.1,
        "predictive": True,
        "horizon_days": 365,
    },
    "rfm": {
        "method": "quantiles",
        "thresholds": {
            "recency_days": [30, 90, 180, 365],
            "frequency": [2, 3, 5, 10],
            "monetary": [100, 500, 1000, 5000],
        },
        "grid": dict(DEFAULT_SEGMENT_GRID),
    },
    "churn": {
        "interval_multiple": 2.0,
        "at_risk_days": 90,
        "dormant_days": 180,
        "complaints_at_risk": 1,
    },
}


def default_settings() -> dict[str, Any]:
    """A fresh copy of the default document (forms ``customers`` and ``orders``)."""
    return copy.deepcopy(_DEFAULTS)


def normalise(doc: Any) -> Any:
    """``doc`` with the defaults filled in where it leaves ``clv``, ``rfm``, ``churn``, the
    optional sources or ``version`` out; anything else (unknown keys too) is kept as is
    for the checker to judge. Not a mapping: returned unchanged."""
    if not isinstance(doc, Mapping):
        return doc
    result: dict[str, Any] = copy.deepcopy(dict(doc))
    result.setdefault("version", 1)
    for key in ("complaints", "surveys", "follow_ups"):
        result.setdefault(key, None)
    for key in ("clv", "churn"):
        if key not in result or result[key] is None:
            result[key] = copy.deepcopy(_DEFAULTS[key])
        elif isinstance(result[key], Mapping):
            result[key] = {**_DEFAULTS[key], **result[key]}
    rfm = result.get("rfm")
    if rfm is None:
        result["rfm"] = copy.deepcopy(_DEFAULTS["rfm"])
    elif isinstance(rfm, Mapping):
        merged = {**copy.deepcopy(_DEFAULTS["rfm"]), **rfm}
        if isinstance(rfm.get("thresholds"), Mapping):
            merged["thresholds"] = {**_DEFAULTS["rfm"]["thresholds"], **rfm["thresholds"]}
        if isinstance(rfm.get("grid"), Mapping):
            merged["grid"] = {**DEFAULT_SEGMENT_GRID, **rfm["grid"]}
        result["rfm"] = merged
    return result


class SettingsInvalid(Invalid):
    """The settings document has problems; ``problems`` lists every one (nothing saved)."""

    def __init__(self, message: Any, problems: list[Problem]) -> None:
        super().__init__(message, field="settings")
        self.problems = problems


# -- the typed view ------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A form playing a part: its id and key, the link field to the customer form, and
    the fields read from it with their SQL kinds (``date`` or ``datetime`` for dates)."""

    form_id: int
    form_key: str
    link: str
    date: str | None = None
    date_kind: str | None = None
    amount: str | None = None
    score: str | None = None
    resolved: str | None = None
    # "boolean" (true = resolved) or "text" (a value in resolved_values = resolved)
    resolved_kind: str | None = None
    resolved_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClvSettings:
    margin: float
    expected_years: float
    discount_rate: float
    predictive: bool
    horizon_days: int


@dataclass(frozen=True)
class RfmSettings:
    method: str
    # Four ascending cut points each, keyed recency_days / frequency / monetary.
    thresholds: dict[str, tuple[float, ...]]
    grid: dict[str, str]


@dataclass(frozen=True)
class ChurnSettings:
    interval_multiple: float
    at_risk_days: int
    dormant_days: int
    # 0: unresolved complaints never make a customer at risk.
    complaints_at_risk: int


@dataclass(frozen=True)
class ValueSettings:
    """A checked settings document, resolved against the workspace's forms."""

    workspace_id: int
    revision: int
    document: dict[str, Any]
    customers_form_id: int
    customers_form_key: str
    orders: Source
    complaints: Source | None
    surveys: Source | None
    follow_ups: Source | None
    clv: ClvSettings
    rfm: RfmSettings
    churn: ChurnSettings

    def sources(self) -> list[tuple[str, Source]]:
        """The configured linked forms by part name (orders first)."""
        parts = [
            ("orders", self.orders),
            ("complaints", self.complaints),
            ("surveys", self.surveys),
            ("follow_ups", self.follow_ups),
        ]
        return [(name, source) for name, source in parts if source is not None]

    def role_form_ids(self) -> frozenset[int]:
        """Every form whose records change some customer's figures."""
        return frozenset({self.customers_form_id, *(s.form_id for _n, s in self.sources())})


def _build(
    workspace_id: int, revision: int, doc: dict[str, Any], forms: ResolvedForms
) -> ValueSettings:
    def source(part: str) -> Source | None:
        spec = doc.get(part)
        if not spec:
            return None
        form_id, form_key, kinds = forms[part]
        resolved = spec.get("resolved")
        return Source(
            form_id=form_id,
            form_key=form_key,
            link=spec["link"],
            date=spec.get("date"),
            date_kind=kinds.get(spec["date"]) if spec.get("date") else None,
            amount=spec.get("amount"),
            score=spec.get("score"),
            resolved=resolved,
            resolved_kind=(
                ("boolean" if kinds.get(resolved) == "boolean" else "text") if resolved else None
            ),
            resolved_values=tuple(spec.get("resolved_values") or ()),
        )

    clv, rfm, churn = doc["clv"], doc["rfm"], doc["churn"]
    orders = source("orders")
    assert orders is not None
    return ValueSettings(
        workspace_id=workspace_id,
        revision=revision,
        document=doc,
        customers_form_id=forms["customers"][0],
        customers_form_key=forms["customers"][1],
        orders=orders,
        complaints=source("complaints"),
        surveys=source("surveys"),
        follow_ups=source("follow_ups"),
        clv=ClvSettings(
            margin=float(clv["margin"]),
            expected_years=float(clv["expected_years"]),
            discount_rate=float(clv["discount_rate"]),
            predictive=bool(clv["predictive"]),
            horizon_days=int(clv["horizon_days"]),
        ),
        rfm=RfmSettings(
            method=rfm["method"],
            thresholds={k: tuple(float(x) for x in v) for k, v in rfm["thresholds"].items()},
            grid=dict(rfm["grid"]),
        ),
        churn=ChurnSettings(
            interval_multiple=float(churn["interval_multiple"]),
            at_risk_days=int(churn["at_risk_days"]),
            dormant_days=int(churn["dormant_days"]),
            complaints_at_risk=int(churn["complaints_at_risk"]),
        ),
    )


# -- loading -------------------------------------------------------------------------------


def load(session: Session, workspace_id: int, *, strict: bool = False) -> ValueSettings | None:
    """The workspace's settings resolved against its current forms; None when it has none.

    A stored document that no longer fits the forms (a form archived, a field removed since
    it was saved) gives None and a warning in the log, or with ``strict`` raises
    SettingsInvalid naming every problem — so a record save never fails because of it,
    while an admin's "recompute now" says what to correct.
    """
    model = session.get(ValueModel, workspace_id)
    if model is None:
        return None
    doc = normalise(model.settings)
    key = _resolved_key(session, workspace_id, model.revision, doc)
    found = _resolved.get(key) if key is not None else None
    if found is not None:
        return found
    forms: ResolvedForms = {}
    problems = check_settings(doc, session, workspace_id, resolved=forms)
    if problems:
        if strict:
            raise SettingsInvalid(
                _l("The customer-value settings no longer fit the forms; correct them."),
                problems,
            )
        log.warning(
            "customer-value settings of workspace %s do not fit its forms: %s",
            workspace_id,
            "; ".join(str(p) for p in problems),
        )
        return None
    settings = _build(workspace_id, model.revision, doc, forms)
    if key is not None:
        with _lock:
            if len(_resolved) >= RESOLVED_CACHE_SIZE:
                _resolved.clear()
            _resolved[key] = settings
    return settings


# Resolved settings by (database, workspace, revision, document, the forms' published
# versions): resolving reads every form's document; this key costs one small query.
# Published versions never change, so a new version or an archived form is a new key.
RESOLVED_CACHE_SIZE = 256
_resolved: dict[tuple[Any, ...], ValueSettings] = {}


def _resolved_key(
    session: Session, workspace_id: int, revision: int, doc: Any
) -> tuple[Any, ...] | None:
    if not isinstance(doc, Mapping):
        return None
    try:
        text = json.dumps(doc, sort_keys=True)
    except (TypeError, ValueError):
        return None
    keys = {
        part.get("form")
        for part in doc.values()
        if isinstance(part, Mapping) and isinstance(part.get("form"), str)
    }
    forms = session.execute(
        select(Form.id, Form.key, Form.published_version, Form.archived_at).where(
            Form.workspace_id == workspace_id, Form.key.in_(keys)
        )
    ).all()
    shape = tuple(sorted((row[0], row[1], row[2], row[3] is None) for row in forms))
    url = str(session.get_bind().engine.url)
    return (url, workspace_id, revision, text, shape)


_lock = threading.Lock()


def plays_a_part(session: Session, workspace_id: int, form_id: int) -> bool:
    """Whether records of ``form_id`` feed customer figures — cheaply: the settings row
    and the form's key, without resolving fields (most saves stop here)."""
    model = session.get(ValueModel, workspace_id)
    if model is None or not isinstance(model.settings, Mapping):
        return False
    form_key = session.scalar(
        select(Form.key).where(Form.workspace_id == workspace_id, Form.id == form_id)
    )
    keys = {
        part.get("form")
        for part in model.settings.values()
        if isinstance(part, Mapping) and isinstance(part.get("form"), str)
    }
    return form_key in keys


# -- saving --------------------------------------------------------------------------------


def save(session: Session, actor: Actor, doc: Any, *, revision: int) -> ValueModel:
    """Check and store the workspace's settings (admins only) and commit.

    ``revision`` is the revision the edit started from (0 when there were no settings).
    Metrics are not recomputed here: that is a separate, possibly long step (the
    settings page's "Recompute now", or the nightly refresh).

    Raises:
        Forbidden: not an admin.
        Conflict: someone saved the settings since ``revision``.
        SettingsInvalid: every problem of the document; nothing is stored.
    """
    actor.require_admin()
    model = session.get(ValueModel, actor.workspace_id)
    current = model.revision if model is not None else 0
    if revision != current:
        raise Conflict(
            _l(
                "Someone else saved the customer-value settings while you were editing "
                "them. Nothing was overwritten: reload the page and make your change again."
            ),
            field="settings",
        )
    doc = normalise(doc)
    problems = check_settings(doc, session, actor.workspace_id)
    if problems:
        raise SettingsInvalid(_l("Please correct the marked settings."), problems)
    now = utcnow()
    if model is None:
        model = ValueModel(workspace_id=actor.workspace_id, revision=0, model_fit={})
        session.add(model)
    model.settings = doc
    model.revision = current + 1
    model.updated_by_id = actor.user_id
    model.updated_at = now
    audit.record(
        session,
        "value.settings_saved",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target="customer value",
        revision=model.revision,
    )
    session.commit()
    return model

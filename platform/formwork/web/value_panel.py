"""The customer-value card of a customer's record page: its metrics, RFM scores and
segment, CLV, churn status and tier history (who or what moved it, by which rule)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork.models import CustomerMetrics, Form, Record, TierChange, TierScheme, ValueModel
from formwork.services import workspaces
from formwork.services.form_runtime import runtime_for
from formwork.services.scope import Actor
from formwork.value.catalog import CHURN_SCHEME_KEY, CHURN_STATUSES

HISTORY_LIMIT = 20


@dataclass(frozen=True)
class HistoryRow:
    when: datetime
    scheme: str
    before: str | None
    after: str
    rule: str
    by: str


def build(
    session: Session, actor: Actor, form: Form, record: Record, locale: str
) -> dict[str, Any] | None:
    """The card's data, or None when ``form`` is not the configured customer form."""
    model = session.get(ValueModel, actor.workspace_id)
    settings = model.settings if model is not None else None
    customers = settings.get("customers") if isinstance(settings, Mapping) else None
    if not isinstance(customers, Mapping) or customers.get("form") != form.key:
        return None
    metrics = session.scalar(
        select(CustomerMetrics).where(
            CustomerMetrics.workspace_id == actor.workspace_id,
            CustomerMetrics.record_id == record.id,
        )
    )
    return {
        "metrics": metrics,
        "history": _history(session, actor, record, locale),
        "predictive": bool(metrics and metrics.clv_predicted is not None),
        "currency": _currency(session, actor.workspace_id, settings.get("orders")),
    }


def _currency(session: Session, workspace_id: int, orders: Any) -> str | None:
    """The currency of the orders' amount field (money fields name one), if any."""
    if not isinstance(orders, Mapping):
        return None
    form = session.scalar(
        select(Form).where(Form.workspace_id == workspace_id, Form.key == orders.get("form"))
    )
    if form is None or form.published_version is None:
        return None
    properties = runtime_for(session, form).document.get("properties", {})
    schema = properties.get(orders.get("amount")) if isinstance(orders.get("amount"), str) else None
    currency = schema.get("x-currency") if isinstance(schema, Mapping) else None
    return currency if isinstance(currency, str) else None


def _history(session: Session, actor: Actor, record: Record, locale: str) -> list[HistoryRow]:
    changes = list(
        session.scalars(
            select(TierChange)
            .where(TierChange.workspace_id == actor.workspace_id, TierChange.record_id == record.id)
            .order_by(TierChange.id.desc())
            .limit(HISTORY_LIMIT)
        )
    )
    scheme_ids = {c.scheme_id for c in changes if c.scheme_id is not None}
    schemes = {
        s.id: s
        for s in session.scalars(
            select(TierScheme).where(
                TierScheme.workspace_id == actor.workspace_id, TierScheme.id.in_(scheme_ids)
            )
        )
    }
    members = {m.user_id: m.user.name for m in workspaces.list_members(session, actor)}
    rows = []
    for change in changes:
        scheme = schemes.get(change.scheme_id or 0)
        names = _tier_names(scheme, locale)
        if change.scheme_key == CHURN_SCHEME_KEY:
            names = {key: str(name) for key, name in CHURN_STATUSES.items()}
        rows.append(
            HistoryRow(
                when=change.changed_at,
                scheme=_scheme_title(scheme, change.scheme_key, locale),
                before=names.get(change.from_tier or "", change.from_tier),
                after=names.get(change.to_tier, change.to_tier),
                rule=_rule(change, scheme),
                by=_by(change, members),
            )
        )
    return rows


def _scheme_title(scheme: TierScheme | None, key: str, locale: str) -> str:
    if key == CHURN_SCHEME_KEY:
        return _("Churn warning")
    if scheme is None:
        return key
    titles = scheme.titles if isinstance(scheme.titles, Mapping) else {}
    return str(titles.get(locale) or scheme.name)


def _tier_names(scheme: TierScheme | None, locale: str) -> dict[str, str]:
    if scheme is None or not isinstance(scheme.document, Mapping):
        return {}
    entries = [t for t in scheme.document.get("tiers") or [] if isinstance(t, Mapping)]
    if isinstance(scheme.document.get("fallback"), Mapping):
        entries.append(scheme.document["fallback"])
    names: dict[str, str] = {}
    for entry in entries:
        name = entry.get("name")
        text = name.get(locale) or name.get("en") if isinstance(name, Mapping) else name
        names[str(entry.get("key"))] = str(text or entry.get("key"))
    return names


def _rule(change: TierChange, scheme: TierScheme | None) -> str:
    if change.scheme_key == CHURN_SCHEME_KEY:
        return _("Churn rules")
    if change.rule_index is None:
        return _("Fallback tier")
    return _("Rule %(number)s", number=change.rule_index + 1)


def _by(change: TierChange, members: dict[int, str]) -> str:
    sources = {
        "apply": _("applied by hand"),
        "schedule": _("on schedule"),
        "automation": _("by an automation"),
        "metrics": _("recomputed figures"),
    }
    how = sources.get(change.source, change.source)
    if change.actor_id is not None:
        who = members.get(change.actor_id) or _("a former member")
        return f"{who} · {how}"
    return how

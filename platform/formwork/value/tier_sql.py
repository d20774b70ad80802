"""Tier schemes in SQL: one CASE over records LEFT JOIN customer_metrics decides every
customer's tier; ``preview`` counts what it would do, ``tier_apply`` does it.

Both build the same statement (:class:`Tiering`), so a preview and the apply that follows
agree on every customer. The first tier whose condition holds wins (``CASE WHEN c0 THEN 0
WHEN c1 THEN 1 … ELSE n``); customers without a metrics row read every metric as null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from formwork.models import CustomerMetrics, Form, Record, TierChange, TierScheme, User
from formwork.services.condition_sql import compile_condition, json_value
from formwork.services.form_runtime import runtime_for
from formwork.value.tier_documents import METRIC_COLUMNS, CompiledScheme

MOVERS_LIMIT = 20


@dataclass(frozen=True)
class TierCount:
    """One tier in a preview: how many customers hold it now and would hold it, and the
    revenue (sum of ``metrics.total_spent``) of each group."""

    key: str
    rule_index: int | None
    current: int
    proposed: int
    current_revenue: float
    revenue: float


@dataclass(frozen=True)
class Mover:
    """A customer whose tier would change: ``up`` (a better tier), ``down``, or ``new``
    (no tier of this scheme before)."""

    record_id: int
    title: str
    from_tier: str | None
    to_tier: str
    direction: str


@dataclass
class TierPreview:
    """What applying a scheme would do now; nothing was written."""

    total: int
    tiers: list[TierCount]
    unassigned: int
    unassigned_revenue: float
    up: int = 0
    down: int = 0
    new: int = 0
    movers: list[Mover] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.up + self.down + self.new


def direction(ranks: dict[str, int], before: str | None, after: str) -> str:
    if before not in ranks:
        return "new"
    assert before is not None
    return "up" if ranks[after] < ranks[before] else "down"


class Tiering:
    """The one CASE deciding tiers, over the live records of the scheme's form."""

    def __init__(
        self, session: Session, compiled: CompiledScheme, workspace_id: int, today: date
    ) -> None:
        self.session = session
        self.compiled = compiled
        self.workspace_id = workspace_id
        self.dialect = session.get_bind().dialect.name
        self.keys = [tier.key for tier in compiled.all_tiers]
        self.ranks = {key: rank for rank, key in enumerate(self.keys)}
        self.fallback_rank = len(compiled.tiers)
        self.current = json_value(Record.data, compiled.field_key, "text", self.dialect)
        fields = compiled.fields
        whens = [
            (
                compile_condition(
                    tier.condition,
                    Record.data,
                    fields,
                    dialect_name=self.dialect,
                    today=today,
                    columns=METRIC_COLUMNS,
                ),
                literal(rank, Integer),
            )
            for rank, tier in enumerate(compiled.tiers)
            if tier.condition is not None
        ]
        fallback = literal(self.fallback_rank, Integer)
        self.rule: ColumnElement[Any] = case(*whens, else_=fallback) if whens else fallback

    def base(self, *extra: ColumnElement[Any]) -> Any:
        """``record_id, current, rule, spent`` (+ extra) per live record, as a subquery."""
        return (
            select(
                Record.id.label("record_id"),
                self.current.label("current"),
                self.rule.label("rule"),
                CustomerMetrics.total_spent.label("spent"),
                *extra,
            )
            .select_from(Record)
            .outerjoin(
                CustomerMetrics,
                and_(
                    CustomerMetrics.record_id == Record.id,
                    CustomerMetrics.workspace_id == Record.workspace_id,
                ),
            )
            .where(
                Record.workspace_id == self.workspace_id,
                Record.form_id == self.compiled.form.id,
                Record.deleted_at.is_(None),
            )
            .subquery("tiering")
        )

    def proposed(self, rule: Any) -> ColumnElement[Any]:
        """The tier key of a rule number (the fallback's for the last)."""
        whens = {rank: literal(key, String) for rank, key in enumerate(self.keys[:-1])}
        return case(whens, value=rule, else_=literal(self.keys[-1], String))

    def changed(self, sub: Any) -> ColumnElement[bool]:
        return sub.c.current.is_distinct_from(self.proposed(sub.c.rule))


def preview(
    session: Session,
    workspace_id: int,
    compiled: CompiledScheme,
    *,
    today: date,
    limit: int = MOVERS_LIMIT,
) -> TierPreview:
    """Counts per tier (now and proposed, with revenue), movers up/down/new and the first
    ``limit`` movers (by record id) — all from the same CASE ``apply_scheme`` runs."""
    tiering = Tiering(session, compiled, workspace_id, today)
    sub = tiering.base()
    # Group on a derived table: PostgreSQL does not see two bound-parameter expressions
    # as the same GROUP BY expression.
    held = case((sub.c.current.in_(tiering.keys), sub.c.current), else_=null())
    grouped = select(
        held.label("held"), sub.c.rule, func.coalesce(sub.c.spent, 0.0).label("spent")
    ).subquery("grouped")
    rows = session.execute(
        select(grouped.c.held, grouped.c.rule, func.count(), func.sum(grouped.c.spent)).group_by(
            grouped.c.held, grouped.c.rule
        )
    ).all()
    now: dict[str, list[float]] = {key: [0, 0.0] for key in tiering.keys}
    then: dict[int, list[float]] = {rank: [0, 0.0] for rank in range(len(tiering.keys))}
    result = TierPreview(total=0, tiers=[], unassigned=0, unassigned_revenue=0.0)
    for held_key, rule, count, spent in rows:
        spent = float(spent or 0.0)
        result.total += count
        then[rule][0] += count
        then[rule][1] += spent
        if held_key is None:
            result.unassigned += count
            result.unassigned_revenue += spent
        else:
            now[held_key][0] += count
            now[held_key][1] += spent
        to_key = tiering.keys[rule]
        if held_key != to_key:
            way = direction(tiering.ranks, held_key, to_key)
            setattr(result, way, getattr(result, way) + count)
    for rank, tier in enumerate(compiled.all_tiers):
        result.tiers.append(
            TierCount(
                key=tier.key,
                rule_index=None if tier.condition is None else rank,
                current=int(now[tier.key][0]),
                proposed=int(then[rank][0]),
                current_revenue=round(now[tier.key][1], 2),
                revenue=round(then[rank][1], 2),
            )
        )
    result.unassigned_revenue = round(result.unassigned_revenue, 2)
    if limit > 0 and result.changed:
        result.movers = _movers(tiering, limit)
    return result


def _movers(tiering: Tiering, limit: int) -> list[Mover]:
    name_key = next(
        (key for key, _s, kind in tiering.compiled.runtime.compiled.fields if kind.key == "text"),
        None,
    )
    title = (
        json_value(Record.data, name_key, "text", tiering.dialect)
        if name_key
        else literal(None, String)
    )
    sub = tiering.base(title.label("title"))
    rows = tiering.session.execute(
        select(sub.c.record_id, sub.c.title, sub.c.current, sub.c.rule)
        .where(tiering.changed(sub))
        .order_by(sub.c.record_id)
        .limit(limit)
    ).all()
    movers = []
    for record_id, text, current, rule in rows:
        to_key = tiering.keys[rule]
        shown = f"{text} · #{record_id}" if isinstance(text, str) and text else f"#{record_id}"
        held = current if current in tiering.ranks else None
        movers.append(
            Mover(record_id, shown, current, to_key, direction(tiering.ranks, held, to_key))
        )
    return movers


# -- history -------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryRow:
    record_id: int
    form_id: int
    title: str
    from_tier: str | None
    to_tier: str
    rule_index: int | None
    source: str
    actor: str | None
    changed_at: datetime


def scheme_changes(session: Session, scheme: TierScheme, *, limit: int = 50) -> list[HistoryRow]:
    """The scheme's latest tier changes, newest first, with each customer's title."""
    rows = session.execute(
        select(TierChange, Record.form_id, Record.data, User.name)
        .join(Record, Record.id == TierChange.record_id)
        .outerjoin(User, User.id == TierChange.actor_id)
        .where(
            TierChange.workspace_id == scheme.workspace_id,
            TierChange.scheme_id == scheme.id,
            Record.workspace_id == scheme.workspace_id,
        )
        .order_by(TierChange.id.desc())
        .limit(max(1, min(limit, 500)))
    ).all()
    name_key = _name_key(session, scheme)
    history = []
    for change, form_id, data, who in rows:
        text = data.get(name_key) if name_key else None
        title = f"{text} · #{change.record_id}" if isinstance(text, str) and text else ""
        history.append(
            HistoryRow(
                change.record_id,
                form_id,
                title or f"#{change.record_id}",
                change.from_tier,
                change.to_tier,
                change.rule_index,
                change.source,
                who,
                change.changed_at,
            )
        )
    return history


def _name_key(session: Session, scheme: TierScheme) -> str | None:
    form = session.get(Form, scheme.form_id)
    if form is None or form.published_version is None:
        return None
    runtime = runtime_for(session, form)
    return next((key for key, _s, kind in runtime.compiled.fields if kind.key == "text"), None)

"""Survey results (DESIGN §7): responses over time, NPS, distributions, free text, splits.

Every figure is one SQL aggregate over the form's live responses in the workspace,
filtered by period (the workspace's days) and owner. A response's customer is the record
its link field points at (``record_links``) in the customer form; the owner is that
customer's owner, else the response's own. Segments come from ``customer_metrics`` and
tiers from the field a tier scheme writes on the customer record.

NPS = % promoters (9 to 10) minus % detractors (0 to 6) of the answers: -100 to 100.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, literal_column, select, true
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from form_engine.conditions.parser import FIELD_KEY
from formwork.models import CustomerMetrics, Form, Record, RecordLink
from formwork.services.condition_sql import json_value
from formwork.services.form_runtime import runtime_for
from formwork.services.scope import Actor
from formwork.services.survey_catalog import (
    SCORE_TYPES,
    TEXT_PAGE_SIZE,
    Bucket,
    Question,
    TextAnswer,
    TextPage,
    bucket_edges,
    customer_link,
    name_key,
    tier_schemes,
)
from formwork.services.survey_periods import (
    fitting_granularity,
    local_bounds,
    period_sql,
    periods,
)

PROMOTER_MIN, DETRACTOR_MAX = 9, 6


@dataclass(frozen=True)
class Filters:
    """Which responses count: submitted on ``start``..``end`` (the workspace's days,
    inclusive), about customers of ``owner_id``; grouped per ``granularity``."""

    start: date | None = None
    end: date | None = None
    owner_id: int | None = None
    granularity: str = "month"
    scheme_id: int | None = None


@dataclass(frozen=True)
class NpsScore:
    """Answers, promoters and detractors of one group; ``nps`` None without answers."""

    responses: int = 0
    promoters: int = 0
    detractors: int = 0

    @property
    def passives(self) -> int:
        return self.responses - self.promoters - self.detractors

    @property
    def nps(self) -> float | None:
        if not self.responses:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.responses


class SurveyResults:
    """The results of one form for one actor and set of filters (queries run on demand)."""

    def __init__(self, session: Session, actor: Actor, form: Form, filters: Filters) -> None:
        self.session = session
        self.actor = actor
        self.form = form
        self.filters = filters
        self.runtime = runtime_for(session, form)
        self.dialect = session.get_bind().dialect.name
        self.zone = actor.workspace.zone
        self.low, self.high = local_bounds(self.zone, filters.start, filters.end)
        self.link = customer_link(session, actor, self.runtime)
        self.schemes = tier_schemes(session, actor, self.link[1]) if self.link else []
        self.scheme = next(
            (s for s in self.schemes if s.id == filters.scheme_id),
            self.schemes[0] if self.schemes else None,
        )
        self.granularity = filters.granularity
        self._base: Subquery | None = None
        self._span: tuple[date, date] | None = None

    # -- the responses in scope ------------------------------------------------------------

    def _where(self, record: Any) -> list[ColumnElement[bool]]:
        clauses = [
            record.workspace_id == self.actor.workspace_id,
            record.form_id == self.form.id,
            record.deleted_at.is_(None),
        ]
        if self.low is not None:
            clauses.append(record.created_at >= self.low)
        if self.high is not None:
            clauses.append(record.created_at < self.high)
        return clauses

    def span(self) -> tuple[date, date] | None:
        """The first and last local day with a response in scope (the period filter's
        days when set); None when nothing was submitted."""
        if self._span is None and self.filters.start and self.filters.end:
            self._span = (self.filters.start, self.filters.end)
            self.granularity = fitting_granularity(*self._span, self.filters.granularity)
        if self._span is None:
            first, last = self.session.execute(
                select(func.min(Record.created_at), func.max(Record.created_at)).where(
                    *self._where(Record)
                )
            ).one()
            if first is None:
                return None
            start = self.filters.start or first.astimezone(self.zone).date()
            end = self.filters.end or last.astimezone(self.zone).date()
            self._span = (start, end)
            self.granularity = fitting_granularity(start, end, self.filters.granularity)
        return self._span

    def base(self) -> Subquery:
        """One row per response in scope: id, created_at, data, owner_id, customer_id,
        customer_name, segment, tier and period (first local day of its period)."""
        if self._base is not None:
            return self._base
        span = self.span()
        ws = self.actor.workspace_id
        response = aliased(Record, name="resp")
        customer = aliased(Record, name="cust")
        link = aliased(RecordLink, name="lnk")
        metrics = aliased(CustomerMetrics, name="met")
        low = self.low or (span and _day_start(span[0], self.zone))
        high = self.high or (span and _day_start(span[1], self.zone, after=True))
        period = (
            period_sql(response.created_at, self.granularity, self.dialect, self.zone, low, high)
            if low is not None and high is not None
            else literal_column("NULL")
        )
        columns: list[Any] = [
            response.id.label("id"),
            response.created_at.label("created_at"),
            response.data.label("data"),
            period.label("period"),
        ]
        query: Select[Any]
        if self.link is None:
            columns += [
                response.owner_id.label("owner_id"),
                literal_column("NULL").label("customer_id"),
                literal_column("NULL").label("customer_name"),
                literal_column("NULL").label("segment"),
                literal_column("NULL").label("tier"),
            ]
            query = select(*columns).select_from(response)
            owner: Any = response.owner_id
        else:
            key, customer_form = self.link
            owner = func.coalesce(customer.owner_id, response.owner_id)
            label_key = name_key(self.session, customer_form)
            tier = (
                json_value(customer.data, self.scheme.field_key, "text", self.dialect)
                if self.scheme is not None
                else literal_column("NULL")
            )
            columns += [
                owner.label("owner_id"),
                customer.id.label("customer_id"),
                (
                    json_value(customer.data, label_key, "text", self.dialect)
                    if label_key
                    else literal_column("NULL")
                ).label("customer_name"),
                metrics.rfm_segment.label("segment"),
                tier.label("tier"),
            ]
            query = (
                select(*columns)
                .select_from(response)
                .outerjoin(
                    link,
                    and_(
                        link.source_id == response.id,
                        link.field_key == key,
                        link.workspace_id == ws,
                    ),
                )
                .outerjoin(
                    customer,
                    and_(
                        customer.id == link.target_id,
                        customer.workspace_id == ws,
                        customer.form_id == customer_form.id,
                        customer.deleted_at.is_(None),
                    ),
                )
                .outerjoin(
                    metrics, and_(metrics.record_id == customer.id, metrics.workspace_id == ws)
                )
            )
        query = query.where(*self._where(response))
        if self.filters.owner_id is not None:
            query = query.where(owner == self.filters.owner_id)
        self._base = query.subquery("responses")
        return self._base

    def value(self, question: Question | str, kind: str | None = None) -> ColumnElement[Any]:
        """The typed SQL value of a question in the base rows."""
        key = question.key if isinstance(question, Question) else question
        return json_value(self.base().c.data, key, kind or self.runtime.kinds[key], self.dialect)

    # -- counts and NPS --------------------------------------------------------------------

    def total(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(self.base())) or 0)

    def over_time(self) -> list[tuple[date, int]]:
        """Responses per period, every period of the span (empty ones as 0)."""
        base = self.base()
        found: dict[str, int] = dict(
            self.session.execute(select(base.c.period, func.count()).group_by(base.c.period)).all()
        )
        return [(start, int(found.get(start.isoformat(), 0))) for start in self.period_starts()]

    def period_starts(self) -> list[date]:
        span = self.span()
        return list(periods(span[0], span[1], self.granularity)) if span else []

    def _scores(self, key: str) -> tuple[ColumnElement[Any], list[Any]]:
        score = self.value(key, "integer")
        return score, [
            func.count(score),
            func.coalesce(func.sum(case((score >= PROMOTER_MIN, 1), else_=0)), 0),
            func.coalesce(func.sum(case((score <= DETRACTOR_MAX, 1), else_=0)), 0),
        ]

    def nps(self, key: str) -> NpsScore:
        """NPS of the NPS question ``key`` over every response in scope."""
        score, aggregates = self._scores(key)
        row = self.session.execute(select(*aggregates).where(score.between(0, 10))).one()
        return NpsScore(*(int(v or 0) for v in row))

    def nps_by(self, key: str, dimension: str) -> dict[Any, NpsScore]:
        """NPS per ``period``, ``owner_id``, ``segment`` or ``tier`` (None: no value)."""
        if dimension not in ("period", "owner_id", "segment", "tier"):
            raise ValueError(f"unknown dimension {dimension!r}")
        group = self.base().c[dimension]
        score, aggregates = self._scores(key)
        rows = self.session.execute(
            select(group, *aggregates).where(score.between(0, 10)).group_by(group)
        ).all()
        return {row[0]: NpsScore(*(int(v or 0) for v in row[1:])) for row in rows}

    def nps_trend(self, key: str) -> list[tuple[date, NpsScore]]:
        found = self.nps_by(key, "period")
        return [(start, found.get(start.isoformat(), NpsScore())) for start in self.period_starts()]

    # -- distributions ---------------------------------------------------------------------

    def distribution(self, question: Question) -> list[tuple[Any, int]]:
        """``(value, count)`` per answer: every score of a scale (0 when unused), every
        option of a choice (in the form's order, then values no longer offered), yes/no."""
        if question.type in SCORE_TYPES:
            value = self.value(question.key, "integer")
            found = self._counts(value)
            known = {int(k): n for k, n in found.items()}
            return [(score, known.get(score, 0)) for score in question.scale] + [
                (k, n) for k, n in sorted(known.items()) if k not in question.scale
            ]
        if question.type == "checkbox":
            found = self._counts(self.value(question.key, "boolean"), keep_null=True)
            yes = sum(n for k, n in found.items() if k is True or k == 1)
            return [(True, yes), (False, sum(found.values()) - yes)]
        if question.type == "multiselect":
            found = self._element_counts(question.key)
        else:
            found = self._counts(self.value(question.key, "text"))
        options = (
            question.schema.get("enum") or (question.schema.get("items") or {}).get("enum") or []
        )
        ordered = [(option, found.get(option, 0)) for option in options]
        return ordered + [(k, n) for k, n in sorted(found.items(), key=str) if k not in options]

    def _counts(self, value: ColumnElement[Any], *, keep_null: bool = False) -> dict[Any, int]:
        query = select(value, func.count()).group_by(value)
        if not keep_null:
            query = query.where(value.is_not(None))
        return {k: int(n) for k, n in self.session.execute(query).all()}

    def _element_counts(self, key: str) -> dict[Any, int]:
        """Counts of each chosen option of a multiple-choice field (JSON array items)."""
        if not FIELD_KEY.fullmatch(key):
            raise ValueError(f"not a field key: {key!r}")
        data = self.base().c.data
        if self.dialect == "postgresql":
            array = data.op("->")(literal_column(f"'{key}'"))
            safe = case(
                (func.jsonb_typeof(array) == "array", array),
                else_=literal_column("'[]'::jsonb"),
            )
            items = func.jsonb_array_elements_text(safe).table_valued("value").alias("item")
            query = select(items.c.value, func.count()).select_from(self.base()).join(items, true())
        else:
            path: Any = literal_column(f"'$.{key}'")
            items = func.json_each(data, path).table_valued("value").alias("item")
            query = (
                select(items.c.value, func.count())
                .select_from(self.base())
                .join(items, true())
                .where(func.json_type(data, path) == "array")
            )
        return {k: int(n) for k, n in self.session.execute(query.group_by(items.c.value)).all()}

    def histogram(self, question: Question) -> list[Bucket]:
        """Counts of a number question in up to ten equal, round-numbered ranges."""
        value = self.value(question.key, "number")
        low, high = self.session.execute(select(func.min(value), func.max(value))).one()
        if low is None:
            return []
        edges = bucket_edges(float(low), float(high))
        if len(edges) == 2 and edges[0] == edges[1]:
            count = self.session.scalar(select(func.count(value)))
            return [Bucket(edges[0], edges[1], int(count or 0))]
        bucket = case(
            *[(value < edge, index) for index, edge in enumerate(edges[1:-1])],
            else_=len(edges) - 2,
        )
        inner = select(bucket.label("bucket")).where(value.is_not(None)).subquery("buckets")
        found: dict[int, int] = dict(
            self.session.execute(
                select(inner.c.bucket, func.count()).group_by(inner.c.bucket)
            ).all()
        )
        return [Bucket(edges[i], edges[i + 1], int(found.get(i, 0))) for i in range(len(edges) - 1)]

    # -- free text and rows ----------------------------------------------------------------

    def text_answers(
        self, key: str, page: int = 1, page_size: int = TEXT_PAGE_SIZE, score_key: str | None = None
    ) -> TextPage:
        """Non-empty answers to a text question, newest first, one page of them."""
        base = self.base()
        text = self.value(key, "text")
        given = and_(text.is_not(None), func.trim(text) != "")
        total = int(self.session.scalar(select(func.count()).where(given)) or 0)
        page = max(1, page)
        score = self.value(score_key, "integer") if score_key else literal_column("NULL")
        rows = self.session.execute(
            select(
                base.c.id, base.c.created_at, text, base.c.customer_id, base.c.customer_name, score
            )
            .where(given)
            .order_by(base.c.created_at.desc(), base.c.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        answers = [
            TextAnswer(r[0], r[1], str(r[2]), r[3], r[4], int(r[5]) if r[5] is not None else None)
            for r in rows
        ]
        return TextPage(answers, total, page, page_size)

    def rows(self) -> Iterator[Any]:
        """Every response in scope, newest first, streamed (for exports)."""
        base = self.base()
        query = select(base).order_by(base.c.created_at.desc(), base.c.id.desc())
        yield from self.session.execute(query.execution_options(yield_per=500))


def _day_start(day: date, zone: Any, *, after: bool = False) -> datetime:
    low, high = local_bounds(zone, day, day)
    return high if after else low  # type: ignore[return-value]

"""What makes a form a survey: its questions, the customers its answers are about,
the tier schemes of those customers, the surveys a customer list can send, the survey's
invitations page by page, and the shapes some results come in.

Helpers of :mod:`formwork.services.survey_results` and the survey pages; read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from form_engine.dialect import label
from formwork.models import Form, Record, SurveyInvitation, SurveyOptOut, TierScheme, ValueModel
from formwork.services import apps
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.scope import Actor, scoped
from formwork.services.survey_answers import survey_links

SCORE_TYPES = ("nps", "rating")
CHOICE_TYPES = ("select", "multiselect", "checkbox")
NUMBER_TYPES = ("number", "money", "percent")
TEXT_TYPES = ("text", "textarea")
HISTOGRAM_BUCKETS = 10
TEXT_PAGE_SIZE = 10


@dataclass(frozen=True)
class Question:
    """A field of the survey with results: its key, field type, label and schema."""

    key: str
    type: str
    title: str
    schema: Mapping[str, Any]

    @property
    def scale(self) -> list[int]:
        """The possible scores of an NPS (0 to 10) or rating (1 to max) question."""
        if self.type == "nps":
            return list(range(11))
        return list(range(1, int(self.schema.get("maximum", 5)) + 1))


@dataclass(frozen=True)
class Bucket:
    """A histogram bar: values from ``low`` up to (not including) ``high``."""

    low: float
    high: float
    count: int


@dataclass(frozen=True)
class TextAnswer:
    record_id: int
    created_at: datetime
    text: str
    customer_id: int | None
    customer_name: str | None
    score: int | None


@dataclass
class TextPage:
    answers: list[TextAnswer] = field(default_factory=list)
    total: int = 0
    page: int = 1
    page_size: int = TEXT_PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def questions(runtime: FormRuntime, locale: str) -> list[Question]:
    """Fields with results (scores, choices, numbers, free text), in form order."""
    wanted = SCORE_TYPES + CHOICE_TYPES + NUMBER_TYPES + TEXT_TYPES
    return [
        Question(key, kind.key, label(schema, locale, key), schema)
        for key, schema, kind in runtime.compiled.fields
        if kind.key in wanted and not schema.get("readOnly")
    ]


def has_scores(runtime: FormRuntime) -> bool:
    """Whether the form asks for an NPS or a rating."""
    return any(kind.key in SCORE_TYPES for _k, _s, kind in runtime.compiled.fields)


def customer_link(session: Session, actor: Actor, runtime: FormRuntime) -> tuple[str, Form] | None:
    """The survey's link field to its customers and the customer form: the form the
    customer-value settings name when the survey links to it, else the first linked one."""
    links = survey_links(runtime)
    if not links:
        return None
    settings = session.scalar(
        select(ValueModel.settings).where(ValueModel.workspace_id == actor.workspace_id)
    )
    named = ((settings or {}).get("customers") or {}).get("form")
    target = named if named in links else next(iter(links))
    form = session.scalar(
        select(Form).where(Form.workspace_id == actor.workspace_id, Form.key == target)
    )
    return (links[target], form) if form is not None else None


def tier_schemes(session: Session, actor: Actor, customer_form: Form) -> list[TierScheme]:
    """Live tier schemes writing a field of the customer form, by name."""
    return list(
        session.scalars(
            scoped(TierScheme, actor)
            .where(TierScheme.form_id == customer_form.id, TierScheme.archived_at.is_(None))
            .order_by(TierScheme.name, TierScheme.id)
        )
    )


def tier_names(scheme: TierScheme, locale: str) -> dict[str, str]:
    """Tier key → name in ``locale`` (else English, else the key)."""
    document = scheme.document or {}
    entries = [*(document.get("tiers") or []), document.get("fallback") or {}]
    names: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
            titles = entry.get("name")
            if not isinstance(titles, Mapping):
                titles = {}
            names[entry["key"]] = str(titles.get(locale) or titles.get("en") or entry["key"])
    return names


def name_key(session: Session, form: Form) -> str | None:
    """The customer form's first text field: what names a customer in lists."""
    if form.published_version is None:
        return None
    runtime = runtime_for(session, form)
    return next((key for key, _s, kind in runtime.compiled.fields if kind.key == "text"), None)


def survey_forms_for(session: Session, actor: Actor, customer_form: Form) -> list[Form]:
    """Published surveys that can be sent about records of ``customer_form``: forms that
    link to it and ask for an NPS or a rating, or that were sent as surveys before."""
    sent_before = set(
        session.scalars(
            scoped(SurveyInvitation, actor).with_only_columns(SurveyInvitation.form_id).distinct()
        )
    )
    found = []
    for form in apps.list_forms(session, actor):
        if form.published_version is None or form.archived_at is not None:
            continue
        runtime = runtime_for(session, form)
        if customer_form.key in survey_links(runtime) and (
            has_scores(runtime) or form.id in sent_before
        ):
            found.append(form)
    return found


def bucket_edges(low: float, high: float, buckets: int = HISTOGRAM_BUCKETS) -> list[float]:
    """Round-numbered edges from at most ``low`` to at least ``high``: width 1, 2, 2.5 or
    5 times a power of ten, so that at most ``buckets`` ranges cover the values."""
    if high <= low:
        return [low, low]
    raw = Decimal(repr((high - low) / buckets))
    power = Decimal(10) ** raw.adjusted()
    width = next(
        power * step
        for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
        if power * step >= raw
    )
    start = (Decimal(repr(low)) / width).to_integral_value(rounding=ROUND_FLOOR) * width
    edges = [start]
    while edges[-1] <= Decimal(repr(high)) and len(edges) <= buckets + 1:
        edges.append(edges[-1] + width)
    return [float(edge) for edge in edges]


@dataclass(frozen=True)
class InvitationRow:
    """One invitation on the invitations page, with its customer's name and its state:
    ``answered``, ``opted_out`` (the address opted out since), ``expired`` or ``pending``."""

    invitation: SurveyInvitation
    customer_name: str | None
    customer_form_id: int | None
    state: str


def invitation_rows(
    session: Session, actor: Actor, form: Form, *, now: datetime, page: int = 1, page_size: int = 50
) -> tuple[list[InvitationRow], int]:
    """One page of the survey's invitations, newest first, and how many there are."""
    invitation = SurveyInvitation
    opted = (
        exists()
        .where(
            SurveyOptOut.workspace_id == invitation.workspace_id,
            SurveyOptOut.email == func.lower(invitation.email),
        )
        .label("opted")
    )
    where = (invitation.workspace_id == actor.workspace_id, invitation.form_id == form.id)
    total = int(session.scalar(select(func.count()).select_from(invitation).where(*where)) or 0)
    rows = session.execute(
        select(invitation, Record, opted)
        .outerjoin(
            Record,
            and_(Record.id == invitation.record_id, Record.workspace_id == actor.workspace_id),
        )
        .where(*where)
        .order_by(invitation.created_at.desc(), invitation.id.desc())
        .offset((max(1, page) - 1) * page_size)
        .limit(page_size)
    ).all()
    keys: dict[int, str | None] = {}
    result = []
    for sent, customer, opted_out in rows:
        name = None
        if customer is not None:
            if customer.form_id not in keys:
                customer_form = session.get(Form, customer.form_id)
                keys[customer.form_id] = name_key(session, customer_form) if customer_form else None
            value = customer.data.get(keys[customer.form_id] or "")
            name = value if isinstance(value, str) and value else None
        if sent.used_at is not None:
            state = "answered"
        elif opted_out:
            state = "opted_out"
        elif sent.expires_at <= now:
            state = "expired"
        else:
            state = "pending"
        result.append(InvitationRow(sent, name, customer.form_id if customer else None, state))
    return result, total

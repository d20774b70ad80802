"""Keeping customer value current: the full refresh of a workspace (metrics → RFM → CLV →
churn), the incremental refresh of a few customers, and the hooks the records and tasks
services call in the transaction of every change.

The hooks must not slow ordinary saves: a workspace without settings costs one primary-key
read; a form that plays no part costs one more (its key); only a change to a field that
feeds the figures (the link, amount, date, score or resolved field) refreshes the
customers it touches, before and after the change. Resolved settings are cached per
process (``settings.load``) and the statements per shape (``statements.Shape``), so an
incremental refresh runs a handful of prepared statements.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from formwork.db import begin_write, utcnow
from formwork.models import ValueModel, Workspace
from formwork.services.errors import NotFound
from formwork.services.scope import Actor
from formwork.value import clv_store, facts, rfm
from formwork.value.churn import ChurnResult, update_churn
from formwork.value.metrics import recompute_metrics
from formwork.value.settings import Source, ValueSettings, load, plays_a_part

log = logging.getLogger(__name__)

# (record id, data before or None when created/restored, data after or None when deleted)
Change = tuple[int, Mapping[str, Any] | None, Mapping[str, Any] | None]


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did: customers measured, milliseconds per stage, churn changes and
    the predictive model's fit (or refusal)."""

    customers: int
    timings_ms: dict[str, float]
    churn: ChurnResult
    model_fit: dict[str, Any] = field(default_factory=dict)

    @property
    def total_ms(self) -> float:
        return sum(self.timings_ms.values())


def workspace_today(session: Session, workspace_id: int) -> date:
    """Today in the workspace's time zone."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(_l("This workspace does not exist or you are not a member of it."))
    return datetime.now(workspace.zone).date()


def refresh_workspace(
    session: Session,
    workspace_id: int,
    *,
    today: date | None = None,
    actor: Actor | None = None,
) -> RefreshResult:
    """Recompute every customer's metrics, RFM scores, CLV and churn status, committing
    after each stage.

    Each stage is its own transaction, so SQLite's write lock is held for one stage at a
    time, not the whole refresh, and other saves (waiting up to the busy timeout) get
    through between stages; a save in between refreshes its customers incrementally, so
    nothing is lost. Between two stages readers may see new metrics beside the previous
    scores, as they would between a save and the next refresh.

    ``actor`` (an admin pressing "Recompute now") is checked and named on the churn
    changes; without it the caller is the system (the nightly job).

    Raises:
        Forbidden: ``actor`` is not an admin.
        NotFound: the workspace has no customer-value settings (or is not the actor's).
        SettingsInvalid: the stored settings no longer fit the forms.
    """
    if actor is not None:
        actor.require_admin()
        if actor.workspace_id != workspace_id:
            raise NotFound(_l("This workspace does not exist or you are not a member of it."))
    begin_write(session)
    settings = load(session, workspace_id, strict=True)
    if settings is None:
        raise NotFound(_l("Customer value is not set up in this workspace yet."))
    today = today or workspace_today(session, workspace_id)
    timings: dict[str, float] = {}

    def timed(stage: str, call: Any) -> Any:
        started = time.perf_counter()
        result = call()
        if stage != "churn":  # (the last stage commits with computed_at below)
            session.commit()
            begin_write(session)
        timings[stage] = round((time.perf_counter() - started) * 1000, 1)
        return result

    def metrics() -> int:
        # The order facts first, in their own transaction (a rebuild only after an
        # upgrade or a settings / order form change, see ``facts``); the metrics then
        # read typed columns. (Timed as part of the metrics stage.)
        if facts.ensure_current(session, settings):
            session.commit()
            begin_write(session)
        return recompute_metrics(session, settings, today=today)

    customers = timed("metrics", metrics)
    timed("rfm", lambda: rfm.score_rfm(session, settings))
    timed("clv_historical", lambda: clv_store.store_historical(session, settings))
    fit = timed(
        "clv_predictive", lambda: clv_store.store_predictive(session, settings, today=today)
    )
    churn = timed(
        "churn",
        lambda: update_churn(
            session,
            settings,
            today=today,
            actor_id=actor.user_id if actor is not None else None,
        ),
    )
    model = session.get(ValueModel, workspace_id)
    assert model is not None
    model.computed_at = utcnow()
    session.commit()
    log.info(
        "customer value of workspace %s refreshed: %s customers in %s",
        workspace_id,
        customers,
        timings,
    )
    return RefreshResult(customers, timings, churn, fit)


def refresh_customers(
    session: Session,
    workspace_id: int,
    customer_ids: Collection[int],
    *,
    today: date | None = None,
    settings: ValueSettings | None = None,
) -> int:
    """Refresh just these customers inside the caller's transaction (no commit): their
    metrics, RFM scores against the last full scoring's cut points (see ``rfm``),
    historical CLV, predictions with the stored model fit, and churn status.

    Returns the number of customer rows written (0 when customer value is not set up).
    """
    settings = settings or load(session, workspace_id)
    if settings is None or not customer_ids:
        return 0
    ids = sorted(set(customer_ids))
    today = today or workspace_today(session, workspace_id)
    written = recompute_metrics(session, settings, customer_ids=ids, today=today)
    rfm.score_rfm(session, settings, customer_ids=ids)
    clv_store.store_historical(session, settings, customer_ids=ids)
    clv_store.store_predictive(session, settings, customer_ids=ids, today=today)
    update_churn(session, settings, customer_ids=ids, today=today)
    return written


def on_records_changed(
    session: Session, workspace_id: int, form_id: int, changes: Sequence[Change]
) -> None:
    """Refresh the customers a change of records of ``form_id`` touches (same
    transaction). A no-op unless the form plays a part in the workspace's settings."""
    if not changes or not plays_a_part(session, workspace_id, form_id):
        return
    settings = load(session, workspace_id)
    if settings is None:
        # The settings do not fit the forms: nothing is refreshed, and the order facts
        # may miss this change, so the next full refresh rebuilds them.
        facts.invalidate(session, workspace_id)
        return
    ids: set[int] = set()
    if form_id == settings.customers_form_id:
        # Editing a customer changes no figure; creating, deleting, restoring one does.
        ids.update(
            record_id for record_id, before, after in changes if before is None or after is None
        )
    for _name, source in settings.sources():
        if source.form_id == form_id:
            ids.update(_touched(source, changes))
    if ids:
        refresh_customers(session, workspace_id, ids, settings=settings)


def on_task_changed(
    session: Session, workspace_id: int, form_id: int | None, record_id: int | None
) -> None:
    """A follow-up task on ``record_id`` was completed or reopened: refresh that
    customer's last follow-up (and what depends on it)."""
    if form_id is None or record_id is None:
        return
    if not plays_a_part(session, workspace_id, form_id):
        return
    settings = load(session, workspace_id)
    if settings is not None and form_id == settings.customers_form_id:
        refresh_customers(session, workspace_id, [record_id], settings=settings)


def _touched(source: Source, changes: Iterable[Change]) -> set[int]:
    """Customers linked before or after each change that alters a field the figures read."""
    keys = [
        key
        for key in (source.link, source.date, source.amount, source.score, source.resolved)
        if key is not None
    ]
    touched: set[int] = set()
    for _record_id, before, after in changes:
        if before is not None and after is not None and _same(before, after, keys):
            continue
        for data in (before, after):
            if data is not None:
                touched.update(_ids(data.get(source.link)))
    return touched


def _same(before: Mapping[str, Any], after: Mapping[str, Any], keys: list[str]) -> bool:
    return all(before.get(key) == after.get(key) for key in keys)


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]

"""Tier schemes (分层方案): save, archive, preview, apply now or on a schedule, history.

Everyone in the workspace may look at schemes and preview them (counts per tier, revenue
per tier, who moves up or down — nothing is written); only owners and admins save, archive
and apply. Every query is scoped by the actor's workspace, so a scheme of another
workspace looks exactly like a missing one. The document format and its checks live in
``tier_documents``, the SQL in ``tier_sql`` and ``tier_apply``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from form_engine.messages import normalise_locale
from formwork.db import utcnow
from formwork.models import Form, Role, TierScheme, ValueModel, Workspace
from formwork.services import audit
from formwork.services.errors import Conflict, Invalid, NotFound
from formwork.services.scope import Actor, scoped
from formwork.value.catalog import CHURN_SCHEME_KEY
from formwork.value.tier_apply import TierApplyResult, apply_tiers
from formwork.value.tier_documents import (
    MAX_KEY,
    MAX_NAME,
    CompiledScheme,
    SchemeProblems,
    TierProblem,
    check_scheme,
    compile_scheme,
    problem_dicts,
    upgrade,
)
from formwork.value.tier_sql import MOVERS_LIMIT, HistoryRow, TierPreview, scheme_changes
from formwork.value.tier_sql import preview as preview_sql
from workflow_engine.cron import parse_cron

SCHEME_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
HISTORY_LIMIT = 50

__all__ = [
    "TierApplyResult",
    "TierDraft",
    "TierPreview",
    "TierSchemeInvalid",
    "apply_due_schemes",
    "apply_now",
    "apply_scheme",
    "archive_scheme",
    "check_scheme",
    "get_scheme",
    "list_schemes",
    "preview",
    "preview_draft",
    "save_scheme",
    "scheme_history",
]


class TierSchemeInvalid(Invalid):
    """The scheme has problems; ``problems`` lists all of them as ``{"path", "code",
    "message"}`` (path: a JSON pointer such as ``/tiers/0/color``, ``/field``, ``/name``)."""

    def __init__(self, message: Any, problems: list[dict[str, str]]) -> None:
        super().__init__(message, field="document")
        self.problems = problems


@dataclass(frozen=True)
class TierDraft:
    """An unsaved scheme, for previews: its form, target field and document."""

    form_id: int
    field_key: str
    document: Any


def workspace_today(workspace: Workspace, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(workspace.zone).date()


# -- reading ---------------------------------------------------------------------------------
def list_schemes(session: Session, actor: Actor) -> list[TierScheme]:
    """The workspace's schemes, live ones first, by name."""
    query = scoped(TierScheme, actor).order_by(
        TierScheme.archived_at.is_not(None), TierScheme.name, TierScheme.id
    )
    return list(session.scalars(query))


def get_scheme(session: Session, actor: Actor, scheme_id: int) -> TierScheme:
    """One scheme of the actor's workspace.

    Raises:
        NotFound: no such scheme here (another workspace's looks the same).
    """
    scheme = session.scalar(scoped(TierScheme, actor).where(TierScheme.id == scheme_id))
    if scheme is None:
        raise NotFound(_l("This tier scheme does not exist."))
    return scheme


def default_form(session: Session, actor: Actor) -> Form | None:
    """The customer form of the customer-value settings, else a form keyed ``customers``."""
    model = session.get(ValueModel, actor.workspace_id)
    settings = model.settings if model is not None else {}
    customers = settings.get("customers") if isinstance(settings, Mapping) else None
    key = customers.get("form") if isinstance(customers, Mapping) else None
    for wanted in (key, "customers"):
        if isinstance(wanted, str):
            form = session.scalar(
                scoped(Form, actor).where(
                    Form.key == wanted,
                    Form.archived_at.is_(None),
                    Form.published_version.is_not(None),
                )
            )
            if form is not None:
                return form
    return None


def _form(session: Session, workspace_id: int, form_id: Any) -> Form | None:
    if isinstance(form_id, bool) or not isinstance(form_id, int):
        return None
    return session.scalar(
        select(Form).where(
            Form.workspace_id == workspace_id, Form.id == form_id, Form.archived_at.is_(None)
        )
    )


# -- writing ---------------------------------------------------------------------------------
def save_scheme(
    session: Session,
    actor: Actor,
    *,
    scheme_id: int | None = None,
    revision: int | None = None,
    key: Any,
    name: Any,
    titles: Any = None,
    form_id: Any,
    field_key: Any,
    document: Any,
    schedule: Any = None,
    locale: str | None = None,
) -> TierScheme:
    """Create a scheme, or save a new revision of one (``revision``: the one edited).

    Raises:
        Forbidden: not an owner or admin. NotFound: the scheme is not in the workspace.
        Conflict: someone saved the scheme since ``revision``.
        TierSchemeInvalid: every problem of the key, name, target and document.
    """
    actor.require_admin()
    existing = get_scheme(session, actor, scheme_id) if scheme_id is not None else None
    if existing is not None and revision != existing.revision:
        raise Conflict(
            _l("Someone saved this tier scheme since you opened it. Reload to see their changes.")
        )
    form = _form(session, actor.workspace_id, form_id)
    problems = _name_problems(session, actor, existing, key, name, titles)
    problems += check_scheme(session, actor.workspace_id, form, field_key, document, schedule)
    if problems:
        lang = normalise_locale(locale or actor.user.locale)
        raise TierSchemeInvalid(
            _l("Please correct the marked problems."), problem_dicts(problems, lang)
        )
    assert form is not None and isinstance(key, str) and isinstance(name, str)
    now = utcnow()
    scheme = existing or TierScheme(
        workspace_id=actor.workspace_id, key=key, revision=0, created_by_id=actor.user_id
    )
    scheme.name = " ".join(name.split())
    scheme.titles = _titles(titles)
    scheme.form_id = form.id
    scheme.field_key = str(field_key)
    scheme.document = upgrade(document)
    scheme.schedule = parse_cron(schedule) if schedule else None
    scheme.revision = (scheme.revision or 0) + 1
    scheme.updated_at = now
    if existing is None:
        scheme.created_at = now
        session.add(scheme)
    session.flush()
    audit.record(
        session,
        "tier_scheme.updated" if existing else "tier_scheme.created",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=scheme.name,
        scheme=scheme.id,
        revision=scheme.revision,
    )
    session.commit()
    return scheme


def _name_problems(
    session: Session,
    actor: Actor,
    existing: TierScheme | None,
    key: Any,
    name: Any,
    titles: Any,
) -> list[TierProblem]:
    problems: list[TierProblem] = []
    if existing is not None:
        if key != existing.key:
            problems.append(TierProblem(("key",), "tier_scheme_key_fixed"))
    elif not isinstance(key, str) or not SCHEME_KEY.fullmatch(key):
        problems.append(TierProblem(("key",), "tier_scheme_key_bad", {"max": MAX_KEY}))
    elif key == CHURN_SCHEME_KEY:
        problems.append(TierProblem(("key",), "tier_scheme_key_reserved", {"key": key}))
    elif session.scalar(scoped(TierScheme, actor).where(TierScheme.key == key)) is not None:
        problems.append(TierProblem(("key",), "tier_scheme_key_taken", {"key": key}))
    if not isinstance(name, str) or not name.strip():
        problems.append(TierProblem(("name",), "tier_scheme_name_missing"))
    elif len(" ".join(name.split())) > MAX_NAME:
        problems.append(TierProblem(("name",), "tier_name_too_long", {"max": MAX_NAME}))
    zh = titles.get("zh-CN") if isinstance(titles, Mapping) else None
    if titles is not None and not (isinstance(titles, Mapping) and isinstance(zh, str | None)):
        problems.append(TierProblem(("titles",), "tier_name_bad"))
    elif isinstance(zh, str) and len(zh.strip()) > MAX_NAME:
        problems.append(TierProblem(("titles", "zh-CN"), "tier_name_too_long", {"max": MAX_NAME}))
    return problems


def _titles(titles: Any) -> dict[str, str]:
    zh = titles.get("zh-CN") if isinstance(titles, Mapping) else None
    return {"zh-CN": " ".join(zh.split())} if isinstance(zh, str) and zh.strip() else {}


def archive_scheme(
    session: Session, actor: Actor, scheme_id: int, *, archived: bool = True
) -> TierScheme:
    """Archive a scheme (no more schedule, apply or automation) or restore it.

    Its history stays; the tiers already written stay in the records.
    """
    actor.require_admin()
    scheme = get_scheme(session, actor, scheme_id)
    if (scheme.archived_at is not None) == archived:
        return scheme
    scheme.archived_at = utcnow() if archived else None
    scheme.revision += 1
    audit.record(
        session,
        "tier_scheme.archived" if archived else "tier_scheme.restored",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=scheme.name,
        scheme=scheme.id,
    )
    session.commit()
    return scheme


# -- preview and apply -----------------------------------------------------------------------
def compiled_for(session: Session, scheme: TierScheme) -> CompiledScheme:
    """A saved scheme checked against its form as the form is now.

    Raises:
        SchemeProblems: it no longer fits (e.g. the target field was archived).
    """
    form = _form(session, scheme.workspace_id, scheme.form_id)
    return compile_scheme(session, scheme.workspace_id, form, scheme.field_key, scheme.document)


def preview(
    session: Session,
    workspace_id: int,
    scheme_or_draft: TierScheme | TierDraft,
    *,
    today: date,
    limit: int = MOVERS_LIMIT,
) -> TierPreview:
    """What applying would do now (see ``tier_sql.preview``); writes nothing.

    Raises:
        SchemeProblems: the scheme or draft does not fit its form.
    """
    if isinstance(scheme_or_draft, TierScheme):
        if scheme_or_draft.workspace_id != workspace_id:
            raise NotFound(_l("This tier scheme does not exist."))
        compiled = compiled_for(session, scheme_or_draft)
    else:
        form = _form(session, workspace_id, scheme_or_draft.form_id)
        compiled = compile_scheme(
            session, workspace_id, form, scheme_or_draft.field_key, scheme_or_draft.document
        )
    return preview_sql(session, workspace_id, compiled, today=today, limit=limit)


def preview_draft(
    session: Session,
    actor: Actor,
    draft: TierDraft,
    *,
    limit: int = MOVERS_LIMIT,
    locale: str | None = None,
) -> tuple[CompiledScheme, TierPreview]:
    """Preview an unsaved scheme as the actor (any role may look).

    Raises:
        TierSchemeInvalid: the draft has problems (all listed).
    """
    actor.require(Role.VIEWER)
    form = _form(session, actor.workspace_id, draft.form_id)
    try:
        compiled = compile_scheme(
            session, actor.workspace_id, form, draft.field_key, draft.document
        )
    except SchemeProblems as exc:
        lang = normalise_locale(locale or actor.user.locale)
        raise TierSchemeInvalid(
            _l("Please correct the marked problems."), problem_dicts(exc.problems, lang)
        ) from exc
    today = workspace_today(actor.workspace)
    return compiled, preview_sql(session, actor.workspace_id, compiled, today=today, limit=limit)


def apply_scheme(
    session: Session,
    scheme: TierScheme,
    *,
    actor_id: int | None,
    source: str,
    today: date,
) -> TierApplyResult:
    """Apply a saved scheme to every live record of its form (no role check, no commit).

    Raises:
        Conflict: the scheme is archived.
        SchemeProblems: it no longer fits its form; nothing was changed.
    """
    if scheme.archived_at is not None:
        raise Conflict(_l("This tier scheme is archived; restore it to apply it."))
    compiled = compiled_for(session, scheme)
    result = apply_tiers(session, scheme, compiled, actor_id=actor_id, source=source, today=today)
    scheme.last_applied_at = result.applied_at
    return result


def apply_now(
    session: Session,
    actor: Actor,
    scheme_id: int,
    *,
    revision: int | None,
    locale: str | None = None,
) -> TierApplyResult:
    """An admin's "Apply now": the revision they previewed, to every customer, committed.

    Raises:
        Forbidden: not an owner or admin. NotFound: not in the workspace.
        Conflict: the scheme changed since ``revision``, or is archived.
        TierSchemeInvalid: it no longer fits its form.
    """
    actor.require_admin()
    scheme = get_scheme(session, actor, scheme_id)
    if revision != scheme.revision:
        raise Conflict(
            _l("This tier scheme changed since you looked at it. Check the preview again.")
        )
    try:
        result = apply_scheme(
            session,
            scheme,
            actor_id=actor.user_id,
            source="apply",
            today=workspace_today(actor.workspace),
        )
    except SchemeProblems as exc:
        session.rollback()
        lang = normalise_locale(locale or actor.user.locale)
        raise TierSchemeInvalid(
            _l("This tier scheme no longer fits its form; correct it before applying it."),
            problem_dicts(exc.problems, lang),
        ) from exc
    audit.record(
        session,
        "tier_scheme.applied",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=scheme.name,
        scheme=scheme.id,
        revision=scheme.revision,
        changed=result.changed,
    )
    session.commit()
    return result


# -- history -----------------------------------------------------------------------------------
def scheme_history(
    session: Session, actor: Actor, scheme_id: int, *, limit: int = HISTORY_LIMIT
) -> list[HistoryRow]:
    """The scheme's latest tier changes, newest first, with each customer's title."""
    scheme = get_scheme(session, actor, scheme_id)
    return scheme_changes(session, scheme, limit=limit)


# -- schedules --------------------------------------------------------------------------------
def apply_due_schemes(session: Session, now: datetime) -> list[int]:
    """Apply the schemes whose schedule came due (see ``tier_schedule.apply_due``)."""
    from formwork.value.tier_schedule import apply_due

    return apply_due(session, now)

"""Personal survey invitations (DESIGN §7): single-use, expiring links tied to a customer.

``invite`` creates one invitation per customer record and queues its e-mail in the same
transaction (the address is the first e-mail field of the customer's form; without one
the invitation is still made and its link can be copied). Only the SHA-256 of a token
is stored. Answering claims the invitation with one conditional UPDATE (``used_at IS
NULL AND expires_at > now``), so a token answers once even under concurrent posts; the
response is stored through the records service with the survey's link field set to the
customer, owned by the customer's owner, and raises ``survey_submitted`` (DESIGN §5).
One reminder goes to non-responders ``remind_after_days`` after sending. Addresses that
opted out get nothing (texts and links: :mod:`formwork.services.survey_mail`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, insert, select
from sqlalchemy.orm import Session

from formwork.db import dialect_insert, utcnow
from formwork.models import Form, Record, Role, SurveyInvitation, SurveyOptOut
from formwork.services import apps
from formwork.services.errors import Invalid
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.mailer import queue_email
from formwork.services.public_link_settings import field_label, unseen_keys
from formwork.services.scope import Actor, scoped
from formwork.services.survey_answers import (
    InvitationPage,
    InvitationUnavailable,
    answer_invitation,
    open_invitation,
    opt_out,
    survey_links,
    token_hash,
)
from formwork.services.survey_mail import compose, invitation_url
from formwork.services.survey_reminders import due_reminders

__all__ = [
    "InvitationPage",
    "InvitationUnavailable",
    "InviteResult",
    "answer_invitation",
    "invitation_stats",
    "invitation_url",
    "invite",
    "open_invitation",
    "opt_out",
    "send_due_reminders",
]

SOURCES = ("ui", "bulk", "automation")
MAX_RECORDS = 5000
MAX_EXPIRES_DAYS = 365
TOKEN_BYTES = 32


@dataclass
class InviteResult:
    """``sent``: each invitation made, with its answer URL (shown once: only its hash is
    kept). ``skipped``: ``(record id, reason, message)`` for customers not invited
    (``not_found``, ``wrong_form``, ``pending``, ``opted_out``, ``already_sent``) and for
    invitations made but not e-mailed (``no_email``, ``bad_email``: copy the link)."""

    sent: list[tuple[SurveyInvitation, str]] = field(default_factory=list)
    skipped: list[tuple[int, str, Any]] = field(default_factory=list)


def _email_field(runtime: FormRuntime) -> str | None:
    return next((key for key, _s, kind in runtime.compiled.fields if kind.key == "email"), None)


# -- sending -------------------------------------------------------------------------------


def invite(
    session: Session,
    actor: Actor,
    form_id: int,
    record_ids: Iterable[int],
    *,
    expires_days: int = 14,
    remind_after_days: int | None = None,
    source: str = "ui",
    run_id: int | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    commit: bool = True,
) -> InviteResult:
    """Invite the customers ``record_ids`` to answer the survey ``form_id``.

    With ``idempotency_key`` (an automation step; one record only) a second call makes
    nothing and reports ``already_sent``.

    Raises:
        Forbidden: the actor is a viewer.
        NotFound: the survey form is not in the actor's workspace.
        Invalid: a setting is wrong, or the survey has no link field to a customer form;
            ``field`` names it (form_id, record_ids, expires_days, remind_after_days,
            source, idempotency_key). Nothing is changed.
    """
    actor.require(Role.MEMBER)
    form = apps.get_form(session, actor, form_id)
    if form.published_version is None:
        raise Invalid(_l("Publish the survey form before inviting anyone."), field="form_id")
    _check_days(expires_days, remind_after_days)
    if source not in SOURCES:
        raise Invalid(_l("Unknown source of invitations."), field="source")
    ids = _ids(record_ids)
    if idempotency_key is not None and len(ids) != 1:
        raise Invalid(_l("An idempotency key is for one record."), field="idempotency_key")
    runtime = runtime_for(session, form)
    links = survey_links(runtime)
    if not links:
        raise Invalid(
            _l(
                "This survey has no field linking to a customer form; add one so that "
                "answers are attached to the customer."
            ),
            field="form_id",
        )
    _check_answerable(runtime, set(links.values()))
    now = now or utcnow()
    result = InviteResult()
    if idempotency_key is not None and session.scalar(
        scoped(SurveyInvitation, actor).where(SurveyInvitation.idempotency_key == idempotency_key)
    ):
        result.skipped.append((ids[0], "already_sent", _l("This invitation was already sent.")))
        return result
    customers = {
        record.id: (record, key)
        for record, key in session.execute(
            select(Record, Form.key)
            .join(Form, Form.id == Record.form_id)
            .where(
                Record.workspace_id == actor.workspace_id,
                Record.id.in_(ids),
                Record.deleted_at.is_(None),
            )
        ).all()
    }
    pending = set(
        session.scalars(
            scoped(SurveyInvitation, actor)
            .with_only_columns(SurveyInvitation.record_id)
            .where(
                SurveyInvitation.form_id == form.id,
                SurveyInvitation.record_id.in_(ids),
                SurveyInvitation.used_at.is_(None),
                SurveyInvitation.expires_at > now,
            )
        )
    )
    addresses = _addresses(session, [record for record, _key in customers.values()])
    opted_out = set(
        session.scalars(
            select(SurveyOptOut.email).where(
                SurveyOptOut.workspace_id == actor.workspace_id,
                SurveyOptOut.email.in_({a.lower() for a in addresses.values()}),
            )
        )
    )
    rows: list[dict[str, Any]] = []
    tokens: list[str] = []
    for rid in ids:
        found = customers.get(rid)
        if found is None:
            result.skipped.append((rid, "not_found", _skip_text("not_found", rid)))
        elif found[1] not in links:
            result.skipped.append((rid, "wrong_form", _skip_text("wrong_form", rid)))
        elif rid in pending:
            result.skipped.append((rid, "pending", _skip_text("pending", rid)))
        elif addresses.get(rid, "").lower() in opted_out:
            message = _skip_text("opted_out", rid, addresses[rid])
            result.skipped.append((rid, "opted_out", message))
        else:
            tokens.append(secrets.token_urlsafe(TOKEN_BYTES))
            rows.append(
                {
                    "workspace_id": actor.workspace_id,
                    "form_id": form.id,
                    "record_id": rid,
                    "email": addresses.get(rid),
                    "token_hash": token_hash(tokens[-1]),
                    "expires_at": now + timedelta(days=expires_days),
                    "remind_after_days": remind_after_days,
                    "source": source,
                    "run_id": run_id,
                    "idempotency_key": idempotency_key,
                    "created_by_id": actor.user_id,
                    "created_at": now,
                }
            )
    for invitation, token in zip(_insert(session, rows), tokens, strict=False):
        _mail_invitation(session, actor, runtime, form, invitation, token, result)
        result.sent.append((invitation, invitation_url(token)))
    if rows and not result.sent:  # the same automation step won a concurrent insert
        result.skipped.append((ids[0], "already_sent", _l("This invitation was already sent.")))
    if commit:
        session.commit()
    return result


def _check_answerable(runtime: FormRuntime, set_by_invitation: set[str]) -> None:
    """Refuse a survey whose required field no respondent can fill in (staff only, or a
    link other than the customer's, which the invitation sets): every answer would fail."""
    required = set(runtime.document.get("required") or ())
    unseen = unseen_keys(runtime)
    for key, schema, _kind in runtime.compiled.fields:
        if key in required and key in unseen and key not in set_by_invitation:
            raise Invalid(
                _l(
                    "“%(field)s” is required but respondents cannot fill it in, so no answer "
                    "could be stored: make it optional, or show it to respondents.",
                    field=field_label(schema, key),
                ),
                field="form_id",
            )


def _check_days(expires_days: Any, remind_after_days: Any) -> None:
    if isinstance(expires_days, bool) or not isinstance(expires_days, int):
        raise Invalid(_l("Expires after: enter a whole number of days."), field="expires_days")
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise Invalid(
            _l("Expires after: enter 1 to %(max)d days.", max=MAX_EXPIRES_DAYS),
            field="expires_days",
        )
    if remind_after_days is None:
        return
    if (
        isinstance(remind_after_days, bool)
        or not isinstance(remind_after_days, int)
        or not 1 <= remind_after_days < expires_days
    ):
        raise Invalid(
            _l(
                "Remind after: enter a number of days from 1 to %(max)d (before the link "
                "expires), or leave it empty.",
                max=expires_days - 1,
            ),
            field="remind_after_days",
        )


def _ids(record_ids: Iterable[int]) -> list[int]:
    ids: list[int] = []
    for value in record_ids:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(_l("Choose customers by their record numbers."), field="record_ids")
        ids.append(value)
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise Invalid(_l("Choose at least one customer."), field="record_ids")
    if len(ids) > MAX_RECORDS:
        raise Invalid(
            _l("Invite at most %(count)d customers at a time.", count=MAX_RECORDS),
            field="record_ids",
        )
    return ids


def _addresses(session: Session, customers: list[Record]) -> dict[int, str]:
    """Record id → the value of the first e-mail field of its form (when there is one)."""
    keys: dict[int, str | None] = {}
    result: dict[int, str] = {}
    for record in customers:
        if record.form_id not in keys:
            form = session.get(Form, record.form_id)
            published = form is not None and form.published_version is not None
            keys[record.form_id] = _email_field(runtime_for(session, form)) if published else None  # type: ignore[arg-type]
        key = keys[record.form_id]
        value = record.data.get(key) if key else None
        if isinstance(value, str) and value.strip():
            result[record.id] = value.strip()
    return result


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[SurveyInvitation]:
    if not rows:
        return []
    if rows[0]["idempotency_key"] is not None:
        # ON CONFLICT: a concurrent run of the same step inserts nothing the second time.
        statement = (
            dialect_insert(session, SurveyInvitation)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(SurveyInvitation)
        )
        return list(session.scalars(statement, rows))
    statement = insert(SurveyInvitation).returning(SurveyInvitation, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _mail_invitation(
    session: Session,
    actor: Actor,
    runtime: FormRuntime,
    form: Form,
    invitation: SurveyInvitation,
    token: str,
    result: InviteResult,
) -> None:
    rid = invitation.record_id or 0
    if not invitation.email:
        result.skipped.append((rid, "no_email", _skip_text("no_email", rid)))
        return
    subject, body = compose(
        "invite",
        workspace=actor.workspace,
        runtime=runtime,
        form_title=form.title,
        url=invitation_url(token),
        email=invitation.email,
        expires_at=invitation.expires_at,
    )
    try:
        queue_email(
            session,
            workspace_id=actor.workspace_id,
            to=invitation.email,
            subject=subject,
            body=body,
            idempotency_key=f"survey-invitation-{invitation.id}",
        )
    except Invalid:
        message = _skip_text("bad_email", rid, invitation.email)
        invitation.email = None
        result.skipped.append((rid, "bad_email", message))


def _skip_text(reason: str, record_id: int, email: str = "") -> Any:
    texts = {
        "not_found": _l("Record #%(id)s does not exist or was deleted.", id=record_id),
        "wrong_form": _l("Record #%(id)s is not in a form this survey links to.", id=record_id),
        "pending": _l("Record #%(id)s already has an open invitation.", id=record_id),
        "opted_out": _l(
            "Record #%(id)s: %(email)s asked not to receive survey invitations.",
            id=record_id,
            email=email,
        ),
        "no_email": _l(
            "Record #%(id)s has no e-mail address: nothing was sent; copy its link.",
            id=record_id,
        ),
        "bad_email": _l(
            "Record #%(id)s: “%(email)s” cannot receive e-mail; copy its link.",
            id=record_id,
            email=email,
        ),
    }
    return texts[reason]


# -- opting out, statistics, reminders ------------------------------------------------------


def invitation_stats(
    session: Session,
    workspace_id: int,
    form_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Invitations of a survey sent in ``[start, end)``, counted in one SQL query.

    ``sent`` all of them; ``answered``; of the unanswered: ``opted_out`` (the address
    opted out since), ``expired``, ``pending``; ``reminded``; ``response_rate`` =
    answered / sent as a fraction (None when nothing was sent).
    """
    now = now or utcnow()
    invitation = SurveyInvitation
    opted = exists().where(
        SurveyOptOut.workspace_id == invitation.workspace_id,
        SurveyOptOut.email == func.lower(invitation.email),
    )
    open_ = invitation.used_at.is_(None)
    query = select(
        func.count(),
        func.count(invitation.used_at),
        func.coalesce(func.sum(case((and_(open_, opted), 1), else_=0)), 0),
        func.coalesce(
            func.sum(case((and_(open_, ~opted, invitation.expires_at <= now), 1), else_=0)), 0
        ),
        func.count(invitation.reminded_at),
    ).where(invitation.workspace_id == workspace_id, invitation.form_id == form_id)
    if start is not None:
        query = query.where(invitation.created_at >= start)
    if end is not None:
        query = query.where(invitation.created_at < end)
    sent, answered, opted_out, expired, reminded = session.execute(query).one()
    return {
        "sent": sent,
        "answered": answered,
        "opted_out": opted_out,
        "expired": expired,
        "pending": sent - answered - opted_out - expired,
        "reminded": reminded,
        "response_rate": answered / sent if sent else None,
    }


def send_due_reminders(session: Session, now: datetime | None = None) -> int:
    """Queue the one reminder of every invitation that came due; commits per batch.

    Returns how many reminders were queued.
    """
    return due_reminders(session, now or utcnow())

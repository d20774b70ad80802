"""Answering a personal survey invitation, and opting out of them.

A token is looked up by its SHA-256 (or, for the reminder's link, by its signature —
see :mod:`formwork.services.survey_mail`). Answering claims the invitation with one
conditional UPDATE (``used_at IS NULL AND expires_at > now``) in the transaction that
stores the response, so a token answers once even under concurrent posts. The response
goes through the records service with the survey's link field set to the customer,
owned by the customer's owner, and raises ``survey_submitted`` (DESIGN §5) whose record
is the response; its payload carries the answers, the invitation and the customer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from formwork.automation import outbox
from formwork.db import dialect_insert, utcnow
from formwork.models import Form, Record, SurveyInvitation, SurveyOptOut
from formwork.services import records
from formwork.services.errors import PlatformError
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.public_forms import respondent_keys
from formwork.services.records import Respondent
from formwork.services.survey_mail import read_opt_out, read_reminder_token

TOKEN_MAX_CHARS = 400


class InvitationUnavailable(PlatformError):
    """The link cannot be answered; ``state`` is ``unknown``, ``used`` or ``expired``."""

    def __init__(self, state: str) -> None:
        super().__init__(_l("This survey link cannot be used."))
        self.state = state


@dataclass
class InvitationPage:
    """What the answer page needs: the invitation, its survey form and the state."""

    invitation: SurveyInvitation
    form: Form
    runtime: FormRuntime
    state: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_links(runtime: FormRuntime) -> dict[str, str]:
    """Linked form key → the survey's first single-link field pointing at it."""
    found: dict[str, str] = {}
    for key, target in runtime.links.items():
        if key not in runtime.multi_links:
            found.setdefault(target, key)
    return found


def _find(session: Session, token: str) -> SurveyInvitation | None:
    if not token or len(token) > TOKEN_MAX_CHARS:
        return None
    if "." in token:  # a signed reminder link
        named = read_reminder_token(token)
        if named is None:
            return None
        invitation = session.get(SurveyInvitation, named[0])
        if invitation is None or invitation.workspace_id != named[1]:
            return None
        return invitation
    return session.scalar(
        select(SurveyInvitation).where(SurveyInvitation.token_hash == token_hash(token))
    )


def open_invitation(session: Session, token: str, *, now: datetime) -> InvitationPage:
    """The invitation behind ``token`` with its state (open, used, expired).

    Raises:
        InvitationUnavailable: ``unknown`` — no such invitation, or its survey is gone.
    """
    invitation = _find(session, token)
    form = session.get(Form, invitation.form_id) if invitation is not None else None
    if (
        invitation is None
        or form is None
        or form.workspace_id != invitation.workspace_id
        or form.archived_at is not None
        or form.published_version is None
    ):
        raise InvitationUnavailable("unknown")
    if invitation.used_at is not None:
        state = "used"
    elif invitation.expires_at <= now:
        state = "expired"
    else:
        state = "open"
    return InvitationPage(invitation, form, runtime_for(session, form), state)


def answer_invitation(
    session: Session, token: str, form_data: Mapping[str, Any], *, now: datetime
) -> Record:
    """Store the answer to an invitation and commit; the token is then used up.

    Raises:
        InvitationUnavailable: unknown, already used or expired (nothing stored).
        RecordInvalid: the answers break the form's rules (the token stays usable).
    """
    page = open_invitation(session, token, now=now)
    if page.state != "open":
        raise InvitationUnavailable(page.state)
    invitation, form, runtime = page.invitation, page.form, page.runtime
    claimed = session.execute(
        update(SurveyInvitation)
        .where(
            SurveyInvitation.id == invitation.id,
            SurveyInvitation.token_hash == invitation.token_hash,
            SurveyInvitation.used_at.is_(None),
            SurveyInvitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise InvitationUnavailable(open_invitation(session, token, now=now).state)
    # Links, members, attachments and staff-only fields are never taken from the post.
    allowed = respondent_keys(runtime)
    raw = {k: v for k, v in form_data.items() if k in allowed}
    customer = _customer(session, invitation)
    link = survey_links(runtime).get(customer[1]) if customer is not None else None
    if customer is not None and link is not None:
        raw[link] = str(customer[0].id)
    owner = customer[0].owner_id if customer is not None else None
    try:
        response = records.create_response(
            session,
            Respondent(invitation.workspace_id, owner),
            form,
            raw,
            event_source="survey",
            commit=False,
        )
    except PlatformError:
        session.rollback()
        raise
    session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == invitation.id)
        .values(response_id=response.id)
        .execution_options(synchronize_session=False)
    )
    answers = dict(response.data)
    outbox.emit(
        session,
        workspace_id=invitation.workspace_id,
        type="survey_submitted",
        form_id=form.id,
        record_id=response.id,
        payload={
            "before": None,
            "after": answers,
            "changed": sorted(answers),
            "answers": answers,
            "invitation_id": invitation.id,
            "customer_id": customer[0].id if customer is not None else None,
        },
        source="survey",
    )
    session.commit()
    return response


def _customer(session: Session, invitation: SurveyInvitation) -> tuple[Record, str] | None:
    """The invited customer (live) and its form's key."""
    if invitation.record_id is None:
        return None
    row = session.execute(
        select(Record, Form.key)
        .join(Form, Form.id == Record.form_id)
        .where(
            Record.workspace_id == invitation.workspace_id,
            Record.id == invitation.record_id,
            Record.deleted_at.is_(None),
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def opt_out(session: Session, token: str) -> str:
    """Record that the address in an opt-out token wants no more invitations; commits.

    Returns the address. Raises ForgedLink for an altered token.
    """
    workspace_id, email = read_opt_out(token)
    session.execute(
        dialect_insert(session, SurveyOptOut)
        .values(workspace_id=workspace_id, email=email, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["workspace_id", "email"])
    )
    session.commit()
    return email

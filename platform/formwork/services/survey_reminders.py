"""The one reminder to survey non-responders, across all workspaces.

The scheduler calls :func:`due_reminders` every few minutes (``SURVEY_REMINDER_SECONDS``).
Invitations are claimed with a conditional ``UPDATE … SET reminded_at = now WHERE
reminded_at IS NULL … RETURNING`` and their e-mails queued in the same transaction, so
two schedulers or a second call never remind twice. Not reminded: answered or expired
invitations, those without an address, and addresses that opted out.

"Due" is ``created_at <= now - remind_after_days``; the query runs once per distinct
``remind_after_days`` so the comparison is a plain column against a parameter on both
SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from formwork.models import Form, SurveyInvitation, SurveyOptOut, Workspace
from formwork.services.errors import Invalid
from formwork.services.form_runtime import runtime_for
from formwork.services.mailer import queue_email
from formwork.services.public_forms import absolute_url
from formwork.services.survey_mail import compose, reminder_token

log = logging.getLogger(__name__)

BATCH = 500


def due_reminders(session: Session, now: datetime) -> int:
    """Queue every reminder that came due; commits after each batch. Returns the count."""
    invitation = SurveyInvitation
    opted = exists().where(
        SurveyOptOut.workspace_id == invitation.workspace_id,
        SurveyOptOut.email == func.lower(invitation.email),
    )
    waiting = (
        invitation.used_at.is_(None),
        invitation.reminded_at.is_(None),
        invitation.expires_at > now,
        invitation.email.is_not(None),
        ~opted,
    )
    # A read first, so a quiet run never takes SQLite's write lock.
    periods = list(
        session.scalars(
            select(invitation.remind_after_days)
            .where(invitation.remind_after_days.is_not(None), *waiting)
            .distinct()
        )
    )
    session.commit()
    queued = 0
    for days in periods:
        due = (
            select(invitation.id)
            .where(
                invitation.remind_after_days == days,
                invitation.created_at <= now - timedelta(days=days),
                *waiting,
            )
            .order_by(invitation.id)
            .limit(BATCH)
        )
        while True:
            anything = session.scalar(due.limit(1))
            session.commit()
            if anything is None:
                break
            rows = session.execute(
                update(invitation)
                .where(invitation.id.in_(due.scalar_subquery()), *waiting)
                .values(reminded_at=now)
                .returning(
                    invitation.id,
                    invitation.workspace_id,
                    invitation.form_id,
                    invitation.email,
                    invitation.expires_at,
                )
                .execution_options(synchronize_session=False)
            ).all()
            _queue(session, rows)
            session.commit()
            queued += len(rows)
            if len(rows) < BATCH:
                break
    return queued


def _queue(session: Session, rows: Sequence[Any]) -> None:
    workspaces: dict[int, Workspace | None] = {}
    forms: dict[int, Form | None] = {}
    for row in rows:
        if row.workspace_id not in workspaces:
            workspaces[row.workspace_id] = session.get(Workspace, row.workspace_id)
        if row.form_id not in forms:
            forms[row.form_id] = session.get(Form, row.form_id)
        workspace, form = workspaces[row.workspace_id], forms[row.form_id]
        if workspace is None or form is None or form.published_version is None:
            continue
        subject, body = compose(
            "reminder",
            workspace=workspace,
            runtime=runtime_for(session, form),
            form_title=form.title,
            url=absolute_url(f"/s/{reminder_token(row.id, row.workspace_id)}"),
            email=row.email,
            expires_at=row.expires_at,
        )
        try:
            queue_email(
                session,
                workspace_id=row.workspace_id,
                to=row.email,
                subject=subject,
                body=body,
                idempotency_key=f"survey-reminder-{row.id}",
            )
        except Invalid:
            log.warning("survey invitation %s: %r cannot take e-mail", row.id, row.email)

"""Personal survey invitations from the staff's side (``surveys.invitations``,
``surveys.invite``, ``surveys.bulk_invite``): the list of a survey's invitations with its
response rate, inviting one customer, and inviting the records selected in a customer
list (or every record matching its search and filter, selected in SQL).

After sending, the page shows each invitation's link: the token exists only then (only
its hash is stored). Registered on the ``surveys`` blueprint by
:func:`register_invitations`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from formwork import db
from formwork.db import utcnow
from formwork.models import Form, Role
from formwork.services import surveys
from formwork.services.errors import InputError, Invalid
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.record_query import ListQuery, matching_ids
from formwork.services.scope import Actor
from formwork.services.survey_catalog import customer_link, invitation_rows, survey_forms_for
from formwork.web.context import current_actor, workspace_view
from formwork.web.list_state import FormArgs, ListState, read_state
from formwork.web.records import ServiceChoices
from formwork.web.survey_charts import percent
from formwork.web.survey_results_page import form_title, published

INVITATIONS_PAGE_SIZE = 50
DEFAULT_EXPIRES_DAYS = 14


# -- invitations ---------------------------------------------------------------------------


def _int(text: str | None, field: str, message: Any, *, optional: bool = False) -> int | None:
    text = (text or "").strip()
    if not text and optional:
        return None
    if not text.isdigit():
        raise Invalid(message, field=field)
    return int(text)


def _days(posted: Any) -> tuple[int, int | None]:
    expires = _int(
        posted.get("expires_days"),
        "expires_days",
        _l("Expires after: enter a whole number of days."),
    )
    remind = _int(
        posted.get("remind_after_days"),
        "remind_after_days",
        _l("Remind after: enter a whole number of days, or leave it empty."),
        optional=True,
    )
    return expires or 0, remind


def _render_invitations(
    session: Session,
    actor: Actor,
    form: Form,
    runtime: FormRuntime,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    link = customer_link(session, actor, runtime)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    now = utcnow()
    rows, total = invitation_rows(
        session, actor, form, now=now, page=page, page_size=INVITATIONS_PAGE_SIZE
    )
    stats = surveys.invitation_stats(session, actor.workspace_id, form.id, now=now)
    customers = None
    if link is not None and actor.role.at_least(Role.MEMBER):
        customers = ServiceChoices(session, actor).records(link[1].key)
    return render_template(
        "surveys/invitations.html",
        form=form,
        form_title=form_title(form, runtime),
        customer_form=link[1] if link else None,
        customers=customers,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // INVITATIONS_PAGE_SIZE)),
        stats=stats,
        rate_text=percent(stats["response_rate"]),
        can_write=actor.role.at_least(Role.MEMBER),
        errors=errors or {},
        posted=request.form if request.method == "POST" else {},
        default_expires=DEFAULT_EXPIRES_DAYS,
    ), status


def invitations(form_id: int) -> tuple[str, int]:
    """The survey's invitations: who was asked, who answered, the response rate."""
    actor, session = current_actor(), db.session()
    form, runtime = published(session, actor, form_id)
    return _render_invitations(session, actor, form, runtime)


def invite(form_id: int) -> tuple[str, int]:
    """Invite one customer; the page then shows the invitation's link, once."""
    actor, session = current_actor(), db.session()
    form, runtime = published(session, actor, form_id)
    try:
        expires, remind = _days(request.form)
        record_id = _int(
            request.form.get("record_id"), "record_id", _l("Customer: choose a customer.")
        )
        result = surveys.invite(
            session,
            actor,
            form.id,
            [record_id or 0],
            expires_days=expires,
            remind_after_days=remind,
            source="ui",
        )
    except InputError as exc:
        session.rollback()
        name = {"record_ids": "record_id"}.get(exc.field or "", exc.field or "form")
        return _render_invitations(
            session, actor, form, runtime, errors={name: str(exc.message)}, status=422
        )
    return _render_sent(session, actor, form, runtime, result, back=None)


def _render_sent(
    session: Session,
    actor: Actor,
    form: Form,
    runtime: FormRuntime,
    result: surveys.InviteResult,
    *,
    back: str | None,
) -> tuple[str, int]:
    link = customer_link(session, actor, runtime)
    names: dict[int, str] = {}
    if link is not None:
        ids = [inv.record_id for inv, _url in result.sent if inv.record_id]
        ids += [rid for rid, _reason, _text in result.skipped]
        names = ServiceChoices(session, actor).labels(link[1].key, ids)
    return render_template(
        "surveys/sent.html",
        form=form,
        form_title=form_title(form, runtime),
        result=result,
        names=names,
        back=back,
    ), 200


# -- bulk invitations from a records list ------------------------------------------------


def _selected_ids(
    session: Session, actor: Actor, customers: Form
) -> tuple[list[int], ListState | None]:
    """The records picked in the list (``record_id``), or every record matching the
    list's search and filter (``all=1``), selected in SQL."""
    if request.form.get("all") == "1":
        state = read_state(
            FormArgs({k: request.form.get(k, "") for k in ("q", "filter")}), ListState()
        )
        if state.filter_error:
            raise Invalid(state.filter_error, field="filter")
        query = ListQuery(search=state.search, condition=state.condition)
        return matching_ids(session, actor, customers, query, limit=surveys.MAX_RECORDS + 1), state
    ids = []
    for value in request.form.getlist("record_id"):
        if not value.strip().isdigit():
            raise Invalid(_l("Choose customers by their record numbers."), field="record_ids")
        ids.append(int(value))
    return list(dict.fromkeys(ids)), None


def bulk_invite(form_id: int) -> tuple[str, int] | Response:
    """Send a survey to the records selected in a list: choose the survey, expiry and
    reminder, then send; the page shows each link and the customers skipped."""
    actor, session = current_actor(), db.session()
    customers, customers_runtime = published(session, actor, form_id)
    back = url_for("lists.index", workspace_id=actor.workspace_id, form_id=customers.id)
    ids, state = _selected_ids(session, actor, customers)
    if not ids:
        flash(
            _("Select at least one record, or choose all records matching the filter."), "warning"
        )
        return redirect(back)
    choices = survey_forms_for(session, actor, customers)
    errors: dict[str, str] = {}
    if len(ids) > surveys.MAX_RECORDS:
        errors["record_ids"] = _(
            "Invite at most %(count)d customers at a time; narrow the filter.",
            count=surveys.MAX_RECORDS,
        )
    elif request.form.get("confirm") == "1":
        chosen = request.form.get("survey", type=int)
        survey = next((f for f in choices if f.id == chosen), None)
        try:
            if survey is None:
                raise Invalid(_l("Survey: choose one of the surveys listed."), field="survey")
            expires, remind = _days(request.form)
            result = surveys.invite(
                session, actor, survey.id, ids,
                expires_days=expires, remind_after_days=remind, source="bulk",
            )  # fmt: skip
        except InputError as exc:
            session.rollback()
            errors[exc.field or "survey"] = str(exc.message)
        else:
            return _render_sent(
                session, actor, survey, runtime_for(session, survey), result, back=back
            )
    return render_template(
        "surveys/bulk.html",
        customers=customers,
        customers_title=form_title(customers, customers_runtime),
        choices=[(f, form_title(f, runtime_for(session, f))) for f in choices],
        ids=ids if state is None else [],
        count=len(ids),
        state=state,
        errors=errors,
        posted=request.form,
        back=back,
        default_expires=DEFAULT_EXPIRES_DAYS,
    ), (422 if errors else 200)


def register_invitations(bp: Blueprint) -> None:
    """Add the invitation pages to the ``surveys`` blueprint."""
    bp.add_url_rule("/invitations", "invitations", workspace_view()(invitations), methods=["GET"])
    bp.add_url_rule("/invitations", "invite", workspace_view(Role.MEMBER)(invite), methods=["POST"])
    bp.add_url_rule(
        "/surveys/bulk-invite",
        "bulk_invite",
        workspace_view(Role.MEMBER)(bulk_invite),
        methods=["POST"],
    )

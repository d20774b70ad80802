"""Follow-up pages: My tasks (我的任务) and the POST actions on a task.

Times are entered and shown in the workspace's time zone, with its name. After a POST the
browser goes back to the page it came from (``next``, same-site paths only).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from babel.dates import format_skeleton, format_time
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from formwork import db
from formwork.db import utcnow
from formwork.models import Record, Role, Workspace
from formwork.services import apps, records, tasks
from formwork.services.errors import InputError, Invalid
from formwork.services.scope import Actor
from formwork.web.auth import safe_next
from formwork.web.context import current_actor, form_error, require_valid, workspace_view

bp = Blueprint("tasks", __name__, url_prefix="/w/<int:workspace_id>/tasks")

# Without a time, a follow-up is due at the end of the working day.
DEFAULT_DUE_TIME = time(18, 0)
SNOOZE_MORNING = time(9, 0)


@bp.app_template_global("task_remind_choices")
def remind_choices() -> list[tuple[str, str]]:
    return [
        ("", str(_l("No reminder"))),
        ("0", str(_l("At the due time"))),
        ("15", str(_l("15 minutes before"))),
        ("60", str(_l("1 hour before"))),
        ("1440", str(_l("1 day before"))),
    ]


@bp.app_template_global("task_snooze_choices")
def snooze_choices() -> list[tuple[str, str]]:
    return [
        ("1h", str(_l("1 hour"))),
        ("tomorrow", str(_l("Tomorrow 09:00"))),
        ("next_week", str(_l("Next week (Monday 09:00)"))),
    ]


class TaskForm(FlaskForm):
    """A new follow-up, from My tasks or from a record page."""

    title = StringField(_l("Follow-up"), validators=[DataRequired(), Length(max=300)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=10_000)])
    due_date = DateField(_l("Due date"), validators=[Optional()])
    due_time = TimeField(_l("Time"), validators=[Optional()])
    remind = SelectField(_l("Reminder"), choices=remind_choices, default="")
    assignee_id = SelectField(_l("Assignee"), coerce=int, validate_choice=False)
    record_id = HiddenField()
    form_id = HiddenField()
    next = HiddenField()


class TaskActionForm(FlaskForm):
    """Complete / reopen: CSRF and where to go back to."""

    next = HiddenField()


class SnoozeForm(TaskActionForm):
    until = SelectField(_l("Snooze"), choices=snooze_choices)


class ReassignForm(TaskActionForm):
    assignee_id = SelectField(_l("Assignee"), coerce=int, validate_choice=False)


# -- time display --------------------------------------------------------------------------


def _locale() -> str:
    return str(get_locale() or "en")


@bp.app_template_filter("zoned")
def zoned(moment: datetime | None, workspace: Workspace) -> str:
    """A moment on the workspace's clock in the reader's language (no zone name)."""
    if moment is None:
        return ""
    zone = workspace.zone
    locale = _locale()
    day = format_skeleton("yMMMEd", moment, tzinfo=zone, locale=locale)
    return f"{day} {format_time(moment, 'short', tzinfo=zone, locale=locale)}"


@bp.app_template_global("now_utc")
def now_utc() -> datetime:
    return utcnow()


@bp.app_template_filter("zone_name")
def zone_name(workspace: Workspace) -> str:
    return str(workspace.zone.key)


# -- pages ---------------------------------------------------------------------------------


def _back(default: str) -> Response:
    return redirect(safe_next(request.form.get("next"), default))


def _index_url(actor: Actor) -> str:
    return url_for("tasks.index", workspace_id=actor.workspace_id)


def _who(raw: str | None) -> tuple[int | None, bool]:
    """``?who=all`` → everyone; ``?who=<id>`` → that member; otherwise the actor."""
    if raw == "all":
        return None, True
    if raw and raw.isdigit():
        return int(raw), False
    return None, False


def _render_index(
    session: Session, actor: Actor, form: TaskForm, status: int = 200
) -> tuple[str, int]:
    assignee_id, everyone = _who(request.args.get("who"))
    now = utcnow()
    buckets = tasks.my_tasks(session, actor, now=now, assignee_id=assignee_id, everyone=everyone)
    members = tasks.assignable_members(session, actor)
    return render_template(
        "tasks/index.html",
        buckets=buckets,
        form=form,
        members=members,
        who="all" if everyone else str(assignee_id or ""),
        showing_others=everyone or (assignee_id not in (None, actor.user_id)),
        can_edit=actor.role.at_least(Role.MEMBER),
        is_admin=actor.role.at_least(Role.ADMIN),
        next_url=request.full_path.rstrip("?"),
    ), status


def _new_task_form(session: Session, actor: Actor) -> TaskForm:
    form = TaskForm()
    form.assignee_id.choices = tasks.assignable_members(session, actor)
    if request.method == "GET":
        form.assignee_id.data = actor.user_id
    return form


@bp.get("")
@workspace_view()
def index() -> tuple[str, int]:
    """My tasks: overdue, today, upcoming, without a date, recently done."""
    actor, session = current_actor(), db.session()
    return _render_index(session, actor, _new_task_form(session, actor))


@bp.post("")
@workspace_view(Role.MEMBER)
def create() -> tuple[str, int] | Response:
    """Create a follow-up (from My tasks, or from a record's follow-up panel)."""
    actor, session = current_actor(), db.session()
    form = _new_task_form(session, actor)
    from_record = bool(form.record_id.data)
    if form.validate_on_submit():
        try:
            due_at, remind_at = _due_and_reminder(actor, form)
            task = tasks.create_task(
                session,
                actor,
                title=form.title.data or "",
                notes=form.notes.data or "",
                assignee_id=form.assignee_id.data,  # type: ignore[arg-type]
                record=_record(session, actor, form),
                due_at=due_at,
                remind_at=remind_at,
            )
        except InputError as exc:
            form_error(form, exc)
        else:
            flash(_("Follow-up “%(title)s” created.", title=task.title), "success")
            return _back(_index_url(actor))
    if from_record:
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
        return _back(_index_url(actor))
    return _render_index(session, actor, form, 422)


def _record(session: Session, actor: Actor, form: TaskForm) -> Record | None:
    if not form.record_id.data:
        return None
    try:
        form_id, record_id = int(form.form_id.data or ""), int(form.record_id.data)
    except ValueError as exc:
        raise Invalid(_l("This record does not exist or was deleted.")) from exc
    return records.get_record(session, actor, apps.get_form(session, actor, form_id), record_id)


def _due_and_reminder(actor: Actor, form: TaskForm) -> tuple[datetime | None, datetime | None]:
    day: date | None = form.due_date.data
    at: time | None = form.due_time.data
    if day is None:
        if at is not None:
            raise Invalid(_l("Due date: choose a date for this time."), field="due_date")
        return None, None
    zone = actor.workspace.zone
    due = datetime.combine(day, at or DEFAULT_DUE_TIME, tzinfo=zone).astimezone(UTC)
    minutes = form.remind.data
    remind = due - timedelta(minutes=int(minutes)) if minutes else None
    return due, remind


@bp.post("/<int:task_id>/complete")
@workspace_view(Role.MEMBER)
def complete(task_id: int) -> Response:
    """Mark a follow-up done (a recurring one schedules its next occurrence)."""
    actor, session = current_actor(), db.session()
    require_valid(TaskActionForm())
    task, following = tasks.complete_task(session, actor, task_id)
    flash(_("Done: “%(title)s”.", title=task.title), "success")
    if following is not None and following.due_at is not None:
        flash(
            _(
                "The next follow-up is due %(when)s (%(zone)s).",
                when=zoned(following.due_at, actor.workspace),
                zone=zone_name(actor.workspace),
            ),
            "info",
        )
    return _back(_index_url(actor))


@bp.post("/<int:task_id>/reopen")
@workspace_view(Role.MEMBER)
def reopen(task_id: int) -> Response:
    """Open a done follow-up again."""
    actor, session = current_actor(), db.session()
    require_valid(TaskActionForm())
    task = tasks.reopen_task(session, actor, task_id)
    flash(_("Reopened: “%(title)s”.", title=task.title), "info")
    return _back(_index_url(actor))


def snooze_until(choice: str, now: datetime, workspace: Workspace) -> datetime:
    """1 hour from now, tomorrow 09:00 or next Monday 09:00 on the workspace's clock."""
    if choice == "1h":
        return now + timedelta(hours=1)
    zone = workspace.zone
    today = now.astimezone(zone).date()
    if choice == "tomorrow":
        day = today + timedelta(days=1)
    elif choice == "next_week":
        day = today + timedelta(days=7 - today.weekday())
    else:
        raise Invalid(_l("Snooze: choose one of the offered times."), field="until")
    return datetime.combine(day, SNOOZE_MORNING, tzinfo=zone).astimezone(UTC)


@bp.post("/<int:task_id>/snooze")
@workspace_view(Role.MEMBER)
def snooze(task_id: int) -> Response:
    """Move a follow-up's due time (and its reminder) later."""
    actor, session = current_actor(), db.session()
    form = SnoozeForm()
    require_valid(form)
    now = utcnow()
    until = snooze_until(form.until.data or "", now, actor.workspace)
    task = tasks.snooze_task(session, actor, task_id, until, now=now)
    flash(
        _(
            "“%(title)s” snoozed until %(when)s (%(zone)s).",
            title=task.title,
            when=zoned(until, actor.workspace),
            zone=zone_name(actor.workspace),
        ),
        "info",
    )
    return _back(_index_url(actor))


@bp.post("/<int:task_id>/reassign")
@workspace_view(Role.MEMBER)
def reassign(task_id: int) -> Response:
    """Give a follow-up to another member."""
    actor, session = current_actor(), db.session()
    form = ReassignForm()
    require_valid(form)
    task = tasks.reassign_task(session, actor, task_id, form.assignee_id.data)  # type: ignore[arg-type]
    names = dict(tasks.assignable_members(session, actor))
    flash(
        _(
            "“%(title)s” is now assigned to %(name)s.",
            title=task.title,
            name=names.get(task.assignee_id or 0, "—"),
        ),
        "success",
    )
    return _back(_index_url(actor))


def record_panel(session: Session, actor: Actor, record: Record) -> dict[str, Any]:
    """What ``tasks/_record_tasks.html`` needs on a record page (merge into its context)."""
    return {
        "record_tasks": tasks.tasks_for_record(session, actor, record.id),
        "members": tasks.assignable_members(session, actor),
    }

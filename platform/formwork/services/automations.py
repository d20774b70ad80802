"""Automations (自动化): save and check documents, enable, dry-run (试运行), back-fill
(补跑历史数据), manual buttons and the run log (执行日志).

Admins write; members press manual buttons and read the runs of records they can see.
Every query starts from ``scoped()``: ids from another workspace look exactly like
missing ones. Documents are checked by the workflow engine against the workspace's
current forms (``catalog_for``) and every problem is reported at once, by JSON pointer.

Dry-run and back-fill select the same records: live records of the trigger form, filtered
in SQL by the condition (and by ``field == to`` for a field-change trigger). A condition
that compares before/after values (``changed``, ``was``) cannot run in SQL; it is then
evaluated in Python as if each record had just been created, on at most
``PYTHON_SCAN_LIMIT`` records, and the result says so.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from form_engine.conditions import (
    EvalContext,
    evaluate,
    parse_condition,
    uses_event_operators,
)
from form_engine.errors import FormEngineError
from form_engine.messages import normalise_locale
from formwork.automation import outbox
from formwork.automation.context import (
    ChoiceLabels,
    build_context,
    catalog_for,
    text_locale,
    text_readers,
)
from formwork.automation.executors import submit_after_commit
from formwork.db import utcnow
from formwork.models import App, Automation, Event, Form, Record, Role, Run, Step
from formwork.services import audit
from formwork.services.condition_sql import compile_condition, json_value
from formwork.services.errors import Conflict, Invalid, NotFound
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.scope import Actor, scoped
from workflow_engine.actions import TEXT_ACTIONS, plan_action, summarize
from workflow_engine.documents import check_automation, parse_automation, upgrade

log = logging.getLogger(__name__)

NAME_MAX = 200
DESCRIPTION_MAX = 1000
# A document this large is a mistake or an attack, not an automation.
DOCUMENT_MAX_CHARS = 100_000
DRY_RUN_MAX = 200
# With ``changed``/``was`` in the condition, at most this many records are checked.
PYTHON_SCAN_LIMIT = 1_000
RUN_PAGE_SIZES = (20, 50, 100)
RUN_STATUSES = (
    "pending",
    "running",
    "waiting",
    "retrying",
    "succeeded",
    "failed",
    "cancelled",
    "skipped",
)
CANCELLABLE = ("pending", "waiting", "retrying")
# Triggers without a record: a dry-run plans the actions once.
RECORDLESS_TRIGGERS = frozenset({"schedule"})
RECORDLESS_NOTE = _l("This trigger has no record: the actions run once each time it fires.")


class AutomationInvalid(Invalid):
    """The document (or name) breaks rules; ``problems`` lists every one of them.

    Each problem is ``{"path": JSON pointer into the document ("" when the problem is not
    about the document), "field": "name" | "description" | "document", "message": text in
    the actor's language}``.
    """

    def __init__(self, message: Any, problems: list[dict[str, str]]) -> None:
        super().__init__(message, field="document")
        self.problems = problems


# -- reading --------------------------------------------------------------------------


def list_automations(session: Session, actor: Actor, app_id: int | None = None) -> list[Automation]:
    """The workspace's automations (optionally one app's), by name. Admins only."""
    actor.require_admin()
    query = scoped(Automation, actor)
    if app_id is not None:
        query = query.where(Automation.app_id == app_id)
    return list(session.scalars(query.order_by(Automation.name, Automation.id)))


def get_automation(session: Session, actor: Actor, automation_id: int) -> Automation:
    actor.require_admin()
    return _automation(session, actor, automation_id)


def _automation(session: Session, actor: Actor, automation_id: int) -> Automation:
    found = session.scalar(scoped(Automation, actor).where(Automation.id == automation_id))
    if found is None:
        raise NotFound(_l("This automation does not exist."))
    return found


@dataclass(frozen=True)
class RunStats:
    """How an automation's runs went: counts by status and the newest run's status."""

    counts: dict[str, int] = field(default_factory=dict)
    last_status: str | None = None
    last_at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def run_stats(session: Session, actor: Actor, automation_ids: Sequence[int]) -> dict[int, RunStats]:
    """Run counts by status and the last run of each automation, in two queries."""
    actor.require_admin()
    ids = list(automation_ids)
    if not ids:
        return {}
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    grouped = session.execute(
        select(Run.automation_id, Run.status, func.count())
        .where(Run.workspace_id == actor.workspace_id, Run.automation_id.in_(ids))
        .group_by(Run.automation_id, Run.status)
    )
    for automation_id, status, count in grouped:
        counts[automation_id][status] = count
    newest = (
        select(func.max(Run.id))
        .where(Run.workspace_id == actor.workspace_id, Run.automation_id.in_(ids))
        .group_by(Run.automation_id)
    )
    last = {
        automation_id: (status, created_at)
        for automation_id, status, created_at in session.execute(
            select(Run.automation_id, Run.status, Run.created_at).where(Run.id.in_(newest))
        )
    }
    stats = {}
    for i in ids:
        status, created_at = last.get(i, (None, None))
        stats[i] = RunStats(counts[i], status, created_at)
    return stats


# -- writing --------------------------------------------------------------------------


def save_automation(
    session: Session,
    actor: Actor,
    *,
    automation_id: int | None = None,
    name: str,
    description: str = "",
    document: Any,
    app_id: int | None = None,
    locale: str | None = None,
) -> Automation:
    """Create or replace an automation; a new one stays disabled until enabled.

    The document is checked against the workspace's current forms; the trigger's form key
    becomes ``form_id``, each save bumps ``revision`` and makes the saving admin the one
    whose rights runs use (``run_as``).

    Raises:
        Forbidden: not an admin. NotFound: the automation or app is not in the workspace.
        AutomationInvalid: every problem of the name, description and document.
    """
    actor.require_admin()
    existing = _automation(session, actor, automation_id) if automation_id is not None else None
    if app_id is not None and session.scalar(scoped(App, actor).where(App.id == app_id)) is None:
        raise NotFound(_l("This app does not exist."))
    locale = _locale(actor, locale)
    problems = _text_problems(name, description, locale)
    problems += document_problems(session, actor, document, locale)
    if problems:
        raise AutomationInvalid(_l("Please correct the marked problems."), problems)
    assert isinstance(document, dict)
    trigger_type, form_id = _trigger_of(session, actor, document)
    now = utcnow()
    automation = existing or Automation(
        workspace_id=actor.workspace_id,
        enabled=False,
        revision=0,
        created_by_id=actor.user_id,
        created_at=now,
    )
    automation.name = _clean_text(name)
    automation.description = (description or "").strip()
    automation.document = upgrade(document)
    automation.app_id = app_id if app_id is not None else automation.app_id
    automation.trigger_type = trigger_type
    automation.form_id = form_id
    automation.revision = (automation.revision or 0) + 1
    automation.run_as_id = actor.user_id
    automation.updated_at = now
    if existing is None:
        session.add(automation)
    session.flush()
    audit.record(
        session,
        "automation.updated" if existing else "automation.created",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=automation.name,
        automation=automation.id,
        revision=automation.revision,
    )
    session.commit()
    return automation


def set_enabled(
    session: Session, actor: Actor, automation_id: int, enabled: bool, *, locale: str | None = None
) -> Automation:
    """Switch an automation on or off. Switching on checks the stored document against the
    forms as they are now (a field may have been archived since it was saved).

    Raises:
        AutomationInvalid: the document no longer fits the workspace's forms.
    """
    actor.require_admin()
    automation = _automation(session, actor, automation_id)
    if enabled:
        problems = document_problems(session, actor, automation.document, _locale(actor, locale))
        if problems:
            raise AutomationInvalid(
                _l("This automation no longer fits the forms; correct it before enabling it."),
                problems,
            )
        automation.trigger_type, automation.form_id = _trigger_of(
            session, actor, automation.document
        )
    if automation.enabled == enabled:
        return automation
    automation.enabled = enabled
    automation.updated_at = utcnow()
    audit.record(
        session,
        "automation.enabled" if enabled else "automation.disabled",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=automation.name,
        automation=automation.id,
    )
    session.commit()
    return automation


def delete_automation(session: Session, actor: Actor, automation_id: int) -> None:
    """Delete an automation with its runs and events (the audit log keeps the deletion).

    Raises:
        Conflict: one of its runs is running right now.
    """
    actor.require_admin()
    automation = _automation(session, actor, automation_id)
    running = session.scalar(
        select(func.count())
        .select_from(Run)
        .where(
            Run.workspace_id == actor.workspace_id,
            Run.automation_id == automation.id,
            Run.status == "running",
        )
    )
    if running:
        raise Conflict(
            _l("This automation is running right now. Disable it, wait, then delete it.")
        )
    audit.record(
        session,
        "automation.deleted",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=automation.name,
        automation=automation.id,
    )
    session.delete(automation)
    session.commit()


# -- checking -------------------------------------------------------------------------


def document_problems(
    session: Session, actor: Actor, document: Any, locale: str
) -> list[dict[str, str]]:
    """Every problem of ``document`` against the workspace's forms, in ``locale``."""
    if not isinstance(document, dict):
        return [_problem("", _l("The automation must be a JSON object."), locale=locale)]
    try:
        size = len(json.dumps(document))
    except (TypeError, ValueError):
        return [_problem("", _l("The automation must be plain JSON data."), locale=locale)]
    if size > DOCUMENT_MAX_CHARS:
        return [_problem("", _l("This automation is too large to save."), locale=locale)]
    errors = check_automation(document, catalog_for(session, actor.workspace_id))
    return [
        {"path": pointer(error.path), "field": "document", "message": error.message_in(locale)}
        for error in errors
    ]


def pointer(path: Sequence[str | int]) -> str:
    """A path as a JSON Pointer (RFC 6901): ``("actions", 0, "title")`` → ``/actions/0/title``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _problem(
    path: str, message: Any, field_name: str = "document", locale: str = "en"
) -> dict[str, str]:
    return {"path": path, "field": field_name, "message": _render(message, locale)}


def _render(message: Any, locale: str) -> str:
    """A lazily translated message as text in ``locale`` (the actor's, not the request's)."""
    try:
        with force_locale(locale.replace("-", "_")):
            return str(message)
    except RuntimeError:  # no app context: the message in English
        return str(message)


def _text_problems(name: Any, description: Any, locale: str) -> list[dict[str, str]]:
    problems = []
    if not isinstance(name, str) or not _clean_text(name):
        problems.append(_problem("", _l("Enter a name for the automation."), "name", locale))
    elif len(_clean_text(name)) > NAME_MAX:
        too_long = _l("Use at most %(count)d characters.", count=NAME_MAX)
        problems.append(_problem("", too_long, "name", locale))
    if description is not None and not isinstance(description, str):
        problems.append(_problem("", _l("The description must be text."), "description", locale))
    elif len((description or "").strip()) > DESCRIPTION_MAX:
        too_long = _l("Use at most %(count)d characters.", count=DESCRIPTION_MAX)
        problems.append(_problem("", too_long, "description", locale))
    return problems


def _clean_text(text: str) -> str:
    return " ".join(text.split())


def _locale(actor: Actor, locale: str | None) -> str:
    """The language of messages (``en`` / ``zh-CN``): the one given, else the actor's
    setting, else the request's (Accept-Language)."""
    chosen = locale or actor.user.locale
    if not chosen:
        try:
            chosen = str(get_locale() or "")
        except RuntimeError:  # outside any app context
            chosen = ""
    return normalise_locale(chosen)


def _trigger_of(
    session: Session, actor: Actor, document: Mapping[str, Any]
) -> tuple[str, int | None]:
    trigger = document.get("trigger") or {}
    form_key = trigger.get("form")
    form = _form_by_key(session, actor, form_key) if isinstance(form_key, str) else None
    return str(trigger.get("type")), form.id if form else None


def _form_by_key(session: Session, actor: Actor, key: str) -> Form | None:
    return session.scalar(
        scoped(Form, actor).where(Form.key == key, Form.published_version.is_not(None))
    )


# -- dry-run and back-fill ------------------------------------------------------------


@dataclass(frozen=True)
class PlannedStep:
    """What one action would do: the engine's summary and the rendered inputs."""

    action_id: str
    type: str
    summary: str
    inputs: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class DryRunRecord:
    record_id: int | None
    title: str
    form_id: int | None
    steps: list[PlannedStep]


@dataclass
class DryRun:
    """A dry-run's answer; nothing was written.

    ``total`` counts every matching record. When the condition compares before/after
    values, ``scanned`` says how many records were checked in Python (at most
    ``PYTHON_SCAN_LIMIT``) and ``partial`` whether there were more.
    """

    total: int
    records: list[DryRunRecord]
    recordless: bool = False
    scanned: int | None = None
    partial: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "recordless": self.recordless,
            "scanned": self.scanned,
            "partial": self.partial,
            "notes": self.notes,
            "records": [
                {
                    "record_id": r.record_id,
                    "form_id": r.form_id,
                    "title": r.title,
                    "steps": [
                        {
                            "action_id": s.action_id,
                            "type": s.type,
                            "summary": s.summary,
                            "inputs": _jsonable(s.inputs),
                            "error": s.error,
                        }
                        for s in r.steps
                    ],
                }
                for r in self.records
            ],
        }


@dataclass
class _Selection:
    """Which records an automation concerns: a SQL statement, then — when part of the
    test cannot run in SQL — checks made in Python on at most PYTHON_SCAN_LIMIT records."""

    form: Form
    runtime: FormRuntime
    statement: Select[tuple[Record]]
    python_checks: list[Callable[[Mapping[str, Any]], bool]] = field(default_factory=list)


def dry_run(
    session: Session,
    actor: Actor,
    document: Any,
    *,
    limit: int = 50,
    locale: str | None = None,
) -> DryRun:
    """Who would match ``document`` now and what each action would do. Writes nothing.

    Raises:
        AutomationInvalid: the document has problems (all of them are listed).
    """
    actor.require_admin()
    locale = _locale(actor, locale)
    problems = document_problems(session, actor, document, locale)
    if problems:
        raise AutomationInvalid(_l("Please correct the marked problems."), problems)
    parsed = parse_automation(document)
    limit = max(0, min(limit, DRY_RUN_MAX))
    # Local time: "due at 09:00" means 09:00 in the workspace's zone.
    now = utcnow().astimezone(actor.workspace.zone)
    trigger = document["trigger"]
    if trigger["type"] in RECORDLESS_TRIGGERS or not trigger.get("form"):
        labels = ChoiceLabels(session, actor.workspace_id, None, trigger)
        steps = _plan(session, parsed, None, trigger, now, actor, locale, labels)
        return DryRun(
            total=1,
            records=[DryRunRecord(None, "", None, steps)],
            recordless=True,
            notes=[
                _render(_l("This trigger has no record: the actions run once each time."), locale)
            ],
        )
    selection = _selection(session, actor, document)
    if not selection.python_checks:
        total = (
            session.scalar(
                select(func.count()).select_from(
                    selection.statement.with_only_columns(Record.id).subquery()
                )
            )
            or 0
        )
        matched = list(session.scalars(selection.statement.order_by(Record.id).limit(limit)))
        result = DryRun(total=total, records=[])
    else:
        matched_all, scanned, partial = _python_matches(session, selection)
        matched = matched_all[:limit]
        result = DryRun(total=len(matched_all), records=[], scanned=scanned, partial=partial)
        note = _l(
            "Part of this test cannot run in the database (a condition on values before and "
            "after a change is checked as if each record had just been created). It was "
            "checked on the first %(count)d records only.",
            count=PYTHON_SCAN_LIMIT,
        )
        result.notes.append(_render(note, locale))
    name_key = _name_key(selection.runtime)
    # One for every record: the labels come from the form, read once.
    labels = ChoiceLabels(session, actor.workspace_id, selection.form.id, trigger)
    for record in matched:
        steps = _plan(session, parsed, record, trigger, now, actor, locale, labels)
        result.records.append(
            DryRunRecord(record.id, _record_title(record, name_key), record.form_id, steps)
        )
    return result


def backfill(session: Session, actor: Actor, automation_id: int) -> int:
    """Run an enabled automation for every record that matches it now: one ``backfill``
    event per record, in one statement. Repeating a back-fill of the same revision adds
    nothing (a dedupe key per automation, revision and record). Returns how many events
    were added.

    Raises:
        Conflict: the automation is disabled, or has no record-based trigger.
    """
    actor.require_admin()
    automation = _automation(session, actor, automation_id)
    if not automation.enabled:
        raise Conflict(_l("Enable the automation before back-filling it."))
    document = automation.document
    trigger = document.get("trigger") or {}
    if trigger.get("type") in RECORDLESS_TRIGGERS or not trigger.get("form"):
        raise Conflict(_l("Only automations triggered by records can be back-filled."))
    selection = _selection(session, actor, document)
    if not selection.python_checks:
        ids = list(session.scalars(selection.statement.with_only_columns(Record.id)))
    else:
        ids = [record.id for record in _python_matches(session, selection)[0]]
    prefix = f"backfill:{automation.id}:{automation.revision}:"
    before = _count_backfill_events(session, actor, automation.id, prefix)
    outbox.emit_many(
        session,
        [
            {
                "workspace_id": actor.workspace_id,
                "type": "backfill",
                "form_id": selection.form.id,
                "record_id": record_id,
                "automation_id": automation.id,
                "payload": {"revision": automation.revision},
                "actor_id": actor.user_id,
                "source": "ui",
                "dedupe_key": f"{prefix}{record_id}",
            }
            for record_id in ids
        ],
    )
    added = _count_backfill_events(session, actor, automation.id, prefix) - before
    audit.record(
        session,
        "automation.backfilled",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=automation.name,
        automation=automation.id,
        revision=automation.revision,
        records=added,
    )
    session.commit()
    return added


def _count_backfill_events(session: Session, actor: Actor, automation_id: int, prefix: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                Event.workspace_id == actor.workspace_id,
                Event.automation_id == automation_id,
                Event.type == "backfill",
                Event.dedupe_key.startswith(prefix, autoescape=True),
            )
        )
        or 0
    )


def _selection(session: Session, actor: Actor, document: Mapping[str, Any]) -> _Selection:
    trigger = document["trigger"]
    form = _form_by_key(session, actor, trigger["form"])
    if form is None:
        raise NotFound(_l("The trigger's form does not exist or is not published."))
    runtime = runtime_for(session, form)
    dialect = session.get_bind().dialect.name
    statement = scoped(Record, actor).where(Record.form_id == form.id, Record.deleted_at.is_(None))
    selection = _Selection(form, runtime, statement)
    field_key = trigger.get("field")
    if trigger["type"] == "field_changed" and "to" in trigger and field_key in runtime.kinds:
        _where_equal(selection, field_key, trigger["to"], dialect)
    date_field = trigger.get("date_field")
    if trigger["type"] == "date_relative" and date_field in runtime.kinds:
        kind = runtime.kinds[date_field]
        selection.statement = selection.statement.where(
            json_value(Record.data, date_field, kind, dialect).is_not(None)
        )
    raw_condition = document.get("condition")
    if raw_condition:
        condition = parse_condition(raw_condition, fields=runtime.kinds)
        if uses_event_operators(condition):
            today = _today(actor)
            selection.python_checks.append(
                lambda data: evaluate(
                    condition, data, context=EvalContext(today=today, previous=None)
                )
            )
        else:
            selection.statement = selection.statement.where(
                compile_condition(
                    condition, Record.data, runtime.kinds, dialect_name=dialect, today=_today(actor)
                )
            )
    return selection


def _where_equal(selection: _Selection, key: str, value: Any, dialect: str) -> None:
    """``field == to`` in SQL (the language's typed equality; null means empty), or — for
    a value SQL cannot compare, such as a list — as raw JSON in Python."""
    kinds = selection.runtime.kinds
    try:
        if value is None:
            condition = parse_condition({"is_empty": [{"var": key}]}, fields=kinds)
        else:
            condition = parse_condition({"==": [{"var": key}, value]}, fields=kinds)
    except FormEngineError:
        selection.python_checks.append(lambda data: data.get(key) == value)
        return
    selection.statement = selection.statement.where(
        compile_condition(condition, Record.data, kinds, dialect_name=dialect, today=date.today())
    )


def _python_matches(session: Session, selection: _Selection) -> tuple[list[Record], int, bool]:
    """The first PYTHON_SCAN_LIMIT records the SQL part selects, then the Python checks."""
    rows = list(
        session.scalars(selection.statement.order_by(Record.id).limit(PYTHON_SCAN_LIMIT + 1))
    )
    partial = len(rows) > PYTHON_SCAN_LIMIT
    rows = rows[:PYTHON_SCAN_LIMIT]
    matched = [r for r in rows if all(check(r.data) for check in selection.python_checks)]
    return matched, len(rows), partial


def _plan(
    session: Session,
    parsed: Any,
    record: Record | None,
    trigger: Mapping[str, Any],
    now: datetime,
    actor: Actor,
    locale: str,
    labels: ChoiceLabels,
) -> list[PlannedStep]:
    """Plan every action in order against the record's context (steps see no outputs)."""
    field_key = trigger.get("field")
    trigger_context = {
        "type": trigger.get("type"),
        "field": field_key,
        "from": None,
        "to": record.data.get(field_key) if record is not None and field_key else None,
        "workspace_id": actor.workspace_id,
    }
    context = build_context(
        session, record, trigger=trigger_context, now=now, workspace=actor.workspace
    )
    steps = []
    for action in parsed.actions:
        display = None
        if action.type in TEXT_ACTIONS:
            # The texts as their reader would get them: option labels in that person's
            # language (the person who made the change is, here, the admin trying it).
            readers = text_readers(
                session, actor.workspace_id, action.type, action.config, record, actor.user_id
            )
            display = labels.display(text_locale(session, readers))
        try:
            planned = plan_action(action, context, now=now, display=display)
        except (FormEngineError, ValueError, TypeError, KeyError) as exc:
            message = exc.message_in(locale) if hasattr(exc, "message_in") else str(exc)
            steps.append(PlannedStep(action.id, action.type, "", {}, error=message))
            continue
        steps.append(
            PlannedStep(action.id, action.type, summarize(planned, locale), dict(planned.inputs))
        )
    return steps


def _name_key(runtime: FormRuntime) -> str | None:
    return next((key for key, _s, kind in runtime.compiled.fields if kind.key == "text"), None)


def _record_title(record: Record, name_key: str | None) -> str:
    text = record.data.get(name_key) if name_key else None
    return f"{text} · #{record.id}" if isinstance(text, str) and text else f"#{record.id}"


def _today(actor: Actor) -> date:
    return utcnow().astimezone(actor.workspace.zone).date()


def _jsonable(value: Any) -> Any:
    """Planned inputs as JSON: dates and datetimes as ISO text."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# -- manual runs and the run log ------------------------------------------------------


def manual_automations(session: Session, actor: Actor, form: Form) -> list[Automation]:
    """Enabled ``manual`` automations of a form: the buttons on its record pages."""
    if not actor.role.at_least(Role.MEMBER):
        return []
    query = scoped(Automation, actor).where(
        Automation.form_id == form.id,
        Automation.enabled.is_(True),
        Automation.trigger_type == "manual",
    )
    return list(session.scalars(query.order_by(Automation.name, Automation.id)))


def trigger_manual(session: Session, actor: Actor, automation_id: int, record_id: int) -> None:
    """Press an automation's button on a record: one ``manual`` event, run once committed.

    Raises:
        NotFound: the automation is not an enabled manual one of the record's form, or the
            record is not a live record of the workspace.
    """
    actor.require(Role.MEMBER)
    automation = session.scalar(
        scoped(Automation, actor).where(
            Automation.id == automation_id,
            Automation.enabled.is_(True),
            Automation.trigger_type == "manual",
        )
    )
    if automation is None:
        raise NotFound(_l("This automation does not exist or is switched off."))
    record = visible_record(session, actor, record_id)
    if record.form_id != automation.form_id:
        raise NotFound(_l("This automation does not apply to this record."))
    outbox.emit(
        session,
        workspace_id=actor.workspace_id,
        type="manual",
        form_id=record.form_id,
        record_id=record.id,
        automation_id=automation.id,
        actor_id=actor.user_id,
        source="ui",
    )
    session.commit()


def visible_record(session: Session, actor: Actor, record_id: int) -> Record:
    record = session.scalar(
        scoped(Record, actor).where(Record.id == record_id, Record.deleted_at.is_(None))
    )
    if record is None:
        raise NotFound(_l("This record does not exist or was deleted."))
    return record


@dataclass
class RunPage:
    runs: list[Run]
    page: int
    per_page: int
    total: int
    names: dict[int, str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_runs(
    session: Session,
    actor: Actor,
    *,
    automation_id: int | None = None,
    record_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> RunPage:
    """Runs, newest first. Admins see every run; members the runs of one record they can
    see (``record_id``).

    Raises:
        Forbidden: a member asked for more than one record's runs. NotFound: unknown ids.
        Invalid: an unknown status.
    """
    if record_id is not None:
        actor.require(Role.MEMBER)
        visible_record(session, actor, record_id)
    else:
        actor.require_admin()
    query = scoped(Run, actor)
    if automation_id is not None:
        if actor.role.at_least(Role.ADMIN):
            _automation(session, actor, automation_id)
        query = query.where(Run.automation_id == automation_id)
    if record_id is not None:
        query = query.where(Run.record_id == record_id)
    if status:
        if status not in RUN_STATUSES:
            raise Invalid(_l("Unknown run status."), field="status")
        query = query.where(Run.status == status)
    per_page = per_page if per_page in RUN_PAGE_SIZES else RUN_PAGE_SIZES[1]
    page = max(1, page)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    runs = list(
        session.scalars(query.order_by(Run.id.desc()).offset((page - 1) * per_page).limit(per_page))
    )
    return RunPage(runs, page, per_page, total, automation_names(session, actor, runs))


def automation_names(session: Session, actor: Actor, runs: Sequence[Run]) -> dict[int, str]:
    ids = {run.automation_id for run in runs}
    if not ids:
        return {}
    rows = session.execute(
        select(Automation.id, Automation.name).where(
            Automation.workspace_id == actor.workspace_id, Automation.id.in_(ids)
        )
    )
    return {automation_id: name for automation_id, name in rows}


def get_run(session: Session, actor: Actor, run_id: int) -> tuple[Run, list[Step]]:
    """A run and its steps in order. Members may open runs of records they can see."""
    actor.require(Role.MEMBER)
    run = session.scalar(scoped(Run, actor).where(Run.id == run_id))
    if run is None:
        raise NotFound(_l("This run does not exist."))
    if not actor.role.at_least(Role.ADMIN):
        if run.record_id is None:
            raise NotFound(_l("This run does not exist."))
        visible_record(session, actor, run.record_id)
    steps = list(
        session.scalars(scoped(Step, actor).where(Step.run_id == run.id).order_by(Step.position))
    )
    return run, steps


def retry_run(session: Session, actor: Actor, run_id: int) -> Run:
    """Start a failed run again at its failed step (attempts are kept).

    Raises:
        Conflict: the run is not failed (any more).
    """
    actor.require_admin()
    run = _run(session, actor, run_id)
    changed = session.execute(
        update(Run)
        .where(Run.id == run.id, Run.status == "failed")
        .values(status="pending", reason=None, finished_at=None, not_before=None)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(_l("Only a failed run can be retried."))
    session.execute(
        update(Step)
        .where(Step.run_id == run.id, Step.status == "failed")
        .values(status="pending", error=None, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        "automation.run_retried",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        automation=run.automation_id,
        run=run.id,
    )
    _submit_after_commit(session, [run.id])
    session.commit()
    session.refresh(run)
    return run


def cancel_run(session: Session, actor: Actor, run_id: int) -> Run:
    """Cancel a run that has not finished and is not running a step right now.

    Raises:
        Conflict: the run is running, finished or already cancelled.
    """
    actor.require_admin()
    run = _run(session, actor, run_id)
    now = utcnow()
    changed = session.execute(
        update(Run)
        .where(Run.id == run.id, Run.status.in_(CANCELLABLE))
        .values(status="cancelled", finished_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(_l("Only a pending, waiting or retrying run can be cancelled."))
    session.execute(
        update(Step)
        .where(Step.run_id == run.id, Step.status == "pending")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        "automation.run_cancelled",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        automation=run.automation_id,
        run=run.id,
    )
    session.commit()
    session.refresh(run)
    return run


def _run(session: Session, actor: Actor, run_id: int) -> Run:
    run = session.scalar(scoped(Run, actor).where(Run.id == run_id))
    if run is None:
        raise NotFound(_l("This run does not exist."))
    return run


def _submit_after_commit(session: Session, run_ids: list[int]) -> None:
    submit_after_commit(session, run_ids)


def record_panel(session: Session, actor: Actor, form: Form, record: Record) -> dict[str, Any]:
    """What ``automations/_record_panel.html`` needs: the form's manual buttons (for
    members) and the record's latest runs."""
    if not actor.role.at_least(Role.MEMBER) or record.deleted_at is not None:
        return {"manual_automations": [], "record_runs": [], "run_names": {}}
    runs = list_runs(session, actor, record_id=record.id, per_page=RUN_PAGE_SIZES[0])
    return {
        "manual_automations": manual_automations(session, actor, form),
        "record_runs": runs.runs,
        "run_names": runs.names,
    }

"""Saved reports (报表) of a workspace: save, check, list, delete, and summary figures.

A report is a ``kind`` and a ``document`` (docs/templates.md, ``reports/<key>.json``):

- ``customer_asset``: ``{}``; the page is the customer-asset report (``value.report``);
- ``survey_results``: ``{"form": key}``; the page is that form's survey results;
- ``summary``: ``{"form", "group_by", "measures": [{"agg": "count"} | {"agg": "sum" |
  "avg" | "min" | "max", "field"}], "filter"?}``: a grouped table computed in SQL
  (``report_summary_sql``, which also says which fields can group and be measured).

Everyone in the workspace reads reports; admins save and delete them. Documents are
checked against the workspace's published forms when saved and again when a summary is
computed (a field may have been archived since); every problem is reported at once, by
JSON pointer, in the actor's language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from typing import Any

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from form_engine.conditions import ConditionError, parse_condition, uses_event_operators
from form_engine.messages import normalise_locale
from formwork.db import utcnow
from formwork.models import App, Form, Report
from formwork.services import audit
from formwork.services.errors import Invalid, NotFound
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.report_summary_sql import (
    AGGREGATES,
    MeasureSpec,
    SummaryResult,
    SummarySpec,
    compute,
    field_types,
    groupable,
    measurable,
)
from formwork.services.scope import Actor, scoped

__all__ = [
    "KINDS",
    "ReportInvalid",
    "SummaryResult",
    "delete_report",
    "document_problems",
    "get_report",
    "list_reports",
    "report_form",
    "report_key_for",
    "save_report",
    "summary",
]

KINDS = ("customer_asset", "survey_results", "summary")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
NAME_MAX = 200
MAX_MEASURES = 10
# A document this large is a mistake or an attack, not a report.
DOCUMENT_MAX_CHARS = 20_000
TITLE_LOCALES = ("en", "zh-CN")
_KEY_SAFE = re.compile(r"[^a-z0-9]+")
_DOCUMENT_KEYS = {
    "customer_asset": frozenset(),
    "survey_results": frozenset({"form"}),
    "summary": frozenset({"form", "group_by", "measures", "filter"}),
}


class ReportInvalid(Invalid):
    """The report breaks rules; ``problems`` lists every one of them.

    Each problem is ``{"path": JSON pointer into the document ("" when the problem is not
    about the document), "field": "name" | "key" | "titles" | "kind" | "document",
    "message": text in the actor's language}``.
    """

    def __init__(self, message: Any, problems: list[dict[str, str]]) -> None:
        super().__init__(message, field="document")
        self.problems = problems


# -- reading ----------------------------------------------------------------------------


def list_reports(session: Session, actor: Actor, app_id: int | None = None) -> list[Report]:
    """The workspace's reports (optionally one app's), by app then name."""
    query = scoped(Report, actor)
    if app_id is not None:
        query = query.where(Report.app_id == app_id)
    return list(session.scalars(query.order_by(Report.app_id, Report.name, Report.id)))


def get_report(session: Session, actor: Actor, report_id: int) -> Report:
    found = session.scalar(scoped(Report, actor).where(Report.id == report_id))
    if found is None:
        raise NotFound(_l("This report does not exist."))
    return found


def report_form(session: Session, actor: Actor, report: Report) -> Form | None:
    """The published form a survey-results or summary report reads, if it is there."""
    key = (report.document or {}).get("form")
    return _form_by_key(session, actor, key) if isinstance(key, str) else None


# -- writing ----------------------------------------------------------------------------


def save_report(
    session: Session,
    actor: Actor,
    *,
    report_id: int | None = None,
    key: str | None = None,
    name: Any,
    titles: Any = None,
    kind: Any,
    document: Any,
    app_id: int | None = None,
    locale: str | None = None,
) -> Report:
    """Create or replace a report; each save bumps ``revision``.

    ``key`` None makes one from the name for a new report (``win_loss``, ``report_1`` for a
    Chinese name) and keeps the stored one on an update.

    Raises:
        Forbidden: not an admin. NotFound: the report or app is not in the workspace.
        ReportInvalid: every problem of the name, key, titles, kind and document.
    """
    actor.require_admin()
    existing = get_report(session, actor, report_id) if report_id is not None else None
    if app_id is not None and session.scalar(scoped(App, actor).where(App.id == app_id)) is None:
        raise NotFound(_l("This app does not exist."))
    locale = _locale(actor, locale)
    problems = _name_problems(name, locale) + _title_problems(titles, locale)
    if key is not None:
        problems += _key_problems(session, actor, key, existing, locale)
    problems += document_problems(session, actor, kind, document, locale)
    if problems:
        raise ReportInvalid(_l("Please correct the marked problems."), problems)
    now = utcnow()
    report = existing or Report(
        workspace_id=actor.workspace_id, revision=0, created_by_id=actor.user_id, created_at=now
    )
    report.name = _clean(name)
    report.key = key if key is not None else (existing.key if existing else "")
    if not report.key:
        report.key = report_key_for(session, actor.workspace_id, report.name)
    report.titles = {loc: _clean(text) for loc, text in (titles or {}).items() if _clean(text)}
    report.kind = kind
    report.document = _normalised(kind, document)
    report.app_id = app_id if app_id is not None else report.app_id
    report.revision = (report.revision or 0) + 1
    report.updated_at = now
    if existing is None:
        session.add(report)
    try:
        session.flush()
    except IntegrityError as exc:  # another admin took the key a moment ago
        session.rollback()
        taken = _problem("", _l("Another report already uses this key."), "key", locale)
        raise ReportInvalid(_l("Please correct the marked problems."), [taken]) from exc
    audit.record(
        session,
        "report.updated" if existing else "report.created",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=report.name,
        report=report.id,
        kind=report.kind,
        revision=report.revision,
    )
    session.commit()
    return report


def delete_report(session: Session, actor: Actor, report_id: int) -> None:
    """Delete a report (its forms and records stay; the audit log keeps the deletion)."""
    actor.require_admin()
    report = get_report(session, actor, report_id)
    audit.record(
        session,
        "report.deleted",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=report.name,
        report=report.id,
        kind=report.kind,
    )
    session.delete(report)
    session.commit()


def report_key_for(session: Session, workspace_id: int, name: str) -> str:
    """A new, unique ASCII key for a report: ``win_loss``, ``report_1`` for a Chinese name."""
    base = _KEY_SAFE.sub("_", name.lower()).strip("_")[:40]
    fallback = not base or not base[0].isascii() or not base[0].isalpha()
    if fallback:
        base = "report"
    taken = set(session.scalars(select(Report.key).where(Report.workspace_id == workspace_id)))
    if base not in taken and not fallback:
        return base
    number = 1
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


# -- summary ----------------------------------------------------------------------------


def summary(
    session: Session, actor: Actor, report: Report, *, locale: str | None = None
) -> SummaryResult:
    """The summary table of ``report``: one row per group and the totals, computed in SQL
    over the records the actor can see; labels in the actor's language.

    Raises:
        Invalid: the report is not a summary. ReportInvalid: its document no longer fits
            the form (a field was archived, the form unpublished…).
    """
    if report.workspace_id != actor.workspace_id:
        raise NotFound(_l("This report does not exist."))
    if report.kind != "summary":
        raise Invalid(_l("This report has no summary table."))
    locale = _locale(actor, locale)
    problems = document_problems(session, actor, report.kind, report.document, locale)
    if problems:
        raise ReportInvalid(
            _l("This report no longer fits its form; an admin needs to correct it."), problems
        )
    document = report.document
    form = _form_by_key(session, actor, document["form"])
    assert form is not None
    spec = SummarySpec(
        form=form,
        runtime=runtime_for(session, form),
        group_by=document["group_by"],
        measures=tuple(MeasureSpec(m["agg"], m.get("field")) for m in document["measures"]),
        condition=document.get("filter"),
    )
    return compute(session, actor, spec, locale)


# -- checking ---------------------------------------------------------------------------


def document_problems(
    session: Session, actor: Actor, kind: Any, document: Any, locale: str
) -> list[dict[str, str]]:
    """Every problem of a report ``document`` of ``kind`` against the workspace's forms."""
    if kind not in KINDS:
        message = _l("Choose a kind of report: customer asset, survey results or summary.")
        return [_problem("", message, "kind", locale)]
    if document is None and kind == "customer_asset":
        return []
    if not isinstance(document, dict):
        return [_problem("", _l("The report must be a JSON object."), locale=locale)]
    try:
        size = len(json.dumps(document))
    except (TypeError, ValueError):
        return [_problem("", _l("The report must be plain JSON data."), locale=locale)]
    if size > DOCUMENT_MAX_CHARS:
        return [_problem("", _l("This report is too large to save."), locale=locale)]
    allowed = _DOCUMENT_KEYS[kind]
    problems = [
        _problem(_pointer(name), _unknown(name, allowed), locale=locale)
        for name in document
        if name not in allowed
    ]
    if kind == "customer_asset":
        return problems
    form, form_problems = _form_problem(session, actor, document.get("form"), locale)
    problems += form_problems
    if kind == "summary":
        runtime = runtime_for(session, form) if form is not None else None
        problems += _summary_problems(runtime, document, locale)
    return problems


def _form_problem(
    session: Session, actor: Actor, key: Any, locale: str
) -> tuple[Form | None, list[dict[str, str]]]:
    if not isinstance(key, str) or not key:
        return None, [_problem("/form", _l("Choose a form."), locale=locale)]
    form = _form_by_key(session, actor, key)
    if form is not None:
        return form, []
    known = session.scalars(
        scoped(Form, actor).where(Form.archived_at.is_(None), Form.published_version.is_not(None))
    )
    hint = get_close_matches(key, [f.key for f in known], n=1, cutoff=0.6)
    if hint:
        message = _l(
            "There is no published form “%(key)s” in this workspace. Did you mean “%(hint)s”?",
            key=key,
            hint=hint[0],
        )
    else:
        message = _l("There is no published form “%(key)s” in this workspace.", key=key)
    return None, [_problem("/form", message, locale=locale)]


def _summary_problems(
    runtime: FormRuntime | None, document: Mapping[str, Any], locale: str
) -> list[dict[str, str]]:
    """Grouping, measures and filter; field checks need the form (``runtime``)."""
    problems: list[dict[str, str]] = []
    types = field_types(runtime) if runtime is not None else {}
    group_by = document.get("group_by")
    if not isinstance(group_by, str) or not group_by:
        problems.append(_problem("/group_by", _l("Choose a field to group by."), locale=locale))
    elif runtime is not None:
        if group_by not in types:
            problems.append(_problem("/group_by", _no_field(group_by, types), locale=locale))
        elif not groupable(runtime, group_by, types[group_by]):
            message = _l(
                "Records cannot be grouped by “%(field)s”. Group by a choice, text, member, "
                "checkbox, date, rating, NPS or single link field.",
                field=group_by,
            )
            problems.append(_problem("/group_by", message, locale=locale))
    measures = document.get("measures")
    if not isinstance(measures, list) or not measures:
        message = _l("Add at least one figure, such as the number of records.")
        return [*problems, _problem("/measures", message, locale=locale)]
    if len(measures) > MAX_MEASURES:
        message = _l("Use at most %(count)d figures.", count=MAX_MEASURES)
        problems.append(_problem("/measures", message, locale=locale))
    for index, measure in enumerate(measures[:MAX_MEASURES]):
        problems += _measure_problems(runtime, types, index, measure, locale)
    if document.get("filter") is not None and runtime is not None:
        problems += _filter_problems(runtime, document["filter"], locale)
    return problems


def _measure_problems(
    runtime: FormRuntime | None, types: Mapping[str, str], index: int, measure: Any, locale: str
) -> list[dict[str, str]]:
    at = f"/measures/{index}"
    if not isinstance(measure, dict):
        return [_problem(at, _l("Each figure must be a JSON object."), locale=locale)]
    problems = [
        _problem(f"{at}{_pointer(name)}", _unknown(name, {"agg", "field"}), locale=locale)
        for name in measure
        if name not in ("agg", "field")
    ]
    agg, key = measure.get("agg"), measure.get("field")
    if agg not in AGGREGATES:
        message = _l("Choose count, sum, average, minimum or maximum.")
        return [*problems, _problem(f"{at}/agg", message, locale=locale)]
    if agg == "count":
        if key is not None:
            message = _l("A count counts records: leave the field out.")
            problems.append(_problem(f"{at}/field", message, locale=locale))
        return problems
    if not isinstance(key, str) or not key:
        problems.append(_problem(f"{at}/field", _l("Choose a number field."), locale=locale))
    elif runtime is not None:
        if key not in types:
            problems.append(_problem(f"{at}/field", _no_field(key, types), locale=locale))
        elif not measurable(runtime, key, types[key]):
            message = _l(
                "“%(field)s” is not a number field: only number, money, percent, rating, NPS, "
                "rollup and number formula fields can be summed or averaged.",
                field=key,
            )
            problems.append(_problem(f"{at}/field", message, locale=locale))
    return problems


def _filter_problems(runtime: FormRuntime, condition: Any, locale: str) -> list[dict[str, str]]:
    try:
        parsed = parse_condition(condition, fields=runtime.kinds)
    except ConditionError as exc:
        return [{"path": "/filter" + _pointer(*exc.path), "field": "document",
                 "message": exc.message_in(locale)}]  # fmt: skip
    if uses_event_operators(parsed):
        message = _l(
            "The filter compares records before and after a change, which only automations can do."
        )
        return [_problem("/filter", message, locale=locale)]
    return []


def _name_problems(name: Any, locale: str) -> list[dict[str, str]]:
    if not isinstance(name, str) or not _clean(name):
        return [_problem("", _l("Enter a name for the report."), "name", locale)]
    if len(_clean(name)) > NAME_MAX:
        message = _l("Use at most %(count)d characters.", count=NAME_MAX)
        return [_problem("", message, "name", locale)]
    return []


def _title_problems(titles: Any, locale: str) -> list[dict[str, str]]:
    if titles is None:
        return []
    if not isinstance(titles, dict):
        message = _l('Other names must be given per language, e.g. {"zh-CN": "…"}.')
        return [_problem("", message, "titles", locale)]
    problems = []
    for language, text in titles.items():
        if language not in TITLE_LOCALES:
            message = _l("Names can be given in English (en) and Chinese (zh-CN) only.")
            problems.append(_problem(_pointer(str(language)), message, "titles", locale))
        elif not isinstance(text, str):
            message = _l("A name must be text.")
            problems.append(_problem(_pointer(language), message, "titles", locale))
        elif len(_clean(text)) > NAME_MAX:
            message = _l("Use at most %(count)d characters.", count=NAME_MAX)
            problems.append(_problem(_pointer(language), message, "titles", locale))
    return problems


def _key_problems(
    session: Session, actor: Actor, key: Any, existing: Report | None, locale: str
) -> list[dict[str, str]]:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        message = _l(
            "A key starts with a lowercase letter and holds only lowercase letters, digits "
            "and _ (at most 63 characters)."
        )
        return [_problem("", message, "key", locale)]
    taken = session.scalar(
        scoped(Report, actor).where(
            Report.key == key, Report.id != (existing.id if existing else -1)
        )
    )
    if taken is not None:
        message = _l("Another report already uses the key “%(key)s”.", key=key)
        return [_problem("", message, "key", locale)]
    return []


def _normalised(kind: str, document: Any) -> dict[str, Any]:
    """The stored document: only the keys the kind has, measures without empty fields."""
    document = document or {}
    stored = {name: document[name] for name in _DOCUMENT_KEYS[kind] if name in document}
    if kind == "summary":
        stored["measures"] = [
            {"agg": m["agg"], **({"field": m["field"]} if m.get("field") else {})}
            for m in document["measures"]
        ]
        if stored.get("filter") is None:
            stored.pop("filter", None)
    return stored


def _form_by_key(session: Session, actor: Actor, key: str) -> Form | None:
    return session.scalar(
        scoped(Form, actor).where(
            Form.key == key, Form.archived_at.is_(None), Form.published_version.is_not(None)
        )
    )


def _no_field(key: str, types: Mapping[str, str]) -> Any:
    hint = get_close_matches(key, list(types), n=1, cutoff=0.6)
    if hint:
        return _l(
            "The form has no field “%(key)s”. Did you mean “%(hint)s”?", key=key, hint=hint[0]
        )
    return _l("The form has no field “%(key)s”.", key=key)


def _unknown(name: str, allowed: Sequence[str] | frozenset[str] | set[str]) -> Any:
    hint = get_close_matches(name, sorted(allowed), n=1, cutoff=0.6)
    if hint:
        return _l("Unknown setting “%(name)s”. Did you mean “%(hint)s”?", name=name, hint=hint[0])
    return _l("Unknown setting “%(name)s”.", name=name)


def _pointer(*path: str | int) -> str:
    """A path as a JSON Pointer (RFC 6901): ``("measures", 0)`` → ``/measures/0``."""
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


def _clean(text: Any) -> str:
    return " ".join(text.split()) if isinstance(text, str) else ""


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

"""The form designer's draft and publishing: check, preview the effect on stored data,
publish as a new immutable version (never losing a stored value)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from form_engine import evolution
from form_engine.dialect import check_form, label
from form_engine.errors import FormEngineError
from form_engine.evolution import EvolutionError, MigrationPlan, diff_forms, plan_migration
from form_engine.fields import FIELD_TYPES, CoercionError, field_type
from form_engine.messages import normalise_locale
from formwork.db import utcnow
from formwork.models import Form, FormVersion, Record, RecordRevision, Role
from formwork.services import audit
from formwork.services.errors import Conflict, Invalid
from formwork.services.form_runtime import build_runtime
from formwork.services.indexes import sync_indexes
from formwork.services.scope import Actor

DRAFT_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class Problem:
    pointer: str
    message: str


@dataclass
class PublishPreview:
    problems: list[Problem] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    data_effects: list[str] = field(default_factory=list)
    plan: MigrationPlan | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and (self.plan is None or self.plan.ok)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": [{"path": p.pointer, "message": p.message} for p in self.problems],
            "changes": self.changes,
            "data_effects": self.data_effects,
        }


def published_document(session: Session, form: Form) -> dict[str, Any] | None:
    if form.published_version is None:
        return None
    return session.scalar(
        select(FormVersion.document).where(
            FormVersion.form_id == form.id, FormVersion.version == form.published_version
        )
    )


def save_draft(
    session: Session, actor: Actor, form: Form, document: Any, expected_revision: int
) -> int:
    """Store the designer's working document; a stale revision is a conflict.

    Drafts may still have problems (they show in the designer); publishing refuses them.
    """
    actor.require(Role.ADMIN)
    if not isinstance(document, dict):
        raise Invalid(_l("The form document must be a JSON object."), field="document")
    if len(json.dumps(document, ensure_ascii=False)) > DRAFT_MAX_BYTES:
        raise Invalid(_l("The form is too large to save."), field="document")
    if form.draft_revision != expected_revision:
        raise Conflict(
            _l(
                "Someone else saved this form in the meantime. Reload the designer "
                "to see their changes; yours were not saved."
            )
        )
    form.draft = document
    form.draft_revision += 1
    session.commit()
    return form.draft_revision


def preview(session: Session, actor: Actor, form: Form, locale: str | None) -> PublishPreview:
    """What publishing the draft would do: problems, changes, effect on stored records."""
    actor.require(Role.ADMIN)
    result = PublishPreview()
    document = form.draft
    if document is None:
        result.problems.append(Problem("", str(_l("There is no draft to publish."))))
        return result
    engine_locale = normalise_locale(locale)
    result.problems.extend(
        Problem(problem.pointer, problem.message(engine_locale)) for problem in check_form(document)
    )
    if result.problems:
        return result
    try:
        build_runtime(form.id, form.workspace_id, (form.published_version or 0) + 1, document)
    except FormEngineError as exc:
        result.problems.append(Problem(exc.pointer, _engine_message(exc, engine_locale)))
        return result
    result.problems.extend(_reference_problems(session, form, document))
    old = published_document(session, form)
    if old is None:
        return result
    diff = diff_forms(old, document)
    result.changes = [
        _describe_change(change, old, document, engine_locale) for change in diff.changes
    ]
    result.problems.extend(
        Problem(f"/properties/{p.key}", p.message(engine_locale)) for p in diff.problems
    )
    try:
        plan = plan_migration(
            old,
            document,
            values_by_field=lambda key: _stored_values(session, form, key),
            converters=_converters(),
            conversion_errors=(CoercionError, ValueError),
        )
    except EvolutionError as exc:
        result.problems.append(Problem(exc.pointer, exc.localised(engine_locale)))
        return result
    result.plan = plan
    result.data_effects = plan.summary(engine_locale)
    return result


def publish(
    session: Session, actor: Actor, form: Form, expected_revision: int, locale: str | None = None
) -> FormVersion:
    """Publish the draft as the next version; converts stored values when a field's type
    changed (only when every value converts); builds the indexes the form needs."""
    actor.require(Role.ADMIN)
    if form.draft_revision != expected_revision:
        raise Conflict(_l("Someone else saved this form in the meantime. Reload the designer."))
    result = preview(session, actor, form, locale)
    if not result.ok:
        lines = [p.message for p in result.problems] + result.data_effects
        raise Invalid(
            _l("The form cannot be published yet: %(problems)s", problems="; ".join(lines[:5])),
            field="document",
        )
    document = dict(form.draft or {})
    number = (form.published_version or 0) + 1
    version = FormVersion(
        workspace_id=form.workspace_id,
        form_id=form.id,
        version=number,
        document=document,
        published_by_id=actor.user_id,
    )
    session.add(version)
    form.published_version = number
    form.title = label(document, "en")[:200] or form.title
    if result.plan is not None:
        _apply_conversions(session, actor, form, result.plan, number)
    session.flush()
    sync_indexes(session, build_runtime(form.id, form.workspace_id, number, document))
    audit.record(
        session,
        "form.published",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=form.title,
        version=number,
    )
    session.commit()
    return version


def _stored_values(session: Session, form: Form, key: str) -> Iterator[tuple[int, Any]]:
    """Every live record's value of ``key`` (None where it has none), as the plan expects."""
    query = (
        select(Record.id, Record.data)
        .where(
            Record.form_id == form.id,
            Record.workspace_id == form.workspace_id,
            Record.deleted_at.is_(None),
        )
        .execution_options(yield_per=1000)
    )
    for record_id, data in session.execute(query):
        yield record_id, (data or {}).get(key)


def _converters() -> dict[str, Any]:
    """New field type (``x-field``) → converter of a stored value, as plan_migration wants."""
    return {key: _converter(field_type(key)) for key in FIELD_TYPES}


def _engine_message(exc: FormEngineError, locale: str) -> str:
    """An engine error in the person's language (formula and condition errors carry codes)."""
    for name in ("localized", "message_in", "localised"):
        method = getattr(exc, name, None)
        if callable(method):
            return str(method(locale))
    return str(exc)


def _describe_change(change: Any, old: dict[str, Any], new: dict[str, Any], locale: str) -> str:
    """One line per change of the form, for the publish dialog."""

    def name(key: str) -> str:
        schema = (
            (new.get("properties") or {}).get(key)
            or (old.get("properties") or {}).get(key)
            or (new.get("x-archived") or {}).get(key)
            or {}
        )
        return label(schema, locale, key)

    if isinstance(change, evolution.FieldAdded):
        return str(_l("New field “%(field)s”", field=name(change.key)))
    if isinstance(change, evolution.FieldArchived):
        return str(_l("Field “%(field)s” archived", field=name(change.key)))
    if isinstance(change, evolution.FieldRestored):
        return str(_l("Field “%(field)s” restored", field=name(change.key)))
    if isinstance(change, evolution.FieldRelabelled):
        before = change.old_titles.get(locale) or change.old_titles.get("en") or change.key
        return str(_l("Field “%(old)s” renamed to “%(new)s”", old=before, new=name(change.key)))
    if isinstance(change, evolution.TypeChanged):

        def kind(key: str | None) -> str:
            found = FIELD_TYPES.get(str(key))
            return found.names.get(locale, key or "?") if found else str(key)

        return str(
            _l(
                "Field “%(field)s” changes type from %(old)s to %(new)s",
                field=name(change.key),
                old=kind(change.old_field),
                new=kind(change.new_field),
            )
        )
    if isinstance(change, evolution.ConstraintsChanged | evolution.SettingsChanged):
        return str(_l("Field “%(field)s”: settings changed", field=name(change.key)))
    if isinstance(change, evolution.FieldsReordered):
        return str(_l("Fields reordered"))
    if isinstance(change, evolution.FormRelabelled):
        return str(_l("Form renamed to “%(title)s”", title=label(new, locale)))
    return str(_l("Other changes"))


def _converter(kind: Any) -> Any:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            return kind.coerce(value, "json")
        except CoercionError:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            return kind.coerce(text.strip('"'), "csv")

    return convert


def _apply_conversions(
    session: Session, actor: Actor, form: Form, plan: MigrationPlan, version: int
) -> None:
    converted = plan.writes()  # {record id: {key: new value}}
    for record_id, values in converted.items():
        record = session.get(Record, record_id)
        if record is None:
            continue
        before = dict(record.data)
        data = {**before, **values}
        session.execute(
            update(Record)
            .where(Record.id == record_id)
            .values(data=data, form_version=version, updated_at=utcnow())
        )
        session.add(
            RecordRevision(
                workspace_id=form.workspace_id,
                record_id=record_id,
                form_id=form.id,
                action="migrated",
                changes={k: [before.get(k), v] for k, v in values.items()},
                record_version=record.version,
                actor_id=actor.user_id,
            )
        )


def _reference_problems(session: Session, form: Form, document: dict[str, Any]) -> list[Problem]:
    """Link, lookup and rollup fields must name forms (and fields) that exist."""
    problems = []
    forms = {
        f.key: f
        for f in session.scalars(
            select(Form).where(Form.workspace_id == form.workspace_id, Form.archived_at.is_(None))
        )
    }
    for key, schema in document.get("properties", {}).items():
        target = (schema.get("x-link") or {}).get("form") or (schema.get("x-rollup") or {}).get(
            "form"
        )
        if target and target not in forms:
            problems.append(
                Problem(
                    f"/properties/{key}",
                    str(
                        _l(
                            "“%(key)s” refers to a form “%(form)s” that does not exist.",
                            key=key,
                            form=target,
                        )
                    ),
                )
            )
    return problems

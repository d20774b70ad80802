"""Upgrade an installed app to a newer version of its template.

A three-way comparison, part by part and field by field: the template as installed
(the installation's snapshot), the new version, and what the workspace has now.

- New in the template (form, field, automation, tier scheme, report): added.
- Changed by the template and untouched by people: updated.
- Changed by people: left alone, whatever the template did (the report says so).
- Removed by the template, or deleted by people: left alone. Nothing is ever dropped,
  so no record and no value is lost.

The installed version moves along the template's chain of versions (``upgrades`` in
template.json); the notes of every step passed are part of the report.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from form_engine.dialect import label
from formwork.db import utcnow
from formwork.gallery.install import _locale, _name, _other_titles, bundle_of, snapshot_of
from formwork.gallery.keys import free_key, rewrite
from formwork.models import Automation, Form, InstalledTemplate, Report, TierScheme
from formwork.services import audit, automations, publishing, reports
from formwork.services.errors import Conflict, PlatformError
from formwork.services.scope import Actor, scoped
from formwork.value import tiers
from templates_library import TemplateBundle, localized_document, upgrade_path

# Report entry codes → message (rendered in the reader's language when shown).
MESSAGES = {
    "form_added": _l("Added form “%(name)s”."),
    "field_added": _l("Added field “%(field)s” to “%(name)s”."),
    "field_updated": _l("Updated field “%(field)s” of “%(name)s”."),
    "field_kept": _l("Kept your version of field “%(field)s” of “%(name)s”."),
    "field_removed_kept": _l(
        "The template no longer has field “%(field)s” of “%(name)s”; it stays, with its data."
    ),
    "field_deleted_by_you": _l("You removed field “%(field)s” of “%(name)s”; it stays removed."),
    "form_draft_kept": _l(
        "“%(name)s” has unpublished changes in the designer, so it was left as it is; "
        "publish or discard them, then upgrade again to get the template's changes."
    ),
    "form_refused": _l("“%(name)s” could not be updated: %(reason)s"),
    "form_removed_kept": _l("The template no longer has form “%(name)s”; it stays, with its data."),
    "part_added": _l("Added %(kind)s “%(name)s”."),
    "part_updated": _l("Updated %(kind)s “%(name)s”."),
    "part_kept": _l("Kept your version of %(kind)s “%(name)s”."),
    "part_deleted_by_you": _l("You deleted %(kind)s “%(name)s”; it was not added back."),
    "part_refused": _l("%(kind)s “%(name)s” could not be updated: %(reason)s"),
}
KINDS = {
    "form": _l("form"),
    "automation": _l("automation"),
    "tier_scheme": _l("tier scheme"),
    "report": _l("report"),
}


@dataclass
class UpgradeReport:
    from_version: str
    to_version: str
    notes: list[dict[str, str]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)

    def add(self, changed: bool, code: str, **params: Any) -> None:
        (self.changed if changed else self.kept).append({"code": code, **params})

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_version,
            "to": self.to_version,
            "notes": self.notes,
            "changed": self.changed,
            "kept": self.kept,
            "at": utcnow().isoformat(),
        }


def render_entry(entry: dict[str, Any]) -> str:
    """One report entry in the current language."""
    params = {k: v for k, v in entry.items() if k != "code"}
    if "kind" in params:
        params["kind"] = str(KINDS.get(params["kind"], params["kind"]))
    return str(MESSAGES[entry["code"]]) % params


def check_upgrade(installation: InstalledTemplate, bundle: TemplateBundle) -> list[dict[str, Any]]:
    """The chain of steps from the installed version to ``bundle``'s.

    Raises:
        Conflict: the app is not installed (still installing, or archived), or the
            template's chain does not lead from the installed version.
    """
    if installation.status != "installed":
        raise Conflict(_l("Only an installed, active app can be upgraded."))
    steps = upgrade_path(bundle, installation.version)
    if steps is None:
        raise Conflict(
            _l(
                "Version %(new)s of this template cannot upgrade version %(old)s "
                "(its chain of versions does not start there).",
                new=bundle.version,
                old=installation.version,
            )
        )
    return steps


def upgrade(
    session: Session, actor: Actor, installation: InstalledTemplate, bundle: TemplateBundle
) -> UpgradeReport:
    """Upgrade ``installation`` to ``bundle`` and commit; returns what changed and what
    was left alone (also kept as the installation's ``last_report``).

    Raises:
        Forbidden: not an admin. Conflict: see :func:`check_upgrade`.
    """
    actor.require_admin()
    steps = check_upgrade(installation, bundle)
    report = UpgradeReport(installation.version, bundle.version)
    report.notes = [dict(step["notes"]) for step in steps]
    if steps:
        merger = _Merger(session, actor, installation, bundle_of(installation), bundle, report)
        merger.run()
    installation.version = bundle.version
    installation.snapshot = snapshot_of(bundle, with_samples=False)
    installation.last_report = report.as_dict()
    installation.updated_at = utcnow()
    audit.record(
        session,
        "template.upgraded",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=bundle.title("en"),
        template=bundle.id,
        version=bundle.version,
        changed=len(report.changed),
        kept=len(report.kept),
    )
    session.commit()
    return report


class _Merger:
    def __init__(
        self,
        session: Session,
        actor: Actor,
        installation: InstalledTemplate,
        base: TemplateBundle,
        new: TemplateBundle,
        report: UpgradeReport,
    ) -> None:
        self.session = session
        self.actor = actor
        self.installation = installation
        self.base = base
        self.new = new
        self.report = report
        self.locale = _locale(actor)
        self.text_locale: str = installation.key_map.get("locale") or self.locale
        self.key_map: dict[str, Any] = {
            k: dict(v) if isinstance(v, dict) else v for k, v in installation.key_map.items()
        }

    def _rewrite(self, document: Any) -> Any:
        return rewrite(document, self.key_map["forms"], self.key_map["tier_schemes"])

    def _save(self) -> None:
        self.installation.key_map = copy.deepcopy(self.key_map)
        self.session.commit()

    def run(self) -> None:
        self._new_keys()
        self._forms()
        self._parts(
            "tier_schemes", "tier_scheme", TierScheme, self._scheme_state, self._save_scheme
        )
        self._parts(
            "automations", "automation", Automation, self._automation_state, self._save_auto
        )
        self._parts("reports", "report", Report, self._report_state, self._save_report)

    def _new_keys(self) -> None:
        """Free keys for forms and schemes new in this version (as install does)."""
        workspace_id = self.actor.workspace_id
        taken = set(self.session.scalars(select(Form.key).where(Form.workspace_id == workspace_id)))
        for key in self.new.forms:
            if key not in self.key_map["forms"]:
                self.key_map["forms"][key] = free_key(key, taken)
                taken.add(self.key_map["forms"][key])
        schemes = set(
            self.session.scalars(
                select(TierScheme.key).where(TierScheme.workspace_id == workspace_id)
            )
        )
        for key in self.new.tier_schemes:
            if key not in self.key_map["tier_schemes"]:
                self.key_map["tier_schemes"][key] = free_key(key, schemes)
                schemes.add(self.key_map["tier_schemes"][key])
        self._save()

    # -- forms ---------------------------------------------------------------------------

    def _forms(self) -> None:
        created: list[Form] = []
        for position, (key, document) in enumerate(self.new.forms.items(), start=1):
            form = self.session.scalar(
                scoped(Form, self.actor).where(Form.key == self.key_map["forms"][key])
            )
            name = label(document, self.locale, key)
            if key not in self.base.forms:
                if form is None:
                    form = Form(
                        workspace_id=self.actor.workspace_id,
                        app_id=self.installation.app_id,
                        key=self.key_map["forms"][key],
                        title=name[:200],
                        position=100 + position,
                        draft=self._rewrite(document),
                        draft_revision=1,
                    )
                    self.session.add(form)
                    self.session.flush()
                    created.append(form)
                    self.report.add(True, "form_added", name=name)
                continue
            if form is None or form.archived_at is not None:
                self.report.add(False, "part_deleted_by_you", kind="form", name=name)
                continue
            self._merge_form(form, key, name)
        self.session.commit()
        for form in created:
            try:
                publishing.publish(self.session, self.actor, form, form.draft_revision, self.locale)
            except PlatformError as exc:
                # Left as a draft in the designer, where its problems show.
                self.session.rollback()
                self.report.add(False, "form_refused", name=form.title, reason=_reason(exc))
        for key in self.base.forms:
            if key not in self.new.forms:
                name = label(self.base.forms[key], self.locale, key)
                self.report.add(False, "form_removed_kept", name=name)

    def _merge_form(self, form: Form, key: str, name: str) -> None:
        current = publishing.published_document(self.session, form)
        if current is None:
            return
        if form.draft is not None and form.draft != current:
            self.report.add(False, "form_draft_kept", name=name)
            return
        base = self._rewrite(self.base.forms[key])
        new = self._rewrite(self.new.forms[key])
        merged = copy.deepcopy(current)
        props = merged.setdefault("properties", {})
        archived = merged.get("x-archived") or {}
        base_props, new_props = base.get("properties", {}), new.get("properties", {})
        changed = False
        for field_key, schema in new_props.items():
            if field_key not in base_props:
                if field_key in props or field_key in archived:
                    continue  # a person made a field with that key: theirs wins
                props[field_key] = copy.deepcopy(schema)
                _place(merged, new.get("x-order") or [], field_key)
                self.report.add(True, "field_added", field=field_key, name=name)
                changed = True
            elif field_key not in props:
                self.report.add(False, "field_deleted_by_you", field=field_key, name=name)
            elif schema != base_props[field_key]:
                if props[field_key] == base_props[field_key]:
                    props[field_key] = copy.deepcopy(schema)
                    self.report.add(True, "field_updated", field=field_key, name=name)
                    changed = True
                else:
                    self.report.add(False, "field_kept", field=field_key, name=name)
        for field_key in base_props:
            if field_key not in new_props and field_key in props:
                self.report.add(False, "field_removed_kept", field=field_key, name=name)
        if not changed:
            return
        try:
            revision = publishing.save_draft(
                self.session, self.actor, form, merged, form.draft_revision
            )
            publishing.publish(self.session, self.actor, form, revision, self.locale)
        except PlatformError as exc:
            self.session.rollback()
            form.draft = current
            self.session.commit()
            self.report.add(False, "form_refused", name=name, reason=_reason(exc))

    # -- automations, tier schemes, reports ------------------------------------------------

    def _parts(self, folder: str, kind: str, model: Any, state: Any, save: Any) -> None:
        base_parts: dict[str, Any] = getattr(self.base, folder)
        new_parts: dict[str, Any] = getattr(self.new, folder)
        ids: dict[str, int] = self.key_map.setdefault(_id_map(folder), {})
        for key, part in new_parts.items():
            name = _name(part["name"], self.locale)
            if key not in base_parts:
                if key not in ids:
                    try:
                        ids[key] = save(None, part).id
                    except PlatformError as exc:
                        self.session.rollback()
                        self.report.add(
                            False, "part_refused", kind=kind, name=name, reason=_reason(exc)
                        )
                        continue
                    self._save()
                    self.report.add(True, "part_added", kind=kind, name=name)
                continue
            row = self.session.get(model, ids[key]) if key in ids else None
            if row is None or getattr(row, "archived_at", None) is not None:
                self.report.add(False, "part_deleted_by_you", kind=kind, name=name)
                continue
            theirs, ours, before = (
                self._comparable(part),
                state(row),
                self._comparable(base_parts[key]),
            )
            if theirs == before:
                continue
            if ours != before:
                self.report.add(False, "part_kept", kind=kind, name=name)
                continue
            try:
                save(row, part)
            except PlatformError as exc:
                self.session.rollback()
                self.report.add(False, "part_refused", kind=kind, name=name, reason=_reason(exc))
                continue
            self.report.add(True, "part_updated", kind=kind, name=name)
        self._save()

    def _comparable(self, part: dict[str, Any]) -> Any:
        """The parts of a template part that a person can change, keys rewritten."""
        kept = {k: v for k, v in part.items() if k in {"document", "schedule", "form", "field"}}
        if "texts" in part:
            kept["document"] = localized_document(part, self.text_locale)
        kept |= {k: part[k] for k in ("group_by", "measures", "filter") if k in part}
        return self._rewrite(kept)

    def _automation_state(self, row: Automation) -> Any:
        return {"document": row.document}

    def _scheme_state(self, row: TierScheme) -> Any:
        form = self.session.get(Form, row.form_id)
        return {
            "document": row.document,
            "schedule": row.schedule,
            "form": form.key if form else None,
            "field": row.field_key,
        }

    def _report_state(self, row: Report) -> Any:
        return {
            k: v for k, v in row.document.items() if k in {"form", "group_by", "measures", "filter"}
        }

    def _form_id(self, template_key: str) -> int:
        form = self.session.scalar(
            scoped(Form, self.actor).where(Form.key == self.key_map["forms"][template_key])
        )
        assert form is not None
        return form.id

    def _save_scheme(self, row: TierScheme | None, part: dict[str, Any]) -> TierScheme:
        return tiers.save_scheme(
            self.session,
            self.actor,
            scheme_id=row.id if row else None,
            revision=row.revision if row else None,
            key=row.key if row else self.key_map["tier_schemes"][part["key"]],
            name=row.name if row else _name(part["name"], self.locale),
            titles=row.titles if row else _other_titles(part["name"], self.locale),
            form_id=self._form_id(part["form"]),
            field_key=part["field"],
            document=self._rewrite(part["document"]),
            schedule=part.get("schedule"),
            locale=self.locale,
        )

    def _save_auto(self, row: Automation | None, part: dict[str, Any]) -> Automation:
        automation = automations.save_automation(
            self.session,
            self.actor,
            automation_id=row.id if row else None,
            name=row.name if row else _name(part["name"], self.locale),
            description=row.description
            if row
            else _name(part.get("description") or part["name"], self.locale),
            document=self._rewrite(localized_document(part, self.text_locale)),
            app_id=self.installation.app_id,
            locale=self.locale,
        )
        if row is None and part.get("enabled", True):
            automations.set_enabled(self.session, self.actor, automation.id, True)
        return automation

    def _save_report(self, row: Report | None, part: dict[str, Any]) -> Report:
        document = {k: part[k] for k in ("form", "group_by", "measures", "filter") if k in part}
        if "form" in document:
            document["form"] = self.key_map["forms"][part["form"]]
        keys = set(
            self.session.scalars(
                select(Report.key).where(Report.workspace_id == self.actor.workspace_id)
            )
        )
        return reports.save_report(
            self.session,
            self.actor,
            report_id=row.id if row else None,
            key=row.key if row else free_key(part["key"], keys),
            name=row.name if row else _name(part["name"], self.locale),
            titles=row.titles if row else _other_titles(part["name"], self.locale),
            kind=part["type"],
            document=document,
            app_id=self.installation.app_id,
            locale=self.locale,
        )


def _reason(exc: PlatformError) -> str:
    """An error as one line: its message and, for checked documents, the first problem."""
    problems = getattr(exc, "problems", None) or []
    first = problems[0] if problems and isinstance(problems[0], dict) else {}
    detail = f" ({first.get('path', '')} {first.get('message', '')})".rstrip() if first else ""
    return f"{exc.message}{detail}"


def _id_map(folder: str) -> str:
    """Where the key map keeps a folder's template key → id (automations and reports
    keep ids under their own name; schemes under ``tier_scheme_ids``)."""
    return "tier_scheme_ids" if folder == "tier_schemes" else folder


def _place(document: dict[str, Any], template_order: list[str], field_key: str) -> None:
    """Put a new field in ``x-order`` after the field that precedes it in the template."""
    order: list[str] = list(document.get("x-order") or [])
    if field_key in order:
        return
    position = len(order)
    index = template_order.index(field_key) if field_key in template_order else -1
    for before in reversed(template_order[:index] if index > 0 else []):
        if before in order:
            position = order.index(before) + 1
            break
    order.insert(position, field_key)
    document["x-order"] = order

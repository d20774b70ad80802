"""Install a template into a workspace, as numbered idempotent steps.

``start`` records the installation (``installing``, step 0 of N) and commits; each
``run_step`` does one step and moves the counter in the same transaction where it can,
so a crash, a timeout or a closed browser leaves an installation that the next call
continues from where it stopped. The gallery page runs the steps one request at a time
to show a progress bar; ``install`` runs them all (CLI, tests, the demo).

Every part goes through the service people use (publish, save_automation, save_scheme,
the customer-value settings, save_report, bulk_create), so a template is held to the
same checks as a person's work.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from form_engine.dialect import label
from formwork.automation.outbox import OPT_OUT_KEY
from formwork.db import utcnow
from formwork.gallery.keys import free_key, rewrite
from formwork.gallery.sample_data import (
    CREATED_AT_COLUMN,
    convert_row,
    created_at,
    exported_created_at,
    insertion_rounds,
    link_cell_keys,
    self_link_keys,
    shift_days,
)
from formwork.models import App, Automation, Form, InstalledTemplate, TierScheme, ValueModel
from formwork.services import apps, audit, automations, publishing, records, reports
from formwork.services.errors import Conflict, Invalid, NotFound
from formwork.services.scope import Actor, scoped
from formwork.value import settings as value_settings
from formwork.value import tiers
from formwork.value.refresh import refresh_workspace
from templates_library import TemplateBundle, bundle_from_files, localized_document

LOCALES = ("en", "zh-CN")


@dataclass(frozen=True)
class Progress:
    installation_id: int
    step: int
    steps_total: int
    status: str
    label: str

    @property
    def done(self) -> bool:
        return self.status == "installed"

    @property
    def percent(self) -> int:
        return 100 if self.done else int(100 * self.step / max(self.steps_total, 1))


def snapshot_of(bundle: TemplateBundle, *, with_samples: bool) -> dict[str, Any]:
    """The template as stored with its installation: its files as text (sample data
    only while installing; an upgrade never adds sample records)."""
    files = {path: data.decode("utf-8") for path, data in bundle.files().items()}
    if not with_samples:
        files = {path: text for path, text in files.items() if not path.startswith("sample/")}
        manifest = {k: v for k, v in bundle.manifest.items() if k != "sample_data"}
        files["template.json"] = json.dumps(manifest, ensure_ascii=False, indent=2)
    return files


def bundle_of(installation: InstalledTemplate) -> TemplateBundle:
    files = {path: text.encode("utf-8") for path, text in installation.snapshot.items()}
    return bundle_from_files(files, origin=installation.template_id)


def plan(bundle: TemplateBundle, sample_locale: str | None) -> list[str]:
    """The steps of an install, in order."""
    steps = ["app", *[f"publish:{key}" for key in bundle.forms], "tier_schemes", "automations"]
    steps.append("reports")
    if sample_locale is not None:
        sample_forms = (bundle.manifest.get("sample_data") or {}).get("forms", [])
        steps += [f"sample:{key}" for key in sample_forms]
        steps.append("compute")
    steps.append("finish")
    return steps


def step_label(step: str, locale: str) -> str:
    """What a step does, for the progress bar."""
    name, _, key = step.partition(":")
    texts = {
        "app": _l("Creating the app and its forms"),
        "publish": _l("Publishing form %(key)s", key=key),
        "tier_schemes": _l("Adding tier schemes"),
        "automations": _l("Adding automations"),
        "reports": _l("Adding reports"),
        "sample": _l("Adding sample data: %(key)s", key=key),
        "compute": _l("Computing customer value and tiers"),
        "finish": _l("Finishing"),
    }
    return str(texts.get(name, step))


def get_installation(session: Session, actor: Actor, installation_id: int) -> InstalledTemplate:
    found = session.scalar(
        scoped(InstalledTemplate, actor).where(InstalledTemplate.id == installation_id)
    )
    if found is None:
        raise NotFound(_l("This installed app does not exist."))
    return found


def installation_for(session: Session, actor: Actor, template_id: str) -> InstalledTemplate | None:
    return session.scalar(
        scoped(InstalledTemplate, actor).where(InstalledTemplate.template_id == template_id)
    )


def list_installations(session: Session, actor: Actor) -> list[InstalledTemplate]:
    query = scoped(InstalledTemplate, actor).order_by(InstalledTemplate.installed_at)
    return list(session.scalars(query))


def start(
    session: Session,
    actor: Actor,
    bundle: TemplateBundle,
    *,
    sample_locale: str | None,
    source: str = "library",
) -> InstalledTemplate:
    """Record a new installation, or return the existing one (install is idempotent).

    Raises:
        Forbidden: not an admin. Invalid: a sample language the template does not have.
        Conflict: the template's app is archived (restore it instead).
    """
    actor.require_admin()
    if sample_locale is not None and sample_locale not in bundle.sample_locales:
        raise Invalid(_l("This template has no sample data in that language."), field="sample")
    existing = installation_for(session, actor, bundle.id)
    if existing is not None:
        if existing.status == "archived":
            raise Conflict(_l("This app is archived. Restore it instead of installing it again."))
        return existing
    steps = plan(bundle, sample_locale)
    installation = InstalledTemplate(
        workspace_id=actor.workspace_id,
        template_id=bundle.id,
        version=bundle.version,
        status="installing",
        source=source,
        sample_locale=sample_locale,
        step=0,
        steps_total=len(steps),
        snapshot=snapshot_of(bundle, with_samples=sample_locale is not None),
        key_map={"forms": {}, "tier_schemes": {}, "automations": {}, "reports": {}, "rows": {}},
        paused_automations=[],
        last_report={},
        installed_by_id=actor.user_id,
    )
    session.add(installation)
    try:
        session.flush()
    except IntegrityError:
        # Another admin started the same install a moment ago: theirs is the one.
        session.rollback()
        found = installation_for(session, actor, bundle.id)
        assert found is not None
        return found
    audit.record(
        session,
        "template.install_started",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=bundle.title("en"),
        template=bundle.id,
        version=bundle.version,
        sample=sample_locale or "",
    )
    session.commit()
    return installation


def progress(installation: InstalledTemplate, locale: str) -> Progress:
    steps = plan(bundle_of(installation), installation.sample_locale)
    current = steps[min(installation.step, len(steps) - 1)]
    return Progress(
        installation.id,
        installation.step,
        installation.steps_total,
        installation.status,
        step_label(current, locale),
    )


def run_step(session: Session, actor: Actor, installation: InstalledTemplate) -> Progress:
    """Do the installation's next step and commit; nothing to do once installed."""
    actor.require_admin()
    locale = _locale(actor)
    # Lock the row (PostgreSQL; SQLite's writer lock already serialises): two tabs
    # running the same install must not both do the same step.
    session.refresh(installation, with_for_update=True)
    if installation.status != "installing":
        return progress(installation, locale)
    bundle = bundle_of(installation)
    steps = plan(bundle, installation.sample_locale)
    name, _, key = steps[installation.step].partition(":")
    runner = _Steps(session, actor, installation, bundle, locale)
    getattr(runner, name)(key) if key else getattr(runner, name)()
    installation.step += 1
    installation.updated_at = utcnow()
    session.commit()
    return progress(installation, locale)


def install(
    session: Session,
    actor: Actor,
    bundle: TemplateBundle,
    *,
    sample_locale: str | None,
    source: str = "library",
) -> InstalledTemplate:
    """Install ``bundle`` completely (or finish an interrupted install of it)."""
    installation = start(session, actor, bundle, sample_locale=sample_locale, source=source)
    while installation.status == "installing":
        run_step(session, actor, installation)
    return installation


def _locale(actor: Actor) -> str:
    return "zh-CN" if (actor.user.locale or "").lower().startswith("zh") else "en"


def _name(names: dict[str, str], locale: str) -> str:
    return names.get(locale) or names["en"]


def _other_titles(names: dict[str, str], locale: str) -> dict[str, str]:
    return {lang: text for lang, text in names.items() if lang != locale}


class _Steps:
    """One object per step call; each method is one step and must be idempotent."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        installation: InstalledTemplate,
        bundle: TemplateBundle,
        locale: str,
    ) -> None:
        self.session = session
        self.actor = actor
        self.installation = installation
        self.bundle = bundle
        self.locale = locale
        # Copy: assigning a new value is what tells SQLAlchemy the JSON changed.
        self.key_map: dict[str, Any] = copy.deepcopy(installation.key_map)
        # The language automation texts were installed in (upgrades compare in it).
        self.text_locale: str = self.key_map.setdefault("locale", locale)

    def _save_key_map(self) -> None:
        self.installation.key_map = copy.deepcopy(self.key_map)

    def _rewrite(self, document: Any) -> Any:
        return rewrite(document, self.key_map["forms"], self.key_map["tier_schemes"])

    def _form(self, template_key: str) -> Form:
        form = self.session.scalar(
            scoped(Form, self.actor).where(Form.key == self.key_map["forms"][template_key])
        )
        assert form is not None
        return form

    # -- steps -------------------------------------------------------------------------

    def app(self) -> None:
        session, actor = self.session, self.actor
        actor.require_admin()
        if self.installation.app_id is None:
            # Added here rather than through apps.create_app (which commits), so the app,
            # its forms and the installation's record of them commit together.
            app = App(
                workspace_id=actor.workspace_id,
                name=_name(self.bundle.titles, self.locale)[: apps.NAME_MAX],
                titles=_other_titles(self.bundle.titles, self.locale),
                description=_name(self.bundle.descriptions, self.locale)[:1000],
            )
            session.add(app)
            session.flush()
            audit.record(
                session,
                "app.created",
                actor_id=actor.user_id,
                workspace_id=actor.workspace_id,
                target=app.name,
                template=self.bundle.id,
            )
            self.installation.app_id = app.id
        app_id = self.installation.app_id
        taken = set(
            session.scalars(select(Form.key).where(Form.workspace_id == actor.workspace_id))
        )
        ours = set(session.scalars(select(Form.key).where(Form.app_id == app_id)))
        for key in self.bundle.forms:
            if key in self.key_map["forms"]:
                continue
            wanted = key if key in ours else free_key(key, taken)
            taken.add(wanted)
            self.key_map["forms"][key] = wanted
        scheme_keys = set(
            session.scalars(
                select(TierScheme.key).where(TierScheme.workspace_id == actor.workspace_id)
            )
        )
        for key in self.bundle.tier_schemes:
            if key not in self.key_map["tier_schemes"]:
                self.key_map["tier_schemes"][key] = free_key(key, scheme_keys)
                scheme_keys.add(self.key_map["tier_schemes"][key])
        self._save_key_map()
        for position, (key, document) in enumerate(self.bundle.forms.items(), start=1):
            workspace_key = self.key_map["forms"][key]
            if workspace_key in ours:
                continue
            session.add(
                Form(
                    workspace_id=actor.workspace_id,
                    app_id=app_id,
                    key=workspace_key,
                    title=label(document, self.locale, key)[:200],
                    position=position,
                    draft=self._rewrite(document),
                    draft_revision=1,
                )
            )
        session.flush()

    def publish(self, key: str) -> None:
        form = self._form(key)
        if form.published_version is not None:
            return  # published by an earlier, interrupted run of this step
        publishing.publish(self.session, self.actor, form, form.draft_revision, self.locale)

    def tier_schemes(self) -> None:
        done = self.key_map.setdefault("tier_scheme_ids", {})
        for key, part in self.bundle.tier_schemes.items():
            if key in done:
                continue
            scheme = tiers.save_scheme(
                self.session,
                self.actor,
                key=self.key_map["tier_schemes"][key],
                name=_name(part["name"], self.locale),
                titles=_other_titles(part["name"], self.locale),
                form_id=self._form(part["form"]).id,
                field_key=part["field"],
                document=self._rewrite(part["document"]),
                schedule=part.get("schedule"),
                locale=self.locale,
            )
            done[key] = scheme.id
            self._save_key_map()
            self.session.commit()

    def automations(self) -> None:
        app_id = self.installation.app_id
        for key, part in self.bundle.automations.items():
            if key in self.key_map["automations"]:
                continue
            name = _name(part["name"], self.locale)
            # A crash between the save's commit and ours: find it by app and name.
            automation = self.session.scalar(
                scoped(Automation, self.actor).where(
                    Automation.app_id == app_id, Automation.name == name
                )
            ) or automations.save_automation(
                self.session,
                self.actor,
                name=name,
                description=_name(part.get("description") or part["name"], self.locale),
                document=self._rewrite(localized_document(part, self.text_locale)),
                app_id=app_id,
                locale=self.locale,
            )
            if part.get("enabled", True):
                automations.set_enabled(
                    self.session, self.actor, automation.id, True, locale=self.locale
                )
            self.key_map["automations"][key] = automation.id
            self._save_key_map()
            self.session.commit()

    def reports(self) -> None:
        for key, part in self.bundle.reports.items():
            if key in self.key_map["reports"]:
                continue
            if part["type"] == "customer_asset" and not self._install_value_settings(part):
                self.key_map.setdefault("skipped", {})["value_settings"] = True
            document = {
                name: part[name]
                for name in ("form", "group_by", "measures", "filter")
                if name in part
            }
            if "form" in document:
                document["form"] = self.key_map["forms"][part["form"]]
            report = reports.save_report(
                self.session,
                self.actor,
                key=free_key(key, self._report_keys()),
                name=_name(part["name"], self.locale),
                titles=_other_titles(part["name"], self.locale),
                kind=part["type"],
                document=document,
                app_id=self.installation.app_id,
                locale=self.locale,
            )
            self.key_map["reports"][key] = report.id
            self._save_key_map()
            self.session.commit()

    def _report_keys(self) -> set[str]:
        from formwork.models import Report

        query = select(Report.key).where(Report.workspace_id == self.actor.workspace_id)
        return set(self.session.scalars(query))

    def _install_value_settings(self, part: dict[str, Any]) -> bool:
        """Save the template's customer-value settings unless the workspace has its own."""
        model = self.session.get(ValueModel, self.actor.workspace_id)
        settings = self._rewrite(part["settings"])
        if model is not None and model.settings:
            if model.settings != value_settings.normalise(settings):
                return False
        else:
            value_settings.save(
                self.session,
                self.actor,
                settings,
                revision=model.revision if model is not None else 0,
            )
        self.key_map["value_settings"] = True
        return True

    def sample(self, key: str) -> None:
        rows_done = self.key_map["rows"]
        if key in rows_done:
            return
        locale = self.installation.sample_locale
        assert locale is not None
        sample = self.bundle.manifest["sample_data"]
        # Sample data moves to today; an exported app's own records keep their dates.
        shift = (
            shift_days(sample["as_of"], tiers.workspace_today(self.actor.workspace))
            if sample.get("shift_dates", True)
            else 0
        )
        document = self.bundle.forms[key]
        form = self._form(key)
        rows = self.bundle.sample_rows(locale, key)
        row_keys = [row.pop("_key") for row in rows]
        stamps = [exported_created_at(row.pop(CREATED_AT_COLUMN, None), shift) for row in rows]
        dated_by = (sample.get("created_at") or {}).get(key)
        # Links to rows of the same file need those rows' ids: insert in rounds, targets
        # first; rows caught in a circle of such links are linked once all exist.
        self_links = self_link_keys(document, key)
        multiple = {f: document["properties"][f].get("type") == "array" for f in self_links}
        later = [{f: row.pop(f) for f in self_links if f in row} for row in rows]
        rounds, circled = insertion_rounds(
            row_keys,
            [
                {t for f, text in cells.items() for t in link_cell_keys(text, multiple[f])}
                for cells in later
            ],
        )
        ids: dict[str, int] = {}
        linked_ids = {**rows_done, key: ids}
        self._analyze()
        # Sample data is history, not news: its events are stored but fire nothing.
        self.session.info[OPT_OUT_KEY] = True
        try:
            for batch, with_links in [*((r, True) for r in rounds), (circled, False)]:
                data = [
                    convert_row(
                        {**rows[i], **(later[i] if with_links else {})},
                        document,
                        shift=shift,
                        linked_ids=linked_ids,
                    )
                    for i in batch
                ]
                created = [
                    stamps[i]
                    or (
                        created_at(values.get(dated_by), self.actor.workspace.zone)
                        if dated_by
                        else None
                    )
                    for i, values in zip(batch, data, strict=True)
                ]
                inserted = records.bulk_create(
                    self.session,
                    self.actor,
                    form,
                    data,
                    source="json",
                    fire_automations=False,
                    commit=False,
                    created_at=created,
                )
                ids.update(zip((row_keys[i] for i in batch), inserted, strict=True))
            for i in circled:
                if later[i]:
                    links = convert_row(later[i], document, shift=0, linked_ids=linked_ids)
                    records.update_record(
                        self.session,
                        self.actor,
                        form,
                        ids[row_keys[i]],
                        links,
                        expected_version=1,
                        source="json",
                        partial=True,
                        commit=False,
                    )
        finally:
            self.session.info.pop(OPT_OUT_KEY, None)
        rows_done[key] = ids
        self._save_key_map()

    def _analyze(self) -> None:
        if self.session.get_bind().dialect.name == "postgresql":
            # Thousands of rows just arrived: without fresh statistics PostgreSQL's
            # planner loops over every record per customer (minutes instead of seconds).
            self.session.execute(text("ANALYZE records, record_links"))

    def compute(self) -> None:
        today = tiers.workspace_today(self.actor.workspace)
        self._analyze()
        self.session.info[OPT_OUT_KEY] = True
        try:
            if self.key_map.get("value_settings"):
                refresh_workspace(self.session, self.actor.workspace_id, today=today)
            for scheme_id in self.key_map.get("tier_scheme_ids", {}).values():
                scheme = self.session.get(TierScheme, scheme_id)
                if scheme is not None:
                    tiers.apply_scheme(
                        self.session,
                        scheme,
                        actor_id=self.actor.user_id,
                        source="apply",
                        today=today,
                    )
        finally:
            self.session.info.pop(OPT_OUT_KEY, None)

    def finish(self) -> None:
        installation = self.installation
        installation.status = "installed"
        # Sample files are only needed while installing; the rest stays for upgrades.
        installation.snapshot = snapshot_of(self.bundle, with_samples=False)
        rows = self.key_map.pop("rows", {})
        self.key_map["sample_rows"] = sum(len(ids) for ids in rows.values())
        self._save_key_map()
        audit.record(
            self.session,
            "template.installed",
            actor_id=self.actor.user_id,
            workspace_id=self.actor.workspace_id,
            target=self.bundle.title("en"),
            template=self.bundle.id,
            version=self.bundle.version,
            app=installation.app_id,
        )


def app_of(session: Session, installation: InstalledTemplate) -> App | None:
    return session.get(App, installation.app_id) if installation.app_id else None


def today_for(actor: Actor) -> date:
    return tiers.workspace_today(actor.workspace)

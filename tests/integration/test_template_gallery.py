"""Template gallery: every library template installs with its sample data, its
automations run on that data, and export → import into a fresh workspace gives an
equivalent app; install is idempotent and resumes after an interruption; archive and
restore keep everything; an upgrade from N to N+1 keeps every record and user edit."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from formwork import db
from formwork.automation.executors import executor_for
from formwork.db import utcnow
from formwork.gallery import export as exporter
from formwork.gallery import install as installer
from formwork.gallery import lifecycle
from formwork.gallery import upgrade as upgrader
from formwork.models import (
    App,
    Automation,
    Form,
    InstalledTemplate,
    Record,
    Run,
    TierScheme,
    ValueModel,
)
from formwork.services import automations, publishing, records
from formwork.services.errors import Conflict, Forbidden
from formwork.services.scope import Actor, actor_for
from templates_library import available_templates, find_template, load_zip
from tests.conftest import Factory
from tests.integration.gallery_fixtures import (
    describe_app,
    field_values,
    install,
    older_customer_asset,
    record_contents,
)

LIBRARY = [bundle.id for bundle in available_templates()]


def _actor(factory: Factory, name: str = "Acme") -> tuple[Any, Any]:
    owner = factory.user(name=f"Owner of {name}")
    return owner, factory.workspace(owner, name=name)


def _as(session: Any, user: Any, workspace: Any) -> Actor:
    return actor_for(session, session.merge(user), workspace.id)


def test_the_library_has_the_four_templates() -> None:
    assert {"customer_asset", "sales_pipeline", "nps_programme", "membership_loyalty"} <= set(
        LIBRARY
    )


@pytest.mark.parametrize("template_id", LIBRARY)
def test_template_installs_runs_and_round_trips(
    app: Flask, factory: Factory, template_id: str
) -> None:
    bundle = find_template(template_id)
    assert bundle is not None
    owner, workspace = _actor(factory)
    with app.app_context():
        session = db.session()
        actor = _as(session, owner, workspace)
        installation = install(session, actor, bundle, sample="en")
        assert installation.status == "installed"
        assert installation.step == installation.steps_total
        described = describe_app(session, installation)
        # Every form is published; every sample row became a record.
        assert set(described["forms"]) == set(bundle.forms)
        assert all(document is not None for document in described["forms"].values())
        for form_key in bundle.manifest["sample_data"]["forms"]:
            expected = len(bundle.sample_rows("en", form_key))
            assert described["records"].get(form_key, 0) == expected, form_key
        # Sample records are dated when they happened, not on the install day.
        for form_key in bundle.manifest["sample_data"].get("created_at", {}):
            form_id = session.scalar(
                select(Form.id).where(
                    Form.workspace_id == workspace.id,
                    Form.key == installation.key_map["forms"][form_key],
                )
            )
            oldest = session.scalar(
                select(func.min(Record.created_at)).where(Record.form_id == form_id)
            )
            assert oldest is not None and (utcnow() - oldest).days > 30, form_key
        enabled = [a for a in described["automations"] if a[1]]
        assert len(enabled) == sum(1 for p in bundle.automations.values() if p.get("enabled", 1))
        # Tier schemes were applied to the sample data: every live record has a tier.
        for scheme in session.scalars(
            select(TierScheme).where(TierScheme.workspace_id == workspace.id)
        ):
            values = field_values(session, scheme.form_id, scheme.field_key)
            assert None not in values and len(values) >= 2, (scheme.key, values)

        # Its automations run on the sample data: each one's dry run evaluates against
        # the stored records without a problem, and record triggers fire for real.
        matched = 0
        for automation in session.scalars(
            select(Automation).where(Automation.app_id == installation.app_id)
        ):
            result = automations.dry_run(session, actor, automation.document)
            assert all(record.steps for record in result.records), automation.name
            matched += result.total
        assert matched > 0 or not bundle.automations
        created = _fire_record_created(session, actor, installation)
        executor_for(app).wake()
        if created:
            runs = session.scalars(select(Run).where(Run.workspace_id == workspace.id)).all()
            assert runs and all(run.status in {"succeeded", "waiting"} for run in runs), [
                (run.status, run.reason) for run in runs
            ]

        # Export (with records) and import into a fresh workspace: the same app.
        exported = exporter.export_app(session, actor, installation.app_id, with_records=True)
        data = exporter.to_zip(exported)
        before = describe_app(session, installation)
        contents_before = record_contents(session, installation)

    other_owner, other_workspace = _actor(factory, name="Elsewhere")
    with app.app_context():
        session = db.session()
        other = _as(session, other_owner, other_workspace)
        imported = installer.install(
            session, other, load_zip(data), sample_locale="en", source="import"
        )
        after = describe_app(session, imported)
        contents_after = record_contents(session, imported)
    assert after["forms"] == before["forms"]
    assert after["records"] == before["records"]
    assert after["tier_schemes"] == before["tier_schemes"]
    assert [a[2] for a in after["automations"]] == [a[2] for a in before["automations"]]
    assert [(r[0], r[1]) for r in after["reports"]] == [(r[0], r[1]) for r in before["reports"]]
    # Every record came along with its values, links and creation time.
    assert contents_after == contents_before


def _fire_record_created(session: Any, actor: Actor, installation: InstalledTemplate) -> bool:
    """Create one record in each form a ``record_created`` automation watches."""
    forms = set()
    for automation in session.scalars(
        select(Automation).where(
            Automation.app_id == installation.app_id, Automation.trigger_type == "record_created"
        )
    ):
        forms.add(automation.form_id)
    for form_id in forms:
        form = session.get(Form, form_id)
        document = publishing.published_document(session, form)
        name_field = next(
            key
            for key in document["x-order"]
            if document["properties"][key].get("x-field") == "text"
        )
        values: dict[str, Any] = {name_field: "Brand new"}
        for key in document.get("required", []):
            schema = document["properties"][key]
            if key in values:
                continue
            if "enum" in schema:
                values[key] = schema["enum"][0]
            elif schema.get("x-field") == "link":
                target = session.scalar(
                    select(Form).where(
                        Form.workspace_id == actor.workspace_id,
                        Form.key == schema["x-link"]["form"],
                    )
                )
                values[key] = session.scalar(
                    select(func.min(Record.id)).where(Record.form_id == target.id)
                )
            elif schema.get("type") in {"number", "integer"}:
                values[key] = 1
            elif schema.get("format") == "date":
                values[key] = "2026-01-01"
            else:
                values[key] = "x"
        records.create_record(session, actor, form, values)
    return bool(forms)


def test_install_is_idempotent_and_resumes_after_an_interruption(
    app: Flask, factory: Factory
) -> None:
    bundle = find_template("nps_programme")
    assert bundle is not None
    owner, workspace = _actor(factory)
    with app.app_context():
        session = db.session()
        actor = _as(session, owner, workspace)
        installation = installer.start(session, actor, bundle, sample_locale="zh-CN")
        for _ in range(3):
            installer.run_step(session, actor, installation)
        assert installation.status == "installing"
        # The browser went away; installing again continues where it stopped.
        again = install(session, actor, bundle, sample="zh-CN")
        assert again.id == installation.id and again.status == "installed"
        assert install(session, actor, bundle, sample="zh-CN").id == installation.id
        assert session.scalar(select(func.count()).select_from(App)) == 1
        keys = session.scalars(select(Form.key).where(Form.workspace_id == workspace.id)).all()
        assert sorted(keys) == sorted(bundle.forms)


def test_a_key_taken_by_another_app_gets_a_free_key_and_links_follow(
    app: Flask, factory: Factory
) -> None:
    owner, workspace = _actor(factory)
    nps = find_template("nps_programme")
    crm = find_template("customer_asset")
    assert nps is not None and crm is not None
    with app.app_context():
        session = db.session()
        actor = _as(session, owner, workspace)
        install(session, actor, nps, sample=None)
        installation = install(session, actor, crm, sample="en")
        mapped = installation.key_map["forms"]
        assert mapped["customers"] == "customers_2"
        orders = session.scalar(
            select(Form).where(Form.workspace_id == workspace.id, Form.key == mapped["orders"])
        )
        document = publishing.published_document(session, orders)
        links = [
            schema["x-link"]["form"]
            for schema in document["properties"].values()
            if schema.get("x-field") == "link"
        ]
        assert "customers_2" in links and "customers" not in links
        settings = session.get(ValueModel, workspace.id).settings
        assert settings["customers"]["form"] == "customers_2"


def test_archive_and_restore_keep_everything(app: Flask, factory: Factory) -> None:
    bundle = find_template("sales_pipeline")
    assert bundle is not None
    owner, workspace = _actor(factory)
    with app.app_context():
        session = db.session()
        actor = _as(session, owner, workspace)
        installation = install(session, actor, bundle, sample="en")
        before = describe_app(session, installation)
        lifecycle.archive(session, actor, installation)
        assert session.get(App, installation.app_id).archived_at is not None
        assert not any(
            session.scalars(
                select(Automation.enabled).where(Automation.app_id == installation.app_id)
            )
        )
        with pytest.raises(Conflict):
            installer.start(session, actor, bundle, sample_locale=None)
        lifecycle.restore(session, actor, installation)
        assert installation.status == "installed"
        assert describe_app(session, installation) == before


def test_only_admins_install(app: Flask, factory: Factory) -> None:
    from formwork.models import Role

    _owner, workspace = _actor(factory)
    member = factory.member(workspace, Role.MEMBER)
    bundle = find_template("nps_programme")
    assert bundle is not None
    with app.app_context():
        session = db.session()
        with pytest.raises(Forbidden):
            installer.start(session, _as(session, member, workspace), bundle, sample_locale=None)
        assert session.scalar(select(func.count()).select_from(InstalledTemplate)) == 0


def test_upgrade_keeps_every_record_and_user_edit(
    app: Flask, factory: Factory, tmp_path: Path
) -> None:
    old = older_customer_asset(tmp_path)
    new = find_template("customer_asset")
    assert new is not None
    owner, workspace = _actor(factory)
    with app.app_context():
        session = db.session()
        actor = _as(session, owner, workspace)
        installation = install(session, actor, old, sample="en")
        mapped = installation.key_map["forms"]
        customers = session.scalar(
            select(Form).where(Form.workspace_id == workspace.id, Form.key == mapped["customers"])
        )
        # User edits: a renamed field label and a new field on customers, an edited
        # automation, an edited and a new record.
        document = copy.deepcopy(publishing.published_document(session, customers))
        document["properties"]["city"]["title"] = "Town"
        document["properties"]["hobby"] = {
            "type": "string",
            "title": "Hobby",
            "maxLength": 50,
            "x-field": "text",
        }
        document["x-order"].append("hobby")
        revision = publishing.save_draft(
            session, actor, customers, document, customers.draft_revision
        )
        publishing.publish(session, actor, customers, revision)
        welcome = session.get(
            Automation, installation.key_map["automations"]["welcome_new_customer"]
        )
        edited = copy.deepcopy(welcome.document)
        edited["actions"][0]["title"] = "Say hello to {{ record.name }}"
        automations.save_automation(
            session, actor, automation_id=welcome.id, name=welcome.name, document=edited
        )
        first = session.scalar(
            select(Record).where(Record.form_id == customers.id).order_by(Record.id)
        )
        records.update_record(
            session,
            actor,
            customers,
            first.id,
            {"hobby": "Go"},
            expected_version=first.version,
            source="json",
            partial=True,
        )
        before_counts = describe_app(session, installation)["records"]
        before_rows = {
            r.id: r.data
            for r in session.scalars(select(Record).where(Record.workspace_id == workspace.id))
        }

        report = upgrader.upgrade(session, actor, installation, new)

        assert installation.version == new.version
        after = describe_app(session, installation)
        assert {"referrals", "loyalty_points"} <= set(after["forms"])
        for key, count in before_counts.items():
            assert after["records"][key] == count
        rows = {
            r.id: r.data
            for r in session.scalars(select(Record).where(Record.workspace_id == workspace.id))
        }
        for record_id, data in before_rows.items():
            for field, value in data.items():
                assert rows[record_id].get(field) == value, (record_id, field)
        current = after["forms"][mapped["customers"]]
        assert current["properties"]["city"]["title"] == "Town"  # the user's label
        assert "hobby" in current["properties"]  # the user's field
        assert "industry" in current["properties"]  # the template's new field
        welcome = session.get(Automation, welcome.id)
        assert welcome.document["actions"][0]["title"] == "Say hello to {{ record.name }}"
        names = {
            a.name
            for a in session.scalars(
                select(Automation).where(Automation.app_id == installation.app_id)
            )
        }
        assert len(names) == len(new.automations)
        codes = [entry["code"] for entry in report.changed]
        assert codes.count("form_added") == 2 and "field_added" in codes
        assert report.notes and report.notes[0]["en"]
        assert installation.last_report["to"] == new.version
        # Nothing further to upgrade; a second run changes nothing.
        again = upgrader.upgrade(session, actor, installation, new)
        assert again.changed == []


def test_upgrade_refuses_versions_off_the_chain(
    app: Flask, factory: Factory, tmp_path: Path
) -> None:
    bundle = find_template("membership_loyalty")
    assert bundle is not None
    owner, workspace = _actor(factory)
    with app.app_context():
        session = db.session()
        actor = _as(session, owner, workspace)
        installation = install(session, actor, bundle, sample=None)
        installation.version = "0.9.0"
        session.commit()
        with pytest.raises(Conflict):
            upgrader.upgrade(session, actor, installation, bundle)


def test_import_refuses_unsafe_or_broken_zips() -> None:
    from templates_library import TemplateError

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("../evil/template.json", "{}")
        archive.writestr("x/run.sh", "rm -rf /")
    with pytest.raises(TemplateError) as caught:
        load_zip(out.getvalue())
    assert any("outside the template" in p for p in caught.value.problems)
    assert any("only .json and .csv" in p for p in caught.value.problems)
    with pytest.raises(TemplateError, match="not a zip"):
        load_zip(b"not a zip at all")
    bundle = find_template("nps_programme")
    assert bundle is not None
    files = bundle.files()
    files["forms/customers.json"] = json.dumps({"type": "object"}).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    with pytest.raises(TemplateError) as caught:
        load_zip(out.getvalue())
    assert any(p.startswith("forms/customers.json") for p in caught.value.problems)


def test_a_workspace_keeps_its_own_customer_value_settings(app: Flask, factory: Factory) -> None:
    from tests.integration.value_fixtures import configure, make_value_crm

    crm = make_value_crm(app, factory, customers=5, orders=10)
    bundle = find_template("customer_asset")
    assert bundle is not None
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        before = configure(session, actor).settings
        installation = install(session, actor, bundle, sample=None)
        assert installation.key_map["forms"]["customers"] == "customers_2"
        assert installation.key_map["skipped"] == {"value_settings": True}
        assert session.get(ValueModel, crm.workspace.id).settings == before

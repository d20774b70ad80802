"""Export an app (installed from a template or built by hand, and changed by people) as
a template zip that another workspace, or another Formwork, imports.

The export holds what the app is now: each form's published document, the app's
automations, the tier schemes and reports over its forms, and — when the app's forms
are the workspace's customer-value forms — those settings as the customer-asset report.
Records go along only when asked (``with_records``), as sample data that keeps
their dates and creation times. Member fields and
who owns what stay behind: user ids mean nothing in another workspace.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from form_engine.dialect import fields_of
from formwork.gallery.install import bundle_of
from formwork.gallery.keys import free_key
from formwork.gallery.sample_data import CREATED_AT_COLUMN, SampleDataError
from formwork.models import (
    App,
    Automation,
    Form,
    InstalledTemplate,
    Record,
    Report,
    TierScheme,
    ValueModel,
)
from formwork.services import publishing
from formwork.services.errors import Invalid
from formwork.services.scope import Actor, scoped
from templates_library import TemplateBundle, TemplateError, bundle_from_files
from templates_library.samples import columns_of, to_csv

_SLUG = re.compile(r"[^a-z0-9]+")
COMPUTED = {"formula", "lookup", "rollup", "autonumber"}
SKIPPED_IN_DATA = COMPUTED | {"member", "attachment", "file", "image"}


def slug(text: str, fallback: str) -> str:
    value = _SLUG.sub("_", text.lower()).strip("_")[:50]
    return value if value and value[0].isalpha() else fallback


def _bilingual(name: str, titles: dict[str, Any] | None, locale: str) -> dict[str, str]:
    names = {"en": name, "zh-CN": name}
    names[locale] = name
    for lang, text in (titles or {}).items():
        if lang in names and isinstance(text, str) and text:
            names[lang] = text
    return names


def export_app(
    session: Session,
    actor: Actor,
    app_id: int,
    *,
    template_id: str | None = None,
    version: str | None = None,
    with_records: bool = False,
) -> TemplateBundle:
    """The app as a checked template.

    Raises:
        Forbidden: not an admin. NotFound: no such app. Invalid: the app's forms link to
            forms outside it, or the result breaks the template format (each reason given).
    """
    actor.require_admin()
    app = session.scalar(scoped(App, actor).where(App.id == app_id))
    if app is None:
        from formwork.services.errors import NotFound

        raise NotFound(_l("This app does not exist."))
    locale = "zh-CN" if (actor.user.locale or "").lower().startswith("zh") else "en"
    installation = session.scalar(
        scoped(InstalledTemplate, actor).where(InstalledTemplate.app_id == app.id)
    )
    base = bundle_of(installation) if installation is not None else None
    forms = list(
        session.scalars(
            select(Form)
            .where(Form.app_id == app.id, Form.archived_at.is_(None))
            .where(Form.published_version.is_not(None))
            .order_by(Form.position, Form.id)
        )
    )
    if not forms:
        raise Invalid(_l("Publish at least one form of this app before exporting it."))
    documents = {form.key: publishing.published_document(session, form) or {} for form in forms}
    outside = sorted(
        {
            str(schema.get(kind, {}).get("form"))
            for document in documents.values()
            for _key, schema, _type in fields_of(document)
            for kind in ("x-link", "x-rollup")
            if isinstance(schema.get(kind), dict) and schema[kind].get("form") not in documents
        }
    )
    if outside:
        raise Invalid(
            _l(
                "This app's forms link to forms of other apps (%(keys)s); "
                "move those forms into this app first.",
                keys=", ".join(outside),
            )
        )
    files: dict[str, Any] = {}
    manifest: dict[str, Any] = {
        "format": 1,
        "id": template_id or (base.id if base else slug(app.name, "exported_app")),
        "version": version or (base.version if base else "1.0.0"),
        "titles": _bilingual(app.name, app.titles, locale),
        "descriptions": _bilingual(
            app.description or app.name, base.descriptions if base else None, locale
        ),
        "forms": list(documents),
        "automations": [],
        "tier_schemes": [],
        "reports": [],
        "exported_from": {
            "template_id": installation.template_id if installation else "",
            "version": installation.version if installation else "",
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    if base is not None and manifest["id"] == base.id:
        manifest["upgrades"] = base.manifest.get("upgrades", [])
    for key, document in documents.items():
        files[f"forms/{key}.json"] = document
    _automations(session, actor, app, installation, base, locale, manifest, files)
    _schemes(session, actor, documents, locale, manifest, files)
    _reports(session, actor, app, documents, locale, manifest, files)
    if with_records:
        try:
            _records(session, actor, forms, documents, locale, manifest, files)
        except SampleDataError as exc:
            raise Invalid(
                _l(
                    "The records cannot be exported as sample data: the forms link to each "
                    "other in a circle. Export without records."
                )
            ) from exc
    files["template.json"] = manifest
    try:
        return bundle_from_files(_encoded(files), origin=manifest["id"])
    except TemplateError as exc:
        raise Invalid(
            _l(
                "This app cannot be exported as a template: %(problems)s",
                problems="; ".join(exc.problems),
            )
        ) from exc


def _encoded(files: dict[str, Any]) -> dict[str, bytes]:
    import json

    return {
        path: value.encode()
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False).encode()
        for path, value in files.items()
    }


def _automations(
    session: Session,
    actor: Actor,
    app: App,
    installation: InstalledTemplate | None,
    base: TemplateBundle | None,
    locale: str,
    manifest: dict[str, Any],
    files: dict[str, Any],
) -> None:
    template_keys = {
        automation_id: key
        for key, automation_id in (
            installation.key_map.get("automations", {}) if installation else {}
        ).items()
    }
    used: set[str] = set()
    query = scoped(Automation, actor).where(Automation.app_id == app.id).order_by(Automation.id)
    for automation in session.scalars(query):
        key = template_keys.get(automation.id) or slug(automation.name, "automation")
        key = free_key(key, used)
        used.add(key)
        names = _bilingual(automation.name, None, locale)
        original = base.automations.get(key) if base else None
        if original and automation.name in original["name"].values():
            names = dict(original["name"])
        files[f"automations/{key}.json"] = {
            "key": key,
            "name": names,
            "description": _bilingual(automation.description or automation.name, None, locale),
            "enabled": automation.enabled,
            "document": automation.document,
        }
        manifest["automations"].append(key)


def _schemes(
    session: Session,
    actor: Actor,
    documents: dict[str, Any],
    locale: str,
    manifest: dict[str, Any],
    files: dict[str, Any],
) -> None:
    query = (
        scoped(TierScheme, actor)
        .join(Form, Form.id == TierScheme.form_id)
        .where(Form.key.in_(list(documents)), TierScheme.archived_at.is_(None))
        .add_columns(Form.key)
        .order_by(TierScheme.id)
    )
    for scheme, form_key in session.execute(query):
        files[f"tier_schemes/{scheme.key}.json"] = {
            "key": scheme.key,
            "name": _bilingual(scheme.name, scheme.titles, locale),
            "form": form_key,
            "field": scheme.field_key,
            "schedule": scheme.schedule,
            "document": scheme.document,
        }
        manifest["tier_schemes"].append(scheme.key)


def _reports(
    session: Session,
    actor: Actor,
    app: App,
    documents: dict[str, Any],
    locale: str,
    manifest: dict[str, Any],
    files: dict[str, Any],
) -> None:
    query = scoped(Report, actor).where(Report.app_id == app.id).order_by(Report.id)
    for report in session.scalars(query):
        part: dict[str, Any] = {
            "key": report.key,
            "type": report.kind,
            "name": _bilingual(report.name, report.titles, locale),
        }
        if report.kind == "customer_asset":
            model = session.get(ValueModel, actor.workspace_id)
            settings = model.settings if model is not None else {}
            if (settings.get("customers") or {}).get("form") not in documents:
                continue  # the settings are about other forms: not this app's to export
            part["settings"] = settings
        else:
            part |= {
                k: v
                for k, v in report.document.items()
                if k in {"form", "group_by", "measures", "filter"}
            }
        files[f"reports/{report.key}.json"] = part
        manifest["reports"].append(report.key)


def _records(
    session: Session,
    actor: Actor,
    forms: list[Form],
    documents: dict[str, Any],
    locale: str,
    manifest: dict[str, Any],
    files: dict[str, Any],
) -> None:
    """Live records as sample data, each with its creation time and its dates as they are
    (``shift_dates`` off: these are people's records, not a demo that moves to today);
    forms ordered so links point to earlier forms (links within a form are resolved on
    install)."""
    order = _link_order(documents)
    by_key = {form.key: form for form in forms}
    for key in order:
        document = documents[key]
        kept = [
            (field_key, schema)
            for field_key, schema, kind in fields_of(document)
            if not kind.layout and schema.get("x-field") not in SKIPPED_IN_DATA
        ]
        rows: list[dict[str, Any]] = []
        query = (
            select(Record.id, Record.data, Record.created_at)
            .where(
                Record.workspace_id == actor.workspace_id,
                Record.form_id == by_key[key].id,
                Record.deleted_at.is_(None),
            )
            .order_by(Record.id)
        )
        for record_id, data, created in session.execute(query):
            row: dict[str, Any] = {
                "_key": f"r{record_id}",
                CREATED_AT_COLUMN: created.astimezone(UTC).isoformat(),
            }
            for field_key, schema in kept:
                value = data.get(field_key)
                if value is None or value == "" or value == []:
                    continue
                if schema.get("x-field") == "link":
                    value = [f"r{v}" for v in value] if isinstance(value, list) else f"r{value}"
                row[field_key] = value
            rows.append(row)
        files[f"sample/{locale}/{key}.csv"] = to_csv(rows, columns_of(rows))
    manifest["sample_data"] = {
        "as_of": datetime.now(UTC).date().isoformat(),
        "locales": [locale],
        "forms": order,
        "shift_dates": False,
    }


def _link_order(documents: dict[str, Any]) -> list[str]:
    """Form keys so that every form comes after the forms its links point to."""
    needs = {
        key: {
            schema["x-link"]["form"]
            for _k, schema, _t in fields_of(document)
            if isinstance(schema.get("x-link"), dict) and schema["x-link"].get("form") != key
        }
        for key, document in documents.items()
    }
    order: list[str] = []
    while len(order) < len(needs):
        ready = [k for k in needs if k not in order and needs[k] <= set(order)]
        if not ready:
            raise SampleDataError("links between these forms go round in a circle")
        order += ready
    return order


def to_zip(bundle: TemplateBundle) -> bytes:
    """The template as a zip with one folder named after its id."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(bundle.files().items()):
            archive.writestr(f"{bundle.id}/{path}", data)
    return out.getvalue()

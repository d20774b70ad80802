"""Helpers for template gallery tests: install a template as a workspace's owner, copy a
library template into a scratch folder to make an older version, and describe an app so
two installs can be compared."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from formwork.gallery import install as installer
from formwork.models import (
    Automation,
    Form,
    InstalledTemplate,
    Record,
    Report,
    TierScheme,
)
from formwork.services import publishing
from formwork.services.scope import Actor
from templates_library import LIBRARY_DIR, TemplateBundle, load


def install(
    session: Session, actor: Actor, bundle: TemplateBundle, sample: str | None = "en"
) -> InstalledTemplate:
    return installer.install(session, actor, bundle, sample_locale=sample)


def older_customer_asset(tmp_path: Path) -> TemplateBundle:
    """Version 1.0.0 of the Customer Asset CRM, as the chain in its template.json says:
    without the referrals and loyalty points forms and the referral ask, and with
    customers lacking their ``industry`` field."""
    folder = tmp_path / "customer_asset"
    shutil.copytree(LIBRARY_DIR / "customer_asset", folder)
    manifest = json.loads((folder / "template.json").read_text("utf-8"))
    manifest["version"] = "1.0.0"
    manifest["upgrades"] = []
    for form in ("referrals", "loyalty_points"):
        manifest["forms"].remove(form)
        (folder / "forms" / f"{form}.json").unlink()
        if form in manifest["sample_data"]["forms"]:
            manifest["sample_data"]["forms"].remove(form)
        manifest["sample_data"].get("created_at", {}).pop(form, None)
        for locale in manifest["sample_data"]["locales"]:
            (folder / "sample" / locale / f"{form}.csv").unlink(missing_ok=True)
    manifest["automations"].remove("ask_promoter_referral")
    (folder / "automations" / "ask_promoter_referral.json").unlink()
    (folder / "template.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    customers = json.loads((folder / "forms" / "customers.json").read_text("utf-8"))
    customers["properties"].pop("industry")
    customers["x-order"].remove("industry")
    (folder / "forms" / "customers.json").write_text(json.dumps(customers), "utf-8")
    for locale in manifest["sample_data"]["locales"]:
        _drop_column(folder / "sample" / locale / "customers.csv", "industry")
    return load(folder)


def _drop_column(path: Path, column: str) -> None:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    if column not in rows[0]:
        return
    index = rows[0].index(column)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(row[:index] + row[index + 1 :])
    path.write_text(out.getvalue(), "utf-8")


def describe_app(session: Session, installation: InstalledTemplate) -> dict[str, Any]:
    """What an installed app is, independent of ids: forms (published documents), record
    counts, automations, tier schemes and reports, keyed by their keys or names."""
    forms = list(
        session.scalars(
            select(Form).where(Form.app_id == installation.app_id).order_by(Form.position)
        )
    )
    ids = [form.id for form in forms]
    counts = dict(
        session.execute(
            select(Form.key, func.count(Record.id))
            .join(Record, Record.form_id == Form.id)
            .where(Form.id.in_(ids), Record.deleted_at.is_(None))
            .group_by(Form.key)
        ).all()
    )
    return {
        "forms": {form.key: publishing.published_document(session, form) for form in forms},
        "records": counts,
        "automations": sorted(
            (a.name, a.enabled, json.dumps(a.document, sort_keys=True))
            for a in session.scalars(
                select(Automation).where(Automation.app_id == installation.app_id)
            )
        ),
        "tier_schemes": sorted(
            (s.key, s.field_key, s.schedule, json.dumps(s.document, sort_keys=True))
            for s in session.scalars(select(TierScheme).where(TierScheme.form_id.in_(ids)))
        ),
        "reports": sorted(
            (r.key, r.kind, json.dumps(r.document, sort_keys=True))
            for r in session.scalars(select(Report).where(Report.app_id == installation.app_id))
        ),
    }


def record_contents(session: Session, installation: InstalledTemplate) -> dict[str, Any]:
    """Every live record of the app, independent of ids: per form, in creation order,
    its values (links as (form key, position of the target)), with when it was created.
    Member fields stay behind in an export (user ids mean nothing elsewhere); fields a tier
    scheme writes are left out, as an install applies the schemes anew."""
    forms = list(session.scalars(select(Form).where(Form.app_id == installation.app_id)))
    document_of = {form.id: publishing.published_document(session, form) or {} for form in forms}
    key_of = {form.id: form.key for form in forms}
    tiered = {
        (form_id, field)
        for form_id, field in session.execute(
            select(TierScheme.form_id, TierScheme.field_key).where(TierScheme.form_id.in_(key_of))
        )
    }
    rows = session.execute(
        select(Record.id, Record.form_id, Record.data, Record.created_at)
        .where(Record.form_id.in_(key_of), Record.deleted_at.is_(None))
        .order_by(Record.form_id, Record.id)
    ).all()
    position: dict[int, tuple[str, int]] = {}
    seen: Counter[str] = Counter()
    for record_id, form_id, _data, _created in rows:
        position[record_id] = (key_of[form_id], seen[key_of[form_id]])
        seen[key_of[form_id]] += 1
    contents: dict[str, list[Any]] = {key: [] for key in key_of.values()}
    for _record_id, form_id, data, created in rows:
        properties = document_of[form_id].get("properties") or {}
        values = {}
        for key, value in sorted(data.items()):
            kind = (properties.get(key) or {}).get("x-field")
            if kind == "member" or (form_id, key) in tiered:
                continue
            if kind == "link" and value is not None:
                value = [position[v] for v in value] if isinstance(value, list) else position[value]
            values[key] = value
        contents[key_of[form_id]].append((created, json.dumps(values, sort_keys=True, default=str)))
    return contents


def field_values(session: Session, form_id: int, field: str) -> Counter[Any]:
    return Counter(
        data.get(field)
        for data in session.scalars(
            select(Record.data).where(Record.form_id == form_id, Record.deleted_at.is_(None))
        )
    )

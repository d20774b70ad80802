"""Export with records → import elsewhere keeps what people saved: every value, every
link (also links between records of one form, forwards, backwards, to itself and in
circles), when each record was created, and the dates as they were — even when the
import happens weeks after the export."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from formwork import db
from formwork.gallery import export as exporter
from formwork.gallery import install as installer
from formwork.gallery.sample_data import SampleDataError, insertion_rounds
from formwork.models import Form, InstalledTemplate, Record, RecordLink
from formwork.services.scope import Actor, actor_for
from formwork.value import tiers
from templates_library import bundle_from_files, load_zip
from tests.conftest import Factory

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
PEOPLE = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "People",
    "x-order": ["name", "joined", "mentor", "friends"],
    "properties": {
        "name": {"type": "string", "title": "Name", "maxLength": 100, "x-field": "text"},
        "joined": {"type": "string", "format": "date", "title": "Joined", "x-field": "date"},
        "mentor": {
            "type": "integer",
            "title": "Mentor",
            "x-field": "link",
            "x-link": {"form": "people"},
        },
        "friends": {
            "type": "array",
            "items": {"type": "integer"},
            "title": "Friends",
            "x-field": "link",
            "x-multiple": True,
            "x-link": {"form": "people"},
        },
    },
    "required": ["name"],
    "additionalProperties": False,
}
MANIFEST: dict[str, Any] = {
    "format": 1,
    "id": "circle",
    "version": "1.0.0",
    "titles": {"en": "Circle", "zh-CN": "圈子"},
    "descriptions": {"en": "People who know people.", "zh-CN": "互相认识的人。"},
    "forms": ["people"],
    "sample_data": {"as_of": "2026-11-01", "locales": ["en"], "forms": ["people"]},
}
# Ann's mentor comes later in the file, Bo mentors himself, Cy and Di mentor each other,
# Ed's friends are one earlier and one later row.
PEOPLE_CSV = (
    "_key,name,joined,mentor,friends\n"
    "p1,Ann,2026-10-01,p3,\n"
    "p2,Bo,2026-10-02,p2,\n"
    'p3,Cy,2026-10-03,p4,"[""p1""]"\n'
    "p4,Di,2026-10-04,p3,\n"
    'p5,Ed,2026-10-05,,"[""p1"", ""p6""]"\n'
    "p6,Fay,2026-10-06,,\n"
)


def _bundle(csv_text: str = PEOPLE_CSV, manifest: dict[str, Any] | None = None) -> Any:
    files = {
        "template.json": json.dumps(manifest or MANIFEST).encode(),
        "forms/people.json": json.dumps(PEOPLE).encode(),
        "sample/en/people.csv": csv_text.encode(),
    }
    return bundle_from_files(files, origin="circle")


def _actor(session: Any, factory: Factory, name: str) -> Actor:
    owner = factory.user(name=f"Owner of {name}")
    workspace = factory.workspace(owner, name=name)
    return actor_for(session, session.merge(owner), workspace.id)


def _people(session: Any, installation: InstalledTemplate) -> dict[str, dict[str, Any]]:
    """Each person by name: their values with links as names, and when they were created."""
    form_id = session.scalar(select(Form.id).where(Form.app_id == installation.app_id))
    rows = session.execute(
        select(Record.id, Record.data, Record.created_at).where(Record.form_id == form_id)
    ).all()
    names = {record_id: data["name"] for record_id, data, _created in rows}
    people = {}
    for record_id, data, created in rows:
        links = sorted(
            (field, names[target])
            for field, target in session.execute(
                select(RecordLink.field_key, RecordLink.target_id).where(
                    RecordLink.source_id == record_id
                )
            )
        )
        people[data["name"]] = {
            "joined": data.get("joined"),
            "mentor": names.get(data.get("mentor")),
            "friends": [names[t] for t in data.get("friends") or []],
            "links": links,
            "created_at": created,
        }
    return people


def test_rounds_put_link_targets_first_and_set_circles_aside() -> None:
    keys = ["a", "b", "c", "d", "e"]
    targets = [{"c"}, {"b"}, {"d"}, {"c"}, {"a", "zz"}]
    rounds, circled = insertion_rounds(keys, targets)
    # b links to itself, c and d to each other: linked afterwards, like a and e, which
    # wait for them (zz is no row: convert_row reports it).
    assert rounds == [] and circled == [0, 1, 2, 3, 4]
    rounds, circled = insertion_rounds(["a", "b", "c"], [{"c"}, set(), {"b"}])
    assert rounds == [[1], [2], [0]] and circled == []


def _installed_people(app: Flask, factory: Factory) -> tuple[dict[str, Any], date]:
    """The people of the template installed with its sample data, and the install day."""
    with app.app_context():
        session = db.session()
        actor = _actor(session, factory, "Acme")
        installation = installer.install(session, actor, _bundle(), sample_locale="en")
        return _people(session, installation), tiers.workspace_today(actor.workspace)


def test_links_within_a_form_install_in_any_direction(app: Flask, factory: Factory) -> None:
    people, _today = _installed_people(app, factory)
    assert {name: person["mentor"] for name, person in people.items()} == {
        "Ann": "Cy",
        "Bo": "Bo",
        "Cy": "Di",
        "Di": "Cy",
        "Ed": None,
        "Fay": None,
    }
    assert people["Ed"]["friends"] == ["Ann", "Fay"]
    assert people["Cy"]["friends"] == ["Ann"]
    # The link index knows every link, also those set after the circle was inserted.
    assert people["Di"]["links"] == [("mentor", "Cy")]
    assert people["Cy"]["links"] == [("friends", "Ann"), ("mentor", "Di")]


def test_a_link_to_a_missing_row_is_reported(app: Flask, factory: Factory) -> None:
    broken = PEOPLE_CSV.replace("p1,Ann,2026-10-01,p3,", "p1,Ann,2026-10-01,p9,")
    with app.app_context():
        session = db.session()
        actor = _actor(session, factory, "Acme")
        with pytest.raises(SampleDataError, match="p9"):
            installer.install(session, actor, _bundle(broken), sample_locale="en")


def _exported_as_if_weeks_ago(data: bytes, weeks: int) -> bytes:
    """The zip with its ``as_of`` moved back, as if it had been exported ``weeks`` ago."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            if name.endswith("/template.json"):
                manifest = json.loads(content)
                as_of = datetime.fromisoformat(manifest["sample_data"]["as_of"])
                manifest["sample_data"]["as_of"] = (
                    (as_of - timedelta(weeks=weeks)).date().isoformat()
                )
                content = json.dumps(manifest).encode()
            target.writestr(name, content)
    return out.getvalue()


def test_export_then_import_weeks_later_keeps_values_links_dates_and_creation_times(
    app: Flask, factory: Factory
) -> None:
    created = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    with app.app_context():
        session = db.session()
        actor = _actor(session, factory, "Acme")
        installation = installer.install(session, actor, _bundle(), sample_locale="en")
        # People's own records: created long ago (a spreadsheet import, say).
        form_id = session.scalar(select(Form.id).where(Form.app_id == installation.app_id))
        session.execute(update(Record).where(Record.form_id == form_id).values(created_at=created))
        session.commit()
        before = _people(session, installation)
        exported = exporter.export_app(session, actor, installation.app_id, with_records=True)
        assert exported.manifest["sample_data"]["shift_dates"] is False
        data = exporter.to_zip(exported)

    with app.app_context():
        session = db.session()
        other = _actor(session, factory, "Elsewhere")
        imported = installer.install(
            session, other, load_zip(_exported_as_if_weeks_ago(data, 3)), sample_locale="en"
        )
        after = _people(session, imported)
    assert after == before
    assert {person["created_at"] for person in after.values()} == {created}


def test_library_sample_data_still_moves_to_the_install_day(app: Flask, factory: Factory) -> None:
    """Templates' demo data is not people's data: it keeps ending on the install day."""
    people, today = _installed_people(app, factory)
    shift = today - date.fromisoformat(MANIFEST["sample_data"]["as_of"])
    assert people["Fay"]["joined"] == (date(2026, 10, 6) + shift).isoformat()

"""Attachment fields end to end: upload on create and edit, download, refusals."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from form_engine.fields import FIELD_TYPES as F
from formwork import db
from formwork.models import Record, Role
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import SCHEMA, actor, published_forms

DOCS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Docs",
    "x-order": ["name", "files"],
    "properties": {
        "name": F["text"].fragment(title="Name"),
        "files": F["attachment"].fragment(title="Files"),
    },
}


class Site:
    def __init__(self, app: Flask, client: FlaskClient, workspace: Any, form_id: int) -> None:
        self.app, self.client, self.workspace, self.form_id = app, client, workspace, form_id

    def url(self, suffix: str = "new") -> str:
        return f"/w/{self.workspace.id}/forms/{self.form_id}/records/{suffix}"

    def data(self, record_id: int) -> dict[str, Any]:
        with self.app.app_context():
            record = db.session().get(Record, record_id)
            assert record is not None
            return dict(record.data)

    def stored_files(self) -> list[Path]:
        folder = Path(self.app.instance_path) / "uploads"
        return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _site(app: Flask, factory: Factory, client: FlaskClient, auth: Auth) -> Site:
    owner = factory.user(name="Owner Ann")
    workspace = factory.workspace(owner)
    with app.app_context():
        forms = published_forms(db.session(), actor(app, owner, workspace), {"docs": DOCS})
        form_id = forms["docs"].id
    auth.login(owner)
    return Site(app, client, workspace, form_id)


@pytest.fixture
def site(app: Flask, factory: Factory, client: FlaskClient, auth: Auth) -> Site:
    return _site(app, factory, client, auth)


def _file(content: bytes, name: str, kind: str = "text/plain") -> tuple[io.BytesIO, str, str]:
    return (io.BytesIO(content), name, kind)


def _create(site: Site, files: list[tuple[io.BytesIO, str, str]], name: str = "A") -> int:
    response = site.client.post(
        site.url(), data={"name": name, "files": files}, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/records/(\d+)/$", response.headers["Location"])
    assert match
    return int(match.group(1))


def test_upload_on_create_is_stored_shown_and_downloadable(site: Site) -> None:
    page = site.client.get(site.url()).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'multiple name="files"' in page
    record_id = _create(
        site, [_file(b"hello", "../../etc/re\x07port.txt"), _file(b"xy", "b.csv", "text/csv")]
    )
    files = site.data(record_id)["files"]
    assert [(f["name"], f["size"], f["content_type"]) for f in files] == [
        ("report.txt", 5, "text/plain"),
        ("b.csv", 2, "text/csv"),
    ]
    on_disk = site.stored_files()
    assert sorted(p.name for p in on_disk) == sorted(f["id"] for f in files)
    assert all(p.parent.name == str(site.workspace.id) for p in on_disk)
    show = site.client.get(site.url(f"{record_id}/")).get_data(as_text=True)
    link = site.url(f"{record_id}/files/{files[0]['id']}")
    assert link in show and "report.txt" in show and "5 B" in show
    response = site.client.get(link)
    assert response.status_code == 200 and response.data == b"hello"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "report.txt" in response.headers["Content-Disposition"]
    response.close()


def test_upload_on_edit_and_removing_one_keeps_the_others(site: Site) -> None:
    record_id = _create(site, [_file(b"one", "one.txt"), _file(b"two", "two.txt")])
    first, second = site.data(record_id)["files"]
    edit = site.client.get(site.url(f"{record_id}/edit")).get_data(as_text=True)
    assert 'name="files-remove"' in edit and "one.txt" in edit
    response = site.client.post(
        site.url(f"{record_id}/edit"),
        data={
            "name": "A",
            "_version": "1",
            "files-remove": [first["id"]],
            "files": [_file(b"three", "three.txt")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    files = site.data(record_id)["files"]
    assert [f["name"] for f in files] == ["two.txt", "three.txt"]
    assert files[0] == second
    # Saving the edit page without touching the files keeps them all.
    response = site.client.post(
        site.url(f"{record_id}/edit"),
        data={"name": "B", "_version": "2"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert site.data(record_id)["files"] == files


def test_member_downloads_stranger_and_unknown_ids_get_404(
    site: Site, app: Flask, factory: Factory
) -> None:
    record_id = _create(site, [_file(b"secret", "s.txt")])
    other_id = _create(site, [_file(b"other", "o.txt")], name="B")
    file_id = site.data(record_id)["files"][0]["id"]
    other_file = site.data(other_id)["files"][0]["id"]
    member = factory.member(site.workspace, Role.VIEWER, name="Viewer Vic")
    client = app.test_client()
    Auth(client).login(member)
    response = client.get(site.url(f"{record_id}/files/{file_id}"))
    assert response.status_code == 200 and response.data == b"secret"
    response.close()
    # A file id that exists, but in another record; and ids that exist nowhere.
    for bad in (other_file, "0" * 32, "..%2F..%2Fsecret_key", "not-an-id"):
        assert site.client.get(site.url(f"{record_id}/files/{bad}")).status_code == 404, bad
    stranger = factory.user(name="Stranger")
    factory.workspace(stranger, name="Elsewhere")
    outsider = app.test_client()
    Auth(outsider).login(stranger)
    assert outsider.get(site.url(f"{record_id}/files/{file_id}")).status_code == 404


def test_html_upload_is_served_as_an_octet_stream_download(site: Site) -> None:
    record_id = _create(site, [_file(b"<script>alert(1)</script>", "x.html", "text/html")])
    item = site.data(record_id)["files"][0]
    assert item["content_type"] == "text/html"  # a label only
    response = site.client.get(site.url(f"{record_id}/files/{item['id']}"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_oversize_and_empty_files_are_refused_and_nothing_is_stored(
    make_app: Callable[..., Flask], factory: Factory
) -> None:
    app = make_app(ATTACHMENT_MAX_BYTES=10)
    client = app.test_client()
    site = _site(app, factory, client, Auth(client))
    for content, words in ((b"x" * 11, "larger than"), (b"", "is empty")):
        response = client.post(
            site.url(),
            data={"name": "A", "files": [_file(b"ok", "fine.txt"), _file(content, "big.bin")]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert 'data-testid="error-files"' in page and words in page
        assert site.stored_files() == []
    with app.app_context():
        assert db.session().query(Record).count() == 0

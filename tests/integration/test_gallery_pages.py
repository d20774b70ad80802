"""Template gallery pages: cards and previews in English and 中文, install through the
progress endpoint (one step per script call, or every step on a plain post), the
installed app's page with archive/restore and upgrade report, export download and zip
import, roles and CSRF."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formwork import db
from formwork.models import App, InstalledTemplate, Record, Role
from tests.conftest import PASSWORD, Auth, Factory

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
JSON = {"Accept": "application/json"}


def _owner(factory: Factory, auth: Auth, name: str = "Acme") -> Any:
    return _owner_and_workspace(factory, auth, name)[1]


def _owner_and_workspace(factory: Factory, auth: Auth, name: str = "Acme") -> tuple[Any, Any]:
    owner = factory.user(name=f"Owner {name}")
    workspace = factory.workspace(owner, name=name)
    auth.login(owner)
    return owner, workspace


def test_gallery_lists_the_templates_in_both_languages(
    client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    workspace = _owner(factory, auth)
    page = client.get(f"/w/{workspace.id}/gallery/", headers=EN).get_data(as_text=True)
    for title in ("Customer Asset CRM", "Sales pipeline", "NPS programme"):
        assert title in page
    assert 'data-testid="install-customer_asset"' in page
    chinese = client.get(f"/w/{workspace.id}/gallery/", headers=ZH).get_data(as_text=True)
    assert "客户资产管理" in chinese and "模板中心" in chinese and "安装" in chinese
    preview = client.get(f"/w/{workspace.id}/gallery/templates/customer_asset", headers=ZH)
    text = preview.get_data(as_text=True)
    assert (
        preview.status_code == 200 and "客户档案" in text and 'data-testid="form-previews"' in text
    )
    assert client.get(f"/w/{workspace.id}/gallery/templates/nope").status_code == 404
    assert client.get(f"/w/{workspace.id}/gallery/templates/..%2Fetc").status_code == 404


def test_install_by_steps_then_archive_and_restore(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    workspace = _owner(factory, auth)
    base = f"/w/{workspace.id}/gallery"
    started = client.post(f"{base}/templates/nps_programme/install", data={"sample": "zh-CN"})
    assert started.status_code == 302 and "/progress" in started.location
    page = client.get(started.location).get_data(as_text=True)
    assert 'data-testid="install-bar"' in page and "js/gallery_install.js" in page
    step_url = started.location.replace("/progress", "/step")
    states = []
    for _ in range(100):
        state = client.post(step_url, headers=JSON).get_json()
        states.append(state["percent"])
        if state["done"]:
            break
    assert state["done"] and state["next"].endswith(started.location.rsplit("/", 1)[0])
    assert states == sorted(states) and states[-1] == 100 and len(states) > 3
    installed = client.get(state["next"], headers=EN).get_data(as_text=True)
    assert "Installed" in installed
    count = re.search(r'data-testid="sample-count">(\d+)<', installed)
    assert count is not None and int(count.group(1)) > 100
    # The app was installed by an English-speaking owner; Chinese readers see its
    # Chinese name.
    dashboard = client.get(f"/w/{workspace.id}/", headers=ZH).get_data(as_text=True)
    assert "客户满意度管理" in dashboard
    with app.app_context():
        session = db.session()
        installation = session.scalar(select(InstalledTemplate))
        assert installation is not None and installation.sample_locale == "zh-CN"
        names = session.scalars(select(Record.data["name"].as_string()).limit(50)).all()
        assert any(re.search(r"[\u4e00-\u9fff]", name or "") for name in names)
        iid, app_id = installation.id, installation.app_id
    # Installing again is a no-op that leads to the installed app.
    again = client.post(f"{base}/templates/nps_programme/install", data={})
    assert again.status_code == 302 and again.location.endswith(f"/installed/{iid}")
    assert client.post(f"{base}/installed/{iid}/archive").status_code == 302
    with app.app_context():
        assert db.session().get(App, app_id).archived_at is not None  # type: ignore[union-attr]
    listing = client.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "Archived" in listing
    assert client.post(f"{base}/installed/{iid}/restore").status_code == 302
    with app.app_context():
        assert db.session().get(App, app_id).archived_at is None  # type: ignore[union-attr]


def test_plain_post_installs_everything_and_shows_the_report_link(
    client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    workspace = _owner(factory, auth)
    base = f"/w/{workspace.id}/gallery"
    started = client.post(f"{base}/templates/customer_asset/install", data={"sample": "en"})
    done = client.post(started.location.replace("/progress", "/step"))
    assert done.status_code == 302 and "/installed/" in done.location
    page = client.get(done.location, headers=EN).get_data(as_text=True)
    assert 'data-testid="open-report"' in page
    report = client.get(f"/w/{workspace.id}/value/", headers=EN)
    assert report.status_code == 200


def test_upgrade_page_shows_what_changed(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    workspace = _owner(factory, auth)
    base = f"/w/{workspace.id}/gallery"
    started = client.post(f"{base}/templates/customer_asset/install", data={})
    client.post(started.location.replace("/progress", "/step"))
    with app.app_context():
        session = db.session()
        installation = session.scalar(select(InstalledTemplate))
        assert installation is not None
        # Pretend the installed version is the previous one on the chain.
        installation.version = "1.0.0"
        session.commit()
        iid = installation.id
    page = client.get(f"{base}/installed/{iid}", headers=EN).get_data(as_text=True)
    assert 'data-testid="upgrade"' in page
    upgraded = client.post(f"{base}/installed/{iid}/upgrade")
    assert upgraded.status_code == 302
    page = client.get(f"{base}/installed/{iid}", headers=EN).get_data(as_text=True)
    assert 'data-testid="upgrade-report"' in page and "Last upgrade: 1.0.0" in page
    assert 'data-testid="upgrade"' not in page


def test_export_download_imports_into_another_workspace(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner, workspace = _owner_and_workspace(factory, auth)
    base = f"/w/{workspace.id}/gallery"
    started = client.post(f"{base}/templates/sales_pipeline/install", data={"sample": "en"})
    client.post(started.location.replace("/progress", "/step"))
    with app.app_context():
        installation = db.session().scalar(select(InstalledTemplate))
        assert installation is not None
        app_id = installation.app_id
    form = client.get(f"{base}/apps/{app_id}/export", headers=EN)
    assert form.status_code == 200 and 'data-testid="export-form"' in form.get_data(as_text=True)
    download = client.post(
        f"{base}/apps/{app_id}/export",
        data={"template_id": "our_pipeline", "version": "2.0.0", "with_records": "1"},
    )
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "our_pipeline-2.0.0.zip" in download.headers["Content-Disposition"]
    # The same person imports it into a second workspace of theirs.
    second = factory.workspace(owner, name="Second")
    imported = client.post(
        f"/w/{second.id}/gallery/import",
        data={"file": (io.BytesIO(download.data), "our_pipeline.zip"), "with_records": "1"},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302 and "/progress" in imported.location
    done = client.post(imported.location.replace("/progress", "/step"))
    assert done.status_code == 302
    with app.app_context():
        session = db.session()
        rows = session.scalars(
            select(InstalledTemplate).where(InstalledTemplate.workspace_id == second.id)
        ).all()
        assert [(r.template_id, r.version, r.source, r.status) for r in rows] == [
            ("our_pipeline", "2.0.0", "import", "installed")
        ]
        counts = session.scalar(
            select(func.count()).select_from(Record).where(Record.workspace_id == second.id)
        )
        originals = session.scalar(
            select(func.count()).select_from(Record).where(Record.workspace_id == workspace.id)
        )
        assert counts == originals > 0


def test_bad_import_lists_problems_and_changes_nothing(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    workspace = _owner(factory, auth)
    response = client.post(
        f"/w/{workspace.id}/gallery/import",
        data={"file": (io.BytesIO(b"PK\x03\x04 broken"), "x.zip")},
        content_type="multipart/form-data",
        follow_redirects=True,
        headers=EN,
    )
    assert "not a valid template" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(InstalledTemplate)) == 0


def test_members_view_but_cannot_install(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user(name="Owner")
    workspace = factory.workspace(owner)
    member = factory.member(workspace, Role.MEMBER)
    auth.login(member)
    page = client.get(f"/w/{workspace.id}/gallery/", headers=EN).get_data(as_text=True)
    assert "Customer Asset CRM" in page and 'data-testid="install-customer_asset"' not in page
    response = client.post(f"/w/{workspace.id}/gallery/templates/customer_asset/install")
    assert response.status_code == 403
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(InstalledTemplate)) == 0


def test_install_needs_the_csrf_token(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    factory = Factory(app)
    owner = factory.user(name="Owner")
    workspace = factory.workspace(owner)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    assert token is not None
    client.post(
        "/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    url = f"/w/{workspace.id}/gallery/templates/nps_programme/install"
    assert client.post(url, data={}).status_code == 400
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(InstalledTemplate)) == 0
    page = client.get(f"/w/{workspace.id}/gallery/").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert form_token is not None
    assert client.post(url, data={"csrf_token": form_token.group(1)}).status_code == 302

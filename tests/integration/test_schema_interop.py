"""Plain JSON Schema in and out of the platform: import as a draft form, export a form."""

from __future__ import annotations

import io
import json

import jsonschema
from flask import Flask
from flask.testing import FlaskClient

from formwork import db
from formwork.models import Form, Role
from formwork.services import apps
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, actor, published_forms

PLAIN = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Contact",
    "type": "object",
    "properties": {
        "fullName": {"type": "string", "maxLength": 80},
        "age": {"type": "integer", "minimum": 0},
        "subscribed": {"type": "boolean"},
        "plan": {"enum": ["free", "pro"]},
    },
    "required": ["fullName"],
}


def test_plain_schema_imports_as_a_draft_form(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        app_id = apps.create_app(db.session(), actor(app, owner, workspace), "CRM").id
    auth.login(owner)
    response = client.post(
        f"/w/{workspace.id}/apps/{app_id}/import",
        data={"file": (io.BytesIO(json.dumps(PLAIN).encode()), "contact.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and "/design/" in response.headers["Location"]
    with app.app_context():
        form = db.session().query(Form).filter_by(app_id=app_id).one()
        assert form.published_version is None
        assert form.draft is not None
        fields = {s["x-field"] for s in form.draft["properties"].values()}
        assert {"text", "number", "checkbox", "select"} <= fields


def test_bad_json_is_refused_with_the_spot_and_creates_nothing(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        app_id = apps.create_app(db.session(), actor(app, owner, workspace), "CRM").id
    auth.login(owner)
    response = client.post(
        f"/w/{workspace.id}/apps/{app_id}/import",
        data={"text": '{"type": "object",'},
        follow_redirects=True,
    )
    assert "This is not valid JSON (line 1" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().query(Form).count() == 0


def test_published_form_exports_as_valid_plain_json_schema(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(workspace, Role.MEMBER)
    with app.app_context():
        forms = published_forms(
            db.session(), actor(app, owner, workspace), {"customers": CUSTOMERS, "orders": ORDERS}
        )
        form_id = forms["customers"].id
    auth.login(member)
    assert client.get(f"/w/{workspace.id}/forms/{form_id}/design/export.json").status_code == 403
    auth.logout()
    auth.login(owner)
    response = client.get(f"/w/{workspace.id}/forms/{form_id}/design/export.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    schema = response.json
    jsonschema.Draft202012Validator.check_schema(schema)
    assert not any(key.startswith("x-") for key in json.dumps(schema) and schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"name": "张三", "phone": "13800138000"})
    assert not validator.is_valid({"phone": "13800138000"})  # name is required


def test_app_page_offers_create_import_and_export_to_admins_only(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    viewer = factory.member(workspace, Role.VIEWER)
    with app.app_context():
        forms = published_forms(
            db.session(), actor(app, owner, workspace), {"customers": CUSTOMERS, "orders": ORDERS}
        )
        app_id = forms["customers"].app_id
    auth.login(owner)
    page = client.get(f"/w/{workspace.id}/apps/{app_id}/").get_data(as_text=True)
    assert "Import a JSON Schema" in page and "Export JSON Schema" in page
    assert "Customers" in page and "Orders" in page
    auth.logout()
    auth.login(viewer)
    response = client.get(f"/w/{workspace.id}/apps/{app_id}/")
    assert response.status_code == 200
    assert "Import a JSON Schema" not in response.get_data(as_text=True)

"""Tier scheme pages: list, editor and "Apply now" in English and 中文, the editor's JSON
endpoints (save with problems by pointer, preview), roles, CSRF, escaping, isolation, and
the automation builder's scheme pickers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from formwork import db
from formwork.models import Record, Role, TierChange, TierScheme
from formwork.value import tiers
from tests.conftest import PASSWORD, Auth, Factory
from tests.integration.tier_fixtures import (
    GOLD,
    THREE_TIERS,
    TierCrm,
    add_customers,
    make_tier_crm,
    scheme_doc,
    set_metrics,
)

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def crm(app: Any, factory: Factory) -> TierCrm:
    return make_tier_crm(app, factory)


def saved_scheme(crm: TierCrm, document: Any = THREE_TIERS, **changes: Any) -> TierScheme:
    with crm.app.app_context():
        session = db.session()
        arguments: dict[str, Any] = {
            "key": "value",
            "name": "Customer value",
            "form_id": crm.customers.id,
            "field_key": "tier",
            "document": document,
            **changes,
        }
        return tiers.save_scheme(session, crm.actor(session), **arguments)


def customers(crm: TierCrm) -> list[int]:
    with crm.app.app_context():
        session = db.session()
        ids = add_customers(
            session, crm.actor(session), crm.customers, [{"name": "Ann"}, {"name": XSS}]
        )
        set_metrics(session, crm, ids[0], total_spent=8000.0)
        return ids


def page_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="fw-tier-data">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def base(crm: TierCrm) -> str:
    return f"/w/{crm.workspace.id}/tiers"


# -- pages in both languages -----------------------------------------------------------------
def test_the_list_shows_schemes_with_their_tiers_in_english_and_chinese(
    crm: TierCrm, client: FlaskClient, auth: Auth
) -> None:
    saved_scheme(crm, schedule="0 4 * * *", titles={"zh-CN": "客户价值分层"})
    auth.login(crm.owner)
    html = client.get(base(crm) + "/", headers=EN).get_data(as_text=True)
    assert "Customer tiers" in html and "Customer value" in html
    assert "Every day at 04:00" in html and "Never" in html
    assert 'fill="#cd7f32"' in html and "Gold" in html and "(fallback)" in html
    assert 'data-testid="new-scheme"' in html
    html = client.get(base(crm) + "/", headers=ZH).get_data(as_text=True)
    assert "客户价值分层" in html and "gold级" in html


def test_the_editor_offers_form_fields_and_metrics(
    crm: TierCrm, client: FlaskClient, auth: Auth
) -> None:
    auth.login(crm.owner)
    response = client.get(base(crm) + "/new", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    data = page_data(html)
    assert data["scheme"] is None and data["can_edit"] is True
    assert data["default_form_id"] == crm.customers.id
    form = next(f for f in data["forms"] if f["id"] == crm.customers.id)
    assert {t["key"] for t in form["targets"]} == {
        "name",
        "level",
        "vip_note",
        "tier",
        "grade",
        "city",
    }
    metrics = {m["key"]: m for m in data["metrics"]}
    assert metrics["metrics.total_spent"]["kind"] == "number"
    assert metrics["metrics.total_spent"]["title"] == "Metrics \u203a Total spent"
    assert metrics["metrics.last_order_on"]["kind"] == "date"
    assert {o["value"] for o in metrics["metrics.churn_status"]["options"]} == {
        "none", "active", "at_risk", "dormant",
    }  # fmt: skip
    assert '<meta name="csrf-token"' in html and "js/tier_editor.js" in html
    chinese = client.get(base(crm) + "/new", headers=ZH).get_data(as_text=True)
    assert 'data-locale="zh-CN"' in chinese


def test_save_preview_apply_and_history_through_the_pages(
    crm: TierCrm, client: FlaskClient, auth: Auth
) -> None:
    ids = customers(crm)
    auth.login(crm.owner)
    body = {
        "key": "value",
        "name": "Customer value",
        "form_id": crm.customers.id,
        "field_key": "tier",
        "document": THREE_TIERS,
        "schedule": None,
    }
    preview = client.post(base(crm) + "/preview", json=body)
    assert preview.status_code == 200
    answer = preview.get_json()
    assert (answer["total"], answer["changed"], answer["new"]) == (2, 2, 2)
    assert [t["proposed"] for t in answer["tiers"]] == [1, 0, 1]
    assert answer["movers"][0]["url"].endswith(f"/records/{ids[0]}/")
    saved = client.post(base(crm) + "/", json=body)
    assert saved.status_code == 200
    scheme = saved.get_json()["scheme"]
    assert scheme["revision"] == 1
    stale = client.post(f"{base(crm)}/{scheme['id']}", json={**body, "revision": 0})
    assert stale.status_code == 409
    confirm = client.get(f"{base(crm)}/{scheme['id']}/apply", headers=EN)
    html = confirm.get_data(as_text=True)
    assert "2 of 2 customers will change tier" in html
    assert XSS not in html and "&lt;img src=x" in html
    done = client.post(
        f"{base(crm)}/{scheme['id']}/apply", data={"revision": "1"}, follow_redirects=True
    )
    html = done.get_data(as_text=True)
    assert "2 customers changed tier" in html
    assert 'data-testid="tier-history"' in html and "Applied by hand · Olivia Owner" in html
    assert XSS not in html
    with crm.app.app_context():
        session = db.session()
        assert [session.get(Record, i).data["tier"] for i in ids] == ["gold", "bronze"]  # type: ignore[union-attr]
    # The record page's history names the tier change.
    record_page = client.get(
        f"/w/{crm.workspace.id}/forms/{crm.customers.id}/records/{ids[0]}/", headers=EN
    ).get_data(as_text=True)
    assert "set the customer tier with a tier scheme" in record_page


def test_problems_come_back_by_pointer_and_nothing_is_saved(
    crm: TierCrm, client: FlaskClient, auth: Auth
) -> None:
    auth.login(crm.owner)
    document = scheme_doc(("gold", {">=": [{"var": "metrics.total_spnt"}, 1]}))
    document["tiers"][0]["color"] = "red"
    body = {"key": "v", "name": "", "form_id": crm.customers.id, "field_key": "tier",
            "document": document, "schedule": "every day"}  # fmt: skip
    for url in (base(crm) + "/", base(crm) + "/preview"):
        response = client.post(url, json=body, headers=ZH)
        assert response.status_code == 422
        problems = {p["path"]: p["message"] for p in response.get_json()["problems"]}
        assert "/tiers/0/color" in problems and "/tiers/0/condition/>=/0/var" in problems
        assert "您是想用“metrics.total_spent”吗" in problems["/tiers/0/condition/>=/0/var"]
    saved = {p["path"] for p in client.post(base(crm) + "/", json=body).get_json()["problems"]}
    assert {"/name", "/schedule"} <= saved
    with crm.app.app_context():
        assert db.session().scalar(select(TierScheme.id)) is None


# -- roles, CSRF, isolation ------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_view_and_preview_but_cannot_save_or_apply(
    crm: TierCrm, client: FlaskClient, auth: Auth, factory: Factory, role: Role
) -> None:
    scheme = saved_scheme(crm)
    customers(crm)
    auth.login(factory.member(crm.workspace, role))
    assert client.get(base(crm) + "/").status_code == 200
    html = client.get(f"{base(crm)}/{scheme.id}").get_data(as_text=True)
    assert page_data(html)["can_edit"] is False and 'data-action="save"' not in html
    assert "new-scheme" not in client.get(base(crm) + "/").get_data(as_text=True)
    body = {"form_id": crm.customers.id, "field_key": "tier", "document": THREE_TIERS}
    assert client.post(base(crm) + "/preview", json=body).status_code == 200
    assert client.get(base(crm) + "/new").status_code == 403
    assert client.post(base(crm) + "/", json={**body, "key": "x", "name": "X"}).status_code == 403
    assert client.get(f"{base(crm)}/{scheme.id}/apply").status_code == 403
    assert client.post(f"{base(crm)}/{scheme.id}/apply", data={"revision": "1"}).status_code == 403
    assert client.post(f"{base(crm)}/{scheme.id}/archive").status_code == 403
    with crm.app.app_context():
        assert db.session().scalar(select(TierChange.id)) is None


def test_a_stranger_gets_404_everywhere(
    crm: TierCrm, client: FlaskClient, auth: Auth, factory: Factory
) -> None:
    scheme = saved_scheme(crm)
    other = make_tier_crm(crm.app, factory, name="Other")
    auth.login(other.owner)
    # Their own workspace, our scheme id: looks missing.
    theirs = f"/w/{other.workspace.id}/tiers/{scheme.id}"
    assert client.get(theirs).status_code == 404
    assert client.get(theirs + "/apply").status_code == 404
    assert client.post(theirs + "/apply", data={"revision": "1"}).status_code == 404
    assert client.post(theirs, json={"revision": 1}).status_code == 404
    # Our workspace: not a member.
    for url in (base(crm) + "/", f"{base(crm)}/{scheme.id}", base(crm) + "/new"):
        assert client.get(url).status_code == 404, url
    assert client.post(base(crm) + "/preview", json={}).status_code == 404
    # Previewing our form from their workspace is refused as a problem, not a leak.
    body = {"form_id": crm.customers.id, "field_key": "tier", "document": THREE_TIERS}
    problems = client.post(f"/w/{other.workspace.id}/tiers/preview", json=body).get_json()
    assert [p["path"] for p in problems["problems"]] == ["/form"]


def test_posts_need_the_csrf_token(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    factory = Factory(app)
    crm = make_tier_crm(app, factory)
    scheme = saved_scheme(crm)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    assert token is not None
    client.post(
        "/login",
        data={"email": crm.owner.email, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    url = f"{base(crm)}/{scheme.id}"
    page = client.get(url + "/apply").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert form_token is not None
    assert client.post(url + "/apply", data={"revision": "1"}).status_code == 400
    body = {"form_id": crm.customers.id, "field_key": "tier", "document": THREE_TIERS}
    assert client.post(base(crm) + "/preview", json=body).status_code == 400
    assert client.post(url + "/archive").status_code == 400
    with app.app_context():
        assert db.session().get(TierScheme, scheme.id).last_applied_at is None  # type: ignore[union-attr]
    applied = client.post(url + "/apply", data={"revision": "1", "csrf_token": form_token.group(1)})
    assert applied.status_code == 302
    headers = {"X-CSRFToken": form_token.group(1)}
    assert client.post(base(crm) + "/preview", json=body, headers=headers).status_code == 200


# -- escaping ----------------------------------------------------------------------------------
def test_user_text_is_escaped_on_every_page(crm: TierCrm, client: FlaskClient, auth: Auth) -> None:
    document = scheme_doc(("gold", GOLD))
    document["tiers"][0]["name"] = {"en": XSS, "zh-CN": XSS}
    document["fallback"]["name"] = {"en": XSS}
    scheme = saved_scheme(crm, document, name=XSS, titles={"zh-CN": XSS})
    customers(crm)
    auth.login(crm.owner)
    with crm.app.app_context():
        session = db.session()
        tiers.apply_now(session, crm.actor(session), scheme.id, revision=scheme.revision)
    for url in (base(crm) + "/", f"{base(crm)}/{scheme.id}", f"{base(crm)}/{scheme.id}/apply"):
        for headers in (EN, ZH):
            html = client.get(url, headers=headers).get_data(as_text=True)
            # Escaped in markup (&lt;img) and in the JSON blocks (\u003cimg).
            assert "<img src=x" not in html, url
            assert "&lt;img src=x" in html or "\\u003cimg src=x" in html, url


def test_archived_schemes_can_be_restored_and_are_marked(
    crm: TierCrm, client: FlaskClient, auth: Auth
) -> None:
    scheme = saved_scheme(crm)
    auth.login(crm.owner)
    archived = client.post(f"{base(crm)}/{scheme.id}/archive", data={"archived": "1"},
                           follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "is archived" in archived and "Archived" in archived
    html = client.get(f"{base(crm)}/{scheme.id}/apply").get_data(as_text=True)
    assert "restore it to apply it" in html and "confirm-apply" not in html
    client.post(f"{base(crm)}/{scheme.id}/archive", data={"archived": "0"})
    with crm.app.app_context():
        assert db.session().get(TierScheme, scheme.id).archived_at is None  # type: ignore[union-attr]


# -- the automation builder's pickers -----------------------------------------------------------
def test_the_automation_builder_lists_schemes_and_their_tiers(
    crm: TierCrm, client: FlaskClient, auth: Auth
) -> None:
    saved_scheme(crm)
    saved_scheme(crm, scheme_doc(("gold", GOLD)), key="old", name="Old")
    with crm.app.app_context():
        session = db.session()
        old = session.scalar(select(TierScheme).where(TierScheme.key == "old"))
        assert old is not None
        tiers.archive_scheme(session, crm.actor(session), old.id)
    auth.login(crm.owner)
    html = client.get(f"/w/{crm.workspace.id}/automations/new", headers=EN).get_data(as_text=True)
    found = re.search(r'id="fw-automation-data">(.*?)</script>', html)
    assert found is not None
    schemes = {s["key"]: s for s in json.loads(found.group(1))["tier_schemes"]}
    assert set(schemes) == {"value", "churn"}
    assert schemes["value"]["form"] == "customers" and schemes["value"]["recomputable"]
    assert [t["key"] for t in schemes["value"]["tiers"]] == ["gold", "silver", "bronze"]
    assert schemes["churn"]["recomputable"] is False
    assert [t["key"] for t in schemes["churn"]["tiers"]] == ["none", "active", "at_risk", "dormant"]
    assert "recompute_tiers" in json.loads(found.group(1))["available_actions"]

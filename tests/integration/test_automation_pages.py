"""Automation pages: list, builder, run log and run pages in English and 中文, the builder's
JSON endpoints (save with problems by pointer, dry-run, back-fill, enable), the record
panel's manual buttons, roles, CSRF, escaping and CSP-clean markup."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import select

from formwork import db
from formwork.models import Automation, Event, Form, Role, Run, Step, User, Workspace
from formwork.services import automations, records
from formwork.services.scope import Actor
from tests.conftest import PASSWORD, Auth, Factory
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, actor, published_forms
from tests.integration.survey_fixtures import NPS
from tests.integration.test_automations_service import VIP_FOLLOW_UP, manual_doc

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
XSS = "<script>alert('x')</script>"


@dataclass
class Site:
    app: Flask
    client: FlaskClient
    auth: Auth
    factory: Factory
    owner: User
    workspace: Workspace
    forms: dict[str, Form]
    ids: list[int]

    @property
    def base(self) -> str:
        return f"/w/{self.workspace.id}"

    def actor(self, user: User | None = None) -> Actor:
        return actor(self.app, user or self.owner, self.workspace)

    def automation(self, document: dict[str, Any] | None = None, name: str = "VIP") -> int:
        with self.app.app_context():
            return automations.save_automation(
                db.session(), self.actor(), name=name, document=document or VIP_FOLLOW_UP
            ).id

    def run(self, status: str = "failed") -> int:
        """A run in ``status`` with a failed step (of a disabled automation)."""
        automation_id = self.automation(name="Runs")
        with self.app.app_context():
            session = db.session()
            event = Event(workspace_id=self.workspace.id, type="manual", payload={}, fire=False)
            session.add(event)
            session.flush()
            run = Run(
                workspace_id=self.workspace.id,
                automation_id=automation_id,
                event_id=event.id,
                record_id=self.ids[0],
                status=status,
                reason=XSS if status == "failed" else None,
                document=VIP_FOLLOW_UP,
            )
            session.add(run)
            session.flush()
            session.add(
                Step(
                    workspace_id=self.workspace.id,
                    run_id=run.id,
                    position=0,
                    action_id="a1",
                    action_type="create_task",
                    status="failed" if status == "failed" else "pending",
                    attempts=5,
                    input={"title": XSS},
                    output={},
                    error=XSS,
                )
            )
            session.commit()
            return run.id


@pytest.fixture
def site(app: Flask, client: FlaskClient, auth: Auth, factory: Factory) -> Site:
    owner = factory.user(name="Owner")
    workspace = factory.workspace(owner)
    with app.app_context():
        session = db.session()
        who = actor(app, owner, workspace)
        forms = published_forms(session, who, {"customers": CUSTOMERS, "orders": ORDERS})
        rows = [{"name": "Ada", "level": "vip", "vip_note": "k"}, {"name": XSS, "level": "vip",
                "vip_note": "x"}, {"name": "Bo", "level": "normal"}]  # fmt: skip
        ids = records.bulk_create(session, who, forms["customers"], rows)
    auth.login(owner)
    return Site(app, client, auth, factory, owner, workspace, forms, ids)


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    return str(response.get_data(as_text=True))


def assert_csp_clean(html: str) -> None:
    assert " style=" not in html and "onclick=" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def page_urls(site: Site) -> list[str]:
    automation_id = site.automation()
    run_id = site.run()
    return [
        f"{site.base}/automations",
        f"{site.base}/automations/new",
        f"{site.base}/automations/{automation_id}",
        f"{site.base}/automations/{automation_id}/runs",
        f"{site.base}/automations/{automation_id}/runs?status=failed&page=2",
        f"{site.base}/runs",
        f"{site.base}/runs/{run_id}",
    ]


@pytest.mark.parametrize(("headers", "lang"), [(EN, "en"), (ZH, "zh-CN")])
def test_every_page_renders_in_both_languages_without_inline_script(
    site: Site, headers: dict[str, str], lang: str
) -> None:
    for url in page_urls(site):
        html = html_of(site.client.get(url, headers=headers))
        assert f'<html lang="{lang}">' in html, url
        assert_csp_clean(html)
        assert XSS not in html


def test_the_list_shows_the_trigger_in_words_the_switch_and_run_counts(site: Site) -> None:
    site.run("failed")
    html = html_of(site.client.get(f"{site.base}/automations", headers=EN))
    assert "When Level of Customers changes to VIP" in html
    assert 'data-testid="enabled-switch"' in html and 'name="csrf_token"' in html
    assert "Failed 1" in html
    chinese = html_of(site.client.get(f"{site.base}/automations", headers=ZH))
    assert "客户档案" in chinese and "贵宾" in chinese  # form and option titles in 中文


def test_an_empty_list_invites_to_create_one(site: Site) -> None:
    html = html_of(site.client.get(f"{site.base}/automations", headers=EN))
    assert 'data-testid="automations-empty-state"' in html


def test_the_builder_passes_data_and_strings_as_json_blocks(site: Site) -> None:
    automation_id = site.automation(name=XSS)
    html = html_of(site.client.get(f"{site.base}/automations/{automation_id}", headers=EN))
    assert '<script type="module" src="/static/js/automation_builder.js"></script>' in html
    assert '<meta name="csrf-token" content="' in html
    assert XSS not in html and "&lt;script&gt;" in html
    block = re.search(r'<script type="application/json" id="fw-automation-data">(.*?)</script>',
                      html, re.S)  # fmt: skip
    assert block is not None
    data = json.loads(block.group(1))
    assert data["automation"]["id"] == automation_id and data["automation"]["name"] == XSS
    assert data["version"] == 1
    customers = next(f for f in data["forms"] if f["key"] == "customers")
    level = next(f for f in customers["fields"] if f["key"] == "level")
    assert level["options"] == [
        {"value": "normal", "title": "Normal"},
        {"value": "vip", "title": "VIP"},
    ]
    assert next(f for f in customers["fields"] if f["key"] == "label")["computed"] is True
    assert {t["type"] for t in data["action_types"]} >= {"create_task", "send_survey"}
    assert "create_task" in data["available_actions"]
    assert data["members"] == [{"id": site.owner.id, "name": "Owner"}]
    assert data["urls"]["save"].endswith(f"/automations/{automation_id}")
    strings = re.search(r'id="fw-automation-strings">(.*?)</script>', html, re.S)
    assert strings is not None and json.loads(strings.group(1))["cron_daily"] == "Every day at 9"


def test_saving_through_json_creates_then_updates_and_reports_problems_by_pointer(
    site: Site,
) -> None:
    created = site.client.post(
        f"{site.base}/automations", json={"name": "VIP", "document": VIP_FOLLOW_UP}
    )
    assert created.status_code == 200, created.get_data(as_text=True)
    body = created.get_json()
    automation_id = body["automation"]["id"]
    assert body["automation"]["enabled"] is False and body["automation"]["revision"] == 1
    assert body["urls"]["edit"] == f"{site.base}/automations/{automation_id}"
    bad = {**VIP_FOLLOW_UP, "trigger": {**VIP_FOLLOW_UP["trigger"], "field": "levle"}}
    refused = site.client.post(
        f"{site.base}/automations/{automation_id}",
        json={"name": "", "document": bad},
        headers=ZH,
    )
    assert refused.status_code == 422
    problems = refused.get_json()["problems"]
    assert [p["field"] for p in problems] == ["name", "document"]
    assert problems[1]["path"] == "/trigger/field" and "表单" in problems[1]["message"]
    for garbage in (None, "x", [], {"name": "x"}):
        response = site.client.post(f"{site.base}/automations", json=garbage)
        assert response.status_code == 422
    with site.app.app_context():
        stored = db.session().get(Automation, automation_id)
        assert stored is not None and stored.revision == 1


def test_dry_run_endpoint_lists_matches_with_links_and_writes_nothing(site: Site) -> None:
    response = site.client.post(
        f"{site.base}/automations/dry-run", json={"document": VIP_FOLLOW_UP, "limit": 1}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()
    assert result["total"] == 2 and len(result["records"]) == 1
    first = result["records"][0]
    form_id = site.forms["customers"].id
    assert first["url"] == f"{site.base}/forms/{form_id}/records/{site.ids[0]}/"
    assert first["steps"][0]["inputs"]["title"] == "Call Ada"
    assert "Call Ada" in first["steps"][0]["summary"]
    with site.app.app_context():
        assert db.session().scalars(select(Automation)).all() == []
    refused = site.client.post(f"{site.base}/automations/dry-run", json={"document": {}})
    assert refused.status_code == 422 and refused.get_json()["problems"]


def test_enable_then_backfill_through_the_builder_endpoints(site: Site) -> None:
    automation_id = site.automation()
    url = f"{site.base}/automations/{automation_id}"
    early = site.client.post(f"{url}/backfill", json={})
    assert early.status_code == 409 and "Enable" in early.get_json()["error"]["message"]
    enabled = site.client.post(f"{url}/enabled", json={"enabled": True})
    assert enabled.status_code == 200 and enabled.get_json()["automation"]["enabled"] is True
    count = site.client.get(f"{url}/backfill").get_json()
    assert count["count"] == 2
    done = site.client.post(f"{url}/backfill", json={})
    assert done.status_code == 200 and done.get_json()["count"] == 2
    assert "2" in done.get_json()["message"]
    assert site.client.post(f"{url}/backfill", json={}).get_json()["count"] == 0
    off = site.client.post(f"{url}/enabled", data={"enabled": "0"})
    assert off.status_code == 302 and off.headers["Location"].endswith("/automations")
    with site.app.app_context():
        assert db.session().get(Automation, automation_id).enabled is False  # type: ignore[union-attr]


def test_delete_removes_the_automation(site: Site) -> None:
    automation_id = site.automation()
    response = site.client.post(f"{site.base}/automations/{automation_id}/delete")
    assert response.status_code == 302
    assert site.client.get(f"{site.base}/automations/{automation_id}").status_code == 404


def test_the_run_page_shows_steps_escaped_with_retry_and_the_log_filters(site: Site) -> None:
    run_id = site.run("failed")
    html = html_of(site.client.get(f"{site.base}/runs/{run_id}", headers=EN))
    assert 'data-testid="retry-run"' in html and 'data-testid="cancel-run"' not in html
    assert "Attempts: 5" in html and "Create a follow-up task" in html
    assert XSS not in html and "&lt;script&gt;" in html
    log = html_of(site.client.get(f"{site.base}/runs?status=failed", headers=EN))
    assert f'data-run-id="{run_id}"' in log
    empty = html_of(site.client.get(f"{site.base}/runs?status=succeeded", headers=EN))
    assert 'data-testid="runs-empty"' in empty
    pending = site.run("pending")
    html = html_of(site.client.get(f"{site.base}/runs/{pending}", headers=EN))
    assert 'data-testid="cancel-run"' in html and 'data-testid="retry-run"' not in html
    cancelled = site.client.post(f"{site.base}/runs/{pending}/cancel")
    assert cancelled.status_code == 302
    with site.app.app_context():
        assert db.session().get(Run, pending).status == "cancelled"  # type: ignore[union-attr]
    again = site.client.post(f"{site.base}/runs/{pending}/cancel", follow_redirects=True)
    assert "Only a pending, waiting or retrying run can be cancelled." in html_of(again)


def test_retry_from_the_run_page_starts_the_run_again(site: Site) -> None:
    run_id = site.run("failed")
    response = site.client.post(f"{site.base}/runs/{run_id}/retry")
    assert response.status_code == 302
    with site.app.app_context():
        status = db.session().get(Run, run_id).status  # type: ignore[union-attr]
    assert status != "failed"


def test_members_cannot_open_admin_pages_but_see_runs_of_their_records(site: Site) -> None:
    run_id = site.run("failed")
    member = site.factory.member(site.workspace, Role.MEMBER)
    site.auth.logout()
    site.auth.login(member)
    for url in page_urls(site)[:6]:
        assert site.client.get(url).status_code == 403, url
    html = html_of(site.client.get(f"{site.base}/runs/{run_id}", headers=EN))
    assert 'data-testid="retry-run"' not in html
    assert site.client.post(f"{site.base}/runs/{run_id}/retry").status_code == 403
    assert site.client.post(f"{site.base}/automations/dry-run", json={}).status_code == 403


def test_the_manual_button_runs_the_automation_and_returns_to_the_record(site: Site) -> None:
    automation_id = site.automation(manual_doc(), name="Welcome pack")
    url = f"{site.base}/automations/{automation_id}/records/{site.ids[2]}/run"
    assert site.client.post(url).status_code == 404  # switched off
    site.client.post(f"{site.base}/automations/{automation_id}/enabled", json={"enabled": True})
    member = site.factory.member(site.workspace, Role.MEMBER)
    site.auth.logout()
    site.auth.login(member)
    response = site.client.post(url)
    form_id = site.forms["customers"].id
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/forms/{form_id}/records/{site.ids[2]}/")
    with site.app.app_context():
        event = db.session().scalars(select(Event).where(Event.type == "manual")).one()
        assert (event.record_id, event.actor_id) == (site.ids[2], member.id)
    viewer = site.factory.member(site.workspace, Role.VIEWER)
    site.auth.logout()
    site.auth.login(viewer)
    assert site.client.post(url).status_code == 403


def test_the_record_panel_shows_buttons_and_runs_escaped(site: Site) -> None:
    automation_id = site.automation(manual_doc(), name=XSS)
    run_id = site.run("failed")
    with site.app.app_context():
        session = db.session()
        automations.set_enabled(session, site.actor(), automation_id, True)
        form = session.get(Form, site.forms["customers"].id)
        record = session.get(records.Record, site.ids[0])
        assert form is not None and record is not None
        with site.app.test_request_context(headers=EN):
            panel = automations.record_panel(session, site.actor(), form, record)
            html = render_template(
                "automations/_record_panel.html", record=record, form=form, **panel
            )
    assert 'data-testid="manual-automation"' in html and ">Welcome</button>" in html
    assert f"/automations/{automation_id}/records/{site.ids[0]}/run" in html
    assert f'data-run-id="{run_id}"' in html and "Failed" in html
    assert XSS not in html and 'name="csrf_token"' in html


def test_another_workspaces_admin_gets_404_everywhere(site: Site) -> None:
    urls = page_urls(site)
    automation_id = site.automation(manual_doc())
    run_id = site.run()
    stranger = site.factory.user(name="Stranger")
    theirs = site.factory.workspace(stranger, name="Theirs")
    site.auth.logout()
    site.auth.login(stranger)
    for url in urls:
        assert site.client.get(url).status_code == 404, url
    forged = f"/w/{theirs.id}"
    for url in (
        f"{forged}/automations/{automation_id}",
        f"{forged}/automations/{automation_id}/runs",
        f"{forged}/automations/{automation_id}/backfill",
        f"{forged}/runs/{run_id}",
    ):
        assert site.client.get(url).status_code == 404, url
    for url in (
        f"{forged}/automations/{automation_id}",
        f"{forged}/automations/{automation_id}/enabled",
        f"{forged}/automations/{automation_id}/backfill",
        f"{forged}/automations/{automation_id}/delete",
        f"{forged}/automations/{automation_id}/records/{site.ids[0]}/run",
        f"{forged}/runs/{run_id}/retry",
        f"{forged}/runs/{run_id}/cancel",
    ):
        assert site.client.post(url, json={"name": "x", "enabled": True}).status_code == 404, url


def test_json_calls_need_the_csrf_header_from_the_page(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    owner = Factory(app).user()
    workspace = Factory(app).workspace(owner)
    with app.app_context():
        published_forms(db.session(), actor(app, owner, workspace), {"customers": CUSTOMERS,
                        "orders": ORDERS})  # fmt: skip
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page) or re.search(
        r'name="csrf_token" value="([^"]+)"', login_page
    )
    assert token is not None
    client.post(
        "/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    base = f"/w/{workspace.id}/automations"
    page = client.get(base + "/new").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert meta is not None
    body = {"name": "VIP", "document": VIP_FOLLOW_UP}
    assert client.post(base, json=body).status_code == 400
    assert client.post(base + "/dry-run", json=body).status_code == 400
    saved = client.post(base, json=body, headers={"X-CSRFToken": meta.group(1)})
    assert saved.status_code == 200
    automation_id = saved.get_json()["automation"]["id"]
    assert client.post(f"{base}/{automation_id}/enabled", data={"enabled": "1"}).status_code == 400
    with app.app_context():
        assert db.session().get(Automation, automation_id).enabled is False  # type: ignore[union-attr]


# -- roles, role pools and linked surveys ---------------------------------------------

# What gallery templates use: persons and owner pools by role (no user ids), and a survey
# sent to the record an order links to (its customer).
ROLE_DOC: dict[str, Any] = {
    "version": 1,
    "trigger": {"type": "record_created", "form": "orders"},
    "actions": [
        {"id": "assign", "type": "assign_owner", "mode": "round_robin", "role": "member"},
        {
            "id": "tell_admins",
            "type": "notify",
            "to": {"kind": "role", "role": "admin"},
            "title": "New order {{ record.number }}",
            "email": True,
        },
        {
            "id": "call",
            "type": "create_task",
            "title": "Call about {{ record.number }}",
            "assignee": {"kind": "role", "role": "owner"},
            "due": {"days": 1},
        },
        {"id": "spread", "type": "assign_owner", "mode": "least_loaded", "role": "admin"},
        {
            "id": "invite",
            "type": "send_survey",
            "form": "nps",
            "record": {"link": "customer"},
            "expires_days": 14,
            "remind_after_days": 5,
        },
    ],
}


@pytest.fixture
def survey_site(site: Site) -> Site:
    """The site plus a published satisfaction survey linked to customers."""
    with site.app.app_context():
        site.forms.update(published_forms(db.session(), site.actor(), {"nps": NPS}))
    return site


def builder_data(html: str) -> tuple[dict[str, Any], dict[str, str]]:
    data = re.search(r'id="fw-automation-data">(.*?)</script>', html, re.S)
    strings = re.search(r'id="fw-automation-strings">(.*?)</script>', html, re.S)
    assert data is not None and strings is not None
    return json.loads(data.group(1)), json.loads(strings.group(1))


@pytest.mark.parametrize(("headers", "lang"), [(EN, "en"), (ZH, "zh-CN")])
def test_the_builder_renders_role_persons_pools_and_linked_surveys_in_both_languages(
    survey_site: Site, headers: dict[str, str], lang: str
) -> None:
    automation_id = survey_site.automation(ROLE_DOC, name="Roles")
    url = f"{survey_site.base}/automations/{automation_id}"
    html = html_of(survey_site.client.get(url, headers=headers))
    assert f'<html lang="{lang}">' in html
    assert_csp_clean(html)
    data, strings = builder_data(html)
    assert data["automation"]["document"] == ROLE_DOC
    assert {"send_survey", "assign_owner"} <= set(data["available_actions"])
    # The order's customer link is offered as the record to invite; the survey is listed.
    orders = next(f for f in data["forms"] if f["key"] == "orders")
    link = next(f for f in orders["fields"] if f["key"] == "customer")
    assert link["link_form"] == "customers" and link["multiple"] is False
    assert "nps" in {f["key"] for f in data["forms"]}
    for key in ("person_role", "role_owner", "role_admin", "role_member", "pool_members",
                "pool_role", "assign_role", "survey_target", "role_task_help"):  # fmt: skip
        assert strings[key], key
    if lang == "en":
        assert strings["person_role"] == "Everyone with a role"
        assert strings["role_admin"] == "Admins (and owners)"
        assert strings["role_member"] == "Members (and up)"
        assert strings["pool_members"] == "The members I pick"
    else:
        customers = next(f for f in data["forms"] if f["key"] == "customers")
        assert customers["title"] == "客户档案" and "自动化" in html  # titles in 中文


def test_the_save_endpoint_keeps_role_persons_pools_and_linked_surveys(
    survey_site: Site,
) -> None:
    base = f"{survey_site.base}/automations"
    created = survey_site.client.post(base, json={"name": "Roles", "document": ROLE_DOC})
    assert created.status_code == 200, created.get_data(as_text=True)
    automation_id = created.get_json()["automation"]["id"]
    assert created.get_json()["automation"]["document"] == ROLE_DOC
    # Saving the loaded document unchanged (what the builder posts) gives it back as it is.
    again = survey_site.client.post(
        f"{base}/{automation_id}", json={"name": "Roles", "document": ROLE_DOC}
    )
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json()["automation"]["revision"] == 2
    with survey_site.app.app_context():
        stored = db.session().get(Automation, automation_id)
        assert stored is not None and stored.document == ROLE_DOC
    # A role needs no record: a schedule may notify everyone with one.
    scheduled = {
        "version": 1,
        "trigger": {"type": "schedule", "cron": "0 9 * * 1"},
        "actions": [{"id": "a1", "type": "notify", "to": {"kind": "role", "role": "member"},
                     "title": "Weekly review"}],
    }  # fmt: skip
    weekly = survey_site.client.post(base, json={"name": "W", "document": scheduled})
    assert weekly.status_code == 200, weekly.get_data(as_text=True)


def test_role_problems_come_back_at_the_pointers_the_builder_marks(survey_site: Site) -> None:
    """The builder puts data-pointer on the role selects (…/role): the server's problems
    for a fixed-mode role pool and a viewer person land there."""
    actions = [dict(action) for action in ROLE_DOC["actions"]]
    actions[0] = {**actions[0], "mode": "fixed"}
    actions[1] = {**actions[1], "to": {"kind": "role", "role": "viewer"}}
    actions[3] = {**actions[3], "members": [survey_site.owner.id]}
    bad = {**ROLE_DOC, "actions": actions}
    refused = survey_site.client.post(
        f"{survey_site.base}/automations", json={"name": "Bad", "document": bad}, headers=EN
    )
    assert refused.status_code == 422
    paths = {p["path"] for p in refused.get_json()["problems"]}
    assert {"/actions/0/role", "/actions/1/to/role", "/actions/3/role"} <= paths

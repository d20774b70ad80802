"""Every route as an anonymous visitor and as a stranger; CSRF; headers; error pages."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from formwork import create_app, db
from formwork.db import utcnow
from formwork.models import (
    App,
    AuditEvent,
    Automation,
    Event,
    InstalledTemplate,
    Invitation,
    Membership,
    Notification,
    Record,
    Report,
    Role,
    Run,
    SavedView,
    Task,
    TierScheme,
    Workspace,
)
from formwork.services import invitations, records
from formwork.services.scope import actor_for
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, published_forms

VICTIM_AUTOMATION = {
    "version": 1,
    "trigger": {"type": "manual", "form": "customers", "label": "Victim button"},
    "actions": [{"id": "note", "type": "update_record", "values": {"name": "Pwned"}}],
}
STATIC_ENDPOINTS = {"static", "bootstrap.static"}
# Reachable without an account: the account pages, the language switch, the health check
# and invitation links (which 404 unless the token is real).
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.signup",
    "auth.set_language",
    "auth.logout",
    "shell.home",
    "shell.healthz",
    "workspaces.accept_invitation",
    # Public forms and survey links (404 unless the link is real).
    "public.form",
    "public.thanks",
    "public.invitation",
    "public.survey_thanks",
    "public.opt_out",
}


def _rules() -> list[Rule]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": "sqlite://",
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="formwork-url-map-"),
        }
    )
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint not in STATIC_ENDPOINTS),
        key=lambda r: r.rule,
    )


RULES = _rules()
ROUTES = [
    (rule, method)
    for rule in RULES
    for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
]
ROUTE_IDS = [f"{method} {rule.rule}" for rule, method in ROUTES]


@dataclass
class Victim:
    workspace_id: int
    owner_id: int
    invitation_id: int
    app_id: int = 0
    form_id: int = 0
    record_id: int = 0
    view_id: int = 0
    task_id: int = 0
    automation_id: int = 0
    run_id: int = 0
    notification_id: int = 0
    scheme_id: int = 0
    installation_id: int = 0
    report_id: int = 0


@pytest.fixture
def victim(app: Flask, factory: Factory) -> Victim:
    owner = factory.user(name="Victim")
    workspace = factory.workspace(owner, name="Victim Co")
    with app.app_context():
        session = db.session()
        actor = actor_for(session, session.merge(owner), workspace.id)
        invitation, _token = invitations.create_invitation(
            session, actor, role=Role.MEMBER, ttl_hours=24
        )
        forms = published_forms(session, actor, {"customers": CUSTOMERS, "orders": ORDERS})
        customers = forms["customers"]
        record = records.create_record(session, actor, customers, {"name": "Victim record"})
        view = SavedView(
            workspace_id=workspace.id,
            form_id=customers.id,
            owner_id=None,
            name="Victim view",
            definition={},
        )
        session.add(view)
        automation = Automation(
            workspace_id=workspace.id,
            name="Victim automation",
            document=VICTIM_AUTOMATION,
            enabled=True,
            trigger_type="manual",
            form_id=customers.id,
            run_as_id=owner.id,
            created_by_id=owner.id,
        )
        session.add(automation)
        session.flush()
        event = Event(
            workspace_id=workspace.id,
            type="manual",
            form_id=customers.id,
            record_id=record.id,
            automation_id=automation.id,
            payload={},
            dispatched_at=utcnow(),
        )
        session.add(event)
        session.flush()
        run = Run(
            workspace_id=workspace.id,
            automation_id=automation.id,
            event_id=event.id,
            record_id=record.id,
            status="failed",
            reason="Victim failure",
            document=VICTIM_AUTOMATION,
            finished_at=utcnow(),
        )
        task = Task(workspace_id=workspace.id, title="Victim task", assignee_id=owner.id)
        note = Notification(
            workspace_id=workspace.id, user_id=owner.id, kind="automation", title="Victim note"
        )
        scheme = TierScheme(workspace_id=workspace.id, key="victim", name="Victim tiers",
                            form_id=customers.id, field_key="name", document={})  # fmt: skip
        installation = InstalledTemplate(
            workspace_id=workspace.id,
            template_id="customer_asset",
            version="1.0.0",
            app_id=customers.app_id,
            status="installed",
            snapshot={},
            key_map={"forms": {}, "automations": {}},
        )
        report = Report(
            workspace_id=workspace.id,
            app_id=customers.app_id,
            key="victim_report",
            name="Victim report",
            kind="summary",
            document={"form": "customers", "group_by": "name", "measures": [{"agg": "count"}]},
        )
        session.add_all([run, task, note, scheme, installation, report])
        session.commit()
        return Victim(
            workspace.id,
            owner.id,
            invitation.id,
            customers.app_id,
            customers.id,
            record.id,
            view.id,
            task.id,
            automation.id,
            run.id,
            note.id,
            scheme.id,
            installation.id,
            report.id,
        )


def _url(rule: Rule, victim: Victim) -> str:
    values = {
        "workspace_id": victim.workspace_id,
        "user_id": victim.owner_id,
        "invitation_id": victim.invitation_id,
        "token": "not-a-real-token",
        "slug": "not-a-real-slug",
        "signed": "not-a-real-signature",
        "app_id": victim.app_id,
        "form_id": victim.form_id,
        "record_id": victim.record_id,
        "view_id": victim.view_id,
        "file_id": "0" * 32,
        "task_id": victim.task_id,
        "automation_id": victim.automation_id,
        "run_id": victim.run_id,
        "notification_id": victim.notification_id,
        "scheme_id": victim.scheme_id,
        "installation_id": victim.installation_id,
        "report_id": victim.report_id,
        "template_id": "customer_asset",
    }
    return rule.build({arg: values[arg] for arg in rule.arguments})[1]  # type: ignore[index]


def _call(client: FlaskClient, method: str, url: str):  # type: ignore[no-untyped-def]
    return client.open(
        url,
        method=method,
        data={
            "name": "Pwned",
            "role": "owner",
            "delete-confirm_name": "Victim Co",
            "invite-role": "owner",
            "invite-ttl_hours": "24",
        },
    )


def _victim_untouched(app: Flask, victim: Victim) -> None:
    with app.app_context():
        session = db.session()
        workspace = session.get(Workspace, victim.workspace_id)
        assert workspace is not None and workspace.name == "Victim Co"
        assert (
            session.scalar(
                select(func.count())
                .select_from(Membership)
                .where(Membership.workspace_id == victim.workspace_id)
            )
            == 1
        )
        record = session.get(Record, victim.record_id)
        assert record is not None and record.data["name"] == "Victim record"
        assert record.deleted_at is None and record.version == 1
        view = session.get(SavedView, victim.view_id)
        assert view is not None and view.name == "Victim view"
        invitation = session.get(Invitation, victim.invitation_id)
        assert invitation is not None and invitation.revoked_at is None
        assert session.scalar(select(func.count()).select_from(Invitation)) == 1
        automation = session.get(Automation, victim.automation_id)
        if automation is not None:  # absent in the CSRF walk's bare victim
            assert automation.name == "Victim automation" and automation.enabled
            assert automation.revision == 1
            run = session.get(Run, victim.run_id)
            assert run is not None and run.status == "failed"
            assert session.scalar(select(func.count()).select_from(Run)) == 1
            task = session.get(Task, victim.task_id)
            assert task is not None and task.status == "open" and task.title == "Victim task"
            assert task.assignee_id == victim.owner_id
            note = session.get(Notification, victim.notification_id)
            assert note is not None and note.read_at is None
            scheme = session.get(TierScheme, victim.scheme_id)
            assert scheme is not None and scheme.revision == 1 and scheme.archived_at is None
            installation = session.get(InstalledTemplate, victim.installation_id)
            assert installation is not None and installation.status == "installed"
            report = session.get(Report, victim.report_id)
            assert report is not None and report.name == "Victim report"
            assert session.scalar(select(func.count()).select_from(App)) == 1


def test_every_route_is_covered_by_the_walk() -> None:
    """A new route must be classified: public, or behind log-in."""
    assert len(ROUTES) >= 20
    assert {rule.endpoint for rule in RULES} >= PUBLIC_ENDPOINTS


@pytest.mark.parametrize(("rule", "method"), ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitor_is_sent_to_log_in(
    app: Flask, client: FlaskClient, victim: Victim, rule: Rule, method: str
) -> None:
    response = _call(client, method, _url(rule, victim))
    if rule.endpoint in PUBLIC_ENDPOINTS:
        assert response.status_code in {200, 302, 404}
        if response.status_code == 302:
            assert "/w/" not in response.headers["Location"]
    elif rule.rule.startswith("/api/"):
        assert response.status_code == 401
        assert response.is_json and response.json["error"]["status"] == 401  # type: ignore[index]
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    _victim_untouched(app, victim)


@pytest.mark.parametrize(("rule", "method"), ROUTES, ids=ROUTE_IDS)
def test_stranger_from_another_workspace_gets_nothing(
    app: Flask,
    client: FlaskClient,
    factory: Factory,
    auth: Auth,
    victim: Victim,
    rule: Rule,
    method: str,
) -> None:
    stranger = factory.user(name="Stranger")
    factory.workspace(stranger, name="Stranger Co")
    auth.login(stranger)
    response = _call(client, method, _url(rule, victim))
    body = response.get_data(as_text=True)
    if "workspace_id" in rule.arguments:
        assert response.status_code == 404
    assert "Victim Co" not in body
    _victim_untouched(app, victim)


def test_forged_ids_from_another_workspace_are_not_found(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth, victim: Victim
) -> None:
    """An admin of workspace A cannot reach B's invitations or members through A's URLs."""
    admin = factory.user()
    mine = factory.workspace(admin, name="Mine")
    auth.login(admin)
    assert client.post(f"/w/{mine.id}/invitations/{victim.invitation_id}/revoke").status_code == 404
    assert (
        client.post(
            f"/w/{mine.id}/members/{victim.owner_id}/role", data={"role": "viewer"}
        ).status_code
        == 404
    )
    assert client.post(f"/w/{mine.id}/members/{victim.owner_id}/remove").status_code == 404
    _victim_untouched(app, victim)


POST_ROUTES = [(rule, method) for rule, method in ROUTES if method == "POST"]


@pytest.mark.parametrize(
    ("rule", "method"), POST_ROUTES, ids=[f"POST {rule.rule}" for rule, _ in POST_ROUTES]
)
def test_every_post_needs_a_csrf_token(
    make_app: Callable[..., Flask], rule: Rule, method: str
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    factory = Factory(app)
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        session = db.session()
        actor = actor_for(session, session.merge(owner), workspace.id)
        invitation, _ = invitations.create_invitation(
            session, actor, role=Role.MEMBER, ttl_hours=24
        )
    client = app.test_client()
    with client.session_transaction() as browser_session:
        browser_session["_user_id"] = owner.get_id()
        browser_session["_fresh"] = True
    url = _url(rule, Victim(workspace.id, owner.id, invitation.id))
    response = client.post(url, data={"name": "Changed", "delete-confirm_name": "Acme"})
    assert response.status_code == 400
    assert "The form has expired or was not sent from this site." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().get(Workspace, workspace.id).name == "Acme"  # type: ignore[union-attr]


def test_security_headers_on_every_page(client: FlaskClient) -> None:
    for path in ("/login", "/does-not-exist", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"


def test_pages_carry_no_inline_script_or_style(
    client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    auth.login(owner)
    for path in (
        "/login",
        f"/w/{workspace.id}/",
        f"/w/{workspace.id}/members",
        f"/w/{workspace.id}/settings",
        f"/w/{workspace.id}/audit",
    ):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "onclick" not in page


def test_cookies_are_secure_over_https(client: FlaskClient, factory: Factory) -> None:
    user = factory.user()
    response = client.post(
        "/login",
        base_url="https://localhost",
        data={"email": user.email, "password": "s3cret-Passw0rd", "remember": "y"},
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie and "HttpOnly" in cookie for cookie in cookies)
    assert "Strict-Transport-Security" in response.headers
    plain = client.get("/login").headers.getlist("Set-Cookie")
    assert all("Secure" not in cookie for cookie in plain)


def test_error_pages_never_show_a_traceback(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    client = app.test_client()
    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "secret internals" not in body and "Traceback" not in body
    missing = client.get("/nope", headers={"Accept-Language": "zh-CN"})
    assert missing.status_code == 404 and '<html lang="zh-CN">' in missing.get_data(as_text=True)


def test_login_attempts_are_audited_without_passwords(
    app: Flask, client: FlaskClient, factory: Factory
) -> None:
    user = factory.user()
    client.post("/login", data={"email": user.email, "password": "wrong-guess-123"})
    with app.app_context():
        events = db.session().scalars(select(AuditEvent)).all()
    assert "wrong-guess-123" not in repr([(e.action, e.details, e.target) for e in events])


def test_api_me_answers_for_the_session_user(
    client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    assert client.get("/api/v1/me").status_code == 401
    user = factory.user(name="Api User")
    workspace = factory.workspace(user, name="Api Co")
    auth.login(user)
    body = client.get("/api/v1/me").json
    assert body == {
        "id": user.id,
        "email": user.email,
        "name": "Api User",
        "workspaces": [{"id": workspace.id, "name": "Api Co", "role": "owner"}],
    }

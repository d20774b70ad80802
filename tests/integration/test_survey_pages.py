# ruff: noqa: RUF001 - Chinese texts carry Chinese punctuation
"""The staff's survey pages: public link settings, invitations (one, or many from a list
selection), the results page's access rules; roles, strangers, anonymous visitors, CSRF."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import gettext
from sqlalchemy import func, select, update

from formwork import db
from formwork.models import PublicLink, Role, SurveyInvitation, SurveyOptOut, Workspace
from tests.conftest import Auth, Factory
from tests.integration.survey_fixtures import SurveyCrm, make_survey_crm

SETTINGS = {
    "enabled": "y",
    "opens_at": "2026-03-01T09:00",
    "closes_at": "2026-03-31T18:00",
    "response_limit": "100",
    "thank_you_en": "Thanks!",
    "thank_you_zh": "谢谢！",
    "prefill": ["channel", "campaign"],
    "hidden": ["campaign"],
}


@pytest.fixture
def crm(app: Flask, factory: Factory) -> SurveyCrm:
    crm = make_survey_crm(app, factory)
    with app.app_context():
        session = db.session()
        session.execute(
            update(Workspace)
            .where(Workspace.id == crm.workspace.id)
            .values(timezone="Asia/Shanghai")
        )
        session.commit()
    return crm


def url(crm: SurveyCrm, page: str, form_id: int | None = None) -> str:
    return f"/w/{crm.workspace.id}/forms/{form_id or crm.survey.id}/{page}"


def link_of(app: Flask, crm: SurveyCrm) -> PublicLink | None:
    with app.app_context():
        return db.session().scalar(select(PublicLink).where(PublicLink.form_id == crm.survey.id))


def invitations(app: Flask) -> list[SurveyInvitation]:
    with app.app_context():
        return list(db.session().scalars(select(SurveyInvitation).order_by(SurveyInvitation.id)))


def translated(app: Flask, message: str, lang: str, **values: Any) -> str:
    """``message`` as the app's catalogue gives it in ``lang`` (English until translated)."""
    with app.test_request_context(headers={"Accept-Language": lang}):
        return gettext(message, **values)


def body(response: Any) -> str:
    return str(response.get_data(as_text=True))


# -- the public link's settings ------------------------------------------------------------


def test_share_settings_round_trip_on_the_workspace_clock(
    app: Flask, client: FlaskClient, auth: Auth, crm: SurveyCrm
) -> None:
    auth.login(crm.owner)
    page = client.get(url(crm, "share"))
    assert page.status_code == 200 and 'data-testid="no-link"' in body(page)
    saved = client.post(url(crm, "share"), data=SETTINGS)
    assert saved.status_code == 302, body(saved)[:2000]
    link = link_of(app, crm)
    assert link is not None and link.enabled and link.response_limit == 100
    # 09:00 in Shanghai is 01:00 UTC.
    assert link.opens_at == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    assert link.closes_at == datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    assert link.thank_you == {"en": "Thanks!", "zh-CN": "谢谢！"}
    assert link.prefill == ["channel", "campaign"] and link.hidden == ["campaign"]
    html = body(client.get(url(crm, "share")))
    assert 'value="2026-03-01T09:00"' in html and 'value="2026-03-31T18:00"' in html
    assert f"/p/{link.slug}" in html and 'data-testid="public-url"' in html
    assert "Asia/Shanghai" in html
    # Turning it off keeps the slug: the shared address stays the same.
    client.post(url(crm, "share"), data={**SETTINGS, "enabled": ""})
    again = link_of(app, crm)
    assert again is not None and again.slug == link.slug and not again.enabled


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_share_errors_name_the_field_and_change_nothing(
    app: Flask, client: FlaskClient, auth: Auth, crm: SurveyCrm, lang: str
) -> None:
    auth.login(crm.owner)
    headers = {"Accept-Language": lang}
    cases = [
        ({"opens_at": "soon"}, "opens_at"),
        ({"response_limit": "lots"}, "response_limit"),
        ({"response_limit": "0"}, "response_limit"),
        ({"closes_at": "2026-02-01T09:00"}, "closes_at"),
        ({"hidden": ["channel"], "prefill": ["campaign"]}, "hidden"),
        ({"prefill": ["no_such_field"], "hidden": []}, "prefill"),
        ({"thank_you_en": "x" * 2001}, "thank_you_en"),
    ]
    for change, field in cases:
        response = client.post(url(crm, "share"), data={**SETTINGS, **change}, headers=headers)
        html = body(response)
        assert response.status_code == 422, (change, html[:1500])
        assert f'data-testid="error-{field}"' in html, change
    assert link_of(app, crm) is None
    html = body(
        client.post(url(crm, "share"), data={**SETTINGS, "opens_at": "soon"}, headers=headers)
    )
    opens = translated(app, "Opens", lang)
    message = translated(
        app, "%(what)s: enter a date and time, like 2026-03-01 09:00.", lang, what=opens
    )
    assert message in html
    if lang == "en":
        assert "Opens: enter a date and time, like 2026-03-01 09:00." in html


def test_members_see_the_link_but_cannot_change_it(
    app: Flask, client: FlaskClient, auth: Auth, factory: Factory, crm: SurveyCrm
) -> None:
    auth.login(crm.owner)
    client.post(url(crm, "share"), data=SETTINGS)
    link = link_of(app, crm)
    assert link is not None
    auth.logout()
    for role in (Role.MEMBER, Role.VIEWER):
        user = factory.member(crm.workspace, role, name=f"A {role.value}")
        auth.login(user)
        html = body(client.get(url(crm, "share")))
        assert f"/p/{link.slug}" in html and 'data-testid="share-form"' not in html
        refused = client.post(url(crm, "share"), data={**SETTINGS, "response_limit": "5"})
        assert refused.status_code == 403
        auth.logout()
    unchanged = link_of(app, crm)
    assert unchanged is not None and unchanged.response_limit == 100


def test_a_prefilled_link_is_signed_and_opens_the_form(
    app: Flask, client: FlaskClient, auth: Auth, crm: SurveyCrm
) -> None:
    auth.login(crm.owner)
    client.post(url(crm, "share"), data={**SETTINGS, "opens_at": "", "closes_at": ""})
    made = client.post(
        url(crm, "share/prefill"), data={"pf-channel": "store", "pf-campaign": "spring"}
    )
    html = body(made)
    assert made.status_code == 200, html[:2000]
    found = re.search(r'id="prefilled-url" value="([^"]+)"', html)
    assert found is not None
    address = urlsplit(found.group(1).replace("&amp;", "&"))
    assert "prefill=" in address.query and "spring" not in address.query
    auth.logout()
    public = client.get(f"{address.path}?{address.query}")
    assert public.status_code == 200 and "spring" not in body(public)  # hidden, yet signed
    forged = client.get(f"{address.path}?{address.query[:-3]}abc")
    assert forged.status_code == 400
    auth.login(crm.owner)
    bad = client.post(url(crm, "share/prefill"), data={"pf-channel": "nowhere"})
    assert bad.status_code == 422 and 'data-testid="error-pf-channel"' in body(bad)


# -- invitations ---------------------------------------------------------------------------


def test_invite_one_customer_shows_the_link_once_and_lists_it(
    app: Flask, client: FlaskClient, auth: Auth, crm: SurveyCrm
) -> None:
    auth.login(crm.owner)
    page = client.get(url(crm, "invitations"))
    assert page.status_code == 200 and 'data-testid="no-invitations"' in body(page)
    sent = client.post(
        url(crm, "invitations"),
        data={
            "record_id": str(crm.people["Ada Wang"]),
            "expires_days": "7",
            "remind_after_days": "3",
        },
    )
    html = body(sent)
    assert sent.status_code == 200, html[:2000]
    links = re.findall(r'data-testid="invitation-url"', html)
    assert len(links) == 1 and "/s/" in html and "Ada Wang" in html
    made = invitations(app)
    assert len(made) == 1 and made[0].source == "ui" and made[0].remind_after_days == 3
    listing = body(client.get(url(crm, "invitations")))
    assert 'data-testid="stat-sent">1<' in listing and "Ada Wang" in listing
    assert "/s/" not in listing  # the token is never shown again
    again = client.post(
        url(crm, "invitations"),
        data={"record_id": str(crm.people["Ada Wang"]), "expires_days": "7"},
    )
    assert 'data-reason="pending"' in body(again) and len(invitations(app)) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"record_id": "", "expires_days": "7"}, "record_id"),
        ({"expires_days": "week"}, "expires_days"),
        ({"expires_days": "0"}, "expires_days"),
        ({"expires_days": "7", "remind_after_days": "9"}, "remind_after_days"),
    ],
)
def test_invitation_errors_name_the_field_and_send_nothing(
    app: Flask, client: FlaskClient, auth: Auth, crm: SurveyCrm, data: dict[str, str], field: str
) -> None:
    auth.login(crm.owner)
    posted = {"record_id": str(crm.people["Bo Li"]), **data}
    response = client.post(url(crm, "invitations"), data=posted)
    assert response.status_code == 422
    assert f'data-testid="error-{field}"' in body(response)
    assert invitations(app) == []


def test_bulk_invite_from_a_selection_creates_invitations_and_reports_skipped(
    app: Flask, client: FlaskClient, auth: Auth, crm: SurveyCrm
) -> None:
    with app.app_context():
        session = db.session()
        session.add(SurveyOptOut(workspace_id=crm.workspace.id, email="bo.li@example.com"))
        session.commit()
    auth.login(crm.owner)
    listing = body(client.get(url(crm, "", crm.customers.id)))
    assert 'data-testid="bulk-survey"' in listing
    assert listing.count("data-row-select") == 3
    chosen = [str(crm.people[name]) for name in ("Ada Wang", "Bo Li", "Chen Jie")]
    target = url(crm, "surveys/bulk-invite", crm.customers.id)
    step = client.post(target, data={"record_id": chosen, "all": ""})
    html = body(step)
    assert step.status_code == 200 and 'data-testid="bulk-form"' in html
    assert "3 selected records" in html and "Satisfaction survey" in html
    assert invitations(app) == []
    sent = client.post(
        target,
        data={
            "record_id": chosen,
            "confirm": "1",
            "survey": str(crm.survey.id),
            "expires_days": "14",
            "remind_after_days": "5",
        },
    )
    html = body(sent)
    assert sent.status_code == 200, html[:3000]
    made = invitations(app)
    assert sorted(i.record_id for i in made) == sorted(
        [crm.people["Ada Wang"], crm.people["Chen Jie"]]
    )
    assert {i.source for i in made} == {"bulk"} and {i.remind_after_days for i in made} == {5}
    assert html.count('data-testid="invitation-url"') == 2
    reasons = re.findall(r'data-reason="([a-z_]+)"', html)
    assert sorted(reasons) == ["no_email", "opted_out"]
    assert 'data-testid="back-to-list"' in html


def test_bulk_invite_to_all_matching_the_filter_is_selected_in_sql(
    app: Flask, client: FlaskClient, auth: Auth, crm: SurveyCrm
) -> None:
    auth.login(crm.owner)
    target = url(crm, "surveys/bulk-invite", crm.customers.id)
    vip = json.dumps({"==": [{"var": "level"}, "vip"]})
    step = body(client.post(target, data={"all": "1", "filter": vip, "q": ""}))
    assert "1 record matching" in step
    sent = client.post(
        target,
        data={"all": "1", "filter": vip, "q": "", "confirm": "1", "survey": str(crm.survey.id),
              "expires_days": "14"},
    )  # fmt: skip
    assert sent.status_code == 200
    assert [i.record_id for i in invitations(app)] == [crm.people["Ada Wang"]]
    broken = client.post(target, data={"all": "1", "filter": "{nope", "confirm": "1"})
    assert broken.status_code == 422 and len(invitations(app)) == 1


def test_bulk_invite_needs_a_selection_and_a_listed_survey(
    app: Flask, client: FlaskClient, auth: Auth, crm: SurveyCrm
) -> None:
    auth.login(crm.owner)
    target = url(crm, "surveys/bulk-invite", crm.customers.id)
    empty = client.post(target, data={"all": ""})
    assert empty.status_code == 302 and empty.headers["Location"].endswith(
        f"/forms/{crm.customers.id}/"
    )
    # The customers form is not a survey about customers: refused by name.
    wrong = client.post(
        target,
        data={"record_id": str(crm.people["Ada Wang"]), "confirm": "1",
              "survey": str(crm.customers.id), "expires_days": "14"},
    )  # fmt: skip
    assert wrong.status_code == 422 and 'data-testid="error-survey"' in body(wrong)
    assert invitations(app) == []


def test_viewers_get_no_bulk_action_and_cannot_invite(
    app: Flask, client: FlaskClient, auth: Auth, factory: Factory, crm: SurveyCrm
) -> None:
    viewer = factory.member(crm.workspace, Role.VIEWER, name="Vic Viewer")
    auth.login(viewer)
    listing = body(client.get(url(crm, "", crm.customers.id)))
    assert 'data-testid="bulk-survey"' not in listing and "data-row-select" not in listing
    assert 'data-testid="menu-results"' in listing
    assert client.get(url(crm, "invitations")).status_code == 200
    assert client.get(url(crm, "results")).status_code == 200
    posted = {"record_id": str(crm.people["Ada Wang"]), "expires_days": "7"}
    assert client.post(url(crm, "invitations"), data=posted).status_code == 403
    target = url(crm, "surveys/bulk-invite", crm.customers.id)
    assert client.post(target, data={"record_id": posted["record_id"]}).status_code == 403
    assert invitations(app) == []


# -- who may see what ----------------------------------------------------------------------

PAGES = [
    ("GET", "share"),
    ("GET", "invitations"),
    ("GET", "results"),
    ("GET", "results/export?format=csv&what=responses"),
    ("GET", "results/export?format=xlsx&what=summary"),
    ("POST", "share"),
    ("POST", "share/prefill"),
    ("POST", "invitations"),
    ("POST", "surveys/bulk-invite"),
]


@pytest.mark.parametrize(("method", "page"), PAGES)
def test_a_stranger_from_another_workspace_gets_not_found(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    factory: Factory,
    crm: SurveyCrm,
    method: str,
    page: str,
) -> None:
    stranger = factory.user(name="Stranger")
    factory.workspace(stranger, name="Elsewhere")
    auth.login(stranger)
    data = {**SETTINGS, "record_id": str(crm.people["Ada Wang"]), "expires_days": "7"}
    response = client.open(url(crm, page), method=method, data=data if method == "POST" else None)
    assert response.status_code == 404
    assert "Tea House" not in body(response) and "Ada Wang" not in body(response)
    assert link_of(app, crm) is None and invitations(app) == []


@pytest.mark.parametrize(("method", "page"), PAGES)
def test_anonymous_visitors_are_sent_to_log_in(
    app: Flask, client: FlaskClient, crm: SurveyCrm, method: str, page: str
) -> None:
    response = client.open(url(crm, page), method=method, data={} if method == "POST" else None)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_posts_need_the_csrf_token_of_the_page(
    make_app: Callable[..., Flask], factory: Factory
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    crm = make_survey_crm(app, Factory(app))
    client = app.test_client()
    with client.session_transaction() as browser:
        browser["_user_id"] = crm.owner.get_id()
        browser["_fresh"] = True
    refused = client.post(url(crm, "share"), data=SETTINGS)
    assert refused.status_code == 400 and link_of(app, crm) is None
    target = url(crm, "surveys/bulk-invite", crm.customers.id)
    chosen = {
        "record_id": str(crm.people["Ada Wang"]),
        "confirm": "1",
        "survey": str(crm.survey.id),
        "expires_days": "14",
    }
    assert client.post(target, data=chosen).status_code == 400
    assert invitations(app) == []
    page = body(client.get(url(crm, "share")))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert token is not None
    saved = client.post(url(crm, "share"), data={**SETTINGS, "csrf_token": token.group(1)})
    assert saved.status_code == 302 and link_of(app, crm) is not None
    assert client.post(target, data={**chosen, "csrf_token": token.group(1)}).status_code == 200
    assert len(invitations(app)) == 1


def test_survey_pages_have_no_inline_script_or_style(
    app: Flask, client: FlaskClient, auth: Auth, crm: SurveyCrm
) -> None:
    auth.login(crm.owner)
    client.post(url(crm, "share"), data=SETTINGS)
    for page in ("share", "invitations", "results"):
        html = body(client.get(url(crm, page)))
        assert "<script>" not in html and " style=" not in html and "onclick" not in html
    with app.app_context():
        count = db.session().scalar(select(func.count()).select_from(PublicLink))
    assert count == 1

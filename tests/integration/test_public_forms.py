# ruff: noqa: RUF001 - Chinese texts carry Chinese punctuation
"""Public links (/p/<slug>): the respondent's page, signed prefill, open/close, the
response limit, abuse limits — and that a stranger learns nothing about the workspace."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formwork import db
from formwork.db import utcnow
from formwork.models import Event, PublicLink, Record, Role, Run
from formwork.services import public_forms
from formwork.services.errors import Forbidden, Invalid
from tests.conftest import Auth, Factory
from tests.integration.automation_fixtures import add_automation, make_crm
from tests.integration.survey_fixtures import SurveyCrm, make_survey_crm

XSS = '<script>alert("x")</script>'
VALID = {"score": "9", "comment": "Lovely tea", "channel": "web"}


@pytest.fixture
def crm(app: Flask, factory: Factory) -> SurveyCrm:
    return make_survey_crm(app, factory)


def share(app: Flask, crm: SurveyCrm, **settings: Any) -> PublicLink:
    """Publish the survey at a public link (as the workspace owner)."""
    values: dict[str, Any] = {
        "enabled": True,
        "opens_at": None,
        "closes_at": None,
        "response_limit": None,
        "thank_you": {"en": "Thanks a lot!", "zh-CN": "非常感谢！"},
        "prefill": ["channel", "campaign"],
        "hidden": ["campaign"],
        **settings,
    }
    with app.app_context():
        session = db.session()
        return public_forms.save_link(session, crm.actor(session), crm.survey.id, **values)


def prefilled(app: Flask, link: PublicLink, values: dict[str, Any]) -> str:
    """The signed prefill URL's path and query."""
    with app.app_context():
        session = db.session()
        fresh = session.get(PublicLink, link.id)
        assert fresh is not None
        url = public_forms.signed_prefill_url(fresh, values)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def responses(app: Flask, crm: SurveyCrm) -> list[Record]:
    with app.app_context():
        return list(
            db.session().scalars(
                select(Record).where(Record.form_id == crm.survey.id).order_by(Record.id)
            )
        )


def count_of(app: Flask, link: PublicLink) -> int:
    with app.app_context():
        found = db.session().get(PublicLink, link.id)
        assert found is not None
        return found.response_count


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


# -- the respondent's page ---------------------------------------------------------------


def test_the_public_page_shows_only_the_forms_own_words(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    page = text(client.get(f"/p/{link.slug}"))
    assert "Satisfaction survey" in page
    assert "How likely are you to recommend us to a friend?" in page
    assert 'name="score"' in page and 'name="comment"' in page
    # No workspace, no people, no customers, no navigation, no hidden or link fields.
    for secret in ("Tea House", "Olivia Owner", "Ada Wang", "Formwork", "/w/", "/login"):
        assert secret not in page, secret
    assert 'name="customer"' not in page and 'name="assessor"' not in page
    assert 'name="campaign"' not in page
    assert 'name="viewport"' in page
    assert 'data-testid="language-switch"' in page


def test_the_page_speaks_the_respondents_language(
    app: Flask, client: FlaskClient, crm: SurveyCrm, factory: Factory, auth: Auth
) -> None:
    link = share(app, crm)
    chinese = text(client.get(f"/p/{link.slug}", headers={"Accept-Language": "zh-CN,zh;q=0.9"}))
    assert "满意度调查" in chinese and "您向朋友推荐我们的可能性有多大？" in chinese
    assert '<html lang="zh-CN">' in chinese
    english = text(client.get(f"/p/{link.slug}?lang=en", headers={"Accept-Language": "zh-CN"}))
    assert "How likely are you" in english and '<html lang="en">' in english
    # A logged-in staff member's own setting does not decide the respondent's page.
    auth.login(crm.owner)
    client.post("/language", data={"locale": "zh_CN"})
    assert "How likely are you" in text(client.get(f"/p/{link.slug}?lang=en"))


def test_a_response_is_stored_like_an_internal_entry_and_raises_form_submitted(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    response = client.post(f"/p/{link.slug}?lang=zh-CN", data=VALID)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/p/{link.slug}/thanks?lang=zh-CN"
    thanks = text(client.get(response.headers["Location"]))
    assert "非常感谢！" in thanks
    (record,) = responses(app, crm)
    assert record.data == {"score": 9, "comment": "Lovely tea", "channel": "web"}
    assert record.owner_id is None and record.created_by_id is None
    assert count_of(app, link) == 1
    with app.app_context():
        events = list(db.session().scalars(select(Event).where(Event.record_id == record.id)))
    assert {(e.type, e.source) for e in events} == {
        ("created", "public"),
        ("form_submitted", "public"),
    }
    submitted = next(e for e in events if e.type == "form_submitted")
    assert submitted.payload["after"]["score"] == 9 and submitted.actor_id is None


def test_a_form_submitted_automation_runs_for_a_public_response(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    with app.app_context():
        session = db.session()
        automation = add_automation(
            session,
            crm.actor(session),
            {
                "version": 1,
                "trigger": {"type": "form_submitted", "form": "nps"},
                "condition": {"<=": [{"var": "score"}, 6]},
                "actions": [
                    {
                        "id": "t1",
                        "type": "create_task",
                        "title": "Detractor: {{ record.comment }}",
                        "assignee": {"kind": "user", "id": crm.owner.id},
                    }
                ],
            },
        )
    link = share(app, crm)
    client.post(f"/p/{link.slug}", data={**VALID, "score": "9"})
    client.post(f"/p/{link.slug}", data={**VALID, "score": "2", "comment": "Cold tea"})
    with app.app_context():
        runs = list(db.session().scalars(select(Run).where(Run.automation_id == automation.id)))
    assert [run.status for run in runs] == ["succeeded"]


def test_invalid_answers_get_field_errors_and_nothing_is_stored(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    response = client.post(f"/p/{link.slug}", data={"score": "11", "comment": "x"})
    assert response.status_code == 422
    page = text(response)
    assert 'data-testid="error-score"' in page and 'value="x"' not in page
    assert "x</textarea>" in page  # the answers stay in the form
    missing = client.post(f"/p/{link.slug}?lang=zh-CN", data={"comment": "只有评论"})
    assert missing.status_code == 422 and "此项为必填项" in text(missing)
    assert responses(app, crm) == [] and count_of(app, link) == 0


def test_posted_values_for_fields_the_respondent_cannot_see_are_ignored(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    forged = {
        **VALID,
        "customer": str(crm.people["Ada Wang"]),
        "assessor": str(crm.owner.id),
        "campaign": "made-up",
    }
    assert client.post(f"/p/{link.slug}", data=forged).status_code == 302
    (record,) = responses(app, crm)
    assert set(record.data) == {"score", "comment", "channel"}


def test_xss_in_the_thank_you_text_and_labels_is_escaped(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm, thank_you={"en": XSS})
    client.post(f"/p/{link.slug}", data=VALID)
    page = text(client.get(f"/p/{link.slug}/thanks"))
    assert XSS not in page and "&lt;script&gt;" in page


# -- signed prefill ----------------------------------------------------------------------


def test_signed_prefill_sets_hidden_and_shown_fields(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    url = prefilled(app, link, {"channel": "store", "campaign": "spring-2026"})
    page = text(client.get(url))
    assert re.search(r'<option selected value="store">|<option value="store" selected', page)
    assert "spring-2026" not in page  # hidden: never shown
    # The page posts the shown (preselected) choice back; the hidden one is never posted.
    assert client.post(url, data={"score": "10", "channel": "store"}).status_code == 302
    (record,) = responses(app, crm)
    assert record.data == {"score": 10, "channel": "store", "campaign": "spring-2026"}


def test_a_respondent_may_change_a_shown_prefill_but_never_a_hidden_one(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    url = prefilled(app, link, {"channel": "store", "campaign": "spring-2026"})
    client.post(url, data={"score": "10", "channel": "web", "campaign": "mine"})
    (record,) = responses(app, crm)
    assert record.data["channel"] == "web" and record.data["campaign"] == "spring-2026"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), id="sig"),
        pytest.param(lambda token: "x" + token, id="payload"),
        pytest.param(lambda token: token.split(".")[0], id="unsigned"),
        pytest.param(lambda token: "x" * 5000, id="huge"),
    ],
)
def test_an_altered_prefill_is_refused_plainly_and_nothing_is_stored(
    app: Flask, client: FlaskClient, crm: SurveyCrm, tamper: Callable[[str], str]
) -> None:
    link = share(app, crm)
    url = prefilled(app, link, {"campaign": "spring-2026"})
    token = parse_qs(urlsplit(url).query)["prefill"][0]
    bad = f"/p/{link.slug}?prefill={tamper(token)}"
    page = client.get(bad)
    assert page.status_code == 400
    assert "The link has been changed since it was made." in text(page)
    posted = client.post(bad, data=VALID)
    assert posted.status_code == 400 and responses(app, crm) == []
    assert count_of(app, link) == 0


def test_a_prefill_signed_for_another_link_is_refused(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        other = public_forms.save_link(
            session,
            actor,
            crm.customers.id,
            enabled=True,
            opens_at=None,
            closes_at=None,
            response_limit=None,
            thank_you=None,
            prefill=["name"],
            hidden=[],
        )
    token = parse_qs(urlsplit(prefilled(app, other, {"name": "Eve"})).query)["prefill"][0]
    response = client.post(f"/p/{link.slug}?prefill={token}", data=VALID)
    assert response.status_code == 400 and responses(app, crm) == []


def test_plain_url_parameters_never_set_anything(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    client.post(f"/p/{link.slug}?campaign=evil&channel=store", data={"score": "8"})
    (record,) = responses(app, crm)
    assert record.data == {"score": 8}


def test_signing_refuses_fields_that_may_not_be_prefilled_and_bad_values(
    app: Flask, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    with app.app_context():
        session = db.session()
        fresh = session.get(PublicLink, link.id)
        assert fresh is not None
        with pytest.raises(Invalid) as not_allowed:
            public_forms.signed_prefill_url(fresh, {"comment": "x"})
        assert not_allowed.value.field == "comment"
        with pytest.raises(Invalid) as bad_value:
            public_forms.signed_prefill_url(fresh, {"channel": "moon"})
        assert bad_value.value.field == "channel"


# -- when the link is open, and how many responses it takes -------------------------------


@pytest.mark.parametrize(
    ("settings", "status", "message"),
    [
        ({"closes_at": -1}, 410, "This form is closed and no longer accepts responses."),
        ({"opens_at": 1}, 403, "This form is not open yet."),
        ({"enabled": False}, 403, "This form is not accepting responses at the moment."),
    ],
    ids=["closed", "not-open-yet", "disabled"],
)
def test_a_link_that_is_not_open_says_so_and_stores_nothing(
    app: Flask,
    client: FlaskClient,
    crm: SurveyCrm,
    settings: dict[str, Any],
    status: int,
    message: str,
) -> None:
    now = utcnow()
    values = {
        key: now + timedelta(days=value) if key.endswith("_at") else value
        for key, value in settings.items()
    }
    link = share(app, crm, **values)
    page = client.get(f"/p/{link.slug}")
    assert page.status_code == status and message in text(page)
    assert 'name="score"' not in text(page)
    posted = client.post(f"/p/{link.slug}", data=VALID)
    assert posted.status_code == status and message in text(posted)
    assert responses(app, crm) == [] and count_of(app, link) == 0


def test_a_full_form_says_so_and_the_limit_holds(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm, response_limit=2)
    assert [client.post(f"/p/{link.slug}", data=VALID).status_code for _ in range(2)] == [302] * 2
    refused = client.post(f"/p/{link.slug}", data=VALID)
    assert refused.status_code == 410
    assert "has received all the responses it can take" in text(refused)
    assert client.get(f"/p/{link.slug}").status_code == 410
    assert len(responses(app, crm)) == 2 and count_of(app, link) == 2


def test_the_response_limit_holds_under_concurrent_posts(app: Flask, crm: SurveyCrm) -> None:
    link = share(app, crm, response_limit=3)
    codes: list[int] = []
    start = threading.Barrier(8)

    def post() -> None:
        client = app.test_client()
        start.wait()
        codes.append(client.post(f"/p/{link.slug}", data=VALID).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [302] * 3 + [410] * 5
    assert len(responses(app, crm)) == 3 and count_of(app, link) == 3


def test_an_unknown_link_is_not_found(client: FlaskClient, crm: SurveyCrm) -> None:
    response = client.get("/p/no-such-link")
    assert response.status_code == 404 and "This link does not lead to a form." in text(response)
    assert client.post("/p/no-such-link", data=VALID).status_code == 404


# -- strangers -----------------------------------------------------------------------------


def test_a_stranger_reaches_only_the_form_never_the_workspace(
    app: Flask, client: FlaskClient, crm: SurveyCrm, factory: Factory, auth: Auth
) -> None:
    link = share(app, crm)
    client.post(f"/p/{link.slug}", data=VALID)
    (record,) = responses(app, crm)
    staff_pages = [
        f"/w/{crm.workspace.id}/",
        f"/w/{crm.workspace.id}/forms/{crm.survey.id}/",
        f"/w/{crm.workspace.id}/forms/{crm.survey.id}/records/{record.id}/",
    ]
    for path in staff_pages:  # anonymous: sent to log in
        assert client.get(path).headers["Location"].startswith("/login")
    stranger = factory.user(name="Stranger")
    factory.workspace(stranger, name="Elsewhere")
    auth.login(stranger)
    for path in staff_pages:
        assert client.get(path).status_code == 404
    for path in (f"/p/{link.slug}", f"/p/{link.slug}/thanks"):
        page = text(client.get(path))
        assert "Tea House" not in page and "Olivia Owner" not in page and "Lovely tea" not in page


def test_only_admins_change_a_link_and_errors_name_the_field(
    app: Flask, crm: SurveyCrm, factory: Factory
) -> None:
    member = factory.member(crm.workspace, Role.MEMBER)
    link = share(app, crm)
    with app.app_context():
        session = db.session()
        from formwork.services.scope import actor_for

        with pytest.raises(Forbidden):
            public_forms.save_link(
                session,
                actor_for(session, session.merge(member), crm.workspace.id),
                crm.survey.id,
                enabled=False,
                opens_at=None,
                closes_at=None,
                response_limit=None,
                thank_you=None,
                prefill=[],
                hidden=[],
            )
    now = utcnow()
    bad = [
        ({"response_limit": 0}, "response_limit"),
        ({"opens_at": now, "closes_at": now - timedelta(hours=1)}, "closes_at"),
        ({"opens_at": now.replace(tzinfo=None)}, "opens_at"),
        ({"thank_you": {"fr": "Merci"}}, "thank_you"),
        ({"prefill": ["nope"]}, "prefill"),
        ({"prefill": ["channel"], "hidden": ["campaign"]}, "hidden"),
    ]
    for settings, field in bad:
        with pytest.raises(Invalid) as problem:
            share(app, crm, **settings)
        assert problem.value.field == field, settings
    with app.app_context():
        unchanged = db.session().get(PublicLink, link.id)
        assert unchanged is not None and unchanged.enabled and unchanged.response_limit is None


# -- abuse ---------------------------------------------------------------------------------


def test_a_burst_of_anonymous_posts_is_throttled(
    make_app: Callable[..., Flask], factory: Factory
) -> None:
    app = make_app(RATELIMIT_ENABLED=True, PUBLIC_RATE_LIMIT="20 per minute")
    crm = make_survey_crm(app, Factory(app))
    link = share(app, crm)
    client = app.test_client()
    codes = [client.post(f"/p/{link.slug}", data=VALID).status_code for _ in range(100)]
    assert codes == [302] * 20 + [429] * 80
    throttled = client.post(f"/p/{link.slug}", data=VALID)
    assert "Too many responses were sent in a short time." in text(throttled)
    assert "Tea House" not in text(throttled)
    assert len(responses(app, crm)) == 20
    assert client.get(f"/p/{link.slug}").status_code == 200  # reading is not limited


def test_posts_to_one_link_are_throttled_across_addresses(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(RATELIMIT_ENABLED=True, PUBLIC_FORM_RATE_LIMIT="5 per minute")
    crm = make_survey_crm(app, Factory(app))
    link = share(app, crm)
    codes = [
        app.test_client()
        .post(f"/p/{link.slug}", data=VALID, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        .status_code
        for n in range(1, 8)
    ]
    assert codes == [302] * 5 + [429] * 2


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    page = text(client.get(f"/p/{link.slug}"))
    assert 'name="_website"' in page and 'tabindex="-1"' in page
    response = client.post(f"/p/{link.slug}", data={**VALID, "_website": "http://spam"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/thanks")
    assert responses(app, crm) == [] and count_of(app, link) == 0


def test_a_payload_too_large_is_refused_before_it_is_read(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    link = share(app, crm)
    response = client.post(f"/p/{link.slug}", data={**VALID, "comment": "x" * 70_000})
    assert response.status_code == 413
    page = text(response)
    assert "larger than this form accepts" in page and "Tea House" not in page
    assert responses(app, crm) == []


def test_csrf_stays_on_for_anonymous_posts(make_app: Callable[..., Flask]) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    crm = make_survey_crm(app, Factory(app))
    link = share(app, crm)
    client = app.test_client()
    refused = client.post(f"/p/{link.slug}", data=VALID)
    assert refused.status_code == 400 and "The form has expired" in text(refused)
    page = text(client.get(f"/p/{link.slug}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    accepted = client.post(f"/p/{link.slug}", data={**VALID, "csrf_token": token.group(1)})
    assert accepted.status_code == 302
    assert len(responses(app, crm)) == 1


def test_responses_count_in_sql_not_in_python(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    """The stored count and the records agree after a mix of accepted and refused posts."""
    link = share(app, crm, response_limit=4)
    for data in (VALID, {"score": "99"}, VALID, {**VALID, "_website": "x"}, VALID):
        client.post(f"/p/{link.slug}", data=data)
    with app.app_context():
        stored = db.session().scalar(
            select(func.count()).select_from(Record).where(Record.form_id == crm.survey.id)
        )
    assert stored == count_of(app, link) == 3


def test_a_form_respondents_could_never_complete_cannot_be_shared(
    app: Flask, factory: Factory
) -> None:
    """Orders require a customer (a link respondents never see): it must be prefilled."""
    shop = make_crm(app, factory)
    settings: dict[str, Any] = {
        "opens_at": None,
        "closes_at": None,
        "response_limit": None,
        "thank_you": None,
        "hidden": [],
    }
    with app.app_context():
        session = db.session()
        actor = shop.actor(session)
        with pytest.raises(Invalid) as problem:
            public_forms.save_link(
                session, actor, shop.orders.id, enabled=True, prefill=[], **settings
            )
        assert problem.value.field == "prefill" and "Customer" in str(problem.value.message)
        off = public_forms.save_link(
            session, actor, shop.orders.id, enabled=False, prefill=[], **settings
        )
        assert off.enabled is False
        on = public_forms.save_link(
            session, actor, shop.orders.id, enabled=True, prefill=["customer"], **settings
        )
        assert on.enabled is True and on.prefill == ["customer"]

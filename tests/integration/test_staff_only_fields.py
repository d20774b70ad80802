"""Staff-only fields (``x-internal: true``): never shown on public links or survey
invitations, never taken from a respondent's post, still set by a signed prefill; the
link settings refuse a required one that nothing could fill; staff pages and the
designer keep them."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from formwork import db
from formwork.models import Form, PublicLink, Record, SurveyInvitation
from formwork.services import apps, public_forms, records, surveys
from formwork.services.errors import Invalid
from formwork.services.scope import actor_for
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import SCHEMA, published_forms
from tests.integration.survey_fixtures import CUSTOMERS, PEOPLE

STAFF_LABELS = ("Staff note", "Follow-up status", "Answered on", "Flagged by staff")

SURVEY: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Satisfaction survey",
    "x-titles": {"zh-CN": "满意度调查"},
    "x-order": [
        "customer",
        "score",
        "comment",
        "details",
        "answered_on",
        "status",
        "staff_note",
        "flagged",
    ],
    "properties": {
        "customer": {
            "type": "integer",
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "score": {
            "type": "integer",
            "title": "How likely are you to recommend us?",
            "minimum": 0,
            "maximum": 10,
            "x-field": "nps",
        },
        # Respondent questions whose rules read staff-only fields.
        "comment": {
            "type": "string",
            "title": "What could we do better?",
            "maxLength": 2000,
            "x-field": "textarea",
            "x-visible-if": {"!": {"==": [{"var": "status"}, "closed"]}},
        },
        "details": {
            "type": "string",
            "title": "Tell us more about the problem",
            "maxLength": 2000,
            "x-field": "textarea",
            "x-visible-if": {"==": [{"var": "flagged"}, True]},
        },
        "answered_on": {
            "type": "string",
            "format": "date",
            "title": "Answered on",
            "x-field": "date",
            "x-internal": True,
        },
        "status": {
            "enum": ["open", "closed"],
            "title": "Follow-up status",
            "x-titles": {"zh-CN": "跟进状态"},
            "x-field": "select",
            "x-internal": True,
        },
        "staff_note": {
            "type": "string",
            "title": "Staff note",
            "maxLength": 2000,
            "x-field": "textarea",
            "x-internal": True,
            "x-visible-if": {"==": [{"var": "status"}, "open"]},
        },
        "flagged": {
            "type": "boolean",
            "title": "Flagged by staff",
            "x-field": "checkbox",
            "x-internal": True,
        },
    },
    "required": ["score"],
    "additionalProperties": False,
}

POSTED_BY_A_RESPONDENT = {
    "score": "4",
    "comment": "Slow delivery",
    "details": "Box was wet",
    "answered_on": "2020-01-01",
    "status": "closed",
    "staff_note": "made up",
    "flagged": "on",
}


class Crm:
    """An owner, Customers and the survey above, published, and three customers."""

    def __init__(self, app: Flask, factory: Factory) -> None:
        self.app = app
        self.owner = factory.user(name="Olivia Owner")
        self.workspace = factory.workspace(self.owner, name="Tea House")
        with app.app_context():
            session = db.session()
            forms = published_forms(
                session, self.actor(session), {"customers": CUSTOMERS, "survey": SURVEY}
            )
            self.customers, self.survey = forms["customers"], forms["survey"]
            self.people = {
                row["name"]: records.create_record(
                    session, self.actor(session), self.customers, row
                ).id
                for row in PEOPLE
            }

    def actor(self, session: Any) -> Any:
        return actor_for(session, session.merge(self.owner), self.workspace.id)

    def share(self, **settings: Any) -> PublicLink:
        values: dict[str, Any] = {
            "enabled": True,
            "opens_at": None,
            "closes_at": None,
            "response_limit": None,
            "thank_you": None,
            "prefill": [],
            "hidden": [],
            **settings,
        }
        with self.app.app_context():
            session = db.session()
            return public_forms.save_link(session, self.actor(session), self.survey.id, **values)

    def prefilled(self, link: PublicLink, values: dict[str, Any]) -> str:
        with self.app.app_context():
            fresh = db.session().get(PublicLink, link.id)
            assert fresh is not None
            parts = urlsplit(public_forms.signed_prefill_url(fresh, values))
        return f"{parts.path}?{parts.query}"

    def invitation_path(self, name: str = "Ada Wang") -> str:
        with self.app.app_context():
            session = db.session()
            result = surveys.invite(
                session, self.actor(session), self.survey.id, [self.people[name]]
            )
        ((_invitation, url),) = result.sent
        return url[url.index("/s/") :]

    def responses(self) -> list[Record]:
        with self.app.app_context():
            return list(
                db.session().scalars(
                    select(Record).where(Record.form_id == self.survey.id).order_by(Record.id)
                )
            )


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(BASE_URL="https://crm.example.com")


@pytest.fixture
def crm(app: Flask, factory: Factory) -> Crm:
    return Crm(app, factory)


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def page_config(page: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="record-form-config">(.*?)</script>', page
    )
    assert found is not None
    return dict(json.loads(found.group(1)))


def hidden_on(page: str, key: str) -> bool:
    found = re.search(rf'<fieldset[^>]*data-testid="field-{key}"[^>]*>', page)
    assert found is not None, key
    return " hidden" in found.group(0)


def assert_no_staff_field(page: str) -> None:
    for key in ("answered_on", "status", "staff_note", "flagged"):
        assert f'name="{key}"' not in page, key
        assert f'data-testid="field-{key}"' not in page, key
    for label in STAFF_LABELS:
        assert label not in page, label
    # Not even their keys or own rules reach the page's script: the parts of a rule that
    # read them are decided by the server.
    config = page_config(page)
    assert set(config["fields"]) == set(config["kinds"]) == {"score", "comment", "details"}
    assert set(config["visibleIf"]) == {"comment", "details"}
    for key in ("answered_on", "status", "staff_note", "flagged"):
        assert key not in json.dumps(config), key


# -- the respondent's pages ------------------------------------------------------------


def test_a_public_link_page_never_renders_a_staff_only_field(client: FlaskClient, crm: Crm) -> None:
    link = crm.share()
    response = client.get(f"/p/{link.slug}")
    assert response.status_code == 200
    page = text(response)
    assert 'name="score"' in page and 'name="comment"' in page
    assert_no_staff_field(page)


def test_an_invitation_page_never_renders_a_staff_only_field(client: FlaskClient, crm: Crm) -> None:
    response = client.get(crm.invitation_path())
    assert response.status_code == 200
    page = text(response)
    assert 'name="score"' in page
    assert_no_staff_field(page)


def test_a_rule_on_a_staff_only_field_reads_it_as_empty_for_respondents(
    client: FlaskClient, crm: Crm
) -> None:
    """``not (status == closed)`` holds (shown), ``flagged == true`` does not (hidden,
    not stored) — on the page and in the service alike."""
    link = crm.share()
    page = text(client.get(f"/p/{link.slug}"))
    assert not hidden_on(page, "comment") and hidden_on(page, "details")
    # The page's script gets the same outcomes (the box unposted reads as unticked).
    rules = page_config(page)["visibleIf"]
    assert rules == {"comment": {"!": [False]}, "details": False}
    assert client.post(f"/p/{link.slug}", data=POSTED_BY_A_RESPONDENT).status_code == 302
    (record,) = crm.responses()
    assert record.data["comment"] == "Slow delivery" and "details" not in record.data


# -- what a post may set ------------------------------------------------------------------


def test_a_public_post_with_values_for_staff_only_fields_stores_none_of_them(
    client: FlaskClient, crm: Crm
) -> None:
    link = crm.share()
    assert client.post(f"/p/{link.slug}", data=POSTED_BY_A_RESPONDENT).status_code == 302
    (record,) = crm.responses()
    # An HTML checkbox that was not posted reads as unticked, as on every record page.
    assert record.data == {"score": 4, "comment": "Slow delivery", "flagged": False}


def test_an_invitation_answer_with_values_for_staff_only_fields_stores_none_of_them(
    client: FlaskClient, crm: Crm
) -> None:
    path = crm.invitation_path()
    assert client.post(path, data=POSTED_BY_A_RESPONDENT).status_code == 302
    (record,) = crm.responses()
    assert record.data == {
        "customer": crm.people["Ada Wang"],
        "score": 4,
        "comment": "Slow delivery",
        "flagged": False,
    }


def test_a_signed_prefill_sets_a_staff_only_field_the_respondent_never_sees(
    client: FlaskClient, crm: Crm
) -> None:
    """Prefilled but not ticked "hidden" in the settings: staff only still keeps it out
    of sight, and only the signed value is stored."""
    link = crm.share(prefill=["status", "flagged", "staff_note"], hidden=[])
    url = crm.prefilled(link, {"status": "open", "flagged": True, "staff_note": "VIP"})
    page = text(client.get(url))
    assert 'name="status"' not in page and 'name="staff_note"' not in page
    assert "VIP" not in page and "Follow-up status" not in page
    # Rules on the signed values: decided by the server, for the page and its script.
    assert not hidden_on(page, "details") and not hidden_on(page, "comment")
    assert page_config(page)["visibleIf"] == {"comment": {"!": [False]}, "details": True}
    posted = {**POSTED_BY_A_RESPONDENT, "flagged": "", "details": "Box was wet"}
    assert client.post(url, data=posted).status_code == 302
    (record,) = crm.responses()
    assert record.data["status"] == "open"
    assert record.data["flagged"] is True and record.data["staff_note"] == "VIP"
    # The rule on the signed value decides as it does for staff.
    assert record.data["details"] == "Box was wet"
    assert "answered_on" not in record.data


# -- the link's settings ---------------------------------------------------------------


def ticket_form(crm: Crm, **required: dict[str, Any]) -> Form:
    """A published form with a respondent question and required staff-only fields."""
    doc = copy.deepcopy(SURVEY)
    doc["title"] = "Tickets"
    for key, schema in required.items():
        doc["properties"][key] = schema
        doc["x-order"].append(key)
        doc["required"].append(key)
    with crm.app.app_context():
        session = db.session()
        form = published_forms(session, crm.actor(session), {"tickets": doc})["tickets"]
        return form


PRIORITY = {
    "enum": ["low", "high"],
    "title": "Priority",
    "x-titles": {"zh-CN": "优先级"},
    "x-field": "select",
    "x-internal": True,
}
SITE = {
    "type": "object",
    "title": "Site address",
    "x-field": "address",
    "properties": {
        "province": {"type": "string"},
        "city": {"type": "string"},
        "district": {"type": "string"},
        "detail": {"type": "string"},
    },
    "x-internal": True,
}

SETTINGS: dict[str, Any] = {
    "opens_at": None,
    "closes_at": None,
    "response_limit": None,
    "thank_you": None,
    "hidden": [],
}


def test_a_required_staff_only_field_must_come_from_the_signed_link(app: Flask, crm: Crm) -> None:
    form = ticket_form(crm, priority=PRIORITY)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        session = db.session()
        actor = crm.actor(session)
        with pytest.raises(Invalid) as refused:
            public_forms.save_link(session, actor, form.id, enabled=True, prefill=[], **SETTINGS)
        assert refused.value.field == "prefill"
        assert "“优先级”" in str(refused.value.message)  # the label in the reader's language
        assert session.scalar(select(PublicLink).where(PublicLink.form_id == form.id)) is None
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        with pytest.raises(Invalid) as english:
            public_forms.save_link(session, actor, form.id, enabled=True, prefill=[], **SETTINGS)
        message = str(english.value.message)
        assert "“Priority”" in message and "staff only" in message and "prefill" in message
        link = public_forms.save_link(
            session, actor, form.id, enabled=True, prefill=["priority"], **SETTINGS
        )
        assert link.enabled and link.prefill == ["priority"]


def test_a_required_staff_only_field_no_link_can_fill_is_named_without_offering_prefill(
    app: Flask, crm: Crm
) -> None:
    form = ticket_form(crm, site=SITE)
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        with pytest.raises(Invalid) as refused:
            public_forms.save_link(session, actor, form.id, enabled=True, prefill=[], **SETTINGS)
        message = str(refused.value.message)
        assert refused.value.field == "prefill" and "“Site address”" in message
        assert "prefill" not in message and "make it optional" in message
        # Switched off, the link may still be saved (and shared later).
        assert not public_forms.save_link(
            session, actor, form.id, enabled=False, prefill=[], **SETTINGS
        ).enabled


def test_a_prefilled_required_staff_only_field_makes_a_storable_response(
    client: FlaskClient, crm: Crm
) -> None:
    form = ticket_form(crm, priority=PRIORITY)
    with crm.app.app_context():
        session = db.session()
        link = public_forms.save_link(
            session, crm.actor(session), form.id, enabled=True, prefill=["priority"], **SETTINGS
        )
        parts = urlsplit(public_forms.signed_prefill_url(link, {"priority": "high"}))
    url = f"{parts.path}?{parts.query}"
    assert 'name="priority"' not in text(client.get(url))
    assert client.post(url, data={"score": "9", "priority": "low"}).status_code == 302
    with crm.app.app_context():
        (record,) = db.session().scalars(select(Record).where(Record.form_id == form.id))
        assert record.data["priority"] == "high"


def test_invitations_to_a_survey_with_a_required_staff_only_field_are_refused(
    app: Flask, crm: Crm
) -> None:
    """No respondent could ever answer it: say so before anyone is invited."""
    form = ticket_form(crm, priority=PRIORITY)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        session = db.session()
        with pytest.raises(Invalid) as refused:
            surveys.invite(session, crm.actor(session), form.id, [crm.people["Ada Wang"]])
        assert refused.value.field == "form_id" and "“优先级”" in str(refused.value.message)
        assert session.scalar(select(SurveyInvitation)) is None
    # A required customer link is fine: the invitation sets it.
    doc = copy.deepcopy(SURVEY)
    doc["required"].append("customer")
    with app.app_context():
        session = db.session()
        linked = published_forms(session, crm.actor(session), {"linked": doc})["linked"]
        result = surveys.invite(session, crm.actor(session), linked.id, [crm.people["Ada Wang"]])
        assert len(result.sent) == 1


# -- staff pages keep them -----------------------------------------------------------------


def test_staff_record_pages_still_show_and_store_staff_only_fields(
    client: FlaskClient, auth: Auth, crm: Crm
) -> None:
    auth.login(crm.owner)
    base = f"/w/{crm.workspace.id}/forms/{crm.survey.id}/records"
    page = text(client.get(f"{base}/new"))
    for key in ("answered_on", "status", "staff_note", "flagged"):
        assert f'name="{key}"' in page, key
    saved = client.post(
        f"{base}/new",
        data={"score": "8", "status": "open", "staff_note": "Called back", "flagged": "on"},
    )
    assert saved.status_code == 302, text(saved)[:1000]
    (record,) = crm.responses()
    assert record.data["staff_note"] == "Called back" and record.data["flagged"] is True
    shown = text(client.get(f"{base}/{record.id}/"))
    assert "Staff note" in shown and "Called back" in shown


def test_the_share_page_offers_no_hidden_box_for_fields_respondents_never_see(
    client: FlaskClient, auth: Auth, crm: Crm
) -> None:
    auth.login(crm.owner)
    page = text(client.get(f"/w/{crm.workspace.id}/forms/{crm.survey.id}/share"))
    # A staff-only field and a link field are always hidden; an ordinary one may be.
    for key in ("staff_note", "customer"):
        assert f'data-testid="never-shown-{key}"' in page and f'id="hidden-{key}"' not in page
    assert 'id="hidden-comment"' in page and 'data-testid="never-shown-comment"' not in page


# -- the designer ------------------------------------------------------------------------


def test_the_designer_saves_and_publishes_the_staff_only_flag_and_removes_it(
    app: Flask, client: FlaskClient, auth: Auth, crm: Crm
) -> None:
    auth.login(crm.owner)
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        form = apps.create_form(session, actor, crm.customers.app_id, "Visits")
        form_id = form.id
    base = f"/w/{crm.workspace.id}/forms/{form_id}/design"

    def save(doc: dict[str, Any]) -> int:
        revision = client.get(f"{base}/state").get_json()["draft_revision"]
        response = client.put(f"{base}/draft", json={"document": doc, "draft_revision": revision})
        assert response.status_code == 200, response.get_json()
        return int(response.get_json()["draft_revision"])

    doc = copy.deepcopy(SURVEY)
    doc["title"] = "Visits"
    revision = save(doc)
    state = client.get(f"{base}/state").get_json()
    assert state["draft"]["properties"]["staff_note"]["x-internal"] is True
    published = client.post(f"{base}/publish", json={"draft_revision": revision})
    assert published.status_code == 200, published.get_json()
    state = client.get(f"{base}/state").get_json()
    assert state["published"]["properties"]["staff_note"]["x-internal"] is True

    # Unticked, the keyword is dropped (never stored as false) and a new version says so.
    del doc["properties"]["staff_note"]["x-internal"]
    revision = save(doc)
    assert client.post(f"{base}/publish", json={"draft_revision": revision}).status_code == 200
    state = client.get(f"{base}/state").get_json()
    assert "x-internal" not in state["published"]["properties"]["staff_note"]
    assert state["published"]["properties"]["status"]["x-internal"] is True


@pytest.mark.parametrize("value", ["yes", 1])
def test_the_designer_names_the_field_of_a_bad_staff_only_flag(
    client: FlaskClient, auth: Auth, crm: Crm, value: Any
) -> None:
    auth.login(crm.owner)
    base = f"/w/{crm.workspace.id}/forms/{crm.survey.id}/design"
    doc = copy.deepcopy(SURVEY)
    doc["properties"]["staff_note"]["x-internal"] = value
    response = client.post(f"{base}/check", json={"document": doc})
    assert response.status_code == 200
    problems = response.get_json()["problems"]
    assert [(p["path"], p["key"]) for p in problems] == [
        ("/properties/staff_note/x-internal", "staff_note")
    ]
    assert "x-internal" in problems[0]["message"]

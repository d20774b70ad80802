"""Personal survey invitations: sending (with opt-out and skips), answering once, expiry,
the one reminder, the send_survey action, and the closed loop — a detractor's answer
creates a follow-up for the customer's owner and flags the customer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from formwork import db
from formwork.automation.runner import execute_run
from formwork.db import utcnow
from formwork.models import (
    EmailMessage,
    Event,
    Record,
    Role,
    Run,
    Step,
    SurveyInvitation,
    SurveyOptOut,
    Task,
)
from formwork.services import records, surveys
from formwork.services.errors import Forbidden, Invalid
from formwork.services.scope import actor_for
from tests.conftest import Auth, Factory
from tests.integration.automation_fixtures import add_automation
from tests.integration.survey_fixtures import (
    CLOSED_LOOP,
    SurveyCrm,
    link_in,
    mails,
    make_survey_crm,
)

ANSWER = {"score": "3", "comment": "The delivery was late"}


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """E-mails carry absolute links: the app knows its address."""
    return make_app(BASE_URL="https://crm.example.com")


@pytest.fixture
def crm(app: Flask, factory: Factory) -> SurveyCrm:
    return make_survey_crm(app, factory)


def invite(app: Flask, crm: SurveyCrm, *names: str, **options: Any) -> surveys.InviteResult:
    with app.app_context():
        session = db.session()
        ids = [crm.people[name] for name in names]
        return surveys.invite(session, crm.actor(session), crm.survey.id, ids, **options)


def path_of(url: str) -> str:
    return url[url.index("/s/") :]


def survey_records(app: Flask, crm: SurveyCrm) -> list[Record]:
    with app.app_context():
        return list(
            db.session().scalars(
                select(Record).where(Record.form_id == crm.survey.id).order_by(Record.id)
            )
        )


def invitation(app: Flask, invitation_id: int) -> SurveyInvitation:
    with app.app_context():
        found = db.session().get(SurveyInvitation, invitation_id)
        assert found is not None
        return found


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


# -- sending -------------------------------------------------------------------------------


def test_invitations_are_e_mailed_in_both_languages_and_only_the_hash_is_kept(
    app: Flask, crm: SurveyCrm
) -> None:
    result = invite(app, crm, "Ada Wang", "Bo Li", remind_after_days=3)
    assert len(result.sent) == 2 and result.skipped == []
    with app.app_context():
        session = db.session()
        (ada,) = mails(session, "ada@example.com")
        stored = list(session.scalars(select(SurveyInvitation).order_by(SurveyInvitation.id)))
    token = path_of(result.sent[0][1]).removeprefix("/s/")
    assert stored[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {s.token_hash for s in stored}
    assert stored[0].record_id == crm.people["Ada Wang"] and stored[0].email == "ada@example.com"
    assert stored[1].email == "Bo.Li@example.com" and stored[0].source == "ui"
    assert "Satisfaction survey" in ada.subject and "满意度调查" in ada.subject
    assert "Tea House would like to hear from you" in ada.body and "您好" in ada.body
    assert link_in(ada) == path_of(result.sent[0][1])
    assert "/s/opt-out/" in ada.body


def test_a_customer_without_an_address_gets_a_link_to_copy_but_no_e_mail(
    app: Flask, crm: SurveyCrm
) -> None:
    result = invite(app, crm, "Chen Jie")
    ((created, url),) = result.sent
    assert created.email is None and url.startswith("https://crm.example.com/s/")
    ((record_id, reason, message),) = result.skipped
    assert (record_id, reason) == (crm.people["Chen Jie"], "no_email")
    assert "copy its link" in str(message)
    with app.app_context():
        assert mails(db.session()) == []


def test_customers_are_skipped_with_a_reason(app: Flask, crm: SurveyCrm, factory: Factory) -> None:
    invite(app, crm, "Ada Wang")
    elsewhere = make_survey_crm(app, factory, workspace_name="Other Co")
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        result = surveys.invite(
            session,
            actor,
            crm.survey.id,
            [crm.people["Ada Wang"], elsewhere.people["Bo Li"], 999_999, crm.people["Bo Li"]],
        )
    reasons = {record_id: reason for record_id, reason, _message in result.skipped}
    assert reasons == {
        crm.people["Ada Wang"]: "pending",
        elsewhere.people["Bo Li"]: "not_found",
        999_999: "not_found",
    }
    assert [inv.record_id for inv, _url in result.sent] == [crm.people["Bo Li"]]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"expires_days": 0}, "expires_days"),
        ({"expires_days": "14"}, "expires_days"),
        ({"expires_days": 7, "remind_after_days": 7}, "remind_after_days"),
        ({"source": "spam"}, "source"),
    ],
)
def test_bad_settings_name_the_field_and_change_nothing(
    app: Flask, crm: SurveyCrm, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as problem:
        invite(app, crm, "Ada Wang", **options)
    assert problem.value.field == field
    with app.app_context():
        assert db.session().scalars(select(SurveyInvitation)).first() is None


def test_a_survey_must_link_to_the_customers_and_viewers_cannot_invite(
    app: Flask, crm: SurveyCrm, factory: Factory
) -> None:
    viewer = factory.member(crm.workspace, Role.VIEWER)
    with app.app_context():
        session = db.session()
        with pytest.raises(Invalid) as no_link:
            surveys.invite(session, crm.actor(session), crm.customers.id, [crm.people["Bo Li"]])
        assert no_link.value.field == "form_id"
        with pytest.raises(Forbidden):
            surveys.invite(
                session,
                actor_for(session, session.merge(viewer), crm.workspace.id),
                crm.survey.id,
                [crm.people["Bo Li"]],
            )


# -- answering -------------------------------------------------------------------------------


def test_an_invitation_page_shows_the_survey_and_nothing_about_anyone(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    (_sent, url), *_ = invite(app, crm, "Ada Wang").sent
    page = text(client.get(path_of(url)))
    assert "How likely are you to recommend us to a friend?" in page
    assert 'name="score"' in page and 'value="10"' in page
    for secret in ("Ada Wang", "ada@example.com", "Tea House", "Olivia Owner", "/w/"):
        assert secret not in page
    assert 'name="customer"' not in page


def test_an_answer_attaches_to_the_customer_and_raises_survey_submitted(
    app: Flask, client: FlaskClient, crm: SurveyCrm, factory: Factory
) -> None:
    seller = factory.member(crm.workspace, Role.MEMBER, name="Sam Seller")
    with app.app_context():
        session = db.session()
        records.assign_owner(
            session, crm.actor(session), crm.customers, crm.people["Ada Wang"], seller.id
        )
    ((sent, url),) = invite(app, crm, "Ada Wang").sent
    response = client.post(path_of(url), data=ANSWER)
    assert response.status_code == 302
    assert "Thank you" in text(client.get(response.headers["Location"]))
    (answer,) = survey_records(app, crm)
    assert answer.data == {
        "customer": crm.people["Ada Wang"],
        "score": 3,
        "comment": "The delivery was late",
    }
    assert answer.owner_id == seller.id and answer.created_by_id is None
    used = invitation(app, sent.id)
    assert used.used_at is not None and used.response_id == answer.id
    with app.app_context():
        event = db.session().scalar(select(Event).where(Event.type == "survey_submitted"))
    assert event is not None and event.record_id == answer.id and event.source == "survey"
    assert event.payload["invitation_id"] == sent.id
    assert event.payload["customer_id"] == crm.people["Ada Wang"]
    assert event.payload["answers"]["score"] == 3 and event.payload["after"]["score"] == 3


def test_a_token_answers_once_and_reuse_is_refused_with_nothing_stored(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    ((_sent, url),) = invite(app, crm, "Ada Wang").sent
    assert client.post(path_of(url), data=ANSWER).status_code == 302
    again = client.post(path_of(url), data={"score": "10"})
    assert again.status_code == 410
    assert "This survey link has already been used." in text(again)
    assert client.get(path_of(url)).status_code == 410
    assert [r.data["score"] for r in survey_records(app, crm)] == [3]


def test_an_expired_token_is_refused_and_stays_unused(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    ((sent, url),) = invite(app, crm, "Ada Wang", expires_days=1).sent
    with app.app_context():
        session = db.session()
        session.execute(
            update(SurveyInvitation)
            .where(SurveyInvitation.id == sent.id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        session.commit()
    page = client.get(path_of(url))
    assert page.status_code == 410 and "This survey link has expired" in text(page)
    posted = client.post(path_of(url), data=ANSWER)
    assert posted.status_code == 410 and survey_records(app, crm) == []
    assert invitation(app, sent.id).used_at is None


@pytest.mark.parametrize("token", ["made-up-token", "a" * 43, "eyJpIjoxfQ.forged.sig", "x" * 500])
def test_unknown_or_forged_tokens_are_not_found(
    client: FlaskClient, crm: SurveyCrm, token: str
) -> None:
    response = client.post(f"/s/{token}", data=ANSWER)
    assert response.status_code == 404 and "This link does not lead to a form." in text(response)


def test_an_invalid_answer_keeps_the_token_usable(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    ((sent, url),) = invite(app, crm, "Ada Wang").sent
    refused = client.post(path_of(url), data={"score": "12"})
    assert refused.status_code == 422 and 'data-testid="error-score"' in text(refused)
    assert invitation(app, sent.id).used_at is None and survey_records(app, crm) == []
    assert client.post(path_of(url), data=ANSWER).status_code == 302


def test_a_filled_honeypot_stores_nothing_and_uses_nothing(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    ((sent, url),) = invite(app, crm, "Ada Wang").sent
    response = client.post(path_of(url), data={**ANSWER, "_website": "spam"})
    assert response.status_code == 302
    assert survey_records(app, crm) == [] and invitation(app, sent.id).used_at is None


def test_a_stranger_with_the_link_sees_no_workspace_data(
    app: Flask, client: FlaskClient, crm: SurveyCrm, factory: Factory, auth: Auth
) -> None:
    ((_sent, url),) = invite(app, crm, "Ada Wang").sent
    client.post(path_of(url), data=ANSWER)
    (answer,) = survey_records(app, crm)
    stranger = factory.user(name="Stranger")
    factory.workspace(stranger, name="Elsewhere")
    auth.login(stranger)
    thanks = text(client.get(f"{path_of(url)}/thanks"))
    assert "Tea House" not in thanks and "late" not in thanks
    record_page = f"/w/{crm.workspace.id}/forms/{crm.survey.id}/records/{answer.id}/"
    assert client.get(record_page).status_code == 404


# -- opting out ------------------------------------------------------------------------------


def test_opting_out_is_confirmed_then_honoured(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    invite(app, crm, "Bo Li")
    with app.app_context():
        (message,) = mails(db.session())
    start = message.body.index("/s/opt-out/")
    opt_out = message.body[start:].split()[0]
    page = text(client.get(opt_out))
    assert "b***@example.com" in page and 'data-testid="confirm-opt-out"' in page
    with app.app_context():
        assert db.session().scalars(select(SurveyOptOut)).first() is None  # GET changes nothing
    done = client.post(opt_out)
    assert done.status_code == 200 and 'data-testid="opt-out-done"' in text(done)
    assert client.post(opt_out).status_code == 200  # twice is harmless
    with app.app_context():
        session = db.session()
        (stored,) = session.scalars(select(SurveyOptOut))
        assert stored.email == "bo.li@example.com"
        # The open invitation runs out; a new one is not sent.
        session.execute(update(SurveyInvitation).values(expires_at=utcnow()))
        session.commit()
    result = invite(app, crm, "Bo Li")
    ((_record_id, reason, message_text),) = result.skipped
    assert result.sent == [] and reason == "opted_out"
    assert "asked not to receive survey invitations" in str(message_text)
    with app.app_context():
        assert len(mails(db.session())) == 1


def test_an_altered_opt_out_link_changes_nothing(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    invite(app, crm, "Bo Li")
    with app.app_context():
        (message,) = mails(db.session())
    start = message.body.index("/s/opt-out/")
    opt_out = message.body[start:].split()[0]
    altered = opt_out[:-3] + ("xyz" if not opt_out.endswith("xyz") else "abc")
    assert client.post(altered).status_code == 404
    with app.app_context():
        assert db.session().scalars(select(SurveyOptOut)).first() is None


# -- the one reminder ------------------------------------------------------------------------


def test_one_reminder_goes_to_non_responders_only(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    past = utcnow() - timedelta(days=4)
    result = invite(app, crm, "Ada Wang", "Bo Li", remind_after_days=3, now=past)
    fresh = invite(app, crm, "Chen Jie", remind_after_days=3)  # no address, and too early
    client.post(path_of(result.sent[0][1]), data=ANSWER)  # Ada answered
    with app.app_context():
        session = db.session()
        assert surveys.send_due_reminders(session, utcnow()) == 1
        assert surveys.send_due_reminders(session, utcnow()) == 0
        reminder = mails(session, "Bo.Li@example.com")[-1]
    assert reminder.subject.startswith("Reminder:") and "提醒" in reminder.subject
    assert "This is the only reminder." in reminder.body
    bo = invitation(app, result.sent[1][0].id)
    assert bo.reminded_at is not None
    assert invitation(app, result.sent[0][0].id).reminded_at is None
    assert invitation(app, fresh.sent[0][0].id).reminded_at is None
    # The reminder's own link answers the same invitation, once.
    link = link_in(reminder)
    assert link != path_of(result.sent[1][1])
    assert client.post(link, data={"score": "8"}).status_code == 302
    assert client.post(path_of(result.sent[1][1]), data={"score": "8"}).status_code == 410
    assert invitation(app, bo.id).used_at is not None


def test_no_reminder_after_opting_out(app: Flask, client: FlaskClient, crm: SurveyCrm) -> None:
    invite(app, crm, "Bo Li", remind_after_days=1, now=utcnow() - timedelta(days=2))
    with app.app_context():
        session = db.session()
        session.add(SurveyOptOut(workspace_id=crm.workspace.id, email="bo.li@example.com"))
        session.commit()
        assert surveys.send_due_reminders(session, utcnow()) == 0


def test_invitation_stats_count_in_one_query(
    app: Flask, client: FlaskClient, crm: SurveyCrm
) -> None:
    result = invite(app, crm, "Ada Wang", "Bo Li", "Chen Jie")
    client.post(path_of(result.sent[0][1]), data=ANSWER)
    with app.app_context():
        session = db.session()
        session.execute(
            update(SurveyInvitation)
            .where(SurveyInvitation.id == result.sent[2][0].id)
            .values(expires_at=utcnow() - timedelta(days=1))
        )
        session.add(SurveyOptOut(workspace_id=crm.workspace.id, email="bo.li@example.com"))
        session.commit()
        stats = surveys.invitation_stats(session, crm.workspace.id, crm.survey.id)
        empty = surveys.invitation_stats(
            session, crm.workspace.id, crm.survey.id, start=utcnow() + timedelta(days=1)
        )
    assert stats == {
        "sent": 3,
        "answered": 1,
        "opted_out": 1,
        "expired": 1,
        "pending": 0,
        "reminded": 0,
        "response_rate": pytest.approx(1 / 3),
    }
    assert empty["sent"] == 0 and empty["response_rate"] is None


# -- automations -----------------------------------------------------------------------------


def test_a_detractor_answer_closes_the_loop_for_the_customers_owner(
    app: Flask, client: FlaskClient, crm: SurveyCrm, factory: Factory
) -> None:
    seller = factory.member(crm.workspace, Role.MEMBER, name="Sam Seller")
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        for name in ("Ada Wang", "Bo Li"):
            records.assign_owner(session, actor, crm.customers, crm.people[name], seller.id)
        add_automation(session, actor, CLOSED_LOOP, name="Detractor follow-up")
    sent = invite(app, crm, "Ada Wang", "Bo Li").sent
    client.post(path_of(sent[0][1]), data=ANSWER)  # Ada: 3, a detractor
    client.post(path_of(sent[1][1]), data={"score": "9"})  # Bo: a promoter
    with app.app_context():
        session = db.session()
        (task,) = session.scalars(select(Task))
        ada = session.get(Record, crm.people["Ada Wang"])
        bo = session.get(Record, crm.people["Bo Li"])
        (run,) = session.scalars(select(Run))
    assert run.status == "succeeded"
    assert task.assignee_id == seller.id and task.record_id == crm.people["Ada Wang"]
    assert task.title == "Detractor (NPS 3): The delivery was late"
    assert ada is not None and ada.data["needs_attention"] is True
    assert bo is not None and bo.data["needs_attention"] is False


def send_survey_automation(app: Flask, crm: SurveyCrm) -> None:
    with app.app_context():
        session = db.session()
        add_automation(
            session,
            crm.actor(session),
            {
                "version": 1,
                "trigger": {"type": "record_created", "form": "customers"},
                "actions": [
                    {
                        "id": "survey",
                        "type": "send_survey",
                        "form": "nps",
                        "expires_days": 7,
                        "remind_after_days": 2,
                    }
                ],
            },
        )


def test_the_send_survey_action_invites_the_new_customer(app: Flask, crm: SurveyCrm) -> None:
    send_survey_automation(app, crm)
    with app.app_context():
        session = db.session()
        dan = records.create_record(
            session, crm.actor(session), crm.customers, {"name": "Dan", "email": "dan@x.com"}
        )
        (message,) = mails(session, "dan@x.com")
        (made,) = session.scalars(select(SurveyInvitation))
        (run,) = session.scalars(select(Run))
        (step,) = session.scalars(select(Step))
    assert made.record_id == dan.id and made.source == "automation" and made.run_id == run.id
    assert made.remind_after_days == 2
    assert (made.expires_at - made.created_at) == timedelta(days=7)
    assert made.idempotency_key is not None and str(run.id) in made.idempotency_key
    assert step.output["invitation_id"] == made.id and step.output["emailed"] is True
    assert link_in(message).startswith("/s/")


def test_a_retried_send_survey_step_never_sends_twice(app: Flask, crm: SurveyCrm) -> None:
    send_survey_automation(app, crm)
    with app.app_context():
        session = db.session()
        records.create_record(
            session, crm.actor(session), crm.customers, {"name": "Dan", "email": "dan@x.com"}
        )
        (run,) = session.scalars(select(Run))
        # As if the step's outcome were lost: the run goes back to its first step.
        session.execute(update(Run).values(status="retrying", next_step=0, not_before=None))
        session.execute(update(Step).values(status="failed"))
        session.commit()
    assert execute_run(app, run.id, worker="test") == "succeeded"
    with app.app_context():
        session = db.session()
        assert len(list(session.scalars(select(SurveyInvitation)))) == 1
        assert len(mails(session, "dan@x.com")) == 1
        step = session.scalars(select(Step)).one()
    assert step.output["skipped"] == ["already_sent"] and step.output["invitation_id"] is None


def test_the_same_idempotency_key_makes_one_invitation(app: Flask, crm: SurveyCrm) -> None:
    first = invite(app, crm, "Ada Wang", idempotency_key="run-1-step-0", source="automation")
    second = invite(app, crm, "Ada Wang", idempotency_key="run-1-step-0", source="automation")
    assert len(first.sent) == 1 and second.sent == []
    assert [reason for _id, reason, _m in second.skipped] == ["already_sent"]
    with app.app_context():
        assert len(list(db.session().scalars(select(EmailMessage)))) == 1

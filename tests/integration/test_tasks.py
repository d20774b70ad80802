"""Follow-up tasks: service rules and the My tasks pages, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from formwork import db
from formwork.db import utcnow
from formwork.models import EmailMessage, Form, Notification, Record, Role, Task, User, Workspace
from formwork.services import records, tasks
from formwork.services.errors import Forbidden, Invalid, NotFound
from formwork.services.scope import Actor, actor_for
from formwork.web.tasks import record_panel, snooze_until
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, published_forms

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Crm:
    workspace_id: int
    owner: User
    member: User
    other: User
    viewer: User
    form_id: int
    record_id: int


@pytest.fixture
def crm(app: Flask, factory: Factory) -> Crm:
    owner = factory.user(name="Olivia Owner")
    workspace = factory.workspace(owner, name="Acme")
    member = factory.member(workspace, Role.MEMBER, name="Mia Member")
    other = factory.member(workspace, Role.MEMBER, name="Otto Other")
    viewer = factory.member(workspace, Role.VIEWER, name="Vera Viewer")
    with app.app_context():
        session = db.session()
        session.get_one(Workspace, workspace.id).timezone = "Asia/Shanghai"
        session.commit()
        actor = actor_for(session, session.merge(owner), workspace.id)
        forms = published_forms(session, actor, {"customers": CUSTOMERS, "orders": ORDERS})
        record = records.create_record(
            session,
            actor,
            forms["customers"],
            {"name": "Zhang San", "level": "vip", "vip_note": "Key"},
        )
        return Crm(workspace.id, owner, member, other, viewer, forms["customers"].id, record.id)


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session()


def as_(session: Session, user: User, workspace_id: int) -> Actor:
    return actor_for(session, session.merge(user), workspace_id)


def record_of(session: Session, crm: Crm) -> Record:
    return session.get_one(Record, crm.record_id)


def notifications_of(session: Session, user: User, kind: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[misc]


# -- service -------------------------------------------------------------------------------


def test_creating_a_task_notifies_the_assignee_but_not_oneself(session: Session, crm: Crm) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    task = tasks.create_task(
        session, owner, title="  Call   about renewal ", assignee_id=crm.member.id,
        record=record_of(session, crm), due_at=shanghai(2026, 12, 1, 9),
    )  # fmt: skip
    assert task.title == "Call about renewal"
    assert (task.record_id, task.form_id) == (crm.record_id, crm.form_id)
    assert task.created_by_id == crm.owner.id and task.status == "open"
    [note] = notifications_of(session, crm.member, "task_assigned")
    assert note.title == "Call about renewal" and note.link == f"/w/{crm.workspace_id}/tasks"
    member = as_(session, crm.member, crm.workspace_id)
    tasks.create_task(session, member, title="Note to self", assignee_id=crm.member.id)
    assert len(notifications_of(session, crm.member)) == 1


@pytest.mark.parametrize(
    ("title", "field"),
    [("", "title"), ("   ", "title"), ("x" * 301, "title")],
)
def test_title_is_required_and_bounded(session: Session, crm: Crm, title: str, field: str) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    with pytest.raises(Invalid) as caught:
        tasks.create_task(session, owner, title=title, assignee_id=crm.owner.id)
    assert caught.value.field == field
    assert session.scalar(select(func.count()).select_from(Task)) == 0


def test_assignee_must_be_an_editing_member_of_the_workspace(
    session: Session, crm: Crm, factory: Factory
) -> None:
    stranger = factory.user(name="Stranger")
    factory.workspace(stranger, name="Elsewhere")
    owner = as_(session, crm.owner, crm.workspace_id)
    for assignee in (stranger.id, crm.viewer.id, 999_999):
        with pytest.raises(Invalid) as caught:
            tasks.create_task(session, owner, title="Call", assignee_id=assignee)
        assert caught.value.field == "assignee_id"
        assert "Assignee" in str(caught.value.message)
    assert session.scalar(select(func.count()).select_from(Task)) == 0


def test_a_record_of_another_workspace_cannot_be_linked(
    session: Session, crm: Crm, factory: Factory
) -> None:
    stranger = factory.user(name="Stranger")
    theirs = factory.workspace(stranger, name="Elsewhere")
    actor = as_(session, stranger, theirs.id)
    with pytest.raises(NotFound):
        tasks.create_task(
            session, actor, title="Peek", assignee_id=stranger.id, record=record_of(session, crm)
        )


def test_viewers_cannot_create_or_change_tasks(session: Session, crm: Crm) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    task = tasks.create_task(session, owner, title="Call", assignee_id=crm.member.id)
    viewer = as_(session, crm.viewer, crm.workspace_id)
    with pytest.raises(Forbidden):
        tasks.create_task(session, viewer, title="Call", assignee_id=crm.member.id)
    for change in (
        lambda: tasks.complete_task(session, viewer, task.id),
        lambda: tasks.reopen_task(session, viewer, task.id),
        lambda: tasks.snooze_task(session, viewer, task.id, utcnow() + timedelta(days=1)),
        lambda: tasks.reassign_task(session, viewer, task.id, crm.other.id),
    ):
        with pytest.raises(Forbidden):
            change()
    session.refresh(task)
    assert task.status == "open" and task.assignee_id == crm.member.id


def test_only_assignee_creator_or_admin_may_complete(session: Session, crm: Crm) -> None:
    member = as_(session, crm.member, crm.workspace_id)
    task = tasks.create_task(session, member, title="Call", assignee_id=crm.member.id)
    other = as_(session, crm.other, crm.workspace_id)
    with pytest.raises(Forbidden):
        tasks.complete_task(session, other, task.id)
    owner = as_(session, crm.owner, crm.workspace_id)
    done, following = tasks.complete_task(session, owner, task.id)
    assert done.status == "done" and done.completed_by_id == crm.owner.id and following is None
    tasks.reopen_task(session, member, task.id)
    session.refresh(task)
    assert task.status == "open" and task.completed_at is None


def test_an_idempotency_key_makes_one_task(session: Session, crm: Crm) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    first = tasks.create_task(
        session, owner, title="From automation", assignee_id=crm.member.id,
        idempotency_key="run-7-step-1",
    )  # fmt: skip
    second = tasks.create_task(
        session, owner, title="From automation (retry)", assignee_id=crm.member.id,
        idempotency_key="run-7-step-1",
    )  # fmt: skip
    assert second.id == first.id and second.title == "From automation"
    assert session.scalar(select(func.count()).select_from(Task)) == 1
    assert len(notifications_of(session, crm.member)) == 1


def test_completing_a_recurring_task_schedules_the_next_one_once(
    session: Session, crm: Crm
) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    due = shanghai(2026, 3, 2, 9)
    task = tasks.create_task(
        session, owner, title="Weekly call", assignee_id=crm.member.id,
        record=record_of(session, crm), due_at=due, remind_at=due - timedelta(hours=1),
        repeat_every_days=7,
    )  # fmt: skip
    now = shanghai(2026, 3, 2, 10)
    done, following = tasks.complete_task(session, owner, task.id, now=now)
    assert done.status == "done" and following is not None
    assert following.due_at == shanghai(2026, 3, 9, 9)
    assert following.remind_at == shanghai(2026, 3, 9, 8)
    assert following.repeat_every_days == 7 and following.record_id == crm.record_id
    assert following.assignee_id == crm.member.id and following.status == "open"
    # Completing again, or reopening and completing, never makes a second next occurrence.
    assert tasks.complete_task(session, owner, task.id, now=now)[1] is None
    tasks.reopen_task(session, owner, task.id)
    tasks.complete_task(session, owner, task.id, now=now)
    assert session.scalar(select(func.count()).select_from(Task)) == 2


def test_a_late_completion_schedules_the_next_occurrence_in_the_future(
    session: Session, crm: Crm
) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    task = tasks.create_task(
        session, owner, title="Weekly", assignee_id=crm.owner.id,
        due_at=shanghai(2026, 3, 2, 9), repeat_every_days=7,
    )  # fmt: skip
    _done, following = tasks.complete_task(session, owner, task.id, now=shanghai(2026, 3, 20, 12))
    assert following is not None and following.due_at == shanghai(2026, 3, 23, 9)


def test_repeat_while_stops_the_series_when_the_record_no_longer_matches(
    session: Session, crm: Crm
) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    task = tasks.create_task(
        session, owner, title="VIP care call", assignee_id=crm.member.id,
        record=record_of(session, crm), due_at=shanghai(2026, 3, 2, 9), repeat_every_days=30,
        repeat_while={"==": [{"var": "level"}, "vip"]},
    )  # fmt: skip
    _done, following = tasks.complete_task(session, owner, task.id, now=shanghai(2026, 3, 2, 10))
    assert following is not None
    form = session.get_one(Form, crm.form_id)
    record = record_of(session, crm)
    records.update_record(
        session, owner, form, crm.record_id, {"name": "Zhang San", "level": "normal"},
        expected_version=record.version,
    )  # fmt: skip
    assert (
        tasks.complete_task(session, owner, following.id, now=shanghai(2026, 4, 1, 10))[1] is None
    )


def test_a_deleted_record_stops_the_series(session: Session, crm: Crm) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    task = tasks.create_task(
        session, owner, title="Call", assignee_id=crm.member.id,
        record=record_of(session, crm), due_at=shanghai(2026, 3, 2, 9), repeat_every_days=1,
    )  # fmt: skip
    records.delete_record(session, owner, session.get_one(Form, crm.form_id), crm.record_id)
    assert tasks.complete_task(session, owner, task.id, now=shanghai(2026, 3, 2, 10))[1] is None


def test_a_bad_repeat_condition_is_refused(session: Session, crm: Crm) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    with pytest.raises(Invalid) as caught:
        tasks.create_task(
            session, owner, title="Call", assignee_id=crm.owner.id,
            record=record_of(session, crm), repeat_every_days=7,
            repeat_while={"==": [{"var": "levle"}, "vip"]},
        )  # fmt: skip
    assert caught.value.field == "repeat_while"
    with pytest.raises(Invalid) as caught:
        tasks.create_task(
            session, owner, title="Call", assignee_id=crm.owner.id, repeat_every_days=0
        )
    assert caught.value.field == "repeat_every_days"


def test_snooze_moves_due_and_reminder_and_rearms_notices(session: Session, crm: Crm) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    now = utcnow()
    task = tasks.create_task(
        session, owner, title="Call", assignee_id=crm.member.id,
        due_at=now - timedelta(hours=1), remind_at=now - timedelta(hours=2),
    )  # fmt: skip
    tasks.send_due_reminders(session, now)
    session.refresh(task)
    assert task.reminded_at is not None and task.overdue_notified_at is not None
    until = now + timedelta(days=1)
    tasks.snooze_task(session, owner, task.id, until, now=now)
    session.refresh(task)
    assert task.due_at == until and task.remind_at == until - timedelta(hours=1)
    assert task.reminded_at is None and task.overdue_notified_at is None
    with pytest.raises(Invalid) as caught:
        tasks.snooze_task(session, owner, task.id, now - timedelta(minutes=1), now=now)
    assert caught.value.field == "until"


def test_snooze_choices_follow_the_workspace_clock(session: Session, crm: Crm) -> None:
    workspace = session.get_one(Workspace, crm.workspace_id)
    now = shanghai(2026, 3, 11, 23, 30)  # a Wednesday, late evening in Shanghai
    assert snooze_until("1h", now, workspace) == now + timedelta(hours=1)
    assert snooze_until("tomorrow", now, workspace) == shanghai(2026, 3, 12, 9)
    assert snooze_until("next_week", now, workspace) == shanghai(2026, 3, 16, 9)
    with pytest.raises(Invalid):
        snooze_until("someday", now, workspace)


def test_reassign_by_admin_or_current_assignee_notifies_the_new_one(
    session: Session, crm: Crm
) -> None:
    other = as_(session, crm.other, crm.workspace_id)
    task = tasks.create_task(session, other, title="Call", assignee_id=crm.member.id)
    with pytest.raises(Forbidden):  # the creator is not the assignee nor an admin
        tasks.reassign_task(session, other, task.id, crm.other.id)
    member = as_(session, crm.member, crm.workspace_id)
    tasks.reassign_task(session, member, task.id, crm.owner.id)
    assert [n.kind for n in notifications_of(session, crm.owner)] == ["task_assigned"]
    owner = as_(session, crm.owner, crm.workspace_id)
    with pytest.raises(Invalid):
        tasks.reassign_task(session, owner, task.id, crm.viewer.id)
    tasks.reassign_task(session, owner, task.id, crm.other.id)
    session.refresh(task)
    assert task.assignee_id == crm.other.id
    assert len(notifications_of(session, crm.other, "task_assigned")) == 1


def test_tasks_of_another_workspace_are_not_found(
    session: Session, crm: Crm, factory: Factory
) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    task = tasks.create_task(session, owner, title="Secret", assignee_id=crm.member.id)
    stranger = factory.user(name="Stranger")
    theirs = factory.workspace(stranger, name="Elsewhere")
    actor = as_(session, stranger, theirs.id)
    for call in (
        lambda: tasks.get_task(session, actor, task.id),
        lambda: tasks.complete_task(session, actor, task.id),
        lambda: tasks.reassign_task(session, actor, task.id, stranger.id),
        lambda: tasks.snooze_task(session, actor, task.id, utcnow() + timedelta(hours=1)),
    ):
        with pytest.raises(NotFound):
            call()
    assert tasks.tasks_for_record(session, actor, crm.record_id) == []
    assert not any(tasks.my_tasks(session, actor, now=utcnow()).__dict__.values())


# -- My tasks buckets ----------------------------------------------------------------------


def _titles(items: list[tasks.TaskItem]) -> list[str]:
    return [item.task.title for item in items]


def test_my_tasks_buckets_follow_midnight_in_shanghai(session: Session, crm: Crm) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    member = as_(session, crm.member, crm.workspace_id)

    def add(title: str, due: datetime | None) -> Task:
        return tasks.create_task(session, owner, title=title, assignee_id=crm.member.id, due_at=due)

    add("past", shanghai(2026, 3, 10, 22))
    add("late tonight", shanghai(2026, 3, 10, 23, 45))
    add("at midnight", shanghai(2026, 3, 11, 0, 0))
    add("tomorrow evening", shanghai(2026, 3, 11, 18))
    add("undated", None)
    finished = add("finished", shanghai(2026, 3, 1, 9))
    tasks.complete_task(session, owner, finished.id)
    tasks.create_task(session, owner, title="someone else's", assignee_id=crm.other.id)

    # 23:30 on 10 March in Shanghai (15:30 UTC).
    evening = tasks.my_tasks(session, member, now=shanghai(2026, 3, 10, 23, 30))
    assert _titles(evening.overdue) == ["past"]
    assert _titles(evening.today) == ["late tonight"]
    assert _titles(evening.upcoming) == ["at midnight", "tomorrow evening"]
    assert _titles(evening.no_date) == ["undated"]
    assert _titles(evening.done) == ["finished"]

    # 00:30 on 11 March in Shanghai — still 10 March in UTC, but "today" is the 11th.
    after_midnight = tasks.my_tasks(session, member, now=shanghai(2026, 3, 11, 0, 30))
    assert _titles(after_midnight.overdue) == ["past", "late tonight", "at midnight"]
    assert _titles(after_midnight.today) == ["tomorrow evening"]
    assert _titles(after_midnight.upcoming) == []


def test_only_admins_see_other_members_tasks(session: Session, crm: Crm) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    tasks.create_task(session, owner, title="For Mia", assignee_id=crm.member.id)
    tasks.create_task(session, owner, title="For Otto", assignee_id=crm.other.id)
    now = utcnow()
    assert _titles(tasks.my_tasks(session, owner, now=now, everyone=True).no_date) == [
        "For Otto",
        "For Mia",
    ]
    mia = tasks.my_tasks(session, owner, now=now, assignee_id=crm.member.id)
    assert _titles(mia.no_date) == ["For Mia"]
    member = as_(session, crm.member, crm.workspace_id)
    with pytest.raises(Forbidden):
        tasks.my_tasks(session, member, now=now, everyone=True)
    with pytest.raises(Forbidden):
        tasks.my_tasks(session, member, now=now, assignee_id=crm.other.id)


# -- reminders -----------------------------------------------------------------------------


def test_reminders_and_overdue_notices_are_sent_once(session: Session, crm: Crm) -> None:
    owner = as_(session, crm.owner, crm.workspace_id)
    now = utcnow()
    tasks.create_task(
        session, owner, title="Remind me", assignee_id=crm.member.id,
        due_at=now + timedelta(hours=1), remind_at=now - timedelta(minutes=1),
    )  # fmt: skip
    late = tasks.create_task(
        session, owner, title="Late one", assignee_id=crm.member.id,
        due_at=now - timedelta(minutes=5),
    )  # fmt: skip
    tasks.create_task(
        session, owner, title="Not yet", assignee_id=crm.member.id,
        due_at=now + timedelta(days=1), remind_at=now + timedelta(hours=2),
    )  # fmt: skip
    finished = tasks.create_task(
        session, owner, title="Finished", assignee_id=crm.member.id,
        due_at=now - timedelta(days=1),
    )  # fmt: skip
    tasks.complete_task(session, owner, finished.id)

    assert tasks.send_due_reminders(session, now) == 2
    assert tasks.send_due_reminders(session, now) == 0
    assert tasks.send_due_reminders(session, now + timedelta(seconds=30)) == 0
    due = notifications_of(session, crm.member, "task_due")
    overdue = notifications_of(session, crm.member, "task_overdue")
    assert [n.title for n in due] == ["Remind me"]
    assert [n.title for n in overdue] == ["Late one"]
    [email] = session.scalars(select(EmailMessage)).all()
    assert email.to_address == crm.member.email
    assert email.idempotency_key == f"task-overdue-{late.id}"
    assert "Late one" in email.subject and "Asia/Shanghai" in email.body
    assert email.status == "queued"
    # Two hours later the third reminder comes due, once.
    assert tasks.send_due_reminders(session, now + timedelta(hours=2, minutes=1)) == 2
    assert [n.title for n in notifications_of(session, crm.member, "task_due")] == [
        "Remind me",
        "Not yet",
    ]


def test_overdue_email_is_written_in_the_assignees_language(session: Session, crm: Crm) -> None:
    member = session.merge(crm.member)
    member.locale = "zh_CN"
    session.commit()
    owner = as_(session, crm.owner, crm.workspace_id)
    tasks.create_task(
        session, owner, title="回访张三", assignee_id=crm.member.id,
        due_at=utcnow() - timedelta(minutes=1),
    )  # fmt: skip
    tasks.send_due_reminders(session, utcnow())
    email = session.scalars(select(EmailMessage)).one()
    assert "回访张三" in email.subject and "Asia/Shanghai" in email.body


# -- pages ---------------------------------------------------------------------------------


def test_my_tasks_page_creates_and_lists_tasks_in_the_workspace_zone(
    app: Flask, client: FlaskClient, auth: Auth, crm: Crm
) -> None:
    auth.login(crm.member)
    page = client.get(f"/w/{crm.workspace_id}/tasks")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Asia/Shanghai" in body and 'data-testid="bucket-overdue"' in body
    assert f'href="/w/{crm.workspace_id}/tasks" data-testid="nav-tasks"' in body
    response = client.post(
        f"/w/{crm.workspace_id}/tasks",
        data={
            "title": "<script>alert(1)</script> call",
            "due_date": "2099-05-04",
            "due_time": "09:30",
            "remind": "60",
            "assignee_id": str(crm.member.id),
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/w/{crm.workspace_id}/tasks"
    with app.app_context():
        task = db.session().scalars(select(Task)).one()
        assert task.due_at == shanghai(2099, 5, 4, 9, 30)
        assert task.remind_at == shanghai(2099, 5, 4, 8, 30)
    body = client.get(f"/w/{crm.workspace_id}/tasks").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; call" in body
    assert "<script>alert(1)" not in body
    assert "Mon, May 4, 2099 9:30" in body


def test_my_tasks_page_shows_field_errors(client: FlaskClient, auth: Auth, crm: Crm) -> None:
    auth.login(crm.member)
    response = client.post(
        f"/w/{crm.workspace_id}/tasks",
        data={"title": "Call", "assignee_id": str(crm.viewer.id)},
    )
    assert response.status_code == 422
    assert "Assignee: choose a member" in response.get_data(as_text=True)


def test_a_follow_up_added_on_a_record_links_it_and_goes_back(
    app: Flask, client: FlaskClient, auth: Auth, crm: Crm
) -> None:
    auth.login(crm.member)
    record_url = f"/w/{crm.workspace_id}/forms/{crm.form_id}/records/{crm.record_id}/"
    response = client.post(
        f"/w/{crm.workspace_id}/tasks",
        data={
            "title": "Send the quote",
            "due_date": "2099-01-02",
            "assignee_id": str(crm.owner.id),
            "record_id": str(crm.record_id),
            "form_id": str(crm.form_id),
            "next": record_url,
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == record_url
    with app.app_context():
        session = db.session()
        task = session.scalars(select(Task)).one()
        assert (task.record_id, task.form_id) == (crm.record_id, crm.form_id)
        assert task.due_at == shanghai(2099, 1, 2, 18)
        assert notifications_of(session, crm.owner, "task_assigned")
    page = client.get(f"/w/{crm.workspace_id}/tasks?who=all")
    assert page.status_code == 403  # members see their own tasks only
    owner_client = app.test_client()
    Auth(owner_client).login(crm.owner)
    body = owner_client.get(f"/w/{crm.workspace_id}/tasks").get_data(as_text=True)
    assert "Send the quote" in body and f"{record_url}" in body and "Customers · #" in body


def test_the_record_partial_lists_tasks_and_offers_the_form(app: Flask, crm: Crm) -> None:
    with app.test_request_context(f"/w/{crm.workspace_id}/forms/{crm.form_id}/records/1/"):
        session = db.session()
        owner = as_(session, crm.owner, crm.workspace_id)
        record = record_of(session, crm)
        tasks.create_task(
            session, owner, title="Visit <b>store</b>", assignee_id=crm.member.id,
            record=record, due_at=shanghai(2099, 1, 2, 10),
        )  # fmt: skip
        html = render_template(
            "tasks/_record_tasks.html",
            actor=owner,
            record=record,
            form=session.get_one(Form, crm.form_id),
            **record_panel(session, owner, record),
        )
    assert "Visit &lt;b&gt;store&lt;/b&gt;" in html
    assert 'name="csrf_token"' in html and 'name="record_id"' in f"{html}"
    assert f'value="{crm.record_id}"' in html and "Mia Member" in html
    assert "Asia/Shanghai" in html and "10:00" in html
    assert "Vera Viewer" not in html  # viewers cannot hold tasks


def test_task_actions_through_the_pages(
    app: Flask, client: FlaskClient, auth: Auth, crm: Crm
) -> None:
    with app.app_context():
        session = db.session()
        owner = as_(session, crm.owner, crm.workspace_id)
        task_id = tasks.create_task(
            session, owner, title="Call", assignee_id=crm.member.id,
            due_at=utcnow() + timedelta(hours=2), repeat_every_days=7,
        ).id  # fmt: skip
    auth.login(crm.member)
    base = f"/w/{crm.workspace_id}/tasks/{task_id}"
    assert client.post(f"{base}/snooze", data={"until": "tomorrow"}).status_code == 302
    assert client.post(f"{base}/snooze", data={"until": "forever"}).status_code == 422
    assert client.post(f"{base}/reassign", data={"assignee_id": "abc"}).status_code == 422
    response = client.post(f"{base}/complete", data={"next": "//evil.example/x"})
    assert response.headers["Location"] == f"/w/{crm.workspace_id}/tasks"
    with app.app_context():
        session = db.session()
        task = session.get_one(Task, task_id)
        assert task.status == "done"
        assert task.due_at is not None and task.due_at.astimezone(SHANGHAI).hour == 9
        assert session.scalar(select(func.count()).select_from(Task)) == 2
    assert client.post(f"{base}/reopen").status_code == 302
    response = client.post(f"{base}/reassign", data={"assignee_id": str(crm.other.id)})
    assert response.status_code == 302
    with app.app_context():
        task = db.session().get_one(Task, task_id)
        assert task.status == "open" and task.assignee_id == crm.other.id
    # No longer the assignee nor the creator: Mia cannot change it any more.
    assert client.post(f"{base}/complete").status_code == 403


def test_a_member_of_another_workspace_gets_404_for_every_task_action(
    app: Flask, client: FlaskClient, auth: Auth, crm: Crm, factory: Factory
) -> None:
    with app.app_context():
        session = db.session()
        owner = as_(session, crm.owner, crm.workspace_id)
        task_id = tasks.create_task(
            session, owner, title="Secret plan", assignee_id=crm.member.id
        ).id
    stranger = factory.user(name="Stranger")
    theirs = factory.workspace(stranger, name="Elsewhere")
    auth.login(stranger)
    for action, data in [
        ("complete", {}),
        ("reopen", {}),
        ("snooze", {"until": "1h"}),
        ("reassign", {"assignee_id": str(stranger.id)}),
    ]:
        # Through the victim's workspace URL and through their own.
        for workspace_id in (crm.workspace_id, theirs.id):
            response = client.post(f"/w/{workspace_id}/tasks/{task_id}/{action}", data=data)
            assert response.status_code == 404, (action, workspace_id)
    assert client.get(f"/w/{crm.workspace_id}/tasks").status_code == 404
    assert "Secret plan" not in client.get(f"/w/{theirs.id}/tasks?who=all").get_data(as_text=True)
    with app.app_context():
        task = db.session().get_one(Task, task_id)
        assert task.status == "open" and task.assignee_id == crm.member.id

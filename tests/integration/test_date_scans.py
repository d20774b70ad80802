"""Date-relative scans: which records are due, once per record and date, in the workspace's
day, at its ``at`` time, catching up on missed days (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from formwork import db
from formwork.automation.date_scans import (
    DateTriggerError,
    due_days,
    scan_automation,
    scan_due,
)
from formwork.models import Automation, Event, Record, Workspace
from formwork.services import workspaces
from tests.conftest import Factory
from tests.integration.forms_fixtures import SCHEMA, actor, published_forms

TODAY = date(2026, 11, 15)
DELIVERIES: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Deliveries",
    "x-order": ["name", "delivered_on", "delivered_at"],
    "properties": {
        "name": {"type": "string", "title": "Name", "maxLength": 100, "x-field": "text"},
        "delivered_on": {
            "type": "string",
            "format": "date",
            "title": "Delivered on",
            "x-field": "date",
        },
        "delivered_at": {
            "type": "string",
            "format": "date-time",
            "title": "Delivered at",
            "x-field": "datetime",
        },
    },
    "required": ["name"],
    "additionalProperties": False,
}


@dataclass
class Shop:
    """A workspace with a published ``deliveries`` form, and helpers to fill it."""

    sessions: sessionmaker[Session]
    workspace_id: int
    form_id: int

    def record(self, deleted: bool = False, **data: Any) -> int:
        with self.sessions() as session:
            record = Record(
                workspace_id=self.workspace_id,
                form_id=self.form_id,
                data={"name": "x", **data},
                form_version=1,
                deleted_at=datetime.now(UTC) if deleted else None,
            )
            session.add(record)
            session.commit()
            return record.id

    def automation(
        self,
        *,
        offset_days: int = 3,
        date_field: str = "delivered_on",
        at: str = "09:00",
        enabled: bool = True,
        last_scan_on: str | None = None,
    ) -> int:
        trigger = {
            "type": "date_relative",
            "form": "deliveries",
            "date_field": date_field,
            "offset_days": offset_days,
            "at": at,
        }
        with self.sessions() as session:
            automation = Automation(
                workspace_id=self.workspace_id,
                name="Follow up",
                document={
                    "version": 1,
                    "trigger": trigger,
                    "actions": [{"id": "a1", "type": "wait", "minutes": 1}],
                },
                enabled=enabled,
                trigger_type="date_relative",
                form_id=self.form_id,
                last_scan_on=last_scan_on,
            )
            session.add(automation)
            session.commit()
            return automation.id

    def scan(self, automation_id: int, day: date = TODAY) -> int:
        with self.sessions() as session:
            automation = session.get_one(Automation, automation_id)
            count = scan_automation(session, automation, day)
            session.commit()
            return count

    def due(self, automation_id: int) -> dict[int, str]:
        """record id → the due date of each event raised for the automation."""
        with self.sessions() as session:
            events = session.scalars(select(Event).where(Event.automation_id == automation_id))
            return {e.record_id: e.payload["date"] for e in events if e.record_id is not None}

    def last_scan_on(self, automation_id: int) -> str | None:
        with self.sessions() as session:
            return session.get_one(Automation, automation_id).last_scan_on


def make_shop(app: Flask, factory: Factory, zone: str = "UTC") -> Shop:
    owner = factory.user()
    with app.app_context():
        session = db.session()
        workspace = workspaces.create_workspace(
            session, session.merge(owner), "Shop", timezone=zone
        )
        forms = published_forms(session, actor(app, owner, workspace), {"deliveries": DELIVERIES})
        return Shop(app.extensions["formwork.sessionmaker"], workspace.id, forms["deliveries"].id)


@pytest.fixture
def shop(app: Flask, factory: Factory) -> Iterator[Shop]:
    yield make_shop(app, factory)


def at_utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


# -- which records are due ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset_days", "due_on"),
    [(3, "2026-11-12"), (-3, "2026-11-18"), (0, "2026-11-15")],
    ids=["3 days after", "3 days before", "on the day"],
)
def test_records_whose_date_is_offset_days_away_are_due(
    shop: Shop, offset_days: int, due_on: str
) -> None:
    """Test: the scan on day D raises events for records dated D - offset_days only."""
    by_date = {d: shop.record(delivered_on=d) for d in ("2026-11-12", "2026-11-15", "2026-11-18")}
    shop.record(delivered_on="2026-11-13")
    automation_id = shop.automation(offset_days=offset_days)
    assert shop.scan(automation_id) == 1
    assert shop.due(automation_id) == {by_date[due_on]: due_on}
    with shop.sessions() as session:
        [event] = session.scalars(select(Event).where(Event.automation_id == automation_id))
    assert (event.type, event.source, event.form_id) == ("date_due", "scheduler", shop.form_id)
    assert event.workspace_id == shop.workspace_id
    assert event.payload == {"date": due_on, "date_field": "delivered_on"}
    assert event.dedupe_key == f"date:{automation_id}:{by_date[due_on]}:{due_on}"


def test_datetime_field_is_due_by_its_stored_utc_date(shop: Shop) -> None:
    """Test: a datetime field matches when its (UTC) date is the due date, at any time of day."""
    due = {
        shop.record(delivered_at="2026-11-12T00:00:00Z"),
        shop.record(delivered_at="2026-11-12T23:59:59Z"),
    }
    shop.record(delivered_at="2026-11-11T23:59:59Z")
    shop.record(delivered_at="2026-11-13T00:00:00Z")
    automation_id = shop.automation(date_field="delivered_at")
    assert shop.scan(automation_id) == 2
    assert set(shop.due(automation_id)) == due


def test_deleted_strange_and_foreign_records_are_not_due(
    app: Flask, factory: Factory, shop: Shop
) -> None:
    """Test: deleted records, wrong-typed values and another workspace's records are skipped."""
    live = shop.record(delivered_on="2026-11-12")
    shop.record(delivered_on="2026-11-12", deleted=True)
    shop.record(delivered_on=20261112)
    shop.record(delivered_on="2026-11-12T08:00:00Z")
    shop.record(delivered_on=None)
    shop.record()
    other = make_shop(app, factory)
    other.record(delivered_on="2026-11-12")
    automation_id = shop.automation()
    assert shop.scan(automation_id) == 1
    assert set(shop.due(automation_id)) == {live}


def test_rescanning_a_day_raises_nothing_twice(shop: Shop) -> None:
    """Test: scanning the same day again (a retried or concurrent scan) adds no event."""
    first = shop.record(delivered_on="2026-11-12")
    automation_id = shop.automation()
    shop.scan(automation_id)
    second = shop.record(delivered_on="2026-11-12")
    assert shop.scan(automation_id) == 2
    with shop.sessions() as session:
        keys = session.scalars(select(Event.dedupe_key).where(Event.automation_id == automation_id))
        assert sorted(keys) == sorted(
            f"date:{automation_id}:{record}:2026-11-12" for record in (first, second)
        )


def test_a_field_that_is_not_a_date_is_refused(shop: Shop) -> None:
    """Test: a trigger on a text field or a missing field is an error, not a silent scan."""
    for field in ("name", "nope"):
        automation_id = shop.automation(date_field=field)
        with pytest.raises(DateTriggerError):
            shop.scan(automation_id)


# -- when scans run ----------------------------------------------------------------------


def test_scan_waits_for_at_and_runs_once_a_day(app: Flask, shop: Shop) -> None:
    """Test: nothing before ``at``; one scan at ``at``; later runs that day scan no more."""
    record = shop.record(delivered_on="2026-11-12")
    automation_id = shop.automation(at="09:00")
    assert scan_due(app, at_utc(TODAY, 8, 59)) == 0
    assert shop.due(automation_id) == {} and shop.last_scan_on(automation_id) is None
    assert scan_due(app, at_utc(TODAY, 9, 0)) == 1
    assert shop.due(automation_id) == {record: "2026-11-12"}
    assert shop.last_scan_on(automation_id) == "2026-11-15"
    late = shop.record(delivered_on="2026-11-12")
    assert scan_due(app, at_utc(TODAY, 17, 0)) == 0
    assert late not in shop.due(automation_id)
    # The next day scans that day only.
    next_day = shop.record(delivered_on="2026-11-13")
    assert scan_due(app, at_utc(TODAY + timedelta(days=1), 9, 30)) == 1
    assert shop.due(automation_id)[next_day] == "2026-11-13"


def test_missed_days_are_caught_up(app: Flask, shop: Shop) -> None:
    """Test: after a down time every missed day is scanned, so no record's day is skipped."""
    records = {d: shop.record(delivered_on=f"2026-11-{d:02d}") for d in range(9, 16)}
    automation_id = shop.automation(offset_days=0, last_scan_on="2026-11-10")
    assert scan_due(app, at_utc(TODAY, 10)) == 5
    assert shop.due(automation_id) == {records[d]: f"2026-11-{d:02d}" for d in range(11, 16)}
    assert shop.last_scan_on(automation_id) == "2026-11-15"


def test_catch_up_before_at_scans_the_overdue_days_only(app: Flask, shop: Shop) -> None:
    """Test: before today's ``at``, yesterday (overdue) is scanned, today is not yet."""
    yesterday = shop.record(delivered_on="2026-11-14")
    shop.record(delivered_on="2026-11-15")
    automation_id = shop.automation(offset_days=0, last_scan_on="2026-11-13")
    assert scan_due(app, at_utc(TODAY, 8)) == 1
    assert shop.due(automation_id) == {yesterday: "2026-11-14"}
    assert shop.last_scan_on(automation_id) == "2026-11-14"


def test_catch_up_goes_back_a_week_at_most(app: Flask, shop: Shop) -> None:
    """Test: a long down time catches up the last seven days, not months of history."""
    records = {d: shop.record(delivered_on=f"2026-11-{d:02d}") for d in range(1, 16)}
    automation_id = shop.automation(offset_days=0, last_scan_on="2026-10-01")
    scan_due(app, at_utc(TODAY, 10))
    assert set(shop.due(automation_id)) == {records[d] for d in range(8, 16)}


def test_scans_run_in_the_workspace_day(app: Flask, factory: Factory, shop: Shop) -> None:
    """Test: at 16:30 UTC it is already tomorrow 00:30 in Shanghai: each workspace scans its day."""
    shanghai = make_shop(app, factory, "Asia/Shanghai")
    utc_today = shop.record(delivered_on="2026-11-15")
    shop.record(delivered_on="2026-11-16")
    shanghai.record(delivered_on="2026-11-15")
    shanghai_today = shanghai.record(delivered_on="2026-11-16")
    in_utc = shop.automation(offset_days=0, at="00:15")
    in_shanghai = shanghai.automation(offset_days=0, at="00:15")
    scan_due(app, at_utc(TODAY, 16, 30))
    assert shop.due(in_utc) == {utc_today: "2026-11-15"}
    assert shanghai.due(in_shanghai) == {shanghai_today: "2026-11-16"}
    assert (shop.last_scan_on(in_utc), shanghai.last_scan_on(in_shanghai)) == (
        "2026-11-15",
        "2026-11-16",
    )
    # 16:05 UTC is 00:05 in Shanghai: before "at", the new day is not scanned yet.
    late = make_shop(app, factory, "Asia/Shanghai")
    waiting = late.automation(offset_days=0, at="00:15")
    late.record(delivered_on="2026-11-16")
    scan_due(app, at_utc(TODAY, 16, 5))
    assert late.due(waiting) == {} and late.last_scan_on(waiting) is None


def test_disabled_and_broken_automations_do_not_stop_the_others(
    app: Flask, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    """Test: a disabled automation is not scanned; a broken one is logged and skipped."""
    record = shop.record(delivered_on="2026-11-12")
    disabled = shop.automation(enabled=False)
    broken = shop.automation(date_field="name")
    working = shop.automation()
    assert scan_due(app, at_utc(TODAY, 12)) == 1
    assert shop.due(working) == {record: "2026-11-12"}
    assert shop.due(disabled) == shop.due(broken) == {}
    assert shop.last_scan_on(broken) is None
    assert f"date scan of automation {broken} skipped" in caplog.text


def test_unknown_workspace_zone_falls_back_to_utc(app: Flask, shop: Shop) -> None:
    """Test: a workspace zone the system does not know scans in UTC instead of failing."""
    record = shop.record(delivered_on="2026-11-12")
    automation_id = shop.automation()
    with shop.sessions() as session:
        session.execute(
            update(Workspace)
            .where(Workspace.id == shop.workspace_id)
            .values(timezone="Mars/Olympus")
        )
        session.commit()
    assert scan_due(app, at_utc(TODAY, 9)) == 1
    assert shop.due(automation_id) == {record: "2026-11-12"}
    assert shop.last_scan_on(automation_id) == "2026-11-15"


# -- the day arithmetic ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_now", "last", "expected"),
    [
        (datetime(2026, 11, 15, 8, 59), None, []),
        (datetime(2026, 11, 15, 9, 0), None, [date(2026, 11, 15)]),
        (datetime(2026, 11, 15, 9, 0), "2026-11-15", []),
        (datetime(2026, 11, 15, 8, 0), "2026-11-14", []),
        (datetime(2026, 11, 15, 8, 0), "2026-11-13", [date(2026, 11, 14)]),
        (datetime(2026, 11, 15, 9, 0), "2026-11-13", [date(2026, 11, 14), date(2026, 11, 15)]),
        (datetime(2026, 11, 15, 9, 0), "2026-11-20", []),
        (datetime(2026, 11, 15, 9, 0), "garbage", [date(2026, 11, 15)]),
    ],
)
def test_due_days(local_now: datetime, last: str | None, expected: list[date]) -> None:
    """Test: which local days a scan at ``local_now`` covers (``at`` is 09:00)."""
    assert due_days(local_now, time(9, 0), last) == expected


def test_a_scan_holds_sqlite_write_lock_from_its_first_read(
    app: Flask, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan reads the automation, then writes events: begun as a reader, it would fail
    at once with "database is locked" when another connection committed in between (seen
    on the demo's first start). Its transaction begins as a writer, so nobody else can
    write while it runs and it waits for the lock instead."""
    import sqlite3

    from formwork.automation import date_scans

    url = app.config["DATABASE_URL"]
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL has row locks: a reading transaction may write later")
    shop.automation(offset_days=3)
    shop.record(delivered_on=(TODAY - timedelta(days=3)).isoformat())
    others_could_write: list[bool] = []
    scan = date_scans.scan_automation

    def probing(session: Session, automation: Automation, day: date) -> int:
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            others_could_write.append(True)
        except sqlite3.OperationalError:
            others_could_write.append(False)
        finally:
            other.close()
        return scan(session, automation, day)

    monkeypatch.setattr(date_scans, "scan_automation", probing)
    scan_due(app, datetime.combine(TODAY, time(10), UTC))
    assert others_could_write and not any(others_could_write)


def test_a_scans_events_are_dispatched_when_it_commits(app: Flask, shop: Shop) -> None:
    """The scan's session wakes the executor after its commit, like every other session
    (here the inline one: the due event becomes a run at once)."""
    from formwork.models import Run

    automation_id = shop.automation(offset_days=3)
    shop.record(delivered_on=(TODAY - timedelta(days=3)).isoformat())
    assert scan_due(app, datetime.combine(TODAY, time(10), UTC)) == 1
    with shop.sessions() as session:
        event = session.scalars(select(Event).where(Event.automation_id == automation_id)).one()
        assert event.dispatched_at is not None
        run = session.scalars(select(Run).where(Run.automation_id == automation_id)).one()
        assert run.event_id == event.id

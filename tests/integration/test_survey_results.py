"""Survey results in SQL against a Python reference computed from the same responses:
NPS, distributions, trends per day/week/month on the workspace's clock (a daylight-saving
zone), splits per owner, segment and tier, free text escaped, exports neutralised."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select, update

from formwork import db
from formwork.models import CustomerMetrics, Form, Record, Role, TierScheme, Workspace
from formwork.services import records
from formwork.services.scope import Actor, actor_for
from formwork.services.survey_catalog import TEXT_PAGE_SIZE, bucket_edges, questions
from formwork.services.survey_periods import offset_spans, period_start
from formwork.services.survey_results import Filters, NpsScore, SurveyResults
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import SCHEMA, published_forms
from tests.integration.survey_fixtures import CUSTOMERS

ZONE = "Europe/Berlin"
XSS = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://evil.example","click")'

SURVEY: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Satisfaction",
    "x-titles": {"zh-CN": "满意度调查"},
    "x-order": ["customer", "score", "stars", "channel", "topics", "again", "spend", "comment"],
    "properties": {
        "customer": {
            "type": "integer",
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "score": {
            "type": "integer",
            "title": "Recommend us?",
            "minimum": 0,
            "maximum": 10,
            "x-field": "nps",
        },
        "stars": {
            "type": "integer",
            "title": "Service",
            "minimum": 1,
            "maximum": 5,
            "x-field": "rating",
        },
        "channel": {
            "enum": ["web", "store", "phone"],
            "title": "Channel",
            "x-field": "select",
            "x-option-titles": {"store": {"en": "Store", "zh-CN": "门店"}},
        },
        "topics": {
            "type": "array",
            "title": "Topics",
            "items": {"type": "string", "enum": ["price", "quality", "speed"]},
            "uniqueItems": True,
            "x-field": "multiselect",
        },
        "again": {"type": "boolean", "title": "Buy again?", "x-field": "checkbox"},
        "spend": {"type": "number", "title": "Spend", "x-field": "number"},
        "comment": {"type": "string", "title": "Comment", "maxLength": 2000, "x-field": "textarea"},
    },
    "required": ["score"],
    "additionalProperties": False,
}


@dataclass
class Seeded:
    app: Flask
    owner_id: int
    workspace_id: int
    survey_id: int
    customers_id: int
    reps: dict[str, int]

    def actor(self, session: Any) -> Actor:
        from formwork.models import User

        return actor_for(session, session.get(User, self.owner_id), self.workspace_id)


# Timestamps around Berlin's DST change (2025-03-30 01:00 UTC) and month/week edges, then
# a spread over a year.
EDGES = [
    datetime(2025, 3, 29, 22, 59, tzinfo=UTC),  # 23:59 CET on Saturday the 29th
    datetime(2025, 3, 29, 23, 0, tzinfo=UTC),  # 00:00 CET on Sunday the 30th
    datetime(2025, 3, 30, 21, 59, tzinfo=UTC),  # 23:59 CEST Sunday
    datetime(2025, 3, 30, 22, 0, tzinfo=UTC),  # 00:00 CEST Monday the 31st
    datetime(2025, 3, 31, 22, 30, tzinfo=UTC),  # 00:30 CEST on 1 April
    datetime(2025, 10, 25, 23, 30, tzinfo=UTC),  # 01:30 CEST on 26 October
    datetime(2025, 10, 26, 1, 30, tzinfo=UTC),  # 02:30 CET after the change back
    datetime(2025, 12, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 January 2026 in Berlin
]


def seed(app: Flask, factory: Factory, *, responses: int = 90) -> Seeded:
    """Six customers of two reps (and one unassigned), a survey with every question type,
    ``responses`` answers at fixed times, tiers in the ``level`` field and RFM segments."""
    owner = factory.user(name="Olivia Owner")
    workspace = factory.workspace(owner, name="Tea House")
    reps = {
        "Rep A": factory.member(workspace, Role.MEMBER, name="Rep A").id,
        "Rep B": factory.member(workspace, Role.MEMBER, name="Rep B").id,
    }
    rng = random.Random(7)
    with app.app_context():
        session = db.session()
        session.execute(update(Workspace).where(Workspace.id == workspace.id).values(timezone=ZONE))
        session.commit()
        actor = actor_for(session, session.merge(owner), workspace.id)
        forms = published_forms(session, actor, {"customers": CUSTOMERS, "survey": SURVEY})
        customers, survey = forms["customers"], forms["survey"]
        people = []
        for index in range(6):
            record = records.create_record(
                session,
                actor,
                customers,
                {"name": f"Customer {index}", "level": "vip" if index % 3 == 0 else "normal"},
            )
            owner_id = [reps["Rep A"], reps["Rep B"], None][index % 3]
            records.assign_owner(session, actor, customers, record.id, owner_id)
            people.append(record.id)
        segments = ["champions", "at_risk", None]
        for index, person in enumerate(people[:4]):
            session.add(
                CustomerMetrics(
                    record_id=person,
                    workspace_id=workspace.id,
                    form_id=customers.id,
                    as_of="2025-12-31",
                    rfm_segment=segments[index % 3],
                )
            )
        session.add(
            TierScheme(
                workspace_id=workspace.id,
                key="levels",
                name="Levels",
                form_id=customers.id,
                field_key="level",
                document={
                    "version": 1,
                    "tiers": [{"key": "vip", "name": {"en": "VIP", "zh-CN": "贵宾"}}],
                    "fallback": {"key": "normal", "name": {"en": "Normal", "zh-CN": "普通"}},
                },
            )
        )
        session.commit()
        rows, moments = [], []
        for index in range(responses):
            row: dict[str, Any] = {"score": rng.randint(0, 10)}
            if rng.random() < 0.85:
                row["customer"] = rng.choice(people)
            if rng.random() < 0.8:
                row["stars"] = rng.randint(1, 5)
            if rng.random() < 0.9:
                row["channel"] = rng.choice(["web", "store", "phone"])
            row["topics"] = sorted(rng.sample(["price", "quality", "speed"], rng.randint(0, 3)))
            row["again"] = rng.random() < 0.6
            if rng.random() < 0.7:
                row["spend"] = round(rng.uniform(3, 97), 2)
            if rng.random() < 0.5:
                row["comment"] = f"Comment {index}"
            rows.append(row)
            moments.append(
                EDGES[index]
                if index < len(EDGES)
                else datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 525_000))
            )
        rows[3]["comment"] = XSS
        rows[4]["comment"] = FORMULA
        ids = records.bulk_create(session, actor, survey, rows, source="json")
        session.execute(
            update(Record), [{"id": i, "created_at": m} for i, m in zip(ids, moments, strict=True)]
        )
        session.commit()
        return Seeded(app, owner.id, workspace.id, survey.id, customers.id, reps)


@dataclass
class Row:
    id: int
    created: datetime
    data: dict[str, Any]
    owner: int | None
    segment: str | None
    tier: str | None


def reference_rows(seeded: Seeded, start: date | None = None, end: date | None = None) -> list[Row]:
    """The responses read back with plain ORM queries, joined to customers in Python."""
    zone = ZoneInfo(ZONE)
    session = db.session()
    customers = {
        r.id: r
        for r in session.scalars(select(Record).where(Record.form_id == seeded.customers_id))
    }
    segments = dict(
        session.execute(select(CustomerMetrics.record_id, CustomerMetrics.rfm_segment)).all()
    )
    rows = []
    for record in session.scalars(select(Record).where(Record.form_id == seeded.survey_id)):
        day = record.created_at.astimezone(zone).date()
        if (start and day < start) or (end and day > end):
            continue
        customer = customers.get(record.data.get("customer"))
        rows.append(
            Row(
                record.id,
                record.created_at,
                record.data,
                (customer.owner_id if customer else None) or record.owner_id,
                segments.get(customer.id) if customer else None,
                customer.data.get("level") if customer else None,
            )
        )
    return rows


def reference_nps(rows: list[Row]) -> NpsScore:
    scores = [r.data["score"] for r in rows if r.data.get("score") is not None]
    return NpsScore(len(scores), sum(s >= 9 for s in scores), sum(s <= 6 for s in scores))


def results_for(seeded: Seeded, **filters: Any) -> SurveyResults:
    session = db.session()
    form = session.get(Form, seeded.survey_id)
    return SurveyResults(session, seeded.actor(session), form, Filters(**filters))


# -- periods -------------------------------------------------------------------------------


def test_offset_spans_find_daylight_saving_changes_to_the_minute() -> None:
    zone = ZoneInfo(ZONE)
    spans = offset_spans(zone, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC))
    assert spans == [
        (datetime(2025, 3, 30, 1, 0, tzinfo=UTC), 60),
        (datetime(2025, 10, 26, 1, 0, tzinfo=UTC), 120),
        (None, 60),
    ]
    assert offset_spans(ZoneInfo("Asia/Shanghai"), EDGES[0], EDGES[-1]) == [(None, 480)]


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
def test_responses_and_nps_per_period_follow_the_workspace_clock(
    app: Flask, factory: Factory, granularity: str
) -> None:
    seeded = seed(app, factory)
    with app.app_context():
        found = results_for(seeded, granularity=granularity)
        rows = reference_rows(seeded)
        zone = ZoneInfo(ZONE)
        by_period: dict[date, list[Row]] = defaultdict(list)
        for row in rows:
            by_period[period_start(row.created.astimezone(zone).date(), granularity)].append(row)
        counted = dict(found.over_time())
        assert sum(counted.values()) == len(rows) == found.total()
        assert {k: v for k, v in counted.items() if v} == {k: len(v) for k, v in by_period.items()}
        trend = dict(found.nps_trend("score"))
        assert {k: v for k, v in trend.items() if v.responses} == {
            k: reference_nps(v) for k, v in by_period.items()
        }
        # Every period between the first and the last is listed, empty ones as zero.
        starts = list(counted)
        assert starts == sorted(starts) and starts[0] == min(by_period)
        if granularity == "day":
            # 23:59 CET and 00:00 CET the next day fall on different days; so do 23:59
            # and 00:00 CEST right after the change to summer time.
            assert counted[date(2025, 3, 29)] >= 1 and counted[date(2025, 3, 30)] >= 2
            assert counted[date(2025, 3, 31)] >= 1 and counted[date(2026, 1, 1)] >= 1


def test_a_period_filter_counts_only_its_local_days(app: Flask, factory: Factory) -> None:
    seeded = seed(app, factory)
    with app.app_context():
        found = results_for(
            seeded, start=date(2025, 3, 30), end=date(2025, 3, 31), granularity="day"
        )
        rows = reference_rows(seeded, date(2025, 3, 30), date(2025, 3, 31))
        assert found.total() == len(rows) >= 3
        assert [d for d, _n in found.over_time()] == [date(2025, 3, 30), date(2025, 3, 31)]
        assert found.nps("score") == reference_nps(rows)


# -- NPS, distributions, splits ----------------------------------------------------------


def test_nps_and_every_distribution_equal_the_python_reference(
    app: Flask, factory: Factory
) -> None:
    seeded = seed(app, factory)
    with app.app_context():
        found = results_for(seeded)
        rows = reference_rows(seeded)
        expected = reference_nps(rows)
        assert found.nps("score") == expected
        assert expected.nps == pytest.approx(
            100 * (expected.promoters - expected.detractors) / expected.responses
        )
        asked = {q.key: q for q in questions(found.runtime, "en")}
        assert set(asked) == {"score", "stars", "channel", "topics", "again", "spend", "comment"}

        def counts(key: str) -> Counter[Any]:
            return Counter(r.data[key] for r in rows if r.data.get(key) is not None)

        assert found.distribution(asked["score"]) == [(s, counts("score")[s]) for s in range(11)]
        assert found.distribution(asked["stars"]) == [(s, counts("stars")[s]) for s in range(1, 6)]
        assert found.distribution(asked["channel"]) == [
            (o, counts("channel")[o]) for o in ("web", "store", "phone")
        ]
        topics = Counter(t for r in rows for t in r.data.get("topics") or [])
        assert found.distribution(asked["topics"]) == [
            (o, topics[o]) for o in ("price", "quality", "speed")
        ]
        yes = sum(1 for r in rows if r.data.get("again") is True)
        assert found.distribution(asked["again"]) == [(True, yes), (False, len(rows) - yes)]
        spends = [r.data["spend"] for r in rows if r.data.get("spend") is not None]
        edges = bucket_edges(min(spends), max(spends))
        histogram = found.histogram(asked["spend"])
        assert [(b.low, b.high) for b in histogram] == list(pairwise(edges))
        assert [b.count for b in histogram] == [
            sum(1 for s in spends if low <= s < high) for low, high in pairwise(edges)
        ]
        assert sum(b.count for b in histogram) == len(spends)


def test_bucket_edges_are_round_and_cover_the_values() -> None:
    assert bucket_edges(3.2, 96.8) == [
        0.0,
        10.0,
        20.0,
        30.0,
        40.0,
        50.0,
        60.0,
        70.0,
        80.0,
        90.0,
        100.0,
    ]
    assert bucket_edges(0.31, 0.47) == pytest.approx(
        [0.3, 0.32, 0.34, 0.36, 0.38, 0.4, 0.42, 0.44, 0.46, 0.48]
    )
    assert bucket_edges(5, 5) == [5, 5]
    edges = bucket_edges(-7, 1234)
    assert edges[0] <= -7 and edges[-1] > 1234 and len(edges) <= 12


def test_nps_per_owner_segment_and_tier_equal_the_reference(app: Flask, factory: Factory) -> None:
    seeded = seed(app, factory)
    with app.app_context():
        found = results_for(seeded)
        rows = reference_rows(seeded)
        for dimension, attribute in (
            ("owner_id", "owner"),
            ("segment", "segment"),
            ("tier", "tier"),
        ):
            groups: dict[Any, list[Row]] = defaultdict(list)
            for row in rows:
                groups[getattr(row, attribute)].append(row)
            assert found.nps_by("score", dimension) == {
                k: reference_nps(v) for k, v in groups.items()
            }, dimension
        by_owner = found.nps_by("score", "owner_id")
        # Unassigned customers (and answers about nobody) count for the response's owner,
        # here the member who entered them.
        assert set(by_owner) == {seeded.reps["Rep A"], seeded.reps["Rep B"], seeded.owner_id}
        assert found.scheme is not None and found.scheme.field_key == "level"


def test_the_owner_filter_keeps_only_that_owners_customers(app: Flask, factory: Factory) -> None:
    seeded = seed(app, factory)
    with app.app_context():
        rep = seeded.reps["Rep B"]
        found = results_for(seeded, owner_id=rep)
        mine = [r for r in reference_rows(seeded) if r.owner == rep]
        assert found.total() == len(mine) > 0
        assert found.nps("score") == reference_nps(mine)


def test_free_text_is_paged_newest_first(app: Flask, factory: Factory) -> None:
    seeded = seed(app, factory)
    with app.app_context():
        found = results_for(seeded)
        rows = reference_rows(seeded)
        written = sorted(
            (r for r in rows if (r.data.get("comment") or "").strip()),
            key=lambda r: (r.created, r.id),
            reverse=True,
        )
        first = found.text_answers("comment", 1, page_size=10, score_key="score")
        second = found.text_answers("comment", 2, page_size=10, score_key="score")
        assert first.total == len(written) and first.pages == -(-len(written) // 10)
        assert [a.record_id for a in first.answers + second.answers] == [r.id for r in written[:20]]
        assert first.answers[0].score == written[0].data["score"]


def test_results_are_scoped_to_the_workspace(app: Flask, factory: Factory) -> None:
    """Another workspace's responses to a survey of the same shape never count."""
    seeded = seed(app, factory, responses=12)
    seed(app, factory, responses=20)
    with app.app_context():
        assert results_for(seeded).total() == 12


# -- the page and the exports --------------------------------------------------------------


def _login_owner(seeded: Seeded, auth: Auth) -> None:
    with seeded.app.app_context():
        from formwork.models import User

        auth.login(db.session().get(User, seeded.owner_id).email)  # type: ignore[union-attr]


def test_results_page_shows_figures_and_escapes_free_text(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    seeded = seed(app, factory)
    _login_owner(seeded, auth)
    base = f"/w/{seeded.workspace_id}/forms/{seeded.survey_id}/results"
    with app.app_context():
        rows = reference_rows(seeded)
        expected = reference_nps(rows)
    written = sorted(
        (r for r in rows if r.data.get("comment")), key=lambda r: (r.created, r.id), reverse=True
    )
    where = next(i for i, r in enumerate(written) if r.data["comment"] == XSS) // TEXT_PAGE_SIZE + 1
    page = client.get(base + f"?preset=all&by=month&tq=comment&tp={where}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:3000]
    assert f'data-testid="total">{len(rows)}<' in html
    assert f'data-testid="promoters">{expected.promoters}<' in html
    assert 'data-testid="chart-nps-gauge"' in html and 'data-testid="chart-nps-trend"' in html
    assert 'data-testid="nps-by-owner"' in html and "Rep A" in html
    assert 'data-testid="nps-by-tier"' in html and "VIP" in html
    assert XSS not in html and "&lt;script&gt;alert(" in html
    assert " style=" not in html and "<script>" not in html
    chinese = client.get(base + "?preset=all", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 200 and "门店" in chinese.get_data(as_text=True)


def test_bad_filters_are_named_and_ignored(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    seeded = seed(app, factory, responses=12)
    _login_owner(seeded, auth)
    base = f"/w/{seeded.workspace_id}/forms/{seeded.survey_id}/results"
    html = client.get(base + "?preset=custom&start=yesterday&owner=999999&by=year").get_data(
        as_text=True
    )
    assert 'data-testid="error-start">From: enter a date like 2026-03-01.' in html
    assert 'data-testid="error-owner">Owner: choose a member of this workspace.' in html
    assert 'data-testid="error-by"' in html
    assert 'data-testid="total">12<' in html
    chinese = client.get(
        base + "?preset=custom&start=yesterday", headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)
    assert 'data-testid="error-start">' in chinese and "From: enter" not in chinese


def test_response_exports_open_and_are_neutralised(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    seeded = seed(app, factory, responses=12)
    _login_owner(seeded, auth)
    base = f"/w/{seeded.workspace_id}/forms/{seeded.survey_id}/results/export"
    response = client.get(base + "?format=csv&preset=all&what=responses")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0][:4] == ["Response", "Submitted", "Customer", "Record owner"]
    assert len(table) == 13
    cells = [c for row in table for c in row]
    assert "'" + FORMULA in cells and FORMULA not in cells and XSS in cells

    book = client.get(base + "?format=xlsx&preset=all&what=responses")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.data)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "'" + FORMULA in values and FORMULA not in values
    header = [c.value for c in next(sheet.iter_rows())]
    score_column = header.index("Recommend us?")
    assert all(isinstance(row[score_column].value, int) for row in list(sheet.iter_rows())[1:])


def test_summary_exports_carry_the_nps_and_the_splits(
    app: Flask, client: FlaskClient, factory: Factory, auth: Auth
) -> None:
    seeded = seed(app, factory)
    _login_owner(seeded, auth)
    with app.app_context():
        expected = reference_nps(reference_rows(seeded))
    base = f"/w/{seeded.workspace_id}/forms/{seeded.survey_id}/results/export"
    book = client.get(base + "?format=xlsx&preset=all&what=summary")
    assert book.status_code == 200
    workbook = load_workbook(io.BytesIO(book.data))
    assert {"Summary", "NPS per owner", "NPS per segment", "NPS per tier"} <= set(
        workbook.sheetnames
    )
    summary = {row[0].value: row[1].value for row in workbook["Summary"].iter_rows(min_row=2)}
    assert summary["Responses"] == expected.responses
    assert summary["NPS: Recommend us?"] == pytest.approx(round(expected.nps, 1))
    text = client.get(base + "?format=csv&preset=all&what=summary").get_data(as_text=True)
    assert "NPS per tier" in text and "VIP" in text
    assert client.get(base + "?format=pdf&what=summary").status_code == 404

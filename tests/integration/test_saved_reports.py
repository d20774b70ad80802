"""Saved reports: summary tables computed in SQL (checked against a Python reference on
generated records), the save checks, the pages in both languages, the CSV export,
roles and workspace isolation."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from formwork import db
from formwork.models import AuditEvent, Form, Report, Role, User, Workspace
from formwork.services import records, reports
from formwork.services.errors import Forbidden, NotFound
from formwork.services.reports import ReportInvalid
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import SCHEMA, actor, published_forms

CUSTOMERS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Customers",
    "x-titles": {"zh-CN": "客户档案"},
    "x-order": ["name"],
    "properties": {
        "name": {"type": "string", "title": "Name", "maxLength": 100, "x-field": "text"},
    },
    "required": ["name"],
    "additionalProperties": False,
}

STAGES = ["lead", "won", "lost"]
DEALS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Deals",
    "x-titles": {"zh-CN": "商机"},
    "x-order": [
        "title",
        "stage",
        "amount",
        "score",
        "closed",
        "hot",
        "rep",
        "customer",
        "source",
        "tags",
    ],
    "properties": {
        "title": {"type": "string", "title": "Title", "maxLength": 100, "x-field": "text"},
        "stage": {
            "type": "string",
            "enum": STAGES,
            "title": "Stage",
            "x-titles": {"zh-CN": "阶段"},
            "x-field": "select",
            "x-option-titles": {
                "lead": {"en": "Lead", "zh-CN": "线索"},
                "won": {"en": "Won", "zh-CN": "赢单"},
                "lost": {"en": "Lost", "zh-CN": "输单"},
            },
        },
        "amount": {
            "type": "number",
            "title": "Amount",
            "x-titles": {"zh-CN": "金额"},
            "x-field": "money",
            "x-currency": "CNY",
        },
        "score": {
            "type": "integer",
            "title": "Score",
            "minimum": 1,
            "maximum": 5,
            "x-field": "rating",
        },
        "closed": {"type": "string", "format": "date", "title": "Closed", "x-field": "date"},
        "hot": {"type": "boolean", "title": "Hot", "x-field": "checkbox"},
        "rep": {"type": "integer", "minimum": 1, "title": "Rep", "x-field": "member"},
        "customer": {
            "type": "integer",
            "minimum": 1,
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "source": {"type": "string", "title": "Source", "maxLength": 100, "x-field": "text"},
        "tags": {
            "type": "array",
            "title": "Tags",
            "items": {"type": "string", "maxLength": 50},
            "uniqueItems": True,
            "x-field": "tags",
        },
    },
    "required": ["title"],
    "additionalProperties": False,
}

FORMULA_TEXT = "=cmd|' /C calc'!A0"


@dataclass
class Crm:
    app: Flask
    client: FlaskClient
    auth: Auth
    factory: Factory
    owner: User
    rep: User
    workspace: Workspace
    deals: Form
    rows: list[dict[str, Any]]  # the live deals, as stored
    customer_ids: dict[str, int]

    def who(self, user: User | None = None) -> Any:
        return actor(self.app, user or self.owner, self.workspace)

    def url(self, path: str = "") -> str:
        return f"/w/{self.workspace.id}/reports/{path}"


def _generated(
    rng: random.Random, customers: list[int], members: list[int], n: int
) -> list[dict[str, Any]]:
    rows = []
    start = date(2026, 1, 15)
    for index in range(n):
        row: dict[str, Any] = {"title": f"Deal {index}"}
        if rng.random() < 0.9:
            row["stage"] = rng.choice(STAGES)
        if rng.random() < 0.8:
            row["amount"] = rng.choice([rng.randint(0, 5000), round(rng.uniform(0, 900), 2)])
        if rng.random() < 0.7:
            row["score"] = rng.randint(1, 5)
        if rng.random() < 0.85:
            row["closed"] = (start + timedelta(days=rng.randint(0, 150))).isoformat()
        if rng.random() < 0.8:
            row["hot"] = rng.random() < 0.5
        if rng.random() < 0.8:
            row["rep"] = rng.choice(members)
        if rng.random() < 0.8:
            row["customer"] = rng.choice(customers)
        row["source"] = rng.choice(["web", "fair", "referral", FORMULA_TEXT])
        rows.append(row)
    return rows


@pytest.fixture
def crm(app: Flask, client: FlaskClient, auth: Auth, factory: Factory) -> Crm:
    owner = factory.user(name="Owner")
    workspace = factory.workspace(owner)
    rep = factory.member(workspace, Role.MEMBER, name="Rita Rep")
    with app.app_context():
        who = actor(app, owner, workspace)
        session = db.session()
        forms = published_forms(session, who, {"customers": CUSTOMERS, "deals": DEALS})
        names = ["Acme", "Globex", "Initech"]
        created = records.bulk_create(
            session, who, forms["customers"], [{"name": n} for n in names]
        )
        customer_ids = dict(zip(names, created, strict=True))
        rows = _generated(random.Random(7), created, [owner.id, rep.id], 80)
        ids = records.bulk_create(session, who, forms["deals"], rows)
        # Deleted records never count: drop every seventh deal.
        for record_id in ids[::7]:
            records.delete_record(session, who, forms["deals"], record_id)
        live = [row for index, row in enumerate(rows) if index % 7 != 0]
    auth.login(owner)
    return Crm(
        app, client, auth, factory, owner, rep, workspace, forms["deals"], live, customer_ids
    )


def _save(crm: Crm, document: dict[str, Any], **options: Any) -> Report:
    with crm.app.app_context():
        options.setdefault("name", "Deals by stage")
        return reports.save_report(
            db.session(), crm.who(), kind="summary", document=document, **options
        )


def _summary(crm: Crm, report: Report, locale: str = "en") -> reports.SummaryResult:
    with crm.app.test_request_context():
        session = db.session()
        stored = session.get_one(Report, report.id)
        return reports.summary(session, crm.who(), stored, locale=locale)


def _reference(rows: list[dict[str, Any]], key: Any, field: str) -> dict[Any, dict[str, Any]]:
    """Count, sum, avg, min, max of ``field`` per group, the slow obvious way."""
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    result = {}
    for group, members in groups.items():
        numbers = [r[field] for r in members if field in r]
        result[group] = {
            "count": len(members),
            "sum": sum(numbers) if numbers else None,
            "avg": sum(numbers) / len(numbers) if numbers else None,
            "min": min(numbers) if numbers else None,
            "max": max(numbers) if numbers else None,
        }
    return result


ALL_MEASURES = [
    {"agg": "count"},
    {"agg": "sum", "field": "amount"},
    {"agg": "avg", "field": "amount"},
    {"agg": "min", "field": "amount"},
    {"agg": "max", "field": "amount"},
]


def _check_against(result: reports.SummaryResult, expected: dict[Any, dict[str, Any]]) -> None:
    got = {row.value: row for row in result.rows}
    assert set(got) == set(expected)
    for value, figures in expected.items():
        row = got[value]
        assert row.count == figures["count"], value
        for measure, number in zip(result.measures, row.values, strict=True):
            want = figures[measure.agg]
            if want is None:
                assert number is None, (value, measure.agg)
            else:
                assert number == pytest.approx(want), (value, measure.agg)


# -- figures ----------------------------------------------------------------------------


def test_summary_by_choice_equals_the_python_reference_and_skips_deleted_records(
    crm: Crm,
) -> None:
    report = _save(crm, {"form": "deals", "group_by": "stage", "measures": ALL_MEASURES})
    result = _summary(crm, report)
    _check_against(result, _reference(crm.rows, lambda r: r.get("stage"), "amount"))
    # Option order, "(No value)" last, option titles as labels.
    assert [row.value for row in result.rows] == [*STAGES, None]
    assert [row.label for row in result.rows] == ["Lead", "Won", "Lost", "(No value)"]
    assert result.totals.count == len(crm.rows) < 80
    amounts = [r["amount"] for r in crm.rows if "amount" in r]
    assert result.totals.values[0] == len(crm.rows)
    assert result.totals.values[1] == pytest.approx(sum(amounts))
    assert result.totals.values[2] == pytest.approx(sum(amounts) / len(amounts))
    assert result.totals.values[3] == pytest.approx(min(amounts))
    assert result.totals.values[4] == pytest.approx(max(amounts))


def test_summary_filter_is_respected_and_dates_group_by_month(crm: Crm) -> None:
    condition = {">=": [{"var": "amount"}, 1000]}
    document = {"form": "deals", "group_by": "closed", "measures": ALL_MEASURES}
    report = _save(crm, {**document, "filter": condition})
    result = _summary(crm, report)
    matching = [r for r in crm.rows if r.get("amount", -1) >= 1000]
    assert 0 < len(matching) < len(crm.rows)
    expected = _reference(matching, lambda r: r["closed"][:7] if "closed" in r else None, "amount")
    _check_against(result, expected)
    months = [row.value for row in result.rows if row.value is not None]
    assert months == sorted(months) and all(re.fullmatch(r"2026-\d\d", m) for m in months)
    assert result.rows[0].label.endswith("2026") and "Jan" in result.rows[0].label
    zh = _summary(crm, report, "zh-CN")
    assert zh.rows[0].label == "2026年1月"
    assert result.totals.count == len(matching)


@pytest.mark.parametrize(
    ("group_by", "key"),
    [
        ("hot", lambda r: r.get("hot")),
        ("score", lambda r: r.get("score")),
        ("rep", lambda r: r.get("rep")),
        ("customer", lambda r: r.get("customer")),
        ("source", lambda r: r.get("source")),
    ],
)
def test_summary_groups_by_checkbox_rating_member_link_and_text(
    crm: Crm, group_by: str, key: Any
) -> None:
    document = {
        "form": "deals",
        "group_by": group_by,
        "measures": [{"agg": "count"}, {"agg": "sum", "field": "amount"}],
    }
    result = _summary(crm, _save(crm, document, name=f"By {group_by}"))
    expected = _reference(crm.rows, key, "amount")
    _check_against(result, {k: {**v, "count": v["count"]} for k, v in expected.items()})
    labels = {row.value: row.label for row in result.rows}
    if group_by == "hot":
        assert labels[True] == "Yes" and labels[False] == "No"
        assert [row.value for row in result.rows][:2] == [True, False]
    elif group_by == "rep":
        assert labels[crm.rep.id] == "Rita Rep" and labels[crm.owner.id] == "Owner"
    elif group_by == "customer":
        acme = crm.customer_ids["Acme"]
        assert labels[acme] == f"Acme · #{acme}"
    elif group_by == "score":
        assert [v for v in labels if v is not None] == sorted(v for v in labels if v is not None)


def test_summary_of_a_rating_averages_it(crm: Crm) -> None:
    document = {
        "form": "deals",
        "group_by": "stage",
        "measures": [{"agg": "avg", "field": "score"}],
    }
    result = _summary(crm, _save(crm, document))
    _check_against(result, {
        k: {"avg": v["avg"], "count": v["count"]}
        for k, v in _reference(crm.rows, lambda r: r.get("stage"), "score").items()
    })  # fmt: skip


def test_labels_follow_the_readers_language(crm: Crm) -> None:
    report = _save(crm, {"form": "deals", "group_by": "stage", "measures": ALL_MEASURES[:2]})
    zh = _summary(crm, report, "zh-CN")
    assert [row.label for row in zh.rows[:3]] == ["线索", "赢单", "输单"]
    assert zh.group_title == "阶段" and zh.form_title == "商机"
    assert "金额" in zh.measures[1].label


# -- saving -----------------------------------------------------------------------------

GOOD = {"form": "deals", "group_by": "stage", "measures": [{"agg": "count"}]}


@pytest.mark.parametrize(
    ("changes", "field", "path", "words"),
    [
        ({"document": {**GOOD, "form": "dealz"}}, "document", "/form", "Did you mean “deals”"),
        ({"document": {**GOOD, "group_by": "stag"}}, "document", "/group_by", "no field “stag”"),
        ({"document": {**GOOD, "group_by": "tags"}}, "document", "/group_by", "cannot be grouped"),
        (
            {"document": {**GOOD, "measures": [{"agg": "sum", "field": "title"}]}},
            "document",
            "/measures/0/field",
            "not a number field",
        ),
        (
            {"document": {**GOOD, "measures": [{"agg": "median", "field": "amount"}]}},
            "document",
            "/measures/0/agg",
            "average",
        ),
        (
            {"document": {**GOOD, "filter": {">=": [{"var": "amout"}, 1]}}},
            "document",
            "/filter/>=/0/var",
            "amout",
        ),
        ({"document": {**GOOD, "grup_by": "x"}}, "document", "/grup_by", "Unknown setting"),
        ({"key": "Bad Key"}, "key", "", "lowercase letter"),
        ({"key": "taken"}, "key", "", "already uses the key “taken”"),
        ({"name": "  "}, "name", "", "Enter a name"),
        ({"kind": "pie"}, "kind", "", "Choose a kind"),
    ],
)
def test_bad_reports_name_the_problem_and_store_nothing(
    crm: Crm, changes: dict[str, Any], field: str, path: str, words: str
) -> None:
    _save(crm, GOOD, key="taken", name="Existing")
    options: dict[str, Any] = {"name": "New report", "kind": "summary", "document": GOOD}
    options.update(changes)
    with crm.app.app_context():
        session = db.session()
        with pytest.raises(ReportInvalid) as caught:
            reports.save_report(session, crm.who(), locale="en", **options)
        problems = caught.value.problems
        assert any(
            p["field"] == field and p["path"] == path and words in p["message"] for p in problems
        ), problems
        assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_every_problem_is_reported_at_once_in_the_chosen_language(crm: Crm) -> None:
    document = {
        "form": "deals",
        "group_by": "nope",
        "measures": [{"agg": "sum", "field": "title"}, {"agg": "count", "field": "amount"}],
    }
    with crm.app.app_context(), pytest.raises(ReportInvalid) as caught:
        reports.save_report(
            db.session(), crm.who(), name="", kind="summary", document=document, locale="en"
        )
    paths = {(p["field"], p["path"]) for p in caught.value.problems}
    assert paths == {
        ("name", ""),
        ("document", "/group_by"),
        ("document", "/measures/0/field"),
        ("document", "/measures/1/field"),
    }


def test_keys_are_made_from_names_and_stay_unique(crm: Crm) -> None:
    first = _save(crm, GOOD, name="Deals by stage")
    second = _save(crm, GOOD, name="Deals by stage")
    chinese = _save(crm, GOOD, name="赢单分析", titles={"zh-CN": "赢单分析"})
    assert (first.key, second.key, chinese.key) == (
        "deals_by_stage",
        "deals_by_stage_1",
        "report_1",
    )


def test_saving_again_keeps_the_key_bumps_the_revision_and_is_audited(crm: Crm) -> None:
    report = _save(crm, GOOD)
    with crm.app.app_context():
        session = db.session()
        updated = reports.save_report(
            session,
            crm.who(),
            report_id=report.id,
            name="Deals by score",
            kind="summary",
            document={**GOOD, "group_by": "score"},
        )
        assert (updated.key, updated.revision, updated.document["group_by"]) == (
            report.key,
            2,
            "score",
        )
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions[-2:] == ["report.created", "report.updated"]
        reports.delete_report(session, crm.who(), report.id)
        assert session.get(Report, report.id) is None
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
            "report.deleted"
        )


def test_other_kinds_are_checked_too(crm: Crm) -> None:
    with crm.app.app_context():
        session = db.session()
        asset = reports.save_report(
            session, crm.who(), name="Assets", kind="customer_asset", document={}
        )
        assert asset.document == {}
        with pytest.raises(ReportInvalid) as caught:
            reports.save_report(
                session, crm.who(), name="NPS", kind="survey_results", document={"form": "x"}
            )
        assert caught.value.problems[0]["path"] == "/form"


def test_members_and_viewers_cannot_save_or_delete(crm: Crm) -> None:
    report = _save(crm, GOOD)
    for role in (Role.MEMBER, Role.VIEWER):
        user = crm.factory.member(crm.workspace, role, name=str(role))
        with crm.app.app_context():
            session = db.session()
            with pytest.raises(Forbidden):
                reports.save_report(
                    session, crm.who(user), name="Mine", kind="summary", document=GOOD
                )
            with pytest.raises(Forbidden):
                reports.delete_report(session, crm.who(user), report.id)
            assert reports.get_report(session, crm.who(user), report.id).id == report.id


def test_another_workspace_cannot_see_or_use_a_report(crm: Crm) -> None:
    report = _save(crm, GOOD)
    stranger = crm.factory.user(name="Stranger")
    theirs = crm.factory.workspace(stranger, name="Other Co")
    with crm.app.app_context():
        session = db.session()
        who = actor(crm.app, stranger, theirs)
        assert reports.list_reports(session, who) == []
        with pytest.raises(NotFound):
            reports.get_report(session, who, report.id)
        stored = session.get_one(Report, report.id)
        with pytest.raises(NotFound):
            reports.summary(session, who, stored)
        # Their save cannot name our form either.
        with pytest.raises(ReportInvalid):
            reports.save_report(session, who, name="Spy", kind="summary", document=GOOD)


# -- pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "html_lang", "words"),
    [("en", 'lang="en"', ["Won", "Stage", "Total"]), ("zh-CN", 'lang="zh-CN"', ["赢单", "阶段"])],
)
def test_pages_render_in_both_languages(
    crm: Crm, lang: str, html_lang: str, words: list[str]
) -> None:
    report = _save(crm, {"form": "deals", "group_by": "stage", "measures": ALL_MEASURES[:2]})
    headers = {"Accept-Language": lang}
    index = crm.client.get(crm.url(), headers=headers)
    assert index.status_code == 200
    page = index.get_data(as_text=True)
    assert html_lang in page and "Deals by stage" in page and 'data-testid="nav-reports"' in page
    shown = crm.client.get(crm.url(f"{report.id}/"), headers=headers)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert html_lang in html and "<svg" in html and 'data-testid="summary-table"' in html
    for word in words:
        assert word in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", ""
    )


def test_numbers_are_formatted_for_the_locale(crm: Crm) -> None:
    with crm.app.app_context():
        session = db.session()
        form = session.get_one(Form, crm.deals.id)
        records.bulk_create(session, crm.who(), form, [{"title": "Big", "amount": 1234567.5}])
    report = _save(crm, {"form": "deals", "group_by": "title", "measures": ALL_MEASURES[1:2]})
    html = crm.client.get(crm.url(f"{report.id}/")).get_data(as_text=True)
    assert "1,234,567.50" in html


def test_csv_export_neutralises_formulas_and_keeps_numbers(crm: Crm) -> None:
    document = {"form": "deals", "group_by": "source", "measures": ALL_MEASURES[:2]}
    report = _save(crm, document, key="by_source")
    response = crm.client.get(crm.url(f"{report.id}/summary.csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="by_source.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Source", "Count", "Sum of Amount"]
    cells = [row[0] for row in rows[1:]]
    assert "'" + FORMULA_TEXT in cells and FORMULA_TEXT not in cells
    assert not any(line.startswith("=") for line in text.splitlines())
    expected = sum(1 for r in crm.rows if r["source"] == FORMULA_TEXT)
    assert int(rows[1 + cells.index("'" + FORMULA_TEXT)][1]) == expected
    assert rows[-1][:2] == ["Total", str(len(crm.rows))]


def test_other_kinds_open_their_own_pages(crm: Crm) -> None:
    with crm.app.app_context():
        session = db.session()
        asset = reports.save_report(
            session, crm.who(), name="Assets", kind="customer_asset", document={}
        )
        survey = reports.save_report(
            session,
            crm.who(),
            name="Deal survey",
            kind="survey_results",
            document={"form": "deals"},
        )
    response = crm.client.get(crm.url(f"{asset.id}/"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/w/{crm.workspace.id}/value/")
    response = crm.client.get(crm.url(f"{survey.id}/"))
    assert response.headers["Location"].endswith(f"/forms/{crm.deals.id}/results")
    index = crm.client.get(crm.url()).get_data(as_text=True)
    assert f"/forms/{crm.deals.id}/results" in index and f"/w/{crm.workspace.id}/value/" in index


def test_the_list_groups_reports_by_app(crm: Crm) -> None:
    _save(crm, GOOD, name="Loose report")
    _save(crm, GOOD, name="Pipeline", app_id=crm.deals.app_id)
    html = crm.client.get(crm.url()).get_data(as_text=True)
    sections = html.split('data-testid="report-group"')[1:]
    assert len(sections) == 2
    assert "CRM" in sections[0] and "Pipeline" in sections[0] and "Loose report" not in sections[0]
    assert "Not in an app" in sections[1] and "Loose report" in sections[1]


def test_admin_creates_a_report_in_two_steps_then_edits_and_deletes_it(crm: Crm) -> None:
    first = crm.client.post(crm.url("new"), data={"name": "Won amounts", "form": "deals",
                                                  "step": "fields"})  # fmt: skip
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert '<option value="stage"' in html and '<option value="amount"' in html
    # Text fields cannot be summed: not offered as figures.
    figures = html.split('name="field_1"', 1)[1].split("</select>", 1)[0]
    assert 'value="amount"' in figures and 'value="title"' not in figures
    data = {
        "name": "Won amounts",
        "name_zh": "赢单金额",
        "form": "deals",
        "group_by": "stage",
        "agg_1": "sum",
        "field_1": "amount",
        "agg_2": "count",
        "agg_3": "",
        "filter": '{"==": [{"var": "stage"}, "won"]}',
    }
    saved = crm.client.post(crm.url("new"), data=data)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with crm.app.app_context():
        report = db.session().scalar(select(Report).where(Report.key == "won_amounts"))
        assert report is not None
        assert report.titles == {"zh-CN": "赢单金额"}
        assert report.document == {
            "form": "deals",
            "group_by": "stage",
            "measures": [{"agg": "sum", "field": "amount"}, {"agg": "count"}],
            "filter": {"==": [{"var": "stage"}, "won"]},
        }
    form_page = crm.client.get(crm.url(f"{report.id}/edit"))
    assert form_page.status_code == 200
    assert 'value="Won amounts"' in form_page.get_data(as_text=True)
    zh = crm.client.get(crm.url(f"{report.id}/"), headers={"Accept-Language": "zh-CN"})
    assert "赢单金额" in zh.get_data(as_text=True)
    bad = crm.client.post(crm.url(f"{report.id}/edit"), data={**data, "field_1": "title"})
    assert bad.status_code == 422
    assert "not a number field" in bad.get_data(as_text=True)
    broken_json = crm.client.post(crm.url(f"{report.id}/edit"), data={**data, "filter": "{"})
    assert broken_json.status_code == 422 and "not valid JSON" in broken_json.get_data(as_text=True)
    edited = crm.client.post(crm.url(f"{report.id}/edit"), data={**data, "group_by": "score"})
    assert edited.status_code == 302
    gone = crm.client.post(crm.url(f"{report.id}/delete"))
    assert gone.status_code == 302
    with crm.app.app_context():
        assert db.session().get(Report, report.id) is None


def test_viewers_see_reports_but_cannot_create_edit_or_delete(crm: Crm) -> None:
    report = _save(crm, GOOD)
    viewer = crm.factory.member(crm.workspace, Role.VIEWER, name="Vera Viewer")
    crm.auth.logout()
    crm.auth.login(viewer)
    index = crm.client.get(crm.url())
    assert index.status_code == 200 and 'data-testid="new-report"' not in index.get_data(
        as_text=True
    )
    assert crm.client.get(crm.url(f"{report.id}/")).status_code == 200
    assert crm.client.get(crm.url(f"{report.id}/summary.csv")).status_code == 200
    assert crm.client.get(crm.url("new")).status_code == 403
    assert crm.client.post(crm.url("new"), data={"name": "x", "form": "deals"}).status_code == 403
    assert crm.client.get(crm.url(f"{report.id}/edit")).status_code == 403
    assert crm.client.post(crm.url(f"{report.id}/delete")).status_code == 403
    with crm.app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Report)) == 1


def test_a_stranger_gets_404_on_every_report_route(crm: Crm) -> None:
    report = _save(crm, GOOD)
    stranger = crm.factory.user(name="Stranger")
    crm.factory.workspace(stranger, name="Other Co")
    crm.auth.logout()
    crm.auth.login(stranger)
    for method, path in [
        ("GET", ""),
        ("GET", f"{report.id}/"),
        ("GET", f"{report.id}/summary.csv"),
        ("GET", "new"),
        ("POST", "new"),
        ("GET", f"{report.id}/edit"),
        ("POST", f"{report.id}/edit"),
        ("POST", f"{report.id}/delete"),
    ]:
        response = crm.client.open(crm.url(path), method=method, data={"name": "Pwned"})
        assert response.status_code == 404, (method, path)
    with crm.app.app_context():
        assert db.session().get_one(Report, report.id).name == "Deals by stage"


def test_a_report_whose_field_is_gone_says_so(crm: Crm) -> None:
    report = _save(crm, GOOD)
    with crm.app.app_context():
        session = db.session()
        stored = session.get_one(Report, report.id)
        stored.document = {**GOOD, "group_by": "removed_field"}
        session.commit()
    response = crm.client.get(crm.url(f"{report.id}/"))
    assert response.status_code == 422
    assert "no field “removed_field”" in response.get_data(as_text=True)

"""Customer value pages: the asset report and its workbook, the churn list, the settings
page with "Recompute now", the record page's card and the navigation — in English and
中文, with roles, CSRF, escaping, bad input and workspace isolation."""

from __future__ import annotations

import copy
import re
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select, update

from formwork import db
from formwork.models import CustomerMetrics, Role, TierChange, TierScheme, ValueModel
from formwork.value import settings as value_settings
from formwork.web.value_settings import inputs_from_document
from tests.conftest import PASSWORD, Auth, Factory
from tests.integration.forms_fixtures import SCHEMA, published_forms
from tests.integration.test_asset_report import ReportCrm, build_report_crm
from tests.integration.value_fixtures import make_value_crm, settings_doc

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
XSS = "<script>alert('x')</script>"
YEAR_QUERY = "?preset=custom&start=2025-07-01&end=2026-06-30"


@pytest.fixture
def rc(app: Flask, factory: Factory) -> ReportCrm:
    return build_report_crm(app, factory)


def base(rc: ReportCrm) -> str:
    return f"/w/{rc.workspace_id}/value"


def html_of(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return str(response.get_data(as_text=True))


def assert_csp_clean(html: str) -> None:
    assert " style=" not in html and "onclick=" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def settings_post(doc: dict[str, Any], revision: int) -> dict[str, str]:
    """What the settings page posts for ``doc`` (inputs by name)."""
    return {**inputs_from_document(value_settings.normalise(doc)), "revision": str(revision)}


def stored_settings(app: Flask, workspace_id: int) -> tuple[dict[str, Any], int] | None:
    with app.app_context():
        model = db.session().get(ValueModel, workspace_id)
        return (copy.deepcopy(model.settings), model.revision) if model else None


# -- the report ----------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "lang"), [(EN, "en"), (ZH, "zh-CN")])
def test_the_report_renders_in_both_languages_with_svg_charts(
    client: FlaskClient, auth: Auth, rc: ReportCrm, headers: dict[str, str], lang: str
) -> None:
    auth.login(rc.crm.owner)
    html = html_of(client.get(base(rc) + "/" + YEAR_QUERY, headers=headers))
    assert f'<html lang="{lang}">' in html
    assert_csp_clean(html)
    for chart in ("chart-tier-customers", "chart-tier-revenue", "chart-pareto", "chart-clv",
                  "chart-nps", "chart-nps-gauge", "chart-segments"):  # fmt: skip
        assert f'data-testid="{chart}"' in html, chart
    assert html.count("<svg") >= 7 and html.count('role="img"') >= 7
    assert '<title id="chart-pareto-title">' in html
    assert 'data-testid="chart-tier-customers-data"' in html  # the table fallback
    assert re.search(r'data-testid="total-customers">\s*39\s*<', html)
    assert 'data-testid="rfm-55"' in html
    if lang == "zh-CN":
        assert "贵宾" in html  # the tier's Chinese name
    else:
        assert ">VIP<" in html or "VIP:" in html


def test_the_owner_filter_shows_one_members_customers(
    client: FlaskClient, auth: Auth, rc: ReportCrm
) -> None:
    auth.login(rc.crm.owner)
    html = html_of(client.get(base(rc) + "/" + YEAR_QUERY + f"&owner={rc.member.id}"))
    assert re.search(r'data-testid="total-customers">\s*20\s*<', html)
    assert f'<option value="{rc.member.id}" selected>' in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?preset=custom&start=2026-13-01&end=2026-06-30", "start"),
        ("?preset=custom&start=2026-06-30&end=2026-01-01", "end"),
        ("?preset=custom&start=2000-01-01&end=2026-01-01", "end"),
        ("?preset=forever", "preset"),
        ("?owner=999999", "owner"),
        ("?owner=abc", "owner"),
    ],
)
def test_bad_filters_are_named_and_the_default_period_is_shown(
    client: FlaskClient, auth: Auth, rc: ReportCrm, query: str, field: str
) -> None:
    auth.login(rc.crm.owner)
    html = html_of(client.get(base(rc) + "/" + query), 422)
    assert f'id="{field}"' in html and "is-invalid" in html
    assert 'data-testid="figures"' in html
    assert client.get(base(rc) + "/report.xlsx" + query).status_code == 422


def test_an_unconfigured_workspace_says_so(
    client: FlaskClient, auth: Auth, factory: Factory
) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    member = factory.member(workspace, Role.MEMBER)
    auth.login(owner)
    html = html_of(client.get(f"/w/{workspace.id}/value/"))
    assert 'data-testid="not-configured"' in html
    assert f'href="/w/{workspace.id}/value/settings"' in html
    assert 'data-testid="download-xlsx"' not in html
    auth.logout()
    auth.login(member)
    html = html_of(client.get(f"/w/{workspace.id}/value/"))
    assert 'data-testid="not-configured"' in html
    assert f'href="/w/{workspace.id}/value/settings"' not in html
    assert html_of(client.get(f"/w/{workspace.id}/value/churn"))


def test_no_tier_scheme_is_said_plainly(
    client: FlaskClient, auth: Auth, app: Flask, rc: ReportCrm
) -> None:
    with app.app_context():
        session = db.session()
        session.execute(update(TierScheme).values(archived_at=db.utcnow()))
        session.commit()
    auth.login(rc.crm.owner)
    html = html_of(client.get(base(rc) + "/"))
    assert 'data-testid="no-tier-scheme"' in html


def test_the_workbook_has_typed_cells_every_sheet_and_no_formulas(
    client: FlaskClient, auth: Auth, app: Flask, rc: ReportCrm
) -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    with app.app_context():
        session = db.session()
        scheme = session.get_one(TierScheme, rc.scheme_id)
        document = copy.deepcopy(scheme.document)
        document["tiers"][0]["name"] = {"en": formula, "zh-CN": formula}
        scheme.document = document
        session.commit()
    auth.login(rc.crm.owner)
    response = client.get(base(rc) + "/report.xlsx" + YEAR_QUERY, headers=EN)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert (
        "customer-asset-report-2025-07-01-2026-06-30.xlsx"
        in response.headers["Content-Disposition"]
    )
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == [
        "Summary", "Tiers", "Pareto", "CLV distribution", "RFM", "NPS", "Churn warnings",
    ]  # fmt: skip
    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["Customers"].value == 39 and summary["Customers"].data_type == "n"
    assert summary["Period start"].is_date and summary["Period start"].value.year == 2025
    assert isinstance(summary["Revenue in the period"].value, float)
    assert summary["Retention rate"].number_format == "0.0%"
    tiers = [[c.value for c in row] for row in book["Tiers"].iter_rows()]
    assert tiers[0] == ["Tier", "Customers", "Share of customers", "Revenue", "Share of revenue"]
    cell = book["Tiers"]["A2"]
    assert cell.value == "'" + formula and cell.data_type == "s"
    assert sum(row[1] for row in tiers[1:]) == 39
    assert book["Summary"].column_dimensions["A"].width > 10
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for each in row:
                assert each.data_type != "f", (sheet.title, each.coordinate)


def test_the_workbook_headers_follow_the_language(
    client: FlaskClient, auth: Auth, rc: ReportCrm
) -> None:
    auth.login(rc.crm.owner)
    en = load_workbook(BytesIO(client.get(base(rc) + "/report.xlsx", headers=EN).data))
    zh = load_workbook(BytesIO(client.get(base(rc) + "/report.xlsx", headers=ZH).data))
    assert en["Tiers"]["A3"].value == "Normal" and zh.worksheets[1]["A3"].value == "普通"


def test_the_churn_list_shows_customers_with_that_status(
    client: FlaskClient, auth: Auth, app: Flask, rc: ReportCrm
) -> None:
    with app.app_context():
        session = db.session()
        at_risk = session.scalars(
            select(CustomerMetrics.record_id).where(
                CustomerMetrics.workspace_id == rc.workspace_id,
                CustomerMetrics.churn_status == "at_risk",
            )
        ).all()
    auth.login(rc.crm.owner)
    html = html_of(client.get(base(rc) + "/churn?status=at_risk"))
    assert len(at_risk) > 0
    assert html.count(f"/forms/{rc.crm.customers.id}/records/") == len(at_risk)
    assert html_of(client.get(base(rc) + "/churn?status=nonsense"), 422)


# -- settings ------------------------------------------------------------------------------


@pytest.fixture
def fresh(app: Flask, factory: Factory) -> Any:
    """The generated CRM without settings yet."""
    return make_value_crm(app, factory, customers=12, orders=60)


@pytest.mark.parametrize(("headers", "lang"), [(EN, "en"), (ZH, "zh-CN")])
def test_the_settings_page_renders_in_both_languages(
    client: FlaskClient, auth: Auth, rc: ReportCrm, headers: dict[str, str], lang: str
) -> None:
    auth.login(rc.crm.owner)
    html = html_of(client.get(base(rc) + "/settings", headers=headers))
    assert f'<html lang="{lang}">' in html
    assert_csp_clean(html)
    assert re.search(r'<input id="revision" name="revision" type="hidden" value="1">', html)
    assert '<option value="orders" selected>' in html
    assert re.search(r'<option value="amount" data-form="orders" selected>', html)
    assert 'data-testid="grid-editor"' in html and 'class="fw-seg-champions"' in html
    assert 'data-testid="model-refusal"' in html or 'data-testid="model-fit"' in html
    assert "js/value_settings.js" in html


def test_saving_the_settings_round_trips(
    client: FlaskClient, auth: Auth, app: Flask, fresh: Any
) -> None:
    auth.login(fresh.owner)
    url = f"/w/{fresh.workspace.id}/value/settings"
    page = html_of(client.get(url))
    assert 'value="0"' in page and '<option value="customers" selected>' in page
    doc = settings_doc()
    doc["clv"].update(margin=0.35, discount_rate=0.08, expected_years=2.5, predictive=False)
    doc["rfm"]["method"] = "thresholds"
    doc["rfm"]["grid"]["55"] = "loyal"
    doc["churn"]["at_risk_days"] = 60
    posted = settings_post(doc, 0)
    assert posted["clv.margin"] == "35" and posted["clv.discount_rate"] == "8"
    response = client.post(url, data=posted)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    saved = stored_settings(app, fresh.workspace.id)
    assert saved is not None and saved[1] == 1
    assert saved[0] == value_settings.normalise(doc)
    again = html_of(client.get(url))
    assert 'name="clv.margin" value="35"' in again and 'value="2.5"' in again
    assert 'value="thresholds" checked' in again
    assert re.search(r'name="rfm\.grid\.55"[^>]*>\s*(<option[^>]*>[^<]*</option>\s*)*?'
                     r'<option value="loyal" selected>', again)  # fmt: skip
    # Optional parts switched off are stored as null.
    posted = settings_post(doc, 1)
    posted["surveys.form"] = ""
    assert client.post(url, data=posted).status_code == 302
    saved = stored_settings(app, fresh.workspace.id)
    assert saved is not None and saved[0]["surveys"] is None and saved[1] == 2


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"orders.amount": "customer"}, "orders.amount"),
        ({"orders.link": "amount"}, "orders.link"),
        ({"orders.form": "nope"}, "orders.form"),
        ({"clv.margin": "abc"}, "clv.margin"),
        ({"clv.margin": "150"}, "clv.margin"),
        ({"clv.horizon_days": "0"}, "clv.horizon_days"),
        ({"rfm.thresholds.frequency.2": "1"}, "rfm.thresholds.frequency"),
        ({"rfm.grid.11": "royalty"}, "rfm.grid.11"),
        ({"churn.dormant_days": "10"}, "churn.dormant_days"),
        ({"surveys.score": "answered_on"}, "surveys.score"),
    ],
)
def test_invalid_settings_are_shown_next_to_their_input_and_change_nothing(
    client: FlaskClient, auth: Auth, app: Flask, fresh: Any, changes: dict[str, str], named: str
) -> None:
    auth.login(fresh.owner)
    url = f"/w/{fresh.workspace.id}/value/settings"
    assert client.post(url, data=settings_post(settings_doc(), 0)).status_code == 302
    before = stored_settings(app, fresh.workspace.id)
    posted = {**settings_post(settings_doc(), 1), **changes}
    html = html_of(client.post(url, data=posted), 422)
    assert f'data-error-for="{named}"' in html, html[:200]
    assert 'data-testid="settings-errors"' in html
    for name, value in changes.items():  # what was typed stays on the page
        assert f'value="{value}"' in html, name
    assert stored_settings(app, fresh.workspace.id) == before


def test_a_stale_revision_conflicts(
    client: FlaskClient, auth: Auth, app: Flask, fresh: Any
) -> None:
    auth.login(fresh.owner)
    url = f"/w/{fresh.workspace.id}/value/settings"
    assert client.post(url, data=settings_post(settings_doc(), 0)).status_code == 302
    before = stored_settings(app, fresh.workspace.id)
    html = html_of(client.post(url, data=settings_post(settings_doc(), 0)), 409)
    assert "Someone else saved" in html
    assert stored_settings(app, fresh.workspace.id) == before


def test_recompute_now_refreshes_and_says_what_it_did(
    client: FlaskClient, auth: Auth, app: Flask, rc: ReportCrm
) -> None:
    with app.app_context():
        session = db.session()
        session.execute(update(ValueModel).values(computed_at=None))
        session.commit()
    auth.login(rc.crm.owner)
    response = client.post(base(rc) + "/refresh", follow_redirects=True)
    html = html_of(response)
    assert re.search(r"Recomputed 39 customers in [\d.]+ s \(metrics [\d,]+ ms", html)
    with app.app_context():
        assert db.session().get_one(ValueModel, rc.workspace_id).computed_at is not None


def test_recompute_before_any_settings_asks_for_them(
    client: FlaskClient, auth: Auth, fresh: Any
) -> None:
    auth.login(fresh.owner)
    response = client.post(f"/w/{fresh.workspace.id}/value/refresh", follow_redirects=True)
    assert "Save the settings first" in html_of(response)


def test_members_cannot_edit_settings_or_recompute(
    client: FlaskClient, auth: Auth, app: Flask, factory: Factory, rc: ReportCrm
) -> None:
    before = stored_settings(app, rc.workspace_id)
    viewer = factory.member(rc.crm.workspace, Role.VIEWER, name="Vera Viewer")
    for user in (rc.member, viewer):
        auth.login(user)
        assert client.get(base(rc) + "/").status_code == 200
        assert client.get(base(rc) + "/report.xlsx").status_code == 200
        assert client.get(base(rc) + "/settings").status_code == 403
        posted = settings_post(settings_doc(), 1)
        assert client.post(base(rc) + "/settings", data=posted).status_code == 403
        assert client.post(base(rc) + "/refresh").status_code == 403
        nav = html_of(client.get(base(rc) + "/"))
        assert 'data-testid="nav-value-report"' in nav
        assert 'data-testid="nav-value-settings"' not in nav
        auth.logout()
    assert stored_settings(app, rc.workspace_id) == before


def test_settings_and_recompute_need_the_csrf_token(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    crm = make_value_crm(app, Factory(app), customers=5, orders=20)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    assert token is not None
    client.post(
        "/login", data={"email": crm.owner.email, "password": PASSWORD, "csrf_token": token[1]}
    )
    url = f"/w/{crm.workspace.id}/value"
    assert client.post(url + "/settings", data=settings_post(settings_doc(), 0)).status_code == 400
    assert client.post(url + "/refresh").status_code == 400
    assert stored_settings(app, crm.workspace.id) is None
    page = client.get(url + "/settings").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    posted = {**settings_post(settings_doc(), 0), "csrf_token": token[1]}
    assert client.post(url + "/settings", data=posted).status_code == 302
    assert stored_settings(app, crm.workspace.id) is not None


# -- escaping, isolation, record card, navigation ------------------------------------------


def test_user_text_is_escaped_everywhere(
    client: FlaskClient, auth: Auth, app: Flask, rc: ReportCrm
) -> None:
    with app.app_context():
        session = db.session()
        actor = rc.crm.actor(session)
        evil = {
            "$schema": SCHEMA,
            "x-format": 1,
            "type": "object",
            "title": XSS,
            "x-order": ["note"],
            "properties": {"note": {"type": "string", "title": XSS, "x-field": "text"}},
            "additionalProperties": False,
        }
        published_forms(session, actor, {"evil": evil})
        scheme = session.get_one(TierScheme, rc.scheme_id)
        document = copy.deepcopy(scheme.document)
        document["tiers"][0]["name"] = {"en": XSS, "zh-CN": XSS}
        document["tiers"][0]["color"] = '"><script>alert(1)</script>'
        scheme.document = document
        scheme.name = XSS
        customer = session.get_one(CustomerMetrics, rc.crm.customer_ids[1]).record_id
        from formwork.models import Record

        record = session.get_one(Record, customer)
        record.data = {**record.data, "name": XSS}
        session.execute(
            update(CustomerMetrics)
            .where(CustomerMetrics.record_id == customer)
            .values(churn_status="dormant")
        )
        session.add(TierChange(workspace_id=rc.workspace_id, record_id=customer,
                               scheme_id=rc.scheme_id, scheme_key="level", from_tier="normal",
                               to_tier="vip", rule_index=0, source="apply",
                               actor_id=rc.crm.owner.id))  # fmt: skip
        session.commit()
    auth.login(rc.crm.owner)
    pages = [
        client.get(base(rc) + "/" + YEAR_QUERY),
        client.get(base(rc) + "/settings"),
        client.get(base(rc) + "/churn?status=dormant"),
        client.get(f"/w/{rc.workspace_id}/forms/{rc.crm.customers.id}/records/{customer}/"),
    ]
    for response in pages:
        html = html_of(response)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert" in html


def test_strangers_get_404_on_every_value_page(
    client: FlaskClient, auth: Auth, factory: Factory, rc: ReportCrm
) -> None:
    stranger = factory.user(name="Stranger")
    factory.workspace(stranger, name="Elsewhere")
    auth.login(stranger)
    for url in ("/", "/report.xlsx", "/churn", "/settings"):
        assert client.get(base(rc) + url).status_code == 404, url
    for url in ("/settings", "/refresh"):
        assert client.post(base(rc) + url, data={"revision": "1"}).status_code == 404, url


def test_the_record_page_shows_the_customer_value_card(
    client: FlaskClient, auth: Auth, app: Flask, rc: ReportCrm
) -> None:
    customer = rc.crm.customer_ids[0]
    with app.app_context():
        session = db.session()
        session.add(TierChange(workspace_id=rc.workspace_id, record_id=customer,
                               scheme_id=rc.scheme_id, scheme_key="level", from_tier="normal",
                               to_tier="vip", rule_index=0, source="apply",
                               actor_id=rc.crm.owner.id))  # fmt: skip
        session.commit()
        metrics = session.get_one(CustomerMetrics, customer)
        order = session.scalar(
            select(TierChange.id).where(TierChange.record_id == customer).limit(1)
        )
        assert order is not None
    auth.login(rc.crm.owner)
    html = html_of(
        client.get(f"/w/{rc.workspace_id}/forms/{rc.crm.customers.id}/records/{customer}/")
    )
    assert 'data-testid="value-panel"' in html
    assert re.search(rf'data-testid="metric-order_count">\s*{metrics.order_count}\s*<', html)
    assert 'data-testid="tier-history"' in html
    assert "Level" in html and "Normal" in html and "VIP" in html and "Rule 1" in html
    assert "Olivia Owner · applied by hand" in html
    assert "Churn warning" in html  # the churn history the refresh wrote
    orders_page = client.get(
        f"/w/{rc.workspace_id}/forms/{rc.crm.orders.id}/records/{_an_order(app, rc)}/"
    )
    assert 'data-testid="value-panel"' not in html_of(orders_page)


def _an_order(app: Flask, rc: ReportCrm) -> int:
    from formwork.models import Record

    with app.app_context():
        found = db.session().scalar(
            select(Record.id).where(Record.form_id == rc.crm.orders.id, Record.deleted_at.is_(None))
        )
        assert found is not None
        return found


def test_the_navigation_offers_customer_value(
    client: FlaskClient, auth: Auth, rc: ReportCrm
) -> None:
    auth.login(rc.crm.owner)
    html = html_of(client.get(f"/w/{rc.workspace_id}/"))
    assert 'data-testid="nav-value"' in html
    assert f'href="/w/{rc.workspace_id}/value/"' in html
    assert 'data-testid="nav-value-settings"' in html


def test_the_settings_page_shows_the_fitted_parameters_or_the_refusal(
    client: FlaskClient, auth: Auth, app: Flask, rc: ReportCrm
) -> None:
    fitted = {
        "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "customers": 2357},
        "gamma_gamma": {"p": 6.25, "q": 3.74, "v": 15.45, "customers": 946},
        "refusal": None,
    }
    refused = {
        "bgnbd": None,
        "gamma_gamma": None,
        "refusal": {"code": "clv_too_few", "message": {"en": "Too few customers: 3.",
                                                        "zh-CN": "客户太少\uff1a3\u3002"}},
    }  # fmt: skip
    auth.login(rc.crm.owner)
    for fit, expected in ((fitted, ["BG/NBD r", "0.243", "BG/NBD \u03b1", "4.414", "Gamma-Gamma v",
                                    "15.45", "2,357"]),
                          (refused, ["Too few customers: 3."])):  # fmt: skip
        with app.app_context():
            session = db.session()
            session.get_one(ValueModel, rc.workspace_id).model_fit = fit
            session.commit()
        html = html_of(client.get(base(rc) + "/settings", headers=EN))
        for text in expected:
            assert text in html, text
    html = html_of(client.get(base(rc) + "/settings", headers=ZH))
    assert "客户太少\uff1a3\u3002" in html


@pytest.mark.parametrize(
    ("query", "preset", "start", "end", "errors"),
    [
        ("", "365d", "2025-07-01", "2026-06-30", []),
        ("preset=30d&start=2020-01-01&end=2020-02-01", "30d", "2026-06-01", "2026-06-30", []),
        ("preset=year&owner=999", "year", "2026-01-01", "2026-06-30", ["owner"]),
        ("preset=custom&start=2026-02-01&end=2026-02-28", "custom", "2026-02-01", "2026-02-28", []),
        ("start=2026-02-01&end=2026-02-28", "custom", "2026-02-01", "2026-02-28", []),
        ("preset=custom&start=2026-02-30&end=2026-03-01", "custom", "2026-02-30", "2026-03-01",
         ["start"]),
        ("preset=week", "365d", "2025-07-01", "2026-06-30", ["preset"]),
        ("scheme=x1", "365d", "2025-07-01", "2026-06-30", ["scheme"]),
    ],
)  # fmt: skip
def test_report_filters_are_read_from_the_query_string(
    app: Flask, query: str, preset: str, start: str, end: str, errors: list[str]
) -> None:
    from datetime import date

    from formwork.web.value_report_view import parse_filters

    with app.test_request_context("/?" + query):
        from flask import request

        filters = parse_filters(request.args, date(2026, 6, 30), {7: "Mia"})
    assert (filters.preset, filters.start_text, filters.end_text) == (preset, start, end)
    assert sorted(filters.errors) == errors
    if not errors or errors in (["owner"], ["scheme"]):
        assert filters.period.start.isoformat() == start

"""The records list page and saved views: search, filters, sorts, pages, recycle bin,
error messages in both languages, view permissions, managed indexes, isolation, escaping."""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from formwork import db
from formwork.models import Form, ManagedIndex, Role, SavedView, User, Workspace
from formwork.services import record_query, records, saved_views
from formwork.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import Auth, Factory
from tests.integration.forms_fixtures import SCHEMA, actor, published_forms

TODAY = date.today()

CONTACTS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Contacts",
    "x-titles": {"zh-CN": "联系人"},
    "x-order": ["name", "level", "amount", "joined", "seen", "active", "tags", "note"],
    "properties": {
        "name": {
            "type": "string",
            "title": "Name",
            "maxLength": 100,
            "x-field": "text",
            "x-titles": {"zh-CN": "姓名"},
        },
        "level": {
            "type": "string",
            "enum": ["normal", "vip"],
            "title": "Level",
            "x-field": "select",
            "x-titles": {"zh-CN": "等级"},
            "x-option-titles": {
                "normal": {"en": "Normal", "zh-CN": "普通"},
                "vip": {"en": "VIP", "zh-CN": "贵宾"},
            },
        },
        "amount": {"type": "number", "title": "Amount", "x-field": "money", "x-currency": "CNY"},
        "joined": {"type": "string", "format": "date", "title": "Joined", "x-field": "date"},
        "seen": {
            "type": "string",
            "format": "date-time",
            "title": "Last seen",
            "x-field": "datetime",
        },
        "active": {"type": "boolean", "title": "Active", "x-field": "checkbox"},
        "tags": {
            "type": "array",
            "title": "Tags",
            "items": {"type": "string", "maxLength": 50},
            "uniqueItems": True,
            "x-field": "tags",
        },
        "note": {"type": "string", "title": "Note", "maxLength": 1000, "x-field": "textarea"},
    },
    "required": ["name"],
    "additionalProperties": False,
}

XSS = "<script>alert('x')</script>"
ROWS: list[dict[str, Any]] = [
    {
        "name": "张三丰",
        "level": "vip",
        "amount": 1200.5,
        "joined": "2024-01-10",
        "seen": "2024-03-01T08:30:00Z",
        "active": True,
        "tags": ["key", "north"],
    },
    {
        "name": "李四",
        "level": "normal",
        "amount": 300,
        "joined": (TODAY - timedelta(days=3)).isoformat(),
        "active": False,
        "tags": ["south"],
    },
    {"name": "Alice Smith", "level": "vip", "note": "likes tea"},
    {"name": "Bob", "level": "normal", "amount": 50, "joined": "2023-05-01", "active": True},
    {"name": XSS, "note": '<img src=x onerror="alert(1)">', "amount": 300},
]


@dataclass
class Crm:
    app: Flask
    client: FlaskClient
    auth: Auth
    factory: Factory
    owner: User
    workspace: Workspace
    form: Form
    ids: dict[str, int]

    @property
    def url(self) -> str:
        return f"/w/{self.workspace.id}/forms/{self.form.id}/"

    def get(self, client: FlaskClient | None = None, lang: str = "en", **params: Any) -> Any:
        query = {
            k: json.dumps(v) if k == "filter" and not isinstance(v, str) else v
            for k, v in params.items()
        }
        return (client or self.client).get(
            self.url + ("?" + urlencode(query) if query else ""),
            headers={"Accept-Language": lang},
        )

    def names(self, **params: Any) -> list[str]:
        """The first cell of each row, in order."""
        response = self.get(**params)
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        return first_cells(response.get_data(as_text=True))

    def member(self, role: Role, name: str = "Member") -> User:
        return self.factory.member(self.workspace, role, name=name)


def first_cells(html: str) -> list[str]:
    rows = re.findall(r'<tr data-record-id="\d+">(.*?)</tr>', html, flags=re.S)
    cells = []
    for row in rows:
        tds = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        cells.append(html_lib.unescape(re.sub(r"<[^>]+>", "", tds[1]).strip()))
    return cells


@pytest.fixture
def crm(app: Flask, client: FlaskClient, auth: Auth, factory: Factory) -> Crm:
    owner = factory.user(name="Owner")
    workspace = factory.workspace(owner)
    with app.app_context():
        who = actor(app, owner, workspace)
        session = db.session()
        form = published_forms(session, who, {"contacts": CONTACTS})["contacts"]
        created = records.bulk_create(session, who, form, ROWS, source="json")
        ids = {row["name"]: record_id for row, record_id in zip(ROWS, created, strict=True)}
    auth.login(owner)
    return Crm(app, client, auth, factory, owner, workspace, form, ids)


# -- showing -----------------------------------------------------------------------------


def test_list_shows_records_newest_first_formatted_per_locale(crm: Crm) -> None:
    english = crm.get().get_data(as_text=True)
    assert first_cells(english) == [XSS, "Bob", "Alice Smith", "李四", "张三丰"]
    assert ">VIP<" in english and "2024-01-10" in english and "5 records" in english
    chinese = crm.get(lang="zh-CN").get_data(as_text=True)
    assert "姓名" in chinese and "贵宾" in chinese and "2024年1月10日" in chinese
    assert "联系人" in chinese


def test_record_values_are_escaped(crm: Crm) -> None:
    html = crm.get().get_data(as_text=True)
    assert XSS not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_rows_link_to_records_and_members_get_a_new_record_button(crm: Crm) -> None:
    html = crm.get().get_data(as_text=True)
    base = f"/w/{crm.workspace.id}/forms/{crm.form.id}/records/"
    assert re.search(rf'href="{base}{crm.ids["Bob"]}/?"', html)
    assert re.search(rf'href="{base}new/?"', html)


def test_viewers_see_the_list_without_new_record_or_recycle_bin(crm: Crm) -> None:
    viewer = crm.member(Role.VIEWER)
    crm.auth.logout()
    crm.auth.login(viewer)
    html = crm.get().get_data(as_text=True)
    assert len(first_cells(html)) == 5
    assert 'data-testid="new-record"' not in html and 'data-testid="bin-toggle"' not in html
    assert crm.get(bin="1").status_code == 403


def test_empty_states_are_honest(crm: Crm) -> None:
    assert "No records match this search." in crm.get(q="nobody-has-this").get_data(as_text=True)
    nothing = crm.get(filter={"==": [{"var": "name"}, "nobody"]}).get_data(as_text=True)
    assert "No records match this filter." in nothing
    with crm.app.app_context():
        session = db.session()
        who = actor(crm.app, crm.owner, crm.workspace)
        other = published_forms(session, who, {"empty": {**CONTACTS, "title": "Empty"}})["empty"]
    response = crm.client.get(f"/w/{crm.workspace.id}/forms/{other.id}/")
    assert "No records yet." in response.get_data(as_text=True)


# -- search, filter, sort, pages ---------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("三丰", ["张三丰"]),
        ("李", ["李四"]),
        ("alice", ["Alice Smith"]),
        ("SMITH alice", ["Alice Smith"]),
        ("nobody", []),
    ],
)
def test_search_matches_substrings_including_chinese(
    crm: Crm, search: str, expected: list[str]
) -> None:
    assert crm.names(q=search) == expected


DAYS_AGO = {"<=": [0, {"days_since": [{"var": "joined"}]}, 7]}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"==": [{"var": "name"}, "Bob"]}, {"Bob"}),
        ({"!=": [{"var": "name"}, "Bob"]}, {"张三丰", "李四", "Alice Smith", XSS}),
        ({"in": ["三", {"var": "name"}]}, {"张三丰"}),
        ({"is_empty": [{"var": "note"}]}, {"张三丰", "李四", "Bob"}),
        ({"not_empty": [{"var": "note"}]}, {"Alice Smith", XSS}),
        ({">=": [{"var": "amount"}, 300]}, {"张三丰", "李四", XSS}),
        ({"<": [{"var": "amount"}, 300]}, {"Bob"}),
        ({"<=": [100, {"var": "amount"}, 500]}, {"李四", XSS}),
        ({"is_empty": [{"var": "amount"}]}, {"Alice Smith"}),
        ({"<": [{"var": "joined"}, "2024-01-01"]}, {"Bob"}),
        (DAYS_AGO, {"李四"}),
        ({">": [{"days_since": [{"var": "joined"}]}, 30]}, {"张三丰", "Bob"}),
        ({">": [{"var": "seen"}, "2024-03-01T08:00:00Z"]}, {"张三丰"}),
        ({"==": [{"var": "active"}, True]}, {"张三丰", "Bob"}),
        ({"==": [{"var": "active"}, False]}, {"李四"}),
        ({"in": [{"var": "level"}, ["vip"]]}, {"张三丰", "Alice Smith"}),
        ({"contains_any": [{"var": "tags"}, ["south", "north"]]}, {"张三丰", "李四"}),
        (
            {
                "or": [
                    {"==": [{"var": "level"}, "vip"]},
                    {"and": [{"==": [{"var": "active"}, True]}, {"<": [{"var": "amount"}, 100]}]},
                ]
            },
            {"张三丰", "Alice Smith", "Bob"},
        ),
    ],
)
def test_filters_per_operator_kind(crm: Crm, condition: dict[str, Any], expected: set[str]) -> None:
    names = crm.names(filter=condition)
    assert set(names) == expected and len(names) == len(expected)


def test_filter_and_search_combine(crm: Crm) -> None:
    assert crm.names(q="a", filter={"==": [{"var": "level"}, "vip"]}) == ["Alice Smith"]


def test_sort_puts_empty_values_last_in_both_directions(crm: Crm) -> None:
    assert crm.names(sort="amount", cols="name,amount") == [
        "Bob",
        XSS,
        "李四",
        "张三丰",
        "Alice Smith",
    ]  # 300 twice: newest first
    assert crm.names(sort="-amount") == ["张三丰", XSS, "李四", "Bob", "Alice Smith"]


def test_multi_column_sort(crm: Crm) -> None:
    assert crm.names(sort="level,-name") == ["李四", "Bob", "张三丰", "Alice Smith", XSS]
    # The sort dialog sends field/direction pairs.
    response = crm.client.get(
        crm.url + "?sort_field=level&sort_dir=desc&sort_field=name"
        "&sort_dir=asc&sort_field=&sort_dir=asc"
    )
    assert first_cells(response.get_data(as_text=True)) == [
        "Alice Smith",
        "张三丰",
        "Bob",
        "李四",
        XSS,
    ]


def test_header_links_cycle_sort_and_shift_adds_a_sort(crm: Crm) -> None:
    html = crm.get(sort="name").get_data(as_text=True)
    header = re.search(
        r'<th scope="col" aria-sort="ascending" data-sort-key="name">.*?</th>', html, flags=re.S
    )
    assert header is not None
    assert "sort=-name" in header.group(0)
    level = re.search(
        r'data-sort-key="level">\s*<a class="fw-sort-link" href="([^"]+)" '
        r'data-shift-href="([^"]+)"',
        html,
    )
    assert level is not None
    assert "sort=level" in level.group(1) and "sort=name,level" in level.group(2)


def test_columns_choose_what_is_shown(crm: Crm) -> None:
    html = crm.get(cols="amount,_created_at").get_data(as_text=True)
    headers = re.findall(r'data-sort-key="([^"]+)"', html)
    assert headers == ["amount", "_created_at"]
    chooser = crm.client.get(crm.url + "?cols_form=1&col=level&col=name").get_data(as_text=True)
    assert re.findall(r'data-sort-key="([^"]+)"', chooser) == ["level", "name"]


def test_pages_and_page_sizes(crm: Crm) -> None:
    with crm.app.app_context():
        session = db.session()
        who = actor(crm.app, crm.owner, crm.workspace)
        records.bulk_create(
            session,
            who,
            session.merge(crm.form),
            [{"name": f"Extra {i:02d}"} for i in range(20)],
            source="json",
        )
    first = crm.get().get_data(as_text=True)
    assert len(first_cells(first)) == 20 and "25 records" in first and 'rel="next"' in first
    second = crm.names(page="2")
    assert second == ["李四", "张三丰"] or len(second) == 5
    assert len(second) == 5 and second[-1] == "张三丰"
    assert len(crm.names(size="50")) == 25
    assert len(crm.names(size="7")) == 20  # not an offered size: the default
    assert crm.names(page="99") == []
    assert "This page is past the last record." in crm.get(page="99").get_data(as_text=True)


def test_count_is_capped(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_query, "COUNT_CAP", 3)
    html = crm.get().get_data(as_text=True)
    assert "3+ records" in html and len(first_cells(html)) == 5


def test_recycle_bin_lists_deleted_records_with_restore(crm: Crm) -> None:
    with crm.app.app_context():
        session = db.session()
        who = actor(crm.app, crm.owner, crm.workspace)
        records.delete_record(session, who, session.merge(crm.form), crm.ids["Bob"])
    assert "Bob" not in crm.names()
    html = crm.get(bin="1").get_data(as_text=True)
    assert first_cells(html) == ["Bob"]
    restore = f"/w/{crm.workspace.id}/forms/{crm.form.id}/records/{crm.ids['Bob']}/restore"
    assert re.search(rf'action="{restore}/?"', html)
    assert crm.names(bin="1", q="zzz") == []


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["{not json", "[" * 5000, "x" * 30_000])
def test_malformed_filter_is_a_message_and_an_empty_list(crm: Crm, bad: str) -> None:
    response = crm.get(filter=bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-testid="list-error"' in html and "This filter" in html
    assert first_cells(html) == []


@pytest.mark.parametrize(
    ("condition", "english", "chinese"),
    [
        ({"==": [{"var": "nmae"}, "Bob"]}, "Unknown field “nmae”", "字段“nmae”不存在"),
        ({"==": [{"var": "amount"}, "lots"]}, "cannot compare", "无法比较数字与文本"),
        ({"bogus": [1]}, "Unknown operator “bogus”", "运算符“bogus”无法识别"),
        ({"changed": "name"}, "This filter cannot be used", "只能用于自动化"),
    ],
)
def test_invalid_filter_says_why_in_the_users_language(
    crm: Crm, condition: dict[str, Any], english: str, chinese: str
) -> None:
    response = crm.get(filter=condition)
    assert response.status_code == 422
    assert english in response.get_data(as_text=True)
    in_chinese = crm.get(filter=condition, lang="zh-CN")
    assert in_chinese.status_code == 422
    alert = re.search(r'data-testid="list-error">(.*?)</div>', in_chinese.get_data(as_text=True))
    assert alert is not None and chinese in alert.group(1)


def test_unknown_sort_field_is_a_message(crm: Crm) -> None:
    response = crm.get(sort="nope")
    assert response.status_code == 422
    assert "Unknown sort field “nope”" in response.get_data(as_text=True)


def test_strangers_get_404(crm: Crm) -> None:
    stranger = crm.factory.user(name="Stranger")
    crm.factory.workspace(stranger, name="Elsewhere")
    crm.auth.logout()
    crm.auth.login(stranger)
    assert crm.get().status_code == 404
    assert (
        crm.client.post(crm.url + "views", data={"name": "Mine", "size": "20"}).status_code == 404
    )
    with crm.app.app_context():
        assert db.session().scalar(select(SavedView.id)) is None


def test_a_form_of_another_workspace_is_not_found_from_mine(crm: Crm) -> None:
    stranger = crm.factory.user(name="Stranger")
    theirs = crm.factory.workspace(stranger, name="Elsewhere")
    with crm.app.app_context():
        session = db.session()
        form = published_forms(session, actor(crm.app, stranger, theirs), {"contacts": CONTACTS})[
            "contacts"
        ]
    assert crm.client.get(f"/w/{crm.workspace.id}/forms/{form.id}/").status_code == 404


# -- saved views -------------------------------------------------------------------------


def _save(crm: Crm, name: str, client: FlaskClient | None = None, **state: str) -> Any:
    data = {"name": name, "q": "", "filter": "", "sort": "", "cols": "", "size": "20", **state}
    return (client or crm.client).post(crm.url + "views", data=data)


def _view_id(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"view=(\d+)", response.headers["Location"])
    assert match is not None
    return int(match.group(1))


def test_saved_view_keeps_the_list_state_and_applies_it(crm: Crm) -> None:
    vips = json.dumps({"==": [{"var": "level"}, "vip"]})
    view_id = _view_id(_save(crm, "VIPs", filter=vips, sort="-name", cols="name,level", size="50"))
    html = crm.get(view=str(view_id)).get_data(as_text=True)
    assert first_cells(html) == ["张三丰", "Alice Smith"]
    assert 'data-testid="active-view">VIPs' in html and "modified" not in html
    # A parameter given explicitly wins over the view; an empty one means "none".
    assert len(crm.names(view=str(view_id), filter="")) == 5
    assert "· modified" in crm.get(view=str(view_id), filter="").get_data(as_text=True)


def test_saving_a_view_checks_names_and_fields(crm: Crm) -> None:
    _view_id(_save(crm, "Mine"))
    again = _save(crm, " mine ")
    assert again.status_code == 302 and "view=" not in again.headers["Location"]
    page = crm.client.get(again.headers["Location"]).get_data(as_text=True)
    assert "A view named “mine” already exists." in page
    bad = _save(crm, "Bad", filter=json.dumps({"==": [{"var": "nope"}, 1]}))
    page = crm.client.get(bad.headers["Location"]).get_data(as_text=True)
    assert "Unknown field “nope”" in page
    with crm.app.app_context():
        session = db.session()
        who = actor(crm.app, crm.owner, crm.workspace)
        form = session.merge(crm.form)
        with pytest.raises(Invalid, match="Unknown column"):
            saved_views.create_view(session, who, form, "Cols", {"columns": ["nope"]})
        with pytest.raises(Invalid, match="sort"):
            saved_views.create_view(session, who, form, "Sorts", {"sorts": [{"key": "nope"}]})
        with pytest.raises(Invalid):
            saved_views.create_view(session, who, form, "", {})
        assert [v.name for v in saved_views.list_views(session, who, form)] == ["Mine"]


def test_personal_views_belong_to_their_owner(crm: Crm) -> None:
    view_id = _view_id(_save(crm, "Owner's"))
    crm.get()  # shows (and so clears) the "saved" message
    member = crm.member(Role.MEMBER)
    crm.auth.logout()
    crm.auth.login(member)
    html = crm.get().get_data(as_text=True)
    assert "Owner&#39;s" not in html
    assert crm.get(view=str(view_id)).status_code == 422  # hidden: "does not exist"
    assert crm.client.post(crm.url + f"views/{view_id}", data={"name": "Stolen"}).status_code == 403
    assert crm.client.post(crm.url + f"views/{view_id}/delete").status_code == 403
    mine = _view_id(_save(crm, "Owner's"))  # the same name is fine for another person
    assert mine != view_id
    with crm.app.app_context():
        assert db.session().get(SavedView, view_id).name == "Owner's"  # type: ignore[union-attr]


def test_shared_views_are_made_by_admins_and_seen_by_everyone(crm: Crm) -> None:
    member = crm.member(Role.MEMBER)
    shared_id = _view_id(_save(crm, "Team", shared="1", sort="name"))
    crm.auth.logout()
    crm.auth.login(member)
    assert _save(crm, "Nope", shared="1").status_code == 403
    html = crm.get().get_data(as_text=True)
    assert "Shared views" in html and ">Team</option>" in html
    assert crm.get(view=str(shared_id)).status_code == 200
    assert (
        crm.client.post(crm.url + f"views/{shared_id}", data={"name": "Mine now"}).status_code
        == 403
    )
    assert crm.client.post(crm.url + f"views/{shared_id}/delete").status_code == 403
    crm.auth.logout()
    crm.auth.login(crm.owner)
    renamed = crm.client.post(
        crm.url + f"views/{shared_id}",
        data={"q": "a", "filter": "", "sort": "", "cols": "", "size": "100"},
    )
    assert renamed.status_code == 302
    with crm.app.app_context():
        view = db.session().get(SavedView, shared_id)
        assert view is not None and view.definition["page_size"] == 100
        assert view.definition["search"] == "a"
    assert crm.client.post(crm.url + f"views/{shared_id}/delete").status_code == 302
    with crm.app.app_context():
        assert db.session().get(SavedView, shared_id) is None


def test_view_service_refuses_other_workspaces_and_roles(crm: Crm) -> None:
    member = crm.member(Role.MEMBER)
    stranger = crm.factory.user(name="Stranger")
    theirs = crm.factory.workspace(stranger, name="Elsewhere")
    with crm.app.app_context():
        session = db.session()
        who = actor(crm.app, crm.owner, crm.workspace)
        form = session.merge(crm.form)
        view = saved_views.create_view(session, who, form, "Shared", {}, shared=True)
        as_member = actor(crm.app, member, crm.workspace)
        with pytest.raises(Forbidden):
            saved_views.update_view(session, as_member, form, view.id, name="X")
        with pytest.raises(Forbidden):
            saved_views.create_view(session, as_member, form, "S", {}, shared=True)
        them = actor(crm.app, stranger, theirs)
        with pytest.raises(NotFound):
            saved_views.get_view(session, them, form, view.id)
        with pytest.raises(NotFound):
            saved_views.delete_view(session, them, form, view.id)
        with pytest.raises(Conflict):
            saved_views.create_view(session, who, form, "SHARED", {}, shared=True)


def test_view_fields_get_expression_indexes(crm: Crm) -> None:
    condition = {"and": [{">=": [{"var": "amount"}, 100]}, {"==": [{"var": "level"}, "vip"]}]}
    view_id = _view_id(_save(crm, "Indexed", filter=json.dumps(condition), sort="-joined"))
    with crm.app.app_context():
        session = db.session()
        rows = session.scalars(
            select(ManagedIndex).where(
                ManagedIndex.form_id == crm.form.id, ManagedIndex.purpose == "filter"
            )
        ).all()
        assert {row.field_key for row in rows} == {"amount", "level", "joined"}
        view = session.get(SavedView, view_id)
        assert view is not None and view.definition["filter_fields"] == ["amount", "level"]
        if session.get_bind().dialect.name == "sqlite":
            _assert_partial_and_used(session, crm.form, rows)
    # The list still uses them correctly, and deleting the view drops them.
    assert crm.names(view=str(view_id)) == ["张三丰"]
    crm.client.post(crm.url + f"views/{view_id}/delete")
    with crm.app.app_context():
        assert (
            db.session().scalar(select(ManagedIndex.name).where(ManagedIndex.purpose == "filter"))
            is None
        )


def _assert_partial_and_used(session: Any, form: Form, rows: Any) -> None:
    """On SQLite a field index holds only its form's records (writes to other forms skip
    it), and a statement binding ``form_id`` still picks it: SQLite re-plans for the bound
    value."""
    from sqlalchemy import text

    for row in rows:
        ddl = session.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"),
            {"name": row.name},
        )
        assert ddl.endswith(f"WHERE form_id = {form.id}"), ddl
        assert any(row.name in line for line in _list_plan(session, form, row, form.id))
        # Another form's id binds to a plan without it (the index has none of its rows).
        assert not any(row.name in line for line in _list_plan(session, form, row, form.id + 99))


def _list_plan(session: Any, form: Form, index: ManagedIndex, form_id: int) -> list[str]:
    """SQLite's plan for a list sorted by the index's field, ``form_id`` bound."""
    from formwork.models import Record
    from formwork.services.indexes import sortable_value

    key = sortable_value(index.field_key, index.sql_kind, "sqlite")
    query = (
        select(Record.id)
        .where(Record.workspace_id == form.workspace_id, Record.form_id == form_id)
        .order_by(key)
        .limit(5)
    )
    compiled = query.compile(dialect=session.get_bind().dialect)
    values = tuple(compiled.params[name] for name in compiled.positiontup or ())
    found = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
    return [line[-1] for line in found]

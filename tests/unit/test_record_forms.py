"""The WTForms adapter: every field type gets a WTForms field, posted MultiDicts become
exactly what ``CompiledForm.clean(raw, "html")`` reads, engine errors land on the inputs.

No database: runtimes are built straight from documents.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    FieldList,
    FileField,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

from form_engine.fields import FIELD_TYPES
from form_engine.fields import FIELD_TYPES as F
from form_engine.messages import FieldError, render
from formwork import create_app
from formwork.services.form_runtime import FormRuntime, build_runtime
from formwork.web.record_forms import (
    ComputedField,
    LinkChoices,
    RecordForm,
    form_class_for,
    input_data,
)
from formwork.web.record_input import (
    apply_errors,
    hidden_keys,
    page_config,
    raw_input,
    required_now,
)
from tests.integration.test_record_pages import kitchen_sink

_ids = iter(range(1000, 100000))


def runtime_of(document: dict[str, Any]) -> FormRuntime:
    return build_runtime(next(_ids), 1, 1, document)


def document(**props: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "x-format": 1,
        "type": "object", "title": "T", "x-order": list(props), "properties": props,
        "additionalProperties": False,
    }  # fmt: skip


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app({
        "TESTING": True, "SECRET_KEY": "x" * 40, "DATABASE_URL": "sqlite://",
        "INSTANCE_PATH": tempfile.mkdtemp(prefix="formwork-record-forms-"),
        "WTF_CSRF_ENABLED": False,
    })  # fmt: skip


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    with app.test_request_context("/"):
        yield


class FakeChoices:
    def __init__(self, members: list[tuple[int, str]], rows: list[tuple[int, str]],
                 truncated: bool = False) -> None:  # fmt: skip
        self._members, self._rows, self.truncated = members, rows, truncated
        self.asked: list[tuple[str, list[int]]] = []

    def members(self) -> list[tuple[int, str]]:
        return self._members

    def records(self, form_key: str, include: Iterable[int] = ()) -> LinkChoices:
        self.asked.append((form_key, list(include)))
        return LinkChoices(list(self._rows), truncated=self.truncated)


def make(
    runtime: FormRuntime, locale: str = "en", provider: Any = None, **kwargs: Any
) -> RecordForm:
    return form_class_for(runtime, locale, provider)(**kwargs)


KITCHEN = runtime_of(kitchen_sink())

MAPPING: dict[str, tuple[type, str | None]] = {
    "name": (StringField, "text"), "bio": (TextAreaField, None),
    "count": (StringField, "text"), "price": (StringField, "text"),
    "rate": (StringField, "text"), "born": (StringField, "date"),
    "met_at": (StringField, "datetime-local"), "level": (SelectField, None),
    "colors": (SelectMultipleField, None), "agree": (BooleanField, "checkbox"),
    "stars": (RadioField, None), "score": (RadioField, None),
    "email": (StringField, "email"), "phone": (StringField, "tel"),
    "site": (StringField, "url"), "addr": (FormField, None), "owner": (SelectField, None),
    "customer": (SelectField, None), "customers": (SelectMultipleField, None),
    "tags": (StringField, "text"), "lines": (FieldList, None),
    "serial": (ComputedField, None), "double": (ComputedField, None),
    "customer_phone": (ComputedField, None), "order_count": (ComputedField, None),
    "files": (FileField, "file"), "secret": (StringField, "text"),
}  # fmt: skip


def test_the_sample_form_uses_every_field_type_of_the_catalogue() -> None:
    used = {kind.key for _key, _schema, kind in KITCHEN.compiled.fields}
    assert used == set(FIELD_TYPES)


@pytest.mark.parametrize(("key", "expected"), MAPPING.items(), ids=list(MAPPING))
def test_each_field_type_maps_to_its_wtforms_field(
    request_context: None, key: str, expected: tuple[type, str | None]
) -> None:
    page = make(KITCHEN)
    bound = page._fields["fw_" + key]
    field_class, input_type = expected
    assert isinstance(bound, field_class)
    assert bound.name == key
    if input_type is not None:
        assert getattr(bound.widget, "input_type", None) == input_type


def test_number_inputs_ask_for_a_decimal_keyboard_and_layout_items_have_no_input(
    request_context: None,
) -> None:
    page = make(KITCHEN)
    assert 'inputmode="decimal"' in str(page._fields["fw_price"]())
    assert "fw_intro" not in page._fields and "fw_note" not in page._fields
    assert [choice.label for choice in page._fields["fw_level"].iter_choices()] == [
        "—", "Alpha", "b"]  # fmt: skip
    assert [c.value for c in page._fields["fw_score"].iter_choices()] == [str(i) for i in range(11)]
    assert [c.value for c in page._fields["fw_stars"].iter_choices()] == ["1", "2", "3", "4", "5"]


def test_labels_and_help_come_from_the_document_in_the_users_language(
    request_context: None,
) -> None:
    english, chinese = make(KITCHEN, "en"), make(KITCHEN, "zh_CN")
    assert english._fields["fw_name"].label.text == "Name"
    assert chinese._fields["fw_name"].label.text == "名称"
    assert english._fields["fw_name"].description == "Full"
    assert [c.label for c in chinese._fields["fw_level"].iter_choices()][1] == "甲"
    assert [spec.label for spec in chinese.specs][:1] == ["基本信息"]


def test_classes_are_cached_per_form_version_and_locale() -> None:
    first = form_class_for(KITCHEN, "en", None)
    again = form_class_for(KITCHEN, "en-US", FakeChoices([], []))
    chinese = form_class_for(KITCHEN, "zh-CN", None)
    assert first.__mro__[1] is again.__mro__[1]  # the same cached base, new provider
    assert chinese.__mro__[1] is not first.__mro__[1]


def test_fields_named_like_form_attributes_keep_their_names(request_context: None) -> None:
    names = ("data", "meta", "errors", "validate")
    runtime = runtime_of(document(**{name: F["text"].fragment(title=name) for name in names}))
    posted = MultiDict({"data": "1", "meta": "2", "errors": "3", "validate": "4"})
    page = make(runtime, formdata=posted)
    assert [page._fields["fw_" + n].name for n in ("data", "meta", "errors")] == [
        "data", "meta", "errors"]  # fmt: skip
    assert page.validate() and isinstance(page.data, dict)
    raw = raw_input(page.specs, posted)
    assert runtime.compiled.clean(raw.values, "html") == (
        {"data": "1", "meta": "2", "errors": "3", "validate": "4"}, [])  # fmt: skip


def clean(runtime: FormRuntime, pairs: list[tuple[str, str]]) -> tuple[dict[str, Any], Any]:
    specs = form_class_for(runtime, "en", None).specs
    raw = raw_input(specs, MultiDict(pairs))
    return runtime.compiled.clean(raw.values, "html", visible=runtime.is_visible)


def test_posted_inputs_become_the_raw_mapping_the_engine_reads() -> None:
    data, errors = clean(KITCHEN, [
        ("name", " K "), ("colors", "red"), ("colors", "blue"), ("tags", "a, b\uff1bc"),
        ("addr-province", "广东省"), ("addr-city", ""), ("addr-district", ""),
        ("addr-detail", "1号"), ("customers", "3"), ("customers", "4"),
        ("lines-0-item", "Pen"), ("lines-0-qty", "2"), ("lines-2-item", " "),
        ("lines-2-qty", ""), ("lines-9-item", "Ink"), ("lines-9-gift", "y"),
        ("double", "7"), ("serial", "X"), ("csrf_token", "t"), ("_version", "3"),
    ])  # fmt: skip
    assert errors == []
    assert data == {
        "name": "K", "colors": ["red", "blue"], "tags": ["a", "b", "c"],
        "addr": {"province": "广东省", "detail": "1号"}, "customers": [3, 4],
        "lines": [{"item": "Pen", "qty": 2, "gift": False}, {"item": "Ink", "gift": True}],
        "agree": False,  # an unticked box posts nothing and reads as false
    }  # fmt: skip


def test_a_single_valued_field_posted_twice_is_refused_by_the_engine() -> None:
    _data, errors = clean(KITCHEN, [("name", "A"), ("name", "B")])
    assert [(e.path, e.code) for e in errors] == [(("name",), "one_value_only")]


def test_subform_rows_come_back_by_page_position(request_context: None) -> None:
    posted = MultiDict([("lines-1-item", "A"), ("lines-4-item", ""), ("lines-6-qty", "x")])
    raw = raw_input(form_class_for(KITCHEN, "en", None).specs, posted)
    assert raw.values["lines"] == [{"item": "A"}, {"qty": "x"}]
    assert raw.rows == {"lines": [0, 2]}  # row 6 is the page's third row
    page = make(KITCHEN, formdata=posted)
    _data, errors = KITCHEN.compiled.clean(raw.values, "html")
    unplaced = apply_errors(page, errors, "zh-CN", raw.rows)
    assert unplaced == []
    assert page.errors_for("lines-2-qty") == ["请输入数字，例如 1234.5。"]  # noqa: RUF001
    cell = page._fields["fw_lines"].entries[2].form._fields["fw_qty"]
    assert cell.errors == ["请输入数字，例如 1234.5。"]  # noqa: RUF001


ADDRESS_MESSAGE = render("address_needs_province", "en")


def test_engine_errors_go_to_the_deepest_rendered_input(request_context: None) -> None:
    page = make(KITCHEN)
    errors = [
        FieldError(("phone",), "bad_phone_cn"),
        FieldError(("addr", "province"), "address_needs_province"),
        FieldError(("colors", 0), "not_an_option", {"value": "pink"}),
        FieldError((), "not_unique"),
        FieldError(("gone",), "required"),
    ]
    unplaced = apply_errors(page, errors, "en", {})
    assert page.errors_for("phone") and page._fields["fw_phone"].errors == page.errors_for("phone")
    assert page.errors_for("addr-province") == [ADDRESS_MESSAGE]
    assert page.errors_for("colors") == ["“pink” is not one of the options."]
    assert unplaced == ["Another record already has this value.", "This field is required."]


def test_stored_values_become_input_values() -> None:
    specs = form_class_for(KITCHEN, "en", None).specs
    shown = input_data(specs, {
        "met_at": "2026-01-02T03:04:00Z", "count": 5.0, "tags": ["a", "b"], "owner": 7,
        "customers": [3, 4], "addr": {"province": "P"}, "agree": False,
        "lines": [{"item": "Pen", "qty": 2}], "double": 10,
    })  # fmt: skip
    assert shown == {
        "fw_met_at": "2026-01-02T03:04", "fw_count": "5", "fw_tags": "a, b", "fw_owner": "7",
        "fw_customers": ["3", "4"], "fw_agree": False,
        "fw_addr": {"province": "P", "city": None, "district": None, "detail": None},
        "fw_lines": [{"fw_item": "Pen", "fw_qty": "2"}], "fw_double": 10,
    }  # fmt: skip


def test_member_and_link_choices_come_from_the_provider_and_keep_current_values(
    request_context: None,
) -> None:
    provider = FakeChoices([(1, "Ann"), (2, "Bo")], [(9, "Zhang · #9")], truncated=True)
    page = make(KITCHEN, provider=provider, data=input_data(
        form_class_for(KITCHEN, "en", None).specs, {"owner": 5, "customer": 9}))  # fmt: skip
    owners = [(c.value, c.label) for c in page._fields["fw_owner"].iter_choices()]
    assert owners == [("", "—"), ("1", "Ann"), ("2", "Bo"), ("5", "#5")]
    customers = [(c.value, c.label, c.selected) for c in page._fields["fw_customer"].iter_choices()]
    assert customers == [("", "—", False), ("9", "Zhang · #9", True)]
    assert ("customers", [9]) in provider.asked
    assert page.link_notes["customer"].truncated


CHAIN = runtime_of(document(
    kind=F["select"].fragment(title="Kind", options=["a", "b"]),
    extra=F["text"].fragment(title="Extra", visible_if={"==": [{"var": "kind"}, "b"]}),
    more=F["text"].fragment(title="More", visible_if={"==": [{"var": "extra"}, "yes"]},
                            required_if={"not_empty": [{"var": "kind"}]}),
    ok=F["checkbox"].fragment(title="OK", visible_if={"==": [{"var": "kind"}, "b"]}),
    why=F["text"].fragment(title="Why", visible_if={"==": [{"var": "ok"}, False]}),
))  # fmt: skip


@pytest.mark.parametrize(
    ("data", "hidden"),
    [
        ({"kind": "b", "extra": "yes", "ok": True}, {"why"}),
        # extra is hidden, so it is not posted: "more" sees it empty and hides too
        ({"kind": "a", "extra": "yes", "ok": True}, {"extra", "more", "ok"}),
        # a hidden checkbox posts nothing and reads as false: "why" shows
        ({"kind": "a", "ok": True}, {"extra", "more", "ok"}),
    ],
)
def test_hidden_fields_are_the_fixed_point_the_server_reaches(
    data: dict[str, Any], hidden: set[str]
) -> None:
    assert hidden_keys(CHAIN, data) == hidden
    posted = {k: v for k, v in data.items() if k not in hidden}
    specs = form_class_for(CHAIN, "en", None).specs
    pairs = [(k, "y" if v is True else str(v)) for k, v in posted.items() if v is not False]
    stored, _errors = CHAIN.compiled.clean(
        raw_input(specs, MultiDict(pairs)).values, "html", visible=CHAIN.is_visible
    )
    assert not (set(stored) & hidden)  # the server hides the same fields


def test_required_if_is_reported_only_for_visible_fields() -> None:
    assert required_now(CHAIN, {"kind": "b", "extra": "yes"}, set()) == {"more"}
    assert required_now(CHAIN, {"kind": "b"}, {"more"}) == set()


def test_the_page_gets_canonical_conditions_and_field_kinds() -> None:
    config = page_config(CHAIN, form_class_for(CHAIN, "en", None).specs)
    assert config["visibleIf"]["extra"] == {"==": [{"var": "kind"}, "b"]}
    assert config["requiredIf"] == {"more": {"not_empty": [{"var": "kind"}]}}
    assert config["kinds"] == {"kind": "text", "extra": "text", "more": "text", "ok": "boolean",
                               "why": "text"}  # fmt: skip
    assert config["fields"]["ok"] == {"type": "checkbox", "multiple": False, "region": "CN",
                                      "input": True, "columns": []}  # fmt: skip
    assert len(config["today"]) == 10

"""The ``x-internal`` field keyword (staff only): its shape in the dialect and the
catalogue's ``internal`` option."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from form_engine.dialect import check_form
from form_engine.fields import field_type

DOC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "x-format": 1,
    "type": "object",
    "title": "Survey",
    "x-order": ["score", "staff_note", "flagged"],
    "properties": {
        "score": {"type": "integer", "minimum": 0, "maximum": 10, "x-field": "nps"},
        "staff_note": {"type": "string", "maxLength": 2000, "x-field": "textarea"},
        "flagged": {"type": "boolean", "x-field": "checkbox"},
    },
    "required": ["score"],
    "additionalProperties": False,
}


def with_internal(key: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    doc["properties"][key]["x-internal"] = value
    return doc


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_internal_flag_is_a_valid_keyword(value: bool) -> None:
    assert check_form(with_internal("staff_note", value)) == []


@pytest.mark.parametrize("value", ["yes", 1, None, {"staff": True}, ["x"]])
def test_a_non_boolean_internal_flag_is_refused_at_the_fields_spot(value: Any) -> None:
    problems = check_form(with_internal("flagged", value))
    assert [(p.pointer, p.code) for p in problems] == [
        ("/properties/flagged/x-internal", "doc_expected_boolean")
    ]
    assert "x-internal" in problems[0].message("en")
    assert "x-internal" in problems[0].message("zh-CN")


def test_a_misspelt_internal_keyword_gets_a_suggestion() -> None:
    doc = copy.deepcopy(DOC)
    doc["properties"]["staff_note"]["x-internel"] = True
    (problem,) = check_form(doc)
    assert problem.pointer == "/properties/staff_note/x-internel"
    assert problem.code == "doc_unknown_keyword_suggestion"
    assert problem.params["suggestion"] == "x-internal"


def test_the_catalogue_sets_internal_as_a_common_option() -> None:
    fragment = field_type("date").fragment(title="Answered on", internal=True)
    assert fragment["x-internal"] is True
    assert "x-internal" not in field_type("date").fragment(title="Answered on")
    doc = copy.deepcopy(DOC)
    doc["x-order"].append("answered_on")
    doc["properties"]["answered_on"] = fragment
    assert check_form(doc) == []

"""Versioned documents upgrade through chained, pure steps."""

from __future__ import annotations

from typing import Any

import pytest

from form_engine import DocumentUpgrader, DocumentVersionError


def _rename_label(doc: dict[str, Any]) -> dict[str, Any]:
    doc["title"] = doc.pop("label")
    return doc


def _add_titles(doc: dict[str, Any]) -> dict[str, Any]:
    doc["x-titles"] = {}
    return doc


UPGRADER = DocumentUpgrader(kind="form", current=3, steps={1: _rename_label, 2: _add_titles})


def test_old_document_is_upgraded_through_every_step_without_mutating_the_input() -> None:
    original = {"version": 1, "label": "Customers"}
    upgraded = UPGRADER.upgrade(original)
    assert upgraded == {"version": 3, "title": "Customers", "x-titles": {}}
    assert original == {"version": 1, "label": "Customers"}


def test_current_document_is_returned_as_an_equal_copy() -> None:
    doc = {"version": 3, "title": "T", "x-titles": {"zh-CN": "客户"}}
    upgraded = UPGRADER.upgrade(doc)
    assert upgraded == doc and upgraded is not doc
    upgraded["x-titles"]["zh-CN"] = "changed"
    assert doc["x-titles"]["zh-CN"] == "客户"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "has no integer 'version'"),
        ({"version": "2"}, "has no integer 'version'"),
        ({"version": True}, "has no integer 'version'"),
        ({"version": 4}, "newer than this Formwork understands"),
        ({"version": 0}, "too old"),
    ],
)
def test_bad_versions_are_refused_with_the_spot(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(DocumentVersionError, match=message) as caught:
        UPGRADER.upgrade(doc)
    assert caught.value.pointer == "/version"


def test_a_gap_in_the_chain_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match=r"lacks steps from versions \[2\]"):
        DocumentUpgrader(kind="form", current=3, steps={1: _rename_label})

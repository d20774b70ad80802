# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""What automations say about tier schemes, checked against the catalog's schemes: the
tier_changed trigger's scheme and tier, and the recompute_tiers action's scheme."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.unit.test_workflow_documents import CATALOG, act, automation
from workflow_engine.documents import Catalog, check_automation
from workflow_engine.model import TierShape

SCHEMES = {
    "value": TierShape("customers", ("gold", "silver", "bronze")),
    "orders_size": TierShape("orders", ("big", "small")),
    "churn": TierShape(None, ("none", "active", "at_risk", "dormant"), recomputable=False),
}
WITH_SCHEMES = dataclasses.replace(CATALOG, tier_schemes=SCHEMES)


def tier_trigger(**keys: Any) -> dict[str, Any]:
    return {"type": "tier_changed", "form": "customers", **keys}


def codes(doc: Any, catalog: Catalog = WITH_SCHEMES) -> list[tuple[str, str]]:
    return [(p.code, "/" + "/".join(map(str, p.path))) for p in check_automation(doc, catalog)]


T = "/trigger/scheme"
A = "/actions/0/scheme"
CASES: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    (automation(tier_trigger()), []),
    (automation(tier_trigger(scheme="value", to="gold")), []),
    (automation(tier_trigger(scheme="churn", to="dormant")), []),
    (automation(tier_trigger(scheme="valeu")), [("automation_unknown_scheme_hint", T)]),
    (automation(tier_trigger(scheme="zzzz")), [("automation_unknown_scheme", T)]),
    (
        automation(tier_trigger(scheme="value", to="gild")),
        [("automation_unknown_tier_hint", "/trigger/to")],
    ),
    (automation(tier_trigger(scheme="orders_size")), [("automation_scheme_other_form", T)]),
    (automation(None, act("recompute_tiers", scheme="value")), []),
    (
        automation(None, act("recompute_tiers", scheme="churn")),
        [("automation_scheme_not_recomputable", A)],
    ),
    (
        automation(None, act("recompute_tiers", scheme="vlaue")),
        [("automation_unknown_scheme_hint", A)],
    ),
]


@pytest.mark.parametrize(("doc", "expected"), CASES)
def test_schemes_and_tiers_are_checked_against_the_catalog(
    doc: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert codes(doc) == expected


def test_without_schemes_in_the_catalog_only_shapes_are_checked() -> None:
    assert codes(automation(tier_trigger(scheme="anything", to="x")), CATALOG) == []
    assert codes(automation(tier_trigger(scheme=5)), CATALOG) == [
        ("automation_wrong_type", "/trigger/scheme")
    ]


def test_tier_messages_say_what_is_wrong_in_both_languages() -> None:
    (problem,) = check_automation(automation(tier_trigger(scheme="value", to="gild")), WITH_SCHEMES)
    assert problem.message_in("en") == (
        "“gild” at /trigger/to is not a tier of the scheme “value” — did you mean “gold”?"
    )
    assert problem.message_in("zh-CN") == (
        "/trigger/to 处的“gild”不是分层方案“value”中的等级，您是想用“gold”吗？"
    )
    (problem,) = check_automation(
        automation(None, act("recompute_tiers", scheme="churn")), WITH_SCHEMES
    )
    assert "built-in churn status" in problem.message_in("en")
    assert "内置的流失状态" in problem.message_in("zh-CN")

# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Templates: syntax, typed values, text, date arithmetic, missing values, the sandbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from workflow_engine.errors import AutomationError, TemplateError
from workflow_engine.templating import (
    MAX_PLACEHOLDERS,
    MAX_TEMPLATE,
    add_months,
    check_template,
    render_text,
    render_value,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTEXT: dict[str, Any] = {
    "record": {
        "id": 42,
        "name": "ACME",
        "total": 1250.5,
        "count": 3,
        "ratio": 2.0,
        "exact": Decimal("19.90"),
        "vip": True,
        "lost": False,
        "nothing": None,
        "tags": ["vip", "key"],
        "mixed": ["a", None, {"x": 1}, 2],
        "address": {"province": "Zhejiang", "city": "Hangzhou"},
        "lines": [{"qty": 2}, {"qty": 5}],
        "delivered_on": "2026-01-31",
        "seen_at": "2026-03-08T23:30:00Z",
        "text_date": "soon",
        "owner": {"name": "Li Lei", "email": "li@example.com"},
    },
    "trigger": {"type": "field_changed", "from": None, "to": "vip"},
    "workspace": {"name": "Formwork"},
    "today": date(2026, 11, 24),
    "now": datetime(2026, 11, 24, 22, 30, tzinfo=SHANGHAI),
    "steps": {"a1": {"task_id": 7}},
}


# -- syntax ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "paths"),
    [
        ("plain text", []),
        ("", []),
        ("{{ record.name }}", ["record.name"]),
        ("{{record.name}}", ["record.name"]),
        (
            "Hi {{ record.owner.name }}, {{ record.name }} and {{ record.name }}",
            ["record.owner.name", "record.name"],
        ),
        ("{{ record.lines.0.qty }}", ["record.lines.0.qty"]),
        ("{{ record.delivered_on + 3 days }}", ["record.delivered_on"]),
        ("{{ today - 1 month }}", ["today"]),
        ("{{ now+90minutes }}", ["now"]),
        ("{{ today + 1 Week }}", ["today"]),
        ("{{ steps.a1.task_id }}", ["steps.a1.task_id"]),
        ("{{ _private_ok }}", ["_private_ok"]),
        ("a } b }} c {", []),
        ("50% off", []),
    ],
)
def test_check_template_returns_the_paths_read(template: str, paths: list[str]) -> None:
    assert check_template(template) == paths


@pytest.mark.parametrize(
    ("template", "code", "offset"),
    [
        ("{{ 1+1 }}", "template_bad_placeholder", 0),
        ("x {{ record.name | upper }}", "template_bad_placeholder", 2),
        ("{{ record.name() }}", "template_bad_placeholder", 0),
        ("{{ record['name'] }}", "template_bad_placeholder", 0),
        ("{{ record.Name }}", "template_bad_placeholder", 0),
        ("{{ 0.name }}", "template_bad_placeholder", 0),
        ("{{ record..name }}", "template_bad_placeholder", 0),
        ("{{ }}", "template_bad_placeholder", 0),
        ("{{ record.name + 3 }}", "template_bad_placeholder", 0),
        ("{{ record.d + 1.5 days }}", "template_bad_placeholder", 0),
        ("{{ record.d * 2 days }}", "template_bad_placeholder", 0),
        ("{{ record.d + 3 days + 1 day }}", "template_bad_placeholder", 0),
        ("{{ record.__class__ }}", "template_private_name", 0),
        ("{{ __import__ }}", "template_private_name", 0),
        ("{{ record.name.__len__ }}", "template_private_name", 0),
        ("ok {% if record.vip %}yes{% endif %}", "template_block", 3),
        ("{%- raw %}", "template_block", 0),
        ("Hello {{ record.name", "template_unclosed", 6),
        ("{{ record.d + 3 dayz }}", "template_bad_unit_hint", 0),
        ("{{ record.d + 3 years }}", "template_bad_unit", 0),
        ("{{ record.d + 1000001 days }}", "template_amount_range", 0),
        ("{{ record.d + 99999999999999999999 days }}", "template_amount_range", 0),
    ],
)
def test_bad_templates_are_refused_with_the_offset(template: str, code: str, offset: int) -> None:
    with pytest.raises(TemplateError) as caught:
        check_template(template)
    assert caught.value.code == code
    assert caught.value.offset == offset
    assert isinstance(caught.value, AutomationError)


def test_template_limits() -> None:
    assert check_template("x" * MAX_TEMPLATE) == []
    with pytest.raises(TemplateError) as too_long:
        check_template("x" * (MAX_TEMPLATE + 1))
    assert too_long.value.code == "template_too_long"
    assert len(check_template("{{ a }}" * MAX_PLACEHOLDERS)) == 1
    with pytest.raises(TemplateError) as too_many:
        check_template("{{ a }}" * (MAX_PLACEHOLDERS + 1))
    assert too_many.value.code == "template_too_many"
    assert too_many.value.offset == 7 * MAX_PLACEHOLDERS


def test_template_errors_read_well_in_both_languages() -> None:
    with pytest.raises(TemplateError) as caught:
        check_template("Hi {{ record.d + 2 dayss }}")
    error = caught.value
    assert error.suggestion == "days"
    assert error.message_in("en") == (
        "“dayss” at character 4 of the text is not a unit — did you mean “days”?"
    )
    assert (
        error.message_in("zh-CN") == "文本 第 4 个字符处的“dayss”不是时间单位，您是想用“days”吗？"
    )


# -- values ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ record.count }}", 3),
        ("  {{ record.count }}\n", 3),
        ("{{ record.total }}", 1250.5),
        ("{{ record.exact }}", 19.9),
        ("{{ record.vip }}", True),
        ("{{ record.nothing }}", None),
        ("{{ record.missing }}", None),
        ("{{ record.missing.deeper }}", None),
        ("{{ record.tags }}", ["vip", "key"]),
        ("{{ record.address }}", {"province": "Zhejiang", "city": "Hangzhou"}),
        ("{{ record.lines.1.qty }}", 5),
        ("{{ record.lines.9.qty }}", None),
        ("{{ record.tags.0 }}", "vip"),
        ("{{ record.name.0 }}", None),  # no indexing into text
        ("{{ today }}", "2026-11-24"),
        ("{{ now }}", "2026-11-24T14:30:00Z"),
        ("{{ trigger.from }}", None),
        ("{{ steps.a1.task_id }}", 7),
        ("{{ record.count }} items", "3 items"),
        ("{{ record.count }}{{ record.count }}", "33"),
        (7, 7),
        (None, None),
        (True, True),
        ({"a": "{{ record.count }}", "b": ["{{ record.name }}", 1]}, {"a": 3, "b": ["ACME", 1]}),
    ],
)
def test_render_value_keeps_the_type_of_a_lone_placeholder(template: Any, expected: Any) -> None:
    assert render_value(template, CONTEXT) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Call {{ record.name }}", "Call ACME"),
        ("{{ record.count }} x", "3 x"),
        ("{{ record.ratio }}", "2"),
        ("{{ record.total }}", "1250.5"),
        ("{{ record.exact }}", "19.9"),
        ("{{ record.vip }}/{{ record.lost }}", "true/false"),
        ("[{{ record.nothing }}][{{ record.missing }}]", "[][]"),
        ("{{ record.tags }}", "vip, key"),
        ("{{ record.mixed }}", "a, 2"),
        ("{{ record.address }}", ""),
        ("{{ today }}", "2026-11-24"),
        ("{{ now }}", "2026-11-24T14:30:00Z"),
        ("{{ record.owner.email }}", "li@example.com"),
        ("{{ workspace.name }}: {{ trigger.to }}", "Formwork: vip"),
        ("{{ record.name }} 客户", "ACME 客户"),
    ],
)
def test_render_text_interpolates_values_as_text(template: str, expected: str) -> None:
    assert render_text(template, CONTEXT) == expected


def test_render_value_of_a_text_template_is_text() -> None:
    assert render_value("Total: {{ record.total }}", CONTEXT) == "Total: 1250.5"


# -- date arithmetic -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ record.delivered_on + 3 days }}", "2026-02-03"),
        ("{{ record.delivered_on - 31 days }}", "2025-12-31"),
        ("{{ record.delivered_on + 1 day }}", "2026-02-01"),
        ("{{ record.delivered_on + 2 weeks }}", "2026-02-14"),
        ("{{ record.delivered_on + 1 month }}", "2026-02-28"),
        ("{{ record.delivered_on + 13 months }}", "2027-02-28"),
        ("{{ record.delivered_on - 2 months }}", "2025-11-30"),
        ("{{ record.delivered_on + 0 months }}", "2026-01-31"),
        ("{{ record.delivered_on + 3 hours }}", "2026-01-31T03:00:00Z"),
        ("{{ record.delivered_on - 1 minute }}", "2026-01-30T23:59:00Z"),
        ("{{ record.seen_at + 1 day }}", "2026-03-09T23:30:00Z"),
        ("{{ record.seen_at + 45 minutes }}", "2026-03-09T00:15:00Z"),
        ("{{ record.seen_at - 1 month }}", "2026-02-08T23:30:00Z"),
        ("{{ today + 1 week }}", "2026-12-01"),
        ("{{ today + 2 hours }}", "2026-11-24T02:00:00Z"),
        ("{{ now + 1 day }}", "2026-11-25T14:30:00Z"),
        ("{{ now + 3 months }}", "2027-02-24T14:30:00Z"),
        ("{{ record.missing + 3 days }}", None),
        ("{{ record.nothing + 3 days }}", None),
        ("{{ record.count + 3 days }}", None),
        ("{{ record.text_date + 3 days }}", None),
        ("{{ record.tags + 3 days }}", None),
        ("{{ record.delivered_on + 1000000 months }}", None),
    ],
)
def test_date_arithmetic(template: str, expected: Any) -> None:
    assert render_value(template, CONTEXT) == expected


def test_date_arithmetic_in_text_renders_missing_and_non_dates_as_nothing() -> None:
    template = "Due {{ record.delivered_on + 1 month }}; {{ record.name + 1 day }}."
    assert render_text(template, CONTEXT) == "Due 2026-02-28; ."


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 5, 31), 12, date(2026, 5, 31)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_months_clamp_the_day(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_python_dates_and_naive_datetimes_in_the_context_work() -> None:
    context = {"d": date(2026, 1, 31), "t": datetime(2026, 1, 1, 8, 0)}
    assert render_value("{{ d + 1 month }}", context) == "2026-02-28"
    assert render_value("{{ t }}", context) == "2026-01-01T08:00:00Z"
    assert render_value("{{ t + 1 hour }}", {"t": datetime(2026, 1, 1, tzinfo=UTC)}) == (
        "2026-01-01T01:00:00Z"
    )


# -- the sandbox -----------------------------------------------------------------------
class Sneaky:
    name = "attribute"

    def __getattr__(self, item: str) -> str:
        raise AssertionError("templates must never read attributes")


@pytest.mark.parametrize(
    "template",
    [
        "{{ record.__class__ }}",
        "{{ record.__class__.__mro__ }}",
        "{{ record.name.__class__ }}",
        "{{ __builtins__ }}",
        "{{ 1+1 }}",
        "{{ 7*7 }}",
        "{% for x in record %}{{ x }}{% endfor %}",
        "{% import os %}",
        "{{ record.name.upper() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ config }}{{ 1+1 }}",
    ],
)
def test_sandbox_refuses_code_like_templates(template: str) -> None:
    with pytest.raises(TemplateError):
        render_value(template, CONTEXT)
    with pytest.raises(TemplateError):
        render_text(template, CONTEXT)


def test_paths_read_mapping_keys_only_never_attributes() -> None:
    context = {"obj": Sneaky(), "text": "abc", "n": 5}
    assert render_value("{{ obj.name }}", context) is None
    assert render_value("{{ obj }}", context) is None  # not JSON: dropped
    assert render_text("{{ obj.name }}{{ text.upper }}{{ n.real }}", context) == ""


def test_rendered_user_data_is_never_rendered_again() -> None:
    context = {"record": {"name": "{{ record.secret }}", "secret": "s3cret"}}
    assert render_text("Hi {{ record.name }}", context) == "Hi {{ record.secret }}"
    assert render_value("{{ record.name }}", context) == "{{ record.secret }}"

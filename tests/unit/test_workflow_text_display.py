"""The ``display`` hook: texts people read show what the host says (option labels), data
keeps stored values, and the template language stays logic-less."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from workflow_engine.actions import ALL_ACTION_TYPES, TEXT_ACTIONS, plan_action
from workflow_engine.documents import Action
from workflow_engine.errors import TemplateError
from workflow_engine.templating import render_text, render_value

NOW = datetime(2026, 11, 24, 22, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
LABELS = {"vip": "VIP", "normal": "Normal", "golf": "Golf", "wine": "Wine"}
CONTEXT: dict[str, Any] = {
    "record": {
        "name": "ACME",
        "level": "vip",
        "interests": ["golf", "wine"],
        "joined_on": "2026-01-31",
        "nothing": None,
    },
    "trigger": {"type": "field_changed", "field": "level", "from": "normal", "to": "vip"},
    "steps": {"a1": {"level": "vip"}},
}


class Recorder:
    """A display hook that labels record.level / record.interests / trigger.* and
    remembers every call it got."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], Any]] = []

    def __call__(self, path: tuple[str, ...], value: Any) -> str | None:
        self.calls.append((path, value))
        if path in (("record", "level"), ("trigger", "from"), ("trigger", "to")):
            return LABELS.get(value)
        if path == ("record", "interests"):
            return " / ".join(LABELS[v] for v in value)
        return None


def test_render_text_shows_what_the_hook_returns_for_a_placeholder() -> None:
    hook = Recorder()
    text = render_text("{{ record.name }} is {{ record.level }}", CONTEXT, display=hook)
    assert text == "ACME is VIP"
    assert hook.calls == [(("record", "name"), "ACME"), (("record", "level"), "vip")]


def test_the_hook_gets_lists_whole_and_may_join_them_its_own_way() -> None:
    text = render_text("Likes {{ record.interests }}", CONTEXT, display=Recorder())
    assert text == "Likes Golf / Wine"


def test_a_hook_returning_none_keeps_the_default_text() -> None:
    assert render_text("{{ record.name }}", CONTEXT, display=lambda path, value: None) == "ACME"


def test_without_a_hook_text_shows_stored_values() -> None:
    assert render_text("{{ record.level }}: {{ record.interests }}", CONTEXT) == "vip: golf, wine"


def test_missing_values_and_shifted_dates_never_reach_the_hook() -> None:
    hook = Recorder()
    text = render_text(
        "[{{ record.nothing }}][{{ record.absent }}][{{ record.joined_on + 1 month }}]",
        CONTEXT,
        display=hook,
    )
    assert text == "[][][2026-02-28]"
    assert hook.calls == []


def test_an_unshifted_date_is_offered_to_the_hook() -> None:
    hook = Recorder()
    assert render_text("{{ record.joined_on }}", CONTEXT, display=hook) == "2026-01-31"
    assert hook.calls == [(("record", "joined_on"), "2026-01-31")]


def test_render_value_keeps_stored_values_it_has_no_hook() -> None:
    rendered = render_value(
        {"level": "{{ record.level }}", "text": "L {{ record.level }}"}, CONTEXT
    )
    assert rendered == {"level": "vip", "text": "L vip"}


@pytest.mark.parametrize(
    "template",
    ["{{ record.level | upper }}", "{{ record.level.__class__ }}", "{% if x %}", "{{ f() }}"],
)
def test_a_hook_changes_nothing_in_what_templates_may_say(template: str) -> None:
    with pytest.raises(TemplateError):
        render_text(template, CONTEXT, display=Recorder())


def plan(kind: str, hook: Recorder | None = None, **config: Any) -> dict[str, Any]:
    return plan_action(Action("a2", kind, config), CONTEXT, now=NOW, display=hook).inputs


def test_a_follow_up_title_and_notes_show_labels() -> None:
    inputs = plan(
        "create_task",
        Recorder(),
        title="Call {{ record.name }} ({{ record.level }})",
        notes="Was {{ trigger.from }}, now {{ trigger.to }}; likes {{ record.interests }}",
        assignee={"kind": "owner"},
    )
    assert inputs["title"] == "Call ACME (VIP)"
    assert inputs["notes"] == "Was Normal, now VIP; likes Golf / Wine"


def test_a_notification_title_and_body_show_labels() -> None:
    inputs = plan(
        "notify",
        Recorder(),
        to={"kind": "owner"},
        title="{{ record.level }} customer",
        body="Level {{ trigger.from }} → {{ trigger.to }}",
        email=True,
    )
    assert inputs["title"] == "VIP customer" and inputs["body"] == "Level Normal → VIP"


@pytest.mark.parametrize(
    ("kind", "config", "key", "expected"),
    [
        ("update_record", {"values": {"note": "{{ record.level }}"}}, "values", {"note": "vip"}),
        (
            "create_record",
            {"form": "orders", "values": {"lvl": "{{ trigger.to }}", "t": "is {{ record.level }}"}},
            "values",
            {"lvl": "vip", "t": "is vip"},
        ),
        ("add_tag", {"field": "tags", "tag": "{{ record.level }}"}, "tag", "vip"),
        ("remove_tag", {"field": "tags", "tag": "{{ trigger.from }}"}, "tag", "normal"),
        (
            "webhook",
            {
                "url": "https://x.test/",
                "payload": {"l": "{{ record.level }}", "t": "{{ trigger.to }}!"},
            },
            "payload",
            {"l": "vip", "t": "vip!"},
        ),
    ],
)
def test_data_keeps_stored_values_when_a_hook_is_given(
    kind: str, config: dict[str, Any], key: str, expected: Any
) -> None:
    hook = Recorder()
    assert plan(kind, hook, **config)[key] == expected
    assert hook.calls == []


def test_the_default_webhook_payload_carries_the_raw_record() -> None:
    payload = plan("webhook", Recorder(), url="https://x.test/")["payload"]
    assert payload["record"]["level"] == "vip"
    assert payload["record"]["interests"] == ["golf", "wine"]


def test_text_actions_name_the_person_who_reads_the_texts() -> None:
    assert dict(TEXT_ACTIONS) == {"create_task": "assignee", "notify": "to"}
    assert set(TEXT_ACTIONS) <= ALL_ACTION_TYPES

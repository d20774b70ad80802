# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""Checks of the ``actions`` list of an automation document (see docs/automations.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from form_engine.conditions import uses_event_operators
from form_engine.messages import register_messages
from workflow_engine.checks import Checker, Path
from workflow_engine.model import ALL_ACTION_TYPES, FormShape
from workflow_engine.tier_checks import check_recompute

register_messages(
    {
        "automation_link_multiple": {
            "en": "The link field “{name}” at {where} can hold several records; choose a "
            "field that links to one record.",
            "zh-CN": "{where} 处的关联数据字段“{name}”可关联多条数据，请选择只关联一条数据的字段。",
        },
        "automation_survey_no_link": {
            "en": "The survey “{name}” at {where} has no field linking to “{form}”, so answers "
            "could not be attached to the record; add such a link field to the survey.",
            "zh-CN": "{where} 处的问卷“{name}”没有关联“{form}”的字段，答卷无法关联到该数据；"
            "请在问卷中添加这样的关联数据字段。",
        },
    }
)

ACTION_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_ACTIONS = 20
ASSIGN_MODES = ("fixed", "round_robin", "least_loaded")
MAX_VALUES = 200
MAX_MEMBERS = 500
MINUTES_PER_YEAR = 365 * 24 * 60

# type → (allowed keys besides id/type, required keys)
ACTION_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "update_record": (frozenset({"values", "record"}), frozenset({"values"})),
    "create_record": (frozenset({"form", "values", "link_field"}), frozenset({"form", "values"})),
    # Exactly one of members / role: checked by _assign_owner.
    "assign_owner": (frozenset({"mode", "members", "role"}), frozenset({"mode"})),
    "create_task": (
        frozenset(
            {
                "title",
                "notes",
                "assignee",
                "due",
                "remind_before_minutes",
                "repeat_every_days",
                "repeat_while",
                "record",
            }
        ),
        frozenset({"title", "assignee"}),
    ),
    "notify": (frozenset({"to", "title", "body", "email"}), frozenset({"to", "title"})),
    "add_tag": (frozenset({"field", "tag"}), frozenset({"field", "tag"})),
    "remove_tag": (frozenset({"field", "tag"}), frozenset({"field", "tag"})),
    "webhook": (frozenset({"url", "secret", "payload"}), frozenset({"url"})),
    "wait": (frozenset({"minutes", "hours", "days"}), frozenset()),
    "recompute_tiers": (frozenset({"scheme"}), frozenset({"scheme"})),
    "send_survey": (
        frozenset({"form", "expires_days", "remind_after_days", "record"}),
        frozenset({"form"}),
    ),
}
assert set(ACTION_KEYS) == ALL_ACTION_TYPES
# Actions that work on the trigger's record (refused for a schedule).
RECORD_ACTIONS = frozenset(
    {"update_record", "assign_owner", "add_tag", "remove_tag", "send_survey"}
)


def check_actions(checker: Checker, actions: Any) -> None:
    """Check the ``actions`` list: count, ids, types and every action's keys."""
    path: Path = ("actions",)
    if not isinstance(actions, list):
        checker.wrong_type(path, "list")
        return
    if not 1 <= len(actions) <= MAX_ACTIONS:
        checker.add("automation_action_count", path, max=MAX_ACTIONS, count=len(actions))
    for position, action in enumerate(actions):
        _action(checker, action, (*path, position))


def _action(checker: Checker, doc: Any, path: Path) -> None:
    action = checker.obj(doc, path)
    if action is None:
        return
    ok_id: str | None = None
    action_id = action.get("id")
    if "id" not in action:
        checker.add("automation_missing_key", path, name="id")
    elif not isinstance(action_id, str):
        checker.wrong_type((*path, "id"), "text")
    elif not ACTION_ID.fullmatch(action_id):
        checker.add("automation_bad_action_id", (*path, "id"), name=action_id[:50])
    elif action_id in checker.scope.action_ids:
        checker.add("automation_duplicate_action_id", (*path, "id"), name=action_id)
    else:
        ok_id = action_id
    kind = action.get("type")
    if "type" not in action:
        checker.add("automation_missing_key", path, name="type")
    elif not isinstance(kind, str):
        checker.wrong_type((*path, "type"), "text")
    elif kind not in ALL_ACTION_TYPES:
        checker.add_hinted("automation_unknown_action", (*path, "type"), kind, ALL_ACTION_TYPES)
    else:
        catalog = checker.scope.catalog
        if catalog is not None and kind not in catalog.available_actions:
            checker.add("automation_action_unavailable", (*path, "type"), name=kind)
        allowed, required = ACTION_KEYS[kind]
        checker.keys(action, path, allowed | {"id", "type"}, sorted(required))
        if kind in RECORD_ACTIONS and not checker.scope.has_record:
            checker.add("automation_needs_record", path)
        _CHECKS[kind](checker, action, path)
    # Later actions may read this one's output (steps.<id>); it may not read its own.
    if ok_id is not None:
        checker.scope.action_ids.append(ok_id)


def _values(
    checker: Checker, action: Mapping[str, Any], path: Path, form: FormShape | None
) -> None:
    values = checker.obj(action["values"], (*path, "values")) if "values" in action else None
    if values is None:
        return
    if len(values) > MAX_VALUES:
        checker.add("automation_too_many", (*path, "values"), max=MAX_VALUES)
    for key, value in values.items():
        spot = (*path, "values", key)
        shape = checker.field(form, key, spot)
        if shape is not None and shape.computed:
            checker.add("automation_computed_field", spot, name=key)
        checker.templates(value, spot)


def _target_form(checker: Checker, action: Mapping[str, Any], path: Path) -> FormShape | None:
    """The form of the record the action works on: the trigger's, or with ``"record":
    {"link": "<field>"}`` the form that single-link field of the trigger form links to
    (None when unknown: its problems are reported here, the fields are not checked)."""
    if "record" not in action:
        return checker.scope.form
    spot = (*path, "record")
    target = checker.obj(action["record"], spot)
    if target is None:
        return None
    checker.keys(target, spot, ("link",), ("link",))
    scope = checker.scope
    if not scope.has_record:
        checker.add("automation_needs_record", spot)
        return None
    name = checker.text(target, "link", spot, max_len=63)
    shape = checker.field(scope.form, name, (*spot, "link"))
    if shape is None:
        return None
    if shape.type != "link":
        checker.add("automation_not_link_field", (*spot, "link"), name=name)
        return None
    if shape.multiple:
        checker.add("automation_link_multiple", (*spot, "link"), name=name)
        return None
    catalog = scope.catalog
    return catalog.forms.get(shape.link_form or "") if catalog is not None else None


def _update_record(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    _values(checker, action, path, _target_form(checker, action, path))


def _create_record(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    key = checker.text(action, "form", path, max_len=64)
    form = checker.form(key, (*path, "form"))
    _values(checker, action, path, form)
    link = checker.text(action, "link_field", path, max_len=63)
    if link is None:
        return
    scope = checker.scope
    if not scope.has_record:
        checker.add("automation_needs_record", (*path, "link_field"))
        return
    shape = checker.field(form, link, (*path, "link_field"))
    if shape is None:
        return
    if shape.type != "link":
        checker.add("automation_not_link_field", (*path, "link_field"), name=link)
    elif scope.form_key is not None and shape.link_form != scope.form_key:
        checker.add(
            "automation_link_elsewhere",
            (*path, "link_field"),
            name=link,
            target=shape.link_form or "?",
            form=scope.form_key,
        )


def _assign_owner(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    mode = checker.text(action, "mode", path, max_len=32)
    if mode is not None and mode not in ASSIGN_MODES:
        checker.add_hinted("automation_unknown_mode", (*path, "mode"), mode, ASSIGN_MODES)
        mode = None
    if "members" in action and "role" in action:
        checker.add("automation_members_and_role", (*path, "role"))
    elif "role" in action:
        if mode == "fixed":
            checker.add("automation_fixed_role", (*path, "role"))
        checker.role(action, "role", path)
        return
    elif "members" not in action:
        checker.add("automation_needs_pool", path)
        return
    members = action["members"]
    if not isinstance(members, list):
        checker.wrong_type((*path, "members"), "list")
        return
    if len(members) > MAX_MEMBERS:
        checker.add("automation_too_many", (*path, "members"), max=MAX_MEMBERS)
        return
    known = checker.scope.catalog.members if checker.scope.catalog else None
    seen: set[int] = set()
    for i, member in enumerate(members):
        spot = (*path, "members", i)
        if isinstance(member, bool) or not isinstance(member, int):
            checker.wrong_type(spot, "integer")
        elif member in seen:
            checker.add("automation_duplicate_member", spot, id=member)
        elif known is not None and member not in known:
            checker.add("automation_unknown_member", spot, id=member)
        if isinstance(member, int):
            seen.add(member)
    if mode == "fixed" and len(members) != 1:
        checker.add("automation_fixed_one_member", (*path, "members"), count=len(members))
    elif mode is not None and not members:
        checker.add("automation_needs_members", (*path, "members"))


def _create_task(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    linked = "record" in action
    form = _target_form(checker, action, path)
    _title(checker, action, path)
    if "notes" in action:
        _template_text(checker, action, "notes", path)
    if "assignee" in action:
        checker.person(action["assignee"], (*path, "assignee"), linked=linked, form=form)
    if "due" in action:
        due = checker.obj(action["due"], (*path, "due"))
        if due is not None:
            spot = (*path, "due")
            checker.keys(due, spot, ("days", "hours", "minutes", "at"), ())
            checker.integer(due, "days", spot, 0, 3650)
            checker.integer(due, "hours", spot, 0, 24 * 3650)
            checker.integer(due, "minutes", spot, 0, MINUTES_PER_YEAR * 10)
            checker.time_of_day(due, "at", spot)
            if not due:
                checker.add("automation_due_empty", spot)
    checker.integer(action, "remind_before_minutes", path, 0, MINUTES_PER_YEAR)
    if "remind_before_minutes" in action and "due" not in action:
        checker.add("automation_remind_needs_due", (*path, "remind_before_minutes"))
    checker.integer(action, "repeat_every_days", path, 1, 365)
    if "repeat_while" in action:
        spot = (*path, "repeat_while")
        if "repeat_every_days" not in action:
            checker.add("automation_repeat_needs_interval", spot)
        if not checker.scope.has_record:
            checker.add("automation_needs_record", spot)
        condition = checker.condition(action["repeat_while"], spot, form)
        if condition is not None and uses_event_operators(condition):
            checker.add("automation_repeat_event_condition", spot)


def _notify(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    if "to" in action:
        checker.person(action["to"], (*path, "to"))
    _title(checker, action, path)
    if "body" in action:
        _template_text(checker, action, "body", path)
    checker.boolean(action, "email", path)


def _tag(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    name = checker.text(action, "field", path, max_len=63)
    shape = checker.field(checker.scope.form, name, (*path, "field"))
    if shape is not None and shape.type != "tags":
        checker.add("automation_not_tags_field", (*path, "field"), name=name)
    if checker.text(action, "tag", path, max_len=200) is not None:
        checker.template(action["tag"], (*path, "tag"))


def _webhook(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    url = checker.text(action, "url", path, max_len=2000)
    if url is not None:
        _url(checker, url, (*path, "url"))
    checker.text(action, "secret", path, max_len=200)
    if "payload" in action:
        payload = checker.obj(action["payload"], (*path, "payload"))
        if payload is not None:
            if len(payload) > MAX_VALUES:
                checker.add("automation_too_many", (*path, "payload"), max=MAX_VALUES)
            checker.templates(payload, (*path, "payload"))


def _url(checker: Checker, url: str, path: Path) -> None:
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        checker.add("automation_bad_url", path, value=url[:100])
        return
    bad_chars = any(ch.isspace() or ord(ch) < 32 for ch in url)
    if parts.scheme not in ("http", "https") or not parts.hostname or bad_chars or not port_ok:
        checker.add("automation_bad_url", path, value=url[:100])
    elif parts.username is not None or parts.password is not None:
        checker.add("automation_url_credentials", path)


def _wait(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    limit = MINUTES_PER_YEAR * 10
    parts = {
        key: checker.integer(action, key, path, 0, limit) for key in ("minutes", "hours", "days")
    }
    if any(parts[key] is None for key in parts if key in action):
        return  # already reported
    total = (parts["minutes"] or 0) + 60 * (parts["hours"] or 0) + 24 * 60 * (parts["days"] or 0)
    if not 1 <= total <= MINUTES_PER_YEAR:
        checker.add("automation_wait_range", path)


def _recompute_tiers(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    check_recompute(checker, action, path)


def _send_survey(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    # The invitation goes to the trigger's record, or with ``record: {"link": …}`` to the
    # record it links to (an order's customer): the survey must link to that one's form.
    target = _target_form(checker, action, path)
    key = checker.text(action, "form", path, max_len=64)
    survey = checker.form(key, (*path, "form"))
    expires = checker.integer(action, "expires_days", path, 1, 365)
    checker.integer(action, "remind_after_days", path, 1, (expires or 14) - 1)
    invited = target.key if target is not None else None
    if survey is None or invited is None:
        return
    links = [
        shape
        for shape in survey.fields.values()
        if shape.type == "link" and not shape.multiple and shape.link_form == invited
    ]
    if not links:
        checker.add("automation_survey_no_link", (*path, "form"), name=key, form=invited)


def _title(checker: Checker, action: Mapping[str, Any], path: Path) -> None:
    if "title" in action:
        _template_text(checker, action, "title", path)


def _template_text(checker: Checker, action: Mapping[str, Any], key: str, path: Path) -> None:
    value = action[key]
    if not isinstance(value, str):
        checker.wrong_type((*path, key), "text")
    elif key == "title" and not value.strip():
        checker.add("automation_empty", (*path, key))
    else:
        checker.template(value, (*path, key))


_CHECKS = {
    "update_record": _update_record,
    "create_record": _create_record,
    "assign_owner": _assign_owner,
    "create_task": _create_task,
    "notify": _notify,
    "add_tag": _tag,
    "remove_tag": _tag,
    "webhook": _webhook,
    "wait": _wait,
    "recompute_tiers": _recompute_tiers,
    "send_survey": _send_survey,
}

"""Planning actions: an action plus the run's context → a ``PlannedAction``.

Planning renders templates and turns relative times into instants; the platform's
action handlers execute the plan. ``inputs`` are JSON-ready and shown in the run log,
so they never carry a secret: a webhook's plan says ``"signed": true`` and the handler
reads the secret from the action's ``config`` itself.

Texts people read (a follow-up's title and notes, a notification's title and body, which
e-mails reuse) are rendered with the host's ``display`` hook, so a choice field shows its
option label; everything that is data — values written to records, tags, webhook
payloads — keeps the stored values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from workflow_engine.checks import parse_time
from workflow_engine.model import ALL_ACTION_TYPES, Action, PlannedAction
from workflow_engine.summaries import summarize
from workflow_engine.templating import Display, json_ready, render_text, render_value, utc_text

__all__ = [
    "ALL_ACTION_TYPES",
    "TEXT_ACTIONS",
    "PlannedAction",
    "due_at",
    "plan_action",
    "summarize",
]

# Action types with texts people read, and the person spec naming who reads them: the
# host picks the language of those texts (option labels) from that person.
TEXT_ACTIONS: Mapping[str, str] = MappingProxyType({"create_task": "assignee", "notify": "to"})

MAX_TITLE = 300
MAX_BODY = 10_000
MAX_TAG = 100

Inputs = dict[str, Any]
Planner = Callable[[Mapping[str, Any], Mapping[str, Any], datetime, Display | None], Inputs]


def _text(
    template: Any, context: Mapping[str, Any], limit: int, display: Display | None = None
) -> str:
    if not isinstance(template, str):
        return ""
    return render_text(template, context, display=display).strip()[:limit]


def _person(spec: Any) -> dict[str, Any]:
    return dict(spec) if isinstance(spec, Mapping) else {}


def due_at(due: Mapping[str, Any], now: datetime) -> datetime:
    """When a task is due: ``now`` plus days/hours/minutes; with ``at`` ("HH:MM"), that
    moment's local date (in ``now``'s zone) at that local time.

    Args:
        due: The action's ``due`` object.
        now: An aware datetime in the workspace's time zone.

    Returns:
        The due instant, in UTC.
    """
    moment = now + timedelta(
        days=due.get("days", 0), hours=due.get("hours", 0), minutes=due.get("minutes", 0)
    )
    at = parse_time(due["at"]) if isinstance(due.get("at"), str) else None
    if at is not None:
        local = moment.astimezone(now.tzinfo)
        moment = datetime.combine(local.date(), at, tzinfo=now.tzinfo)
    return moment.astimezone(UTC)


def _target(config: Mapping[str, Any], inputs: Inputs) -> Inputs:
    """Carry ``record`` (the linked record to act on) into the plan when it is set."""
    if isinstance(config.get("record"), Mapping):
        inputs["record"] = dict(config["record"])
    return inputs


def _update_record(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    return _target(config, {"values": render_value(config.get("values", {}), context)})


def _create_record(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    return {
        "form": config.get("form"),
        "values": render_value(config.get("values", {}), context),
        "link_field": config.get("link_field"),
    }


def _assign_owner(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    if "role" in config:
        # The pool is resolved when the step runs: whoever holds the role then.
        return {"mode": config.get("mode"), "role": config["role"]}
    return {"mode": config.get("mode"), "members": list(config.get("members", []))}


def _create_task(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    due = config.get("due")
    when = due_at(due, now) if isinstance(due, Mapping) else None
    remind = config.get("remind_before_minutes")
    remind_at = (
        when - timedelta(minutes=remind) if when is not None and remind is not None else None
    )
    inputs = {
        "title": _text(config.get("title"), context, MAX_TITLE, display),
        "notes": _text(config.get("notes", ""), context, MAX_BODY, display),
        "assignee": _person(config.get("assignee")),
        "due_at": utc_text(when) if when is not None else None,
        "remind_at": utc_text(remind_at) if remind_at is not None else None,
        "repeat_every_days": config.get("repeat_every_days"),
        "repeat_while": copy.deepcopy(config.get("repeat_while")),
    }
    return _target(config, inputs)


def _notify(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    return {
        "to": _person(config.get("to")),
        "title": _text(config.get("title"), context, MAX_TITLE, display),
        "body": _text(config.get("body", ""), context, MAX_BODY, display),
        "email": bool(config.get("email", False)),
    }


def _tag(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    # A tag is stored in the record: it keeps the stored value, like update_record.
    return {"field": config.get("field"), "tag": _text(config.get("tag"), context, MAX_TAG)}


def _webhook(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    if "payload" in config:
        payload = render_value(config["payload"], context)
    else:
        payload = {"record": context.get("record"), "trigger": context.get("trigger")}
    return {
        "url": config.get("url"),
        "payload": json_ready(payload),
        "signed": bool(config.get("secret")),
    }


def _wait(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    minutes = config.get("minutes", 0) + 60 * config.get("hours", 0)
    return {"seconds": 60 * (minutes + 24 * 60 * config.get("days", 0))}


def _recompute_tiers(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    return {"scheme": config.get("scheme")}


def _send_survey(
    config: Mapping[str, Any], context: Mapping[str, Any], now: datetime, display: Display | None
) -> Inputs:
    inputs = {"form": config.get("form"), "expires_days": config.get("expires_days")}
    if config.get("remind_after_days") is not None:
        inputs["remind_after_days"] = config["remind_after_days"]
    return _target(config, inputs)


_PLANNERS: dict[str, Planner] = {
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
assert set(_PLANNERS) == ALL_ACTION_TYPES
assert set(TEXT_ACTIONS) <= ALL_ACTION_TYPES


def plan_action(
    action: Action,
    context: Mapping[str, Any],
    *,
    now: datetime,
    display: Display | None = None,
) -> PlannedAction:
    """Render an action's templates and resolve its relative times.

    Inputs per type: update_record ``{values}``; create_record ``{form, values,
    link_field}``; assign_owner ``{mode, members}`` or ``{mode, role}`` (a pool of
    everyone with that workspace role or a higher one); create_task ``{title, notes,
    assignee, due_at, remind_at, repeat_every_days, repeat_while}`` (instants as ISO
    UTC text or None); notify ``{to, title, body, email}``; add_tag/remove_tag
    ``{field, tag}``; webhook ``{url, payload, signed}`` (the payload defaults to the
    record and the trigger; never the secret); wait ``{seconds}``; recompute_tiers
    ``{scheme}``; send_survey ``{form, expires_days}`` (plus ``remind_after_days`` when
    set). update_record, create_task and send_survey carry ``record`` (``{"link":
    field}``: act on the record linked through that field) when the action sets it.
    Persons (``assignee``, ``to``) are copied as they are, ``{"kind": "role", …}``
    included: the platform resolves them when the step runs. Titles are cut to 300
    characters.

    Only the texts people read — create_task ``title`` and ``notes``, notify ``title``
    and ``body`` (the action types in ``TEXT_ACTIONS``) — go through ``display``; values,
    tags and payloads keep the context's data as it is.

    Args:
        action: A checked action (from ``parse_automation``).
        context: The run's template context (record, trigger, workspace, today, now,
            steps).
        now: The current time, an aware datetime in the workspace's time zone.
        display: The host's hook for values in texts people read (see
            ``templating.Display``), e.g. option labels in the reader's language.

    Raises:
        ValueError: ``now`` is naive, or the action type is unknown (programming errors).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("plan_action needs an aware datetime")
    planner = _PLANNERS.get(action.type)
    if planner is None:
        raise ValueError(f"unknown action type {action.type!r}")
    return PlannedAction(type=action.type, inputs=planner(action.config, context, now, display))

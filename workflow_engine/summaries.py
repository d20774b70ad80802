# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""``summarize``: one human sentence per planned action, in English or Chinese.

Used by dry runs ("what would happen") and the run log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from form_engine.messages import normalise_locale, register_messages, render
from workflow_engine.model import PlannedAction

register_messages(
    {
        "automation_summary_update_record": {
            "en": "Update the record: {fields}",
            "zh-CN": "更新当前数据：{fields}",
        },
        "automation_summary_update_linked": {
            "en": "Update the record linked through “{link}”: {fields}",
            "zh-CN": "更新通过“{link}”关联的数据：{fields}",
        },
        "automation_summary_task_linked": {
            "en": ", on the record linked through “{link}”",
            "zh-CN": "，关联到通过“{link}”关联的数据",
        },
        "automation_person_linked_owner": {
            "en": "the owner of the record linked through “{link}”",
            "zh-CN": "通过“{link}”关联数据的负责人",
        },
        "automation_summary_send_survey_reminder": {
            "en": ", with one reminder after {days} day(s)",
            "zh-CN": "，{days} 天后提醒一次",
        },
        "automation_summary_create_record": {
            "en": "Create a record in “{form}”",
            "zh-CN": "在表单“{form}”中新增一条数据",
        },
        "automation_summary_create_record_linked": {
            "en": "Create a record in “{form}”, linked to this one through “{link}”",
            "zh-CN": "在表单“{form}”中新增一条数据，并通过“{link}”关联当前数据",
        },
        "automation_summary_assign_fixed": {
            "en": "Make {person} the owner",
            "zh-CN": "将负责人设为{person}",
        },
        "automation_summary_assign_round_robin": {
            "en": "Assign the owner round-robin among {people}",
            "zh-CN": "在{people}之间轮流分配负责人",
        },
        "automation_summary_assign_least_loaded": {
            "en": "Assign the owner to whoever of {people} has the fewest records",
            "zh-CN": "将负责人分配给{people}中负责数据最少的成员",
        },
        "automation_summary_task": {
            "en": "Create a follow-up “{title}” due {due} for {person}",
            "zh-CN": "创建跟进任务“{title}”，截止 {due}，交给{person}",
        },
        "automation_summary_task_undated": {
            "en": "Create a follow-up “{title}” for {person}, with no due date",
            "zh-CN": "创建跟进任务“{title}”，交给{person}，无截止时间",
        },
        "automation_summary_task_reminder": {
            "en": ", reminder at {remind}",
            "zh-CN": "，{remind} 提醒",
        },
        "automation_summary_task_repeat": {
            "en": ", repeated every {days} day(s)",
            "zh-CN": "，每 {days} 天重复一次",
        },
        "automation_summary_notify": {
            "en": "Notify {person}: “{title}”",
            "zh-CN": "通知{person}：“{title}”",
        },
        "automation_summary_notify_email": {
            "en": "Notify {person} in the app and by e-mail: “{title}”",
            "zh-CN": "通过站内消息和邮件通知{person}：“{title}”",
        },
        "automation_summary_add_tag": {
            "en": "Add the tag “{tag}” to “{field}”",
            "zh-CN": "在“{field}”中添加标签“{tag}”",
        },
        "automation_summary_remove_tag": {
            "en": "Remove the tag “{tag}” from “{field}”",
            "zh-CN": "从“{field}”中移除标签“{tag}”",
        },
        "automation_summary_webhook": {
            "en": "Call the webhook {url}",
            "zh-CN": "调用 Webhook {url}",
        },
        "automation_summary_webhook_signed": {
            "en": "Call the webhook {url} (signed)",
            "zh-CN": "调用 Webhook {url}（已签名）",
        },
        "automation_summary_wait": {"en": "Wait {duration}", "zh-CN": "等待 {duration}"},
        "automation_summary_recompute_tiers": {
            "en": "Recompute the tiers of the scheme “{scheme}”",
            "zh-CN": "重新计算分层方案“{scheme}”的客户分层",
        },
        "automation_summary_send_survey": {
            "en": "Send a survey invitation for “{form}”",
            "zh-CN": "发送问卷“{form}”的邀请",
        },
        "automation_summary_send_survey_expires": {
            "en": "Send a survey invitation for “{form}”, valid for {days} day(s)",
            "zh-CN": "发送问卷“{form}”的邀请，{days} 天内有效",
        },
        "automation_person_owner": {"en": "the record's owner", "zh-CN": "负责人"},
        "automation_person_actor": {"en": "the person who made the change", "zh-CN": "操作人"},
        "automation_person_user": {"en": "user #{id}", "zh-CN": "用户 #{id}"},
        "automation_person_field": {
            "en": "the member in “{field}”",
            "zh-CN": "字段“{field}”中的成员",
        },
        "automation_person_nobody": {"en": "nobody", "zh-CN": "无人"},
        # A role means everyone holding it or a higher one (owner > admin > member).
        "automation_person_role_owner": {
            "en": "the workspace's owners",
            "zh-CN": "工作区的所有者",
        },
        "automation_person_role_admin": {
            "en": "the workspace's admins and owners",
            "zh-CN": "工作区的管理员和所有者",
        },
        "automation_person_role_member": {
            "en": "all workspace members except read-only ones",
            "zh-CN": "工作区中除只读成员外的所有成员",
        },
        # One person of a role (a follow-up's assignee): the lowest user id.
        "automation_person_role_one_owner": {
            "en": "the workspace owner with the lowest user id",
            "zh-CN": "工作区中用户 ID 最小的所有者",
        },
        "automation_person_role_one_admin": {
            "en": "the admin or owner with the lowest user id",
            "zh-CN": "用户 ID 最小的管理员或所有者",
        },
        "automation_person_role_one_member": {
            "en": "the member (not read-only) with the lowest user id",
            "zh-CN": "用户 ID 最小的成员（不含只读成员）",
        },
        "automation_summary_send_survey_linked": {
            "en": ", to the record linked through “{link}”",
            "zh-CN": "，发给通过“{link}”关联的数据",
        },
        "automation_duration_day": {"en": "1 day", "zh-CN": "1 天"},
        "automation_duration_days": {"en": "{n} days", "zh-CN": "{n} 天"},
        "automation_duration_hour": {"en": "1 hour", "zh-CN": "1 小时"},
        "automation_duration_hours": {"en": "{n} hours", "zh-CN": "{n} 小时"},
        "automation_duration_minute": {"en": "1 minute", "zh-CN": "1 分钟"},
        "automation_duration_minutes": {"en": "{n} minutes", "zh-CN": "{n} 分钟"},
    }
)


def _join(items: list[str], locale: str) -> str:
    return ("、" if locale == "zh-CN" else ", ").join(items)


ROLE_WORDS = ("owner", "admin", "member")


def role_text(role: Any, locale: str | None, *, one: bool = False) -> str:
    """Everyone with a workspace role or a higher one ("the workspace's admins and
    owners"); with ``one``, the one of them a follow-up goes to (lowest user id)."""
    if role not in ROLE_WORDS:
        return render("automation_person_nobody", locale)
    return render(f"automation_person_role_{'one_' if one else ''}{role}", locale)


def person_text(
    spec: Any, locale: str | None, link: str | None = None, *, one: bool = False
) -> str:
    """A person spec in words: "the record's owner" / "负责人", "user #7" / "用户 #7";
    with ``link``, the owner is the one of the record linked through that field. A role
    reads as everyone holding it, or with ``one`` as the one person it resolves to."""
    kind = spec.get("kind") if isinstance(spec, Mapping) else None
    if kind == "role":
        return role_text(spec.get("role"), locale, one=one)
    if kind == "owner" and link:
        return render("automation_person_linked_owner", locale, link=link)
    if kind == "owner":
        return render("automation_person_owner", locale)
    if kind == "actor":
        return render("automation_person_actor", locale)
    if kind == "user":
        return render("automation_person_user", locale, id=spec.get("id"))
    if kind == "field":
        return render("automation_person_field", locale, field=spec.get("field"))
    return render("automation_person_nobody", locale)


def instant_text(value: Any) -> str:
    """``2026-11-27T01:00:00Z`` → ``2026-11-27 01:00 UTC``."""
    if isinstance(value, str) and len(value) >= 16 and value[10] == "T":
        return f"{value[:10]} {value[11:16]} UTC"
    return str(value)


def duration_text(seconds: int, locale: str | None) -> str:
    """``93_600`` → "1 day 2 hours" / "1 天 2 小时"."""
    minutes = max(0, seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    for amount, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if amount == 1:
            parts.append(render(f"automation_duration_{unit}", locale))
        elif amount:
            parts.append(render(f"automation_duration_{unit}s", locale, n=amount))
    if not parts:
        parts.append(render("automation_duration_minutes", locale, n=0))
    return " ".join(parts)


def _linked(inputs: Mapping[str, Any]) -> str | None:
    target = inputs.get("record")
    link = target.get("link") if isinstance(target, Mapping) else None
    return str(link) if link else None


def _task(inputs: Mapping[str, Any], locale: str | None) -> str:
    link = _linked(inputs)
    person = person_text(inputs.get("assignee"), locale, link, one=True)
    title = inputs.get("title", "")
    if inputs.get("due_at"):
        due = instant_text(inputs["due_at"])
        text = render("automation_summary_task", locale, title=title, due=due, person=person)
    else:
        text = render("automation_summary_task_undated", locale, title=title, person=person)
    if inputs.get("remind_at"):
        remind = instant_text(inputs["remind_at"])
        text += render("automation_summary_task_reminder", locale, remind=remind)
    if inputs.get("repeat_every_days"):
        days = inputs["repeat_every_days"]
        text += render("automation_summary_task_repeat", locale, days=days)
    if link:
        text += render("automation_summary_task_linked", locale, link=link)
    return text


def summarize(planned: PlannedAction, locale: str | None) -> str:
    """One human sentence for a planned action, in ``locale`` (en or zh-CN).

    Args:
        planned: The output of ``plan_action``.
        locale: ``en``, ``zh-CN`` (others fall back to English).

    Raises:
        ValueError: the action type is unknown (a programming error).
    """
    lang = normalise_locale(locale)
    inputs = planned.inputs
    kind = planned.type
    if kind == "update_record":
        fields = _join(sorted(inputs.get("values") or {}), lang)
        link = _linked(inputs)
        if link:
            return render("automation_summary_update_linked", lang, link=link, fields=fields)
        return render("automation_summary_update_record", lang, fields=fields)
    if kind == "create_record":
        form, link = inputs.get("form"), inputs.get("link_field")
        if link:
            return render("automation_summary_create_record_linked", lang, form=form, link=link)
        return render("automation_summary_create_record", lang, form=form)
    if kind == "assign_owner":
        members = inputs.get("members") or []
        people = [person_text({"kind": "user", "id": m}, lang) for m in members]
        mode = inputs.get("mode")
        if mode == "fixed":
            first = people[0] if people else person_text(None, lang)
            return render("automation_summary_assign_fixed", lang, person=first)
        code = f"automation_summary_assign_{mode}"
        if mode not in ("round_robin", "least_loaded"):
            raise ValueError(f"unknown assignment mode {mode!r}")
        if "role" in inputs:
            return render(code, lang, people=role_text(inputs["role"], lang))
        return render(code, lang, people=_join(people, lang))
    if kind == "create_task":
        return _task(inputs, lang)
    if kind == "notify":
        code = (
            "automation_summary_notify_email"
            if inputs.get("email")
            else "automation_summary_notify"
        )
        return render(
            code, lang, person=person_text(inputs.get("to"), lang), title=inputs.get("title")
        )
    if kind in ("add_tag", "remove_tag"):
        return render(
            f"automation_summary_{kind}", lang, tag=inputs.get("tag"), field=inputs.get("field")
        )
    if kind == "webhook":
        code = (
            "automation_summary_webhook_signed"
            if inputs.get("signed")
            else "automation_summary_webhook"
        )
        return render(code, lang, url=inputs.get("url"))
    if kind == "wait":
        duration = duration_text(int(inputs.get("seconds") or 0), lang)
        return render("automation_summary_wait", lang, duration=duration)
    if kind == "recompute_tiers":
        return render("automation_summary_recompute_tiers", lang, scheme=inputs.get("scheme"))
    if kind == "send_survey":
        form, days = inputs.get("form"), inputs.get("expires_days")
        if days:
            text = render("automation_summary_send_survey_expires", lang, form=form, days=days)
        else:
            text = render("automation_summary_send_survey", lang, form=form)
        if inputs.get("remind_after_days"):
            remind = inputs["remind_after_days"]
            text += render("automation_summary_send_survey_reminder", lang, days=remind)
        link = _linked(inputs)
        if link:
            text += render("automation_summary_send_survey_linked", lang, link=link)
        return text
    raise ValueError(f"unknown action type {kind!r}")

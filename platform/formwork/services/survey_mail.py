# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""Survey e-mails and their links: the invitation, the one reminder, the opt-out.

Respondents have no account and no language setting, so every e-mail is bilingual:
English first, then Simplified Chinese, with the survey's title in each language. The
texts live in the engines' message catalogue (``register_messages``) so that both
languages are always complete.

Links: an invitation's own link carries its random token (only its SHA-256 is stored,
so it cannot be rebuilt later). The reminder therefore links with a token signed with
the app's ``SECRET_KEY`` naming the invitation: unforgeable, bound to that one
invitation, and as single-use as the first link because answering claims the invitation
itself. The opt-out link is signed the same way over the workspace and the address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itsdangerous import BadData

from form_engine.dialect import label
from form_engine.messages import register_messages, render
from formwork.models import Workspace
from formwork.services.form_runtime import FormRuntime
from formwork.services.public_forms import ForgedLink, absolute_url, serializer

REMINDER_SALT = "formwork.survey-reminder"
OPT_OUT_SALT = "formwork.survey-opt-out"
TOKEN_MAX_CHARS = 400

register_messages(
    {
        "survey_mail_invite_subject": {
            "en": "Your opinion, please: {survey}",
            "zh-CN": "诚邀您填写问卷：{survey}",
        },
        "survey_mail_invite_body": {
            "en": "Hello,\n\n{workspace} would like to hear from you. Please answer the "
            "survey “{survey}”; it takes a minute:\n\n{url}\n\nThe link is personal and "
            "works once, until {expires}.",
            "zh-CN": "您好：\n\n{workspace} 希望听取您的意见，请填写问卷“{survey}”，"
            "只需一分钟：\n\n{url}\n\n此链接为您专属，仅可提交一次，有效期至 {expires}。",
        },
        "survey_mail_reminder_subject": {
            "en": "Reminder: {survey}",
            "zh-CN": "提醒：{survey}",
        },
        "survey_mail_reminder_body": {
            "en": "Hello,\n\nA short reminder: {workspace} would still like your answers to "
            "the survey “{survey}”:\n\n{url}\n\nThe link works once, until {expires}. "
            "This is the only reminder.",
            "zh-CN": "您好：\n\n温馨提醒：{workspace} 仍希望听取您对问卷“{survey}”的意见："
            "\n\n{url}\n\n此链接仅可提交一次，有效期至 {expires}。这是唯一一次提醒。",
        },
        "survey_mail_opt_out": {
            "en": "No more survey invitations from {workspace}: {url}",
            "zh-CN": "不再接收 {workspace} 的问卷邀请：{url}",
        },
    }
)


def invitation_url(token: str) -> str:
    """The personal answer link of an invitation token."""
    return absolute_url(f"/s/{token}")


def reminder_token(invitation_id: int, workspace_id: int) -> str:
    """A signed token naming one invitation (it always contains a dot; random tokens
    never do, which is how the answer page tells them apart)."""
    return str(serializer(REMINDER_SALT).dumps({"i": invitation_id, "w": workspace_id}))


def read_reminder_token(token: str) -> tuple[int, int] | None:
    """``(invitation id, workspace id)`` of a signed reminder token, None when forged."""
    if len(token) > TOKEN_MAX_CHARS:
        return None
    try:
        payload = serializer(REMINDER_SALT).loads(token)
    except BadData:
        return None
    if not isinstance(payload, dict):
        return None
    invitation_id, workspace_id = payload.get("i"), payload.get("w")
    if not isinstance(invitation_id, int) or not isinstance(workspace_id, int):
        return None
    return invitation_id, workspace_id


def opt_out_url(workspace_id: int, email: str) -> str:
    """The link that stops survey invitations from this workspace to ``email``."""
    token = serializer(OPT_OUT_SALT).dumps({"w": workspace_id, "e": email.strip().lower()})
    return absolute_url(f"/s/opt-out/{token}")


def read_opt_out(token: str) -> tuple[int, str]:
    """``(workspace id, lower-cased address)`` of an opt-out token.

    Raises:
        ForgedLink: the token was altered or made up.
    """
    if len(token) > TOKEN_MAX_CHARS:
        raise ForgedLink(field="token")
    try:
        payload = serializer(OPT_OUT_SALT).loads(token)
    except BadData as exc:
        raise ForgedLink(field="token") from exc
    if not isinstance(payload, dict):
        raise ForgedLink(field="token")
    workspace_id, email = payload.get("w"), payload.get("e")
    if not isinstance(workspace_id, int) or not isinstance(email, str) or "@" not in email:
        raise ForgedLink(field="token")
    return workspace_id, email


def compose(
    kind: str,
    *,
    workspace: Workspace,
    runtime: FormRuntime,
    form_title: str,
    url: str,
    email: str,
    expires_at: datetime,
) -> tuple[str, str]:
    """Subject and body of an ``invite`` or ``reminder`` e-mail, in both languages."""
    expires = expires_at.astimezone(workspace.zone).strftime("%Y-%m-%d %H:%M")
    opt_out = opt_out_url(workspace.id, email)
    subjects: list[str] = []
    bodies: list[str] = []
    for locale in ("en", "zh-CN"):
        params: dict[str, Any] = {
            "survey": label(runtime.document, locale, form_title),
            "workspace": workspace.name,
            "url": url,
            "expires": f"{expires} ({workspace.zone})",
        }
        subjects.append(render(f"survey_mail_{kind}_subject", locale, **params))
        body = render(f"survey_mail_{kind}_body", locale, **params)
        footer = render("survey_mail_opt_out", locale, workspace=workspace.name, url=opt_out)
        bodies.append(f"{body}\n\n{footer}")
    return " / ".join(subjects), "\n\n————————\n\n".join(bodies)

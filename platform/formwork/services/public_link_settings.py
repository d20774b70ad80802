"""The settings of a form's public link (admins): when it is open, its response limit,
thank-you text, and which fields a signed URL parameter may fill. Re-exported by
:mod:`formwork.services.public_forms`, which serves the respondents.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from form_engine.dialect import label
from formwork.db import utcnow
from formwork.models import PublicLink
from formwork.services import apps, audit
from formwork.services.errors import Invalid
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.scope import Actor, scoped

THANK_YOU_MAX = 2000
THANK_YOU_LOCALES = ("en", "zh-CN")
RESPONSE_LIMIT_MAX = 1_000_000
SLUG_BYTES = 12
NOT_PREFILLED = frozenset({"attachment", "subform", "address"})
# Field types a respondent never sees: they would show workspace data (members, other
# records) or take files from strangers. A signed prefill may still set link/member.
NOT_PUBLIC_TYPES = frozenset({"link", "member", "attachment"})
# The form designer's "staff only" switch: a field of any type respondents never see.
INTERNAL = "x-internal"


def get_link(session: Session, actor: Actor, form_id: int) -> PublicLink | None:
    """The form's public link, or None when it was never shared (any member may look)."""
    form = apps.get_form(session, actor, form_id)
    return session.scalar(scoped(PublicLink, actor).where(PublicLink.form_id == form.id))


def save_link(
    session: Session,
    actor: Actor,
    form_id: int,
    *,
    enabled: bool,
    opens_at: datetime | None,
    closes_at: datetime | None,
    response_limit: int | None,
    thank_you: Mapping[str, str] | None,
    prefill: Iterable[str],
    hidden: Iterable[str],
) -> PublicLink:
    """Create or change the form's public link (admins). The slug is made once.

    Raises:
        Forbidden: the actor is not an admin.
        NotFound: the form is not in the actor's workspace.
        Invalid: a setting is wrong; ``field`` names it (opens_at, closes_at,
            response_limit, thank_you, prefill, hidden). Nothing is changed.
    """
    actor.require_admin()
    form = apps.get_form(session, actor, form_id)
    if form.published_version is None:
        raise Invalid(_l("Publish the form before sharing it."), field="enabled")
    runtime = runtime_for(session, form)
    opens, closes = _instant(opens_at, "opens_at"), _instant(closes_at, "closes_at")
    limit = _limit(response_limit)
    texts = _thank_you(thank_you)
    if opens is not None and closes is not None and closes <= opens:
        raise Invalid(_l("Closes: choose a time after the opening time."), field="closes_at")
    prefilled = _field_keys(runtime, prefill, "prefill")
    hidden_keys = _field_keys(runtime, hidden, "hidden")
    if enabled:
        _answerable(runtime, prefilled)
    for key in hidden_keys:
        if key not in prefilled:
            raise Invalid(
                _l(
                    "Hidden fields: “%(field)s” is hidden but not prefilled; a hidden field "
                    "takes its value from the signed link only.",
                    field=key,
                ),
                field="hidden",
            )
    link = session.scalar(scoped(PublicLink, actor).where(PublicLink.form_id == form.id))
    now = utcnow()
    if link is None:
        link = PublicLink(
            workspace_id=actor.workspace_id,
            form_id=form.id,
            slug=secrets.token_urlsafe(SLUG_BYTES),
            response_count=0,
            created_by_id=actor.user_id,
            created_at=now,
        )
        session.add(link)
    # An explicit allow-list of what a person may set.
    link.enabled = bool(enabled)
    link.opens_at = opens
    link.closes_at = closes
    link.response_limit = limit
    link.thank_you = texts
    link.prefill = prefilled
    link.hidden = hidden_keys
    link.updated_at = now
    session.flush()
    audit.record(
        session,
        "public_link.saved",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=f"form:{form.id}",
        enabled=link.enabled,
        response_limit=link.response_limit,
    )
    session.commit()
    return link


def _instant(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise Invalid(_l("Enter a date and time."), field=name)
    return value


def _limit(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_l("Response limit: enter a whole number."), field="response_limit")
    if not 1 <= value <= RESPONSE_LIMIT_MAX:
        raise Invalid(
            _l("Response limit: enter a number from 1 to %(max)d.", max=RESPONSE_LIMIT_MAX),
            field="response_limit",
        )
    return value


def _thank_you(value: Mapping[str, str] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for locale, text in (value or {}).items():
        if locale not in THANK_YOU_LOCALES or not isinstance(text, str):
            raise Invalid(_l("Thank-you message: unknown language."), field="thank_you")
        text = text.strip()
        if len(text) > THANK_YOU_MAX:
            raise Invalid(
                _l("Thank-you message: use at most %(count)d characters.", count=THANK_YOU_MAX),
                field="thank_you",
            )
        if text:
            result[locale] = text
    return result


def _field_keys(runtime: FormRuntime, keys: Iterable[str], name: str) -> list[str]:
    """Keys of fields that can be prefilled, in form order, without repeats."""
    allowed = prefill_keys(runtime)
    wanted = list(dict.fromkeys(str(key) for key in keys))
    for key in wanted:
        if key not in allowed:
            raise Invalid(
                _l(
                    "“%(field)s” is not a field of this form that can be prefilled.", field=key[:64]
                ),
                field=name,
            )
    return [key for key in allowed if key in wanted]


def input_keys(runtime: FormRuntime) -> list[str]:
    """Fields that take input (no computed, read-only or layout items), in form order."""
    return [
        key
        for key, schema, kind in runtime.compiled.fields
        if not kind.layout and not kind.computed and not schema.get("readOnly")
    ]


def internal_keys(runtime: FormRuntime) -> set[str]:
    """Fields marked staff only (``x-internal: true``)."""
    return {key for key, schema, _kind in runtime.compiled.fields if schema.get(INTERNAL) is True}


def unseen_keys(runtime: FormRuntime) -> set[str]:
    """Input fields a respondent never sees or sets: link, member and attachment fields,
    and staff-only ones. Only a signed prefill can give them a value."""
    types = {key: kind.key for key, _schema, kind in runtime.compiled.fields}
    internal = internal_keys(runtime)
    return {key for key in input_keys(runtime) if types[key] in NOT_PUBLIC_TYPES or key in internal}


def prefill_keys(runtime: FormRuntime) -> list[str]:
    """Input fields a URL parameter can fill: one value or a list of choices (not files,
    subform rows or the parts of an address)."""
    types = {key: kind.key for key, _schema, kind in runtime.compiled.fields}
    return [key for key in input_keys(runtime) if types[key] not in NOT_PREFILLED]


def _answerable(runtime: FormRuntime, prefilled: list[str]) -> None:
    """A required field respondents cannot see must come from the signed link, else no
    response could ever be stored."""
    required = set(runtime.document.get("required") or ())
    unseen, internal = unseen_keys(runtime), internal_keys(runtime)
    prefillable = set(prefill_keys(runtime))
    for key, schema, _kind in runtime.compiled.fields:
        if key not in required or key not in unseen or key in prefilled:
            continue
        name = field_label(schema, key)
        if key in internal and key in prefillable:
            message = _l(
                "“%(field)s” is required and staff only, so respondents cannot fill it in: "
                "prefill it through the link, make it optional, or show it to respondents.",
                field=name,
            )
        elif key in internal:
            message = _l(
                "“%(field)s” is required and staff only, so respondents cannot fill it in: "
                "make it optional, or show it to respondents.",
                field=name,
            )
        else:
            message = _l(
                "“%(field)s” is required but respondents cannot fill it in: prefill it "
                "through the link, or make it optional.",
                field=name,
            )
        raise Invalid(message, field="prefill")


def field_label(schema: Mapping[str, Any], key: str) -> LazyString:
    """The field's label in the language the message is shown in."""
    return LazyString(lambda: label(schema, str(get_locale() or "en"), key))

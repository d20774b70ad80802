"""Public links: a published form answered anonymously at ``/p/<slug>`` (DESIGN §7).

An admin sets when the link is open, how many responses it takes, the thank-you text
and which fields a *signed* URL parameter may fill (``prefill``) — some of them not shown
to the respondent at all (``hidden``, e.g. a campaign code). Fields marked staff only
(``x-internal``) are never shown either: only a signed prefill sets them. The parameter
is signed with the app's ``SECRET_KEY`` (itsdangerous, salted per link) over the link's
slug and the values: a respondent can neither change the values nor move them to
another link. Unsigned parameters never set anything.

A response goes through the records service like an internal entry (same validation,
computed fields, ``created`` event) plus a ``form_submitted`` event, and advances the
link's ``response_count`` with one conditional UPDATE in the same transaction, so
concurrent posts can never pass the response limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import current_app, has_app_context, has_request_context, request
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, object_session

from form_engine.dialect import label
from form_engine.messages import FieldError
from formwork.automation import outbox
from formwork.models import Form, PublicLink, Record
from formwork.services import records
from formwork.services.errors import Invalid, PlatformError
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.public_link_settings import (
    get_link,
    input_keys,
    internal_keys,
    prefill_keys,
    save_link,
    unseen_keys,
)
from formwork.services.records import Respondent

__all__ = [
    "ForgedLink",
    "LinkUnavailable",
    "PublicForm",
    "fixed_keys",
    "get_link",
    "input_keys",
    "internal_keys",
    "link_state",
    "open_public",
    "prefill_keys",
    "public_url",
    "read_prefill",
    "respondent_keys",
    "save_link",
    "signed_prefill_url",
    "submit_public",
    "thank_you_text",
    "unseen_keys",
]

STATES = ("open", "not_open_yet", "closed", "full", "disabled")
PREFILL_PARAM = "prefill"
PREFILL_MAX_CHARS = 4000


class LinkUnavailable(PlatformError):
    """The link cannot take a response now; ``state`` says why (see :data:`STATES`,
    plus ``unknown`` for a slug that names no published form)."""

    def __init__(self, state: str) -> None:
        super().__init__(_l("This form is not accepting responses."))
        self.state = state


class ForgedLink(Invalid):
    """A signed URL parameter was altered or made up; nothing was stored."""

    def __init__(self, field: str = "prefill") -> None:
        super().__init__(_l("This link has been altered and cannot be used."), field=field)


@dataclass
class PublicForm:
    """What the public page needs: the link, its form and runtime, the link's state and
    the verified prefill (raw HTML-style values keyed by field)."""

    link: PublicLink
    form: Form
    runtime: FormRuntime
    state: str
    prefill: dict[str, Any] = field(default_factory=dict)

    @property
    def shown_prefill(self) -> dict[str, Any]:
        """Prefilled values the respondent sees (and may change)."""
        fixed = fixed_keys(self.runtime, self.link)
        return {k: v for k, v in self.prefill.items() if k not in fixed}


def respondent_keys(runtime: FormRuntime, link: PublicLink | None = None) -> set[str]:
    """Fields a respondent fills in: input fields except links, members, attachments and
    staff-only fields (``x-internal``), and except those a link fixes (hidden, or
    prefilled but not showable)."""
    unseen = unseen_keys(runtime)
    fixed = fixed_keys(runtime, link) if link is not None else set()
    return {key for key in input_keys(runtime) if key not in unseen and key not in fixed}


def fixed_keys(runtime: FormRuntime, link: PublicLink) -> set[str]:
    """Prefilled fields whose value only the signed link sets: hidden ones, and those a
    respondent never sees (links, members, staff-only fields)."""
    unseen = unseen_keys(runtime)
    return {key for key in link.prefill if key in link.hidden or key in unseen}


# -- URLs and signatures -----------------------------------------------------------------


def absolute_url(path: str) -> str:
    """``BASE_URL`` + path; in a request without BASE_URL, the request's host."""
    base = str(current_app.config.get("BASE_URL") or "") if has_app_context() else ""
    if not base and has_request_context():
        base = request.host_url
    return base.rstrip("/") + path


def serializer(salt: str) -> URLSafeSerializer:
    """A signer keyed with the app's SECRET_KEY (itsdangerous), for one purpose."""
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=salt)


def public_url(link: PublicLink) -> str:
    """The link's address, to share."""
    return absolute_url(f"/p/{link.slug}")


def _prefill_signer(link: PublicLink) -> URLSafeSerializer:
    return serializer(f"formwork.public-prefill:{link.slug}")


def signed_prefill_url(link: PublicLink, values: Mapping[str, Any]) -> str:
    """The public URL with ``values`` for prefilled fields in one signed parameter.

    Values are what a person would type (text, or a list for multiple choices).

    Raises:
        Invalid: a key is not allowed to be prefilled, or a value does not fit its
            field; ``field`` names it.
    """
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in link.prefill:
            raise Invalid(
                _l("“%(field)s” cannot be prefilled: allow it in the link's settings.", field=key),
                field=str(key)[:64],
            )
        if value is None or value == "" or value == []:
            continue
        clean[key] = [_text(v) for v in value] if isinstance(value, list | tuple) else _text(value)
    session = object_session(link)
    if session is not None and clean:
        form = session.get(Form, link.form_id)
        if form is not None and form.published_version is not None:
            _check_values(runtime_for(session, form), clean)
    if not clean:
        return public_url(link)
    token = _prefill_signer(link).dumps({"l": link.slug, "v": clean})
    return f"{public_url(link)}?{urlencode({PREFILL_PARAM: token})}"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def _check_values(runtime: FormRuntime, values: Mapping[str, Any]) -> None:
    _data, errors = runtime.compiled.clean(values, "html")
    labels = {key: schema for key, schema, _kind in runtime.compiled.fields}
    for error in errors:
        if error.key in values:

            def message(error: FieldError = error) -> str:
                locale = str(get_locale() or "en")
                return f"{label(labels[error.key], locale, error.key)}: {error.message(locale)}"

            raise Invalid(LazyString(message), field=error.key)


def read_prefill(link: PublicLink, signed: str | None) -> dict[str, Any]:
    """The values of a signed prefill parameter (empty without one).

    Raises:
        ForgedLink: the signature does not match this link and these values.
    """
    if not signed:
        return {}
    if len(signed) > PREFILL_MAX_CHARS:
        raise ForgedLink()
    try:
        payload = _prefill_signer(link).loads(signed)
    except BadData as exc:
        raise ForgedLink() from exc
    if not isinstance(payload, dict) or payload.get("l") != link.slug:
        raise ForgedLink()
    values = payload.get("v")
    if not isinstance(values, dict):
        raise ForgedLink()
    # A field removed from the link's prefill list since signing is no longer set.
    return {k: v for k, v in values.items() if k in link.prefill}


def link_state(link: PublicLink, now: datetime) -> str:
    """``open``, ``not_open_yet``, ``closed``, ``full`` or ``disabled``."""
    if not link.enabled:
        return "disabled"
    if link.opens_at is not None and now < link.opens_at:
        return "not_open_yet"
    if link.closes_at is not None and now >= link.closes_at:
        return "closed"
    if link.response_limit is not None and link.response_count >= link.response_limit:
        return "full"
    return "open"


# -- the respondent's side ---------------------------------------------------------------


def open_public(session: Session, slug: str, signed: str | None, *, now: datetime) -> PublicForm:
    """The public form behind ``slug`` with its state and verified prefill.

    Raises:
        LinkUnavailable: ``unknown`` — no such link, or its form is gone/unpublished.
        ForgedLink: the prefill parameter was altered.
    """
    link = session.scalar(select(PublicLink).where(PublicLink.slug == slug))
    form = session.get(Form, link.form_id) if link is not None else None
    if (
        link is None
        or form is None
        or form.workspace_id != link.workspace_id
        or form.archived_at is not None
        or form.published_version is None
    ):
        raise LinkUnavailable("unknown")
    prefill = read_prefill(link, signed)
    return PublicForm(link, form, runtime_for(session, form), link_state(link, now), prefill)


def submit_public(
    session: Session,
    slug: str,
    form_data: Mapping[str, Any],
    signed_param: str | None,
    *,
    now: datetime,
) -> Record:
    """Store one anonymous response through the link ``slug`` and commit.

    ``form_data`` is the posted input keyed by field (``record_input.raw_input``); only
    fields a respondent may fill are read from it, and fixed fields come from the signed
    parameter alone.

    Raises:
        LinkUnavailable: unknown, disabled, not open yet, closed or full.
        ForgedLink: the prefill parameter was altered.
        RecordInvalid: the values break the form's rules (nothing stored).
    """
    public = open_public(session, slug, signed_param, now=now)
    if public.state != "open":
        raise LinkUnavailable(public.state)
    link, form, runtime = public.link, public.form, public.runtime
    allowed = respondent_keys(runtime, link)
    raw = {k: v for k, v in form_data.items() if k in allowed}
    fixed = fixed_keys(runtime, link)
    raw.update({k: v for k, v in public.prefill.items() if k in fixed})
    # The count first: it takes the row (and SQLite's write lock) for this transaction,
    # so a concurrent post waits and then sees the new count.
    taken = session.execute(
        update(PublicLink)
        .where(
            PublicLink.id == link.id,
            PublicLink.enabled.is_(True),
            or_(
                PublicLink.response_limit.is_(None),
                PublicLink.response_count < PublicLink.response_limit,
            ),
            or_(PublicLink.opens_at.is_(None), PublicLink.opens_at <= now),
            or_(PublicLink.closes_at.is_(None), PublicLink.closes_at > now),
        )
        .values(response_count=PublicLink.response_count + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        current = session.get(PublicLink, link.id)
        raise LinkUnavailable(link_state(current, now) if current is not None else "unknown")
    try:
        record = records.create_response(
            session, Respondent(link.workspace_id), form, raw, event_source="public", commit=False
        )
    except PlatformError:
        session.rollback()
        raise
    outbox.emit(
        session,
        workspace_id=link.workspace_id,
        type="form_submitted",
        form_id=form.id,
        record_id=record.id,
        payload={
            "before": None,
            "after": dict(record.data),
            "changed": sorted(record.data),
            "public_link_id": link.id,
        },
        source="public",
    )
    session.commit()
    return record


def thank_you_text(link: PublicLink | None, locale: str) -> str | None:
    """The link's thank-you message in ``locale`` (else the other language, else None)."""
    if link is None or not link.thank_you:
        return None
    texts = link.thank_you
    other = "en" if locale == "zh-CN" else "zh-CN"
    text = texts.get(locale) or texts.get(other)
    return str(text) if text else None

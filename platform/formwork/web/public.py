"""Anonymous pages: public forms (``/p/<slug>``), survey invitations (``/s/<token>``)
and the survey opt-out (``/s/opt-out/<signed>``).

They extend their own minimal base (no navigation, no workspace name, no login) and
speak the respondent's language: ``?lang=`` first, then Accept-Language — never a
logged-in staff member's setting. Every refusal is a plain page that says what happened
and stores nothing. Abuse limits (docs/surveys.md): posts are rate-limited per client
address and per link/survey form, bodies above ``PUBLIC_MAX_BYTES`` are refused before
they are parsed, a honeypot input catches form-filling robots, and CSRF stays on.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from formwork import db
from formwork.db import utcnow
from formwork.extensions import limiter
from formwork.models import PublicLink, SurveyInvitation
from formwork.services import public_forms, surveys
from formwork.services.errors import PlatformError, RecordInvalid
from formwork.services.public_forms import PREFILL_PARAM, ForgedLink, LinkUnavailable
from formwork.services.survey_answers import token_hash
from formwork.services.survey_mail import read_opt_out
from formwork.services.surveys import InvitationUnavailable
from formwork.web.public_pages import (
    LANG_PARAM,
    Result,
    in_language,
    lang_args,
    page_locale,
    refusal,
    respondent_page,
    robot,
)
from formwork.web.record_input import apply_errors, raw_input

log = logging.getLogger(__name__)

bp = Blueprint("public", __name__)


# -- limits, errors ------------------------------------------------------------------------


def _address_limit() -> str:
    return str(current_app.config["PUBLIC_RATE_LIMIT"])


def _form_limit() -> str:
    return str(current_app.config["PUBLIC_FORM_RATE_LIMIT"])


def _link_key() -> str:
    return f"public-link:{(request.view_args or {}).get('slug', '')}"


def _survey_key() -> str:
    """All invitations of one survey form share a budget (unknown tokens share one)."""
    token = str((request.view_args or {}).get("token", ""))
    form_id = None
    if token and "." not in token and len(token) < 100:
        form_id = db.session().scalar(
            select(SurveyInvitation.form_id).where(SurveyInvitation.token_hash == token_hash(token))
        )
    return f"survey-form:{form_id or 'other'}"


@bp.url_value_preprocessor
def _refuse_large_bodies(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Before anything reads the body (CSRF does, first): too large → 413, unread."""
    limit = int(current_app.config["PUBLIC_MAX_BYTES"])
    request.max_content_length = limit
    if (request.content_length or 0) > limit:
        abort(413)


def _forget_body() -> None:
    """Treat the body as empty, so nothing rendering the refusal tries to read it."""
    request.form = ImmutableMultiDict()
    request.files = ImmutableMultiDict()


@bp.context_processor
def _language_links() -> dict[str, Any]:
    def lang_url(code: str) -> str:
        """This page in another language (its other parameters kept)."""
        args = {**request.args.to_dict(), LANG_PARAM: code}
        return url_for(request.endpoint or ".form", **(request.view_args or {}), **args)

    return {"lang_url": lang_url}


@bp.after_request
def _private(response: BaseResponse) -> BaseResponse:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def _csrf(_exc: CSRFError) -> tuple[str, int]:
    return refusal("csrf")


@bp.errorhandler(413)
def _too_large(_exc: HTTPException) -> tuple[str, int]:
    _forget_body()
    return refusal("too_large")


@bp.errorhandler(429)
def _throttled(_exc: HTTPException) -> tuple[str, int]:
    return refusal("throttled")


@bp.errorhandler(PlatformError)
def _unavailable(_exc: PlatformError) -> tuple[str, int]:
    return refusal("unknown")


@bp.route("/p/<slug>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_form_limit, key_func=_link_key, methods=["POST"])
@in_language
def form(slug: str) -> Result:
    """A public form: GET shows it, POST stores one response."""
    session, locale, now = db.session(), page_locale(), utcnow()
    signed = request.args.get(PREFILL_PARAM)
    try:
        public = public_forms.open_public(session, slug, signed, now=now)
    except LinkUnavailable as exc:
        return refusal(exc.state)
    except ForgedLink:
        return refusal("forged")
    if public.state != "open":
        return refusal(public.state)
    fixed = {k: v for k, v in public.prefill.items() if k not in public.shown_prefill}
    allowed = public_forms.respondent_keys(public.runtime, public.link)
    page, context = respondent_page(public.runtime, locale, allowed, public.shown_prefill, fixed)
    status = 200
    if page.validate_on_submit():
        if robot():
            log.info("public link %s: honeypot filled; response dropped", public.link.id)
            return redirect(url_for(".thanks", slug=slug, **lang_args()))
        posted = raw_input(page.specs, request.form)
        try:
            public_forms.submit_public(session, slug, posted.values, signed, now=now)
        except LinkUnavailable as exc:
            return refusal(exc.state)
        except ForgedLink:
            return refusal("forged")
        except RecordInvalid as exc:
            context["general"] = apply_errors(page, exc.errors, locale, posted.rows)
            status = 422
        else:
            return redirect(url_for(".thanks", slug=slug, **lang_args()))
    return render_template("public/form.html", **context), status


@bp.get("/p/<slug>/thanks")
@in_language
def thanks(slug: str) -> Result:
    """The link's thank-you message."""
    link = db.session().scalar(select(PublicLink).where(PublicLink.slug == slug))
    if link is None:
        return refusal("unknown")
    locale = page_locale()
    text = public_forms.thank_you_text(link, locale)
    return render_template("public/thanks.html", locale=locale, message=text)


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_form_limit, key_func=_survey_key, methods=["POST"])
@in_language
def invitation(token: str) -> Result:
    """A personal survey invitation: GET shows the survey, POST answers it once."""
    session, locale, now = db.session(), page_locale(), utcnow()
    try:
        found = surveys.open_invitation(session, token, now=now)
    except InvitationUnavailable as exc:
        return refusal(exc.state)
    if found.state != "open":
        return refusal(found.state)
    allowed = public_forms.respondent_keys(found.runtime)
    page, context = respondent_page(found.runtime, locale, allowed, {}, {})
    status = 200
    if page.validate_on_submit():
        if robot():
            log.info("survey invitation %s: honeypot filled; answer dropped", found.invitation.id)
            return redirect(url_for(".survey_thanks", token=token, **lang_args()))
        posted = raw_input(page.specs, request.form)
        try:
            surveys.answer_invitation(session, token, posted.values, now=now)
        except InvitationUnavailable as exc:
            return refusal(exc.state)
        except RecordInvalid as exc:
            context["general"] = apply_errors(page, exc.errors, locale, posted.rows)
            status = 422
        else:
            return redirect(url_for(".survey_thanks", token=token, **lang_args()))
    return render_template("public/form.html", **context), status


@bp.get("/s/<token>/thanks")
@in_language
def survey_thanks(token: str) -> Result:
    """Thank you, once the invitation is answered."""
    session, locale = db.session(), page_locale()
    try:
        found = surveys.open_invitation(session, token, now=utcnow())
    except InvitationUnavailable as exc:
        return refusal(exc.state)
    if found.state == "open":  # the post was dropped (honeypot) or never made
        return redirect(url_for(".invitation", token=token, **lang_args()))
    link = session.scalar(select(PublicLink).where(PublicLink.form_id == found.form.id))
    text = public_forms.thank_you_text(link, locale)
    return render_template("public/thanks.html", locale=locale, message=text)


class OptOutForm(FlaskForm):
    """Just the CSRF token: opting out is one confirmed click."""


@bp.route("/s/opt-out/<signed>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@in_language
def opt_out(signed: str) -> Result:
    """Stop survey invitations to one address (asks to confirm, then stores it)."""
    locale = page_locale()
    try:
        _workspace_id, email = read_opt_out(signed)
    except ForgedLink:
        return refusal("bad_opt_out")
    confirm = OptOutForm()
    done = False
    if confirm.validate_on_submit():
        surveys.opt_out(db.session(), signed)
        done = True
    return render_template(
        "public/opt_out.html", locale=locale, confirm=confirm, email=_masked(email), done=done
    )


def _masked(email: str) -> str:
    """``a***@example.com``: enough to recognise one's address, not to harvest it."""
    name, _at, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"

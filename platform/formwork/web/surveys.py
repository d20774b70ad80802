"""The staff side of surveys (问卷): blueprint ``surveys`` for a form's public link settings
(this module), its personal invitations (:mod:`survey_invitations`) and its results with
NPS (:mod:`survey_results_page`).

Admins change the public link; every member sees it and may make prefilled links.
Members send invitations. Results are read by every member of the workspace. Times are
entered and shown on the workspace's clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField

from form_engine.dialect import label
from form_engine.fields.choice import option_title
from formwork import db
from formwork.db import utcnow
from formwork.models import Form, PublicLink, Role
from formwork.services import public_forms
from formwork.services.errors import InputError, Invalid, NotFound
from formwork.services.form_runtime import FormRuntime
from formwork.services.scope import Actor
from formwork.web.context import current_actor, workspace_view
from formwork.web.records import ServiceChoices
from formwork.web.survey_invitations import register_invitations
from formwork.web.survey_results_page import form_title, locale, published, register_results

bp = Blueprint("surveys", __name__, url_prefix="/w/<int:workspace_id>/forms/<int:form_id>")

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


# -- the public link ---------------------------------------------------------------------


class ShareForm(FlaskForm):
    """The public link's settings (the service checks them; errors name the field)."""

    enabled = BooleanField(_l("Accept responses at the public link"), default=True)
    opens_at = StringField(_l("Opens"))
    closes_at = StringField(_l("Closes"))
    response_limit = StringField(_l("Response limit"))
    thank_you_en = TextAreaField(_l("Thank-you message (English)"))
    thank_you_zh = TextAreaField(_l("Thank-you message (Chinese)"))
    prefill = SelectMultipleField(_l("Fields a link may prefill"), validate_choice=False)
    hidden = SelectMultipleField(
        _l("Prefilled fields the respondent does not see"), validate_choice=False
    )


def _local_text(moment: datetime | None, actor: Actor) -> str:
    return moment.astimezone(actor.workspace.zone).strftime(LOCAL_FORMAT) if moment else ""


def _instant(text: str | None, actor: Actor, field: str) -> datetime | None:
    """A datetime-local value on the workspace's clock, as a UTC instant."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        local = None
    if local is None or local.tzinfo is not None:
        what = _l("Opens") if field == "opens_at" else _l("Closes")
        raise Invalid(
            _l("%(what)s: enter a date and time, like 2026-03-01 09:00.", what=what), field=field
        )
    return local.replace(tzinfo=actor.workspace.zone).astimezone(UTC)


def _limit(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise Invalid(_l("Response limit: enter a whole number."), field="response_limit")
    return int(text)


def _fill(form: ShareForm, link: PublicLink | None, actor: Actor) -> None:
    if link is None:
        return
    form.enabled.data = link.enabled
    form.opens_at.data = _local_text(link.opens_at, actor)
    form.closes_at.data = _local_text(link.closes_at, actor)
    form.response_limit.data = str(link.response_limit) if link.response_limit else ""
    form.thank_you_en.data = (link.thank_you or {}).get("en", "")
    form.thank_you_zh.data = (link.thank_you or {}).get("zh-CN", "")
    form.prefill.data = list(link.prefill or [])
    form.hidden.data = list(link.hidden or [])


def _share_error(form: ShareForm, exc: InputError) -> None:
    name = {"thank_you": "thank_you_en"}.get(exc.field or "", exc.field or "")
    field = getattr(form, name, None) if name else None
    if field is None:
        field = form.enabled
    field.errors = [*list(field.errors), str(exc.message)]


def _prefill_inputs(
    session: Session, actor: Actor, runtime: FormRuntime, link: PublicLink | None
) -> list[dict[str, Any]]:
    """The prefilled-link generator's inputs: one per prefilled field, with options for
    choices, members and linked records."""
    if link is None or not link.prefill:
        return []
    choices = ServiceChoices(session, actor)
    by_key = {key: (schema, kind) for key, schema, kind in runtime.compiled.fields}
    inputs = []
    for key in link.prefill:
        if key not in by_key:
            continue
        schema, kind = by_key[key]
        entry: dict[str, Any] = {
            "key": key,
            "title": label(schema, locale(), key),
            "type": kind.key,
            "hidden": key in (link.hidden or []),
        }
        values = schema.get("enum") or (schema.get("items") or {}).get("enum")
        if kind.key in ("select", "multiselect") and values:
            entry["options"] = [(v, option_title(schema, v, locale())) for v in values]
        elif kind.key == "member":
            entry["options"] = [(str(uid), name) for uid, name in choices.members()]
        elif kind.key == "link":
            found = choices.records(schema["x-link"]["form"])
            entry["options"] = [(str(rid), text) for rid, text in found.options]
        inputs.append(entry)
    return inputs


def _render_share(
    session: Session,
    actor: Actor,
    form: Form,
    runtime: FormRuntime,
    share: ShareForm,
    link: PublicLink | None,
    *,
    status: int = 200,
    prefilled: str | None = None,
    prefill_values: dict[str, Any] | None = None,
    prefill_errors: dict[str, str] | None = None,
) -> tuple[str, int]:
    keys = public_forms.prefill_keys(runtime)
    titles = {key: label(schema, locale(), key) for key, schema, _k in runtime.compiled.fields}
    share.prefill.choices = [(key, titles[key]) for key in keys]
    share.hidden.choices = [(key, titles[key]) for key in keys]
    return render_template(
        "surveys/share.html",
        form=form,
        form_title=form_title(form, runtime),
        share=share,
        link=link,
        state=public_forms.link_state(link, utcnow()) if link else None,
        public_url=public_forms.public_url(link) if link else None,
        is_admin=actor.role.at_least(Role.ADMIN),
        can_write=actor.role.at_least(Role.MEMBER),
        zone_name=actor.workspace.zone.key,
        prefill_inputs=_prefill_inputs(session, actor, runtime, link),
        # Links, members and staff-only fields are never shown: "hidden" goes without saying.
        never_shown=public_forms.unseen_keys(runtime),
        prefilled=prefilled,
        prefill_values=prefill_values or {},
        prefill_errors=prefill_errors or {},
    ), status


@bp.route("/share", methods=["GET", "POST"])
@workspace_view()
def share(form_id: int) -> tuple[str, int] | Response:
    """The public link: its address for everyone, its settings for admins."""
    actor, session = current_actor(), db.session()
    form, runtime = published(session, actor, form_id)
    link = public_forms.get_link(session, actor, form.id)
    settings = ShareForm()
    if request.method == "GET":
        _fill(settings, link, actor)
        return _render_share(session, actor, form, runtime, settings, link)
    actor.require_admin()
    if settings.validate_on_submit():
        try:
            public_forms.save_link(
                session,
                actor,
                form.id,
                enabled=bool(settings.enabled.data),
                opens_at=_instant(settings.opens_at.data, actor, "opens_at"),
                closes_at=_instant(settings.closes_at.data, actor, "closes_at"),
                response_limit=_limit(settings.response_limit.data),
                thank_you={
                    "en": settings.thank_you_en.data or "",
                    "zh-CN": settings.thank_you_zh.data or "",
                },
                prefill=settings.prefill.data or [],
                hidden=settings.hidden.data or [],
            )
        except InputError as exc:
            session.rollback()
            _share_error(settings, exc)
        else:
            flash(_("Sharing settings saved."), "success")
            return redirect(
                url_for("surveys.share", workspace_id=actor.workspace_id, form_id=form.id)
            )
    return _render_share(session, actor, form, runtime, settings, link, status=422)


@bp.post("/share/prefill")
@workspace_view(Role.MEMBER)
def prefill_link(form_id: int) -> tuple[str, int]:
    """A link with chosen field values filled in, signed so they cannot be changed."""
    actor, session = current_actor(), db.session()
    form, runtime = published(session, actor, form_id)
    link = public_forms.get_link(session, actor, form.id)
    if link is None:
        raise NotFound(_l("This form has no public link yet."))
    values: dict[str, Any] = {}
    for key in link.prefill or []:
        posted = request.form.getlist(f"pf-{key}")
        values[key] = posted if len(posted) > 1 else (posted[0] if posted else "")
    settings = ShareForm(formdata=None)
    _fill(settings, link, actor)
    try:
        url = public_forms.signed_prefill_url(link, values)
    except InputError as exc:
        errors = {str(exc.field): str(exc.message)}
        return _render_share(
            session, actor, form, runtime, settings, link, status=422,
            prefill_values=values, prefill_errors=errors,
        )  # fmt: skip
    return _render_share(
        session, actor, form, runtime, settings, link, prefilled=url, prefill_values=values
    )


register_invitations(bp)
register_results(bp)

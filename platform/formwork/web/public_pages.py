"""What the anonymous pages share: the respondent's language, the refusal pages, and the
WTForms page of a form as a respondent sees it (see :mod:`formwork.web.public`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from functools import wraps
from typing import Any

from flask import render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from form_engine.conditions import (
    EvalContext,
    Literal,
    Node,
    Op,
    evaluate,
    referenced_fields,
    to_json,
)
from form_engine.conditions.nodes import LOGIC
from form_engine.dialect import label
from form_engine.messages import normalise_locale
from formwork.services.form_runtime import FormRuntime
from formwork.web.record_forms import FieldSpec, RecordForm, form_class_for, input_data
from formwork.web.record_input import (
    hidden_keys,
    input_values,
    page_config,
    raw_input,
    required_now,
)

LANG_PARAM = "lang"
# Field keys start with a letter, so this name can never be a field of the form.
HONEYPOT = "_website"
Result = str | tuple[str, int] | BaseResponse

STATUS = {
    "unknown": 404,
    "forged": 400,
    "bad_opt_out": 404,
    "disabled": 403,
    "not_open_yet": 403,
    "closed": 410,
    "full": 410,
    "used": 410,
    "expired": 410,
    "csrf": 400,
    "too_large": 413,
    "throttled": 429,
}


def page_locale() -> str:
    """``en`` or ``zh-CN``: ``?lang=``, else the browser's Accept-Language."""
    chosen = request.args.get(LANG_PARAM, "")
    if chosen.lower()[:2] in ("en", "zh"):
        return normalise_locale(chosen)
    match = request.accept_languages.best_match(["en", "zh_CN", "zh-CN", "zh"])
    return normalise_locale(match)


@contextmanager
def language(locale: str) -> Iterator[None]:
    with force_locale("zh_CN" if locale == "zh-CN" else "en"):
        yield


def in_language(view: Callable[..., Result]) -> Callable[..., Result]:
    """Run the view (and render its page) in the respondent's language."""

    @wraps(view)
    def wrapper(**kwargs: Any) -> Result:
        with language(page_locale()):
            return view(**kwargs)

    return wrapper


def _texts() -> dict[str, tuple[str, str]]:
    return {
        "unknown": (
            _("Link not found"),
            _("This link does not lead to a form. Check that you copied all of it."),
        ),
        "forged": (
            _("This link cannot be used"),
            _("The link has been changed since it was made. Use the link exactly as you got it."),
        ),
        "disabled": (
            _("Not accepting responses"),
            _("This form is not accepting responses at the moment."),
        ),
        "not_open_yet": (
            _("Not open yet"),
            _("This form is not open yet. Please come back later."),
        ),
        "closed": (_("Closed"), _("This form is closed and no longer accepts responses.")),
        "full": (
            _("No more responses"),
            _("This form has received all the responses it can take. Thank you for your interest."),
        ),
        "used": (
            _("Already answered"),
            _("This survey link has already been used. Each link can be answered once."),
        ),
        "expired": (
            _("Link expired"),
            _("This survey link has expired and can no longer be answered."),
        ),
        "csrf": (
            _("Please try again"),
            _(
                "The form has expired or was not sent from this site. "
                "Go back, reload the page and try again."
            ),
        ),
        "bad_opt_out": (
            _("Link not found"),
            _("This link does not work. Use the link from the e-mail exactly as you got it."),
        ),
        "too_large": (
            _("Too much text"),
            _("What you sent is larger than this form accepts. Shorten your answers."),
        ),
        "throttled": (
            _("Too many attempts"),
            _("Too many responses were sent in a short time. Please wait a minute."),
        ),
    }


def refusal(state: str) -> tuple[str, int]:
    """A plain page saying what happened, in the respondent's language."""
    locale = page_locale()
    with language(locale):
        title, message = _texts()[state]
        page = render_template(
            "public/message.html", locale=locale, title=title, message=message, state=state
        )
    return page, STATUS[state]


def respondent_page(
    runtime: FormRuntime,
    locale: str,
    allowed: set[str],
    initial: Mapping[str, Any],
    fixed: Mapping[str, Any],
) -> tuple[RecordForm, dict[str, Any]]:
    """The WTForms form of the survey (CSRF included) and the page's context."""
    form_class = form_class_for(runtime, locale, None)
    typed = input_values(runtime, initial)
    page = form_class(data=input_data(form_class.specs, {**runtime.compiled.defaults(), **typed}))
    if request.method == "POST":
        typed = input_values(runtime, raw_input(page.specs, request.form).values)
    data = {**typed, **input_values(runtime, fixed)}
    hidden = hidden_keys(runtime, data)
    shown = [s for s in page.specs if s.key in allowed or s.type in ("section", "description")]
    return page, {
        "page": page,
        "specs": shown,
        "hidden": hidden,
        "required_now": required_now(runtime, data, hidden),
        "config": _respondent_config(runtime, shown, fixed),
        "title": label(runtime.document, locale, runtime.document.get("title") or ""),
        "intro": _intro(runtime, locale),
        "honeypot": HONEYPOT,
        "locale": locale,
    }


def _respondent_config(
    runtime: FormRuntime, shown: list[FieldSpec], fixed: Mapping[str, Any]
) -> dict[str, Any]:
    """The live-condition config for the fields on the page only.

    Fields a respondent never sees (staff-only, links, members, computed) have no input
    on the page, so the script cannot read them; the server can (a signed prefill, an
    unticked box). Each part of a rule that reads only such fields is decided here and
    sent as ``true``/``false``: the page then hides what the server will hide, and their
    keys, values and own rules never reach the respondent.
    """
    config = page_config(runtime, shown)
    on_page = {spec.key for spec in shown}
    unseen = _settleable(runtime, on_page)
    values = _server_values(runtime, unseen, fixed)
    config["kinds"] = {key: kind for key, kind in config["kinds"].items() if key in on_page}
    for name, rules in (("visibleIf", runtime.visible_if), ("requiredIf", runtime.required_if)):
        config[name] = {
            key: to_json(_settle(rule, unseen, values))
            for key, rule in rules.items()
            if key in on_page
        }
    return config


def _settleable(runtime: FormRuntime, on_page: set[str]) -> set[str]:
    """Fields off the page whose visibility depends on no field on the page."""
    found = {key for key, _schema, _kind in runtime.compiled.fields} - on_page
    changed = True
    while changed:
        changed = False
        for key in list(found):
            rule = runtime.visible_if.get(key)
            if rule is not None and not referenced_fields(rule) <= found:
                found.discard(key)
                changed = True
    return found


def _server_values(
    runtime: FormRuntime, unseen: set[str], fixed: Mapping[str, Any]
) -> dict[str, Any]:
    """What the server reads for those fields on submit: the signed prefill, an unposted
    checkbox as false, minus the fields their own rules hide."""
    data = {key: value for key, value in input_values(runtime, fixed).items() if key in unseen}
    hidden = hidden_keys(runtime, data) & unseen
    checkboxes = {key for key, _s, kind in runtime.compiled.fields if kind.key == "checkbox"}
    values = {key: value for key, value in data.items() if key not in hidden}
    values.update({key: False for key in hidden & checkboxes})
    return values


def _settle(node: Node, unseen: set[str], values: Mapping[str, Any]) -> Node:
    """``node`` with each predicate that reads only ``unseen`` fields replaced by its
    outcome for ``values``."""
    if isinstance(node, Op) and node.name in LOGIC:
        return Op(node.name, tuple(_settle(arg, unseen, values) for arg in node.args))
    read = referenced_fields(node)
    if read and read <= unseen:
        return Literal(evaluate(node, values, context=EvalContext(today=date.today())))
    return node


def _intro(runtime: FormRuntime, locale: str) -> str:
    texts = runtime.document.get("x-descriptions")
    if isinstance(texts, dict) and isinstance(texts.get(locale), str):
        return str(texts[locale])
    text = runtime.document.get("description")
    return text if isinstance(text, str) else ""


def robot() -> bool:
    """A human never sees the honeypot input, so never fills it in."""
    return bool(request.form.get(HONEYPOT, "").strip())


def lang_args() -> dict[str, str]:
    chosen = request.args.get(LANG_PARAM)
    return {LANG_PARAM: page_locale()} if chosen else {}

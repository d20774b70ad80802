"""Flask extensions, created unbound and attached in ``create_app``."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect
from werkzeug.wrappers import Response

babel = Babel()
bootstrap = Bootstrap5()
csrf = CSRFProtect()
login_manager = LoginManager()
# Storage and the on/off switch come from app config (RATELIMIT_STORAGE_URI, _ENABLED).
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def select_locale() -> str:
    """The user's setting, else the visitor's choice, else the browser's Accept-Language."""
    from flask import current_app

    languages: tuple[str, ...] = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, scheduler: messages in the default language
        return str(current_app.config["DEFAULT_LOCALE"])
    if current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    # Any Chinese preference gets Simplified Chinese, the only Chinese we ship.
    match = request.accept_languages.best_match([*languages, "zh"])
    if match == "zh":
        return "zh_CN"
    return match or current_app.config["DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    # The message is translated when shown: Flask-Login calls this lazily per request.
    login_manager.localize_callback = _translate
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(_unauthorized)


def _unauthorized() -> Response:
    """API clients get a JSON 401; people get the log-in page and come back after."""
    from flask import abort, redirect, url_for

    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _translate(message: str) -> str:
    from flask_babel import gettext

    return gettext(message)

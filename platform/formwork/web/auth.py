"""Sign up, log in/out, password change and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from formwork import db
from formwork.extensions import limiter, login_manager
from formwork.models import User
from formwork.services import accounts
from formwork.services.errors import InputError
from formwork.web.context import client_ip, form_error
from formwork.web.forms import ChangePasswordForm, LanguageForm, LoginForm, SignUpForm

bp = Blueprint("auth", __name__)


def _auth_rate_limit() -> str:
    return str(current_app.config["AUTH_RATE_LIMIT"])


@login_manager.user_loader
def _load_user(login_id: str) -> User | None:
    return accounts.load_by_login_id(db.session(), login_id)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: an open redirect would make our login a phishing tool."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_auth_rate_limit, methods=["POST"])
def signup() -> str | Response:
    """Create an account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("shell.home"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session(),
                email=form.email.data or "",
                name=form.name.data or "",
                password=form.password.data or "",
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
                locale=session.get("locale"),
                ip_address=client_ip(),
            )
        except InputError as exc:
            form_error(form, exc)
        else:
            login_user(user)
            flash(_("Welcome to Formwork! Create your first workspace to get started."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("workspaces.new")))
    return render_template("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_auth_rate_limit, methods=["POST"])
def login() -> str | Response:
    """Log in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("shell.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(
            db.session(), form.email.data or "", form.password.data or "", ip_address=client_ip()
        )
        if user is None:
            form.password.errors.append(_("E-mail or password is not correct."))
        else:
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next"), url_for("shell.home")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    """Log out (POST with CSRF, so no page can log a user out behind their back)."""
    logout_user()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    """Change the password; other sessions and remember-me cookies end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = current_user._get_current_object()
            accounts.change_password(
                db.session(),
                user,
                current=form.current_password.data or "",
                new=form.password.data or "",
                min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except InputError as exc:
            form_error(form, exc)
        else:
            # The login id embeds the session epoch that just changed: log in afresh.
            login_user(user, remember=False)
            flash(
                _("Your password has been changed. Other devices have been logged out."), "success"
            )
            return redirect(url_for("shell.home"))
    return render_template("auth/password.html", form=form)


@bp.post("/language")
def set_language() -> Response:
    """Switch the interface language (kept on the account when logged in)."""
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data:
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            accounts.set_locale(db.session(), current_user, form.locale.data)
    return redirect(safe_next(request.form.get("next"), url_for("shell.home")))

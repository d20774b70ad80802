"""Error pages and the one place where domain errors become HTTP status codes."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from formwork.services.errors import Conflict, Forbidden, Invalid, NotFound, PlatformError

log = logging.getLogger(__name__)

STATUS_FOR = {NotFound: 404, Forbidden: 403, Invalid: 422, Conflict: 409}


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(PlatformError, _platform_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Log-in required"), _("Log in to continue.")),
        403: (_("Not allowed"), _("Your role does not allow you to open this page.")),
        404: (_("Page not found"), _("This page does not exist or you do not have access to it.")),
        405: (_("Not allowed"), _("This action cannot be done this way.")),
        409: (_("Conflict"), _("This change collides with the current state.")),
        413: (_("Too large"), _("What you sent is larger than allowed.")),
        422: (_("Invalid input"), _("Some of what you entered is not valid.")),
        429: (_("Too many attempts"), _("Please wait a minute before trying again.")),
        500: (
            _("Something went wrong"),
            _("An unexpected error happened. It has been logged; please try again."),
        ),
    }


def render_error(status: int, detail: str | None = None) -> tuple[str, int]:
    title, message = _titles().get(status, (_("Error"), _("Something went wrong.")))
    if request.path.startswith("/api/"):
        return {"error": {"status": status, "title": title, "message": detail or message}}, status  # type: ignore[return-value]
    return render_template(
        "errors/error.html", status=status, title=title, message=detail or message
    ), status


def _platform_error(exc: PlatformError) -> tuple[str, int]:
    status = next((code for kind, code in STATUS_FOR.items() if isinstance(exc, kind)), 400)
    return render_error(status, str(exc.message))


def _csrf_error(_exc: CSRFError) -> tuple[str, int]:
    return render_error(
        400,
        _(
            "The form has expired or was not sent from this site. "
            "Go back, reload the page and try again."
        ),
    )


def _http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
    if exc.code is None or exc.code < 400:
        return exc
    return render_error(exc.code)


def _unexpected_error(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, HTTPException):  # pragma: no cover - handled above
        return render_error(exc.code or 500)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(InternalServerError.code)

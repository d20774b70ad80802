"""Settings: class defaults, then ``FORMWORK_*`` environment variables, then a test mapping.

Nothing here reads the environment at import time; :func:`load_config` is called by the
app factory.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


class DefaultConfig:
    """Safe defaults for the embedded set-up (SQLite, in-process everything)."""

    # development | production | testing
    ENV = "development"
    DEBUG = False
    TESTING = False
    SECRET_KEY: str | None = None
    # None → SQLite file ``formwork.db`` inside the instance folder.
    DATABASE_URL: str | None = None
    DATABASE_ECHO = False
    # Redis for rate limits and caches when set; memory otherwise.
    REDIS_URL: str | None = None
    DEFAULT_LOCALE = "en"
    DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "zh_CN")
    INVITATION_TTL_HOURS = 72
    PASSWORD_MIN_LENGTH = 10
    # Flask-Limiter notation; applied to POSTs of login and sign-up per client address.
    AUTH_RATE_LIMIT = "10 per minute;50 per hour"
    RATELIMIT_ENABLED = True
    # Trust X-Forwarded-* from this many proxies (set to 1 behind nginx/a load balancer).
    PROXY_FIX = 0
    # Force Secure cookies even when a request does not look like HTTPS (behind a proxy
    # without PROXY_FIX); cookies are always Secure on HTTPS requests.
    SECURE_COOKIES = False
    # Largest accepted attachment file, in bytes (files live in <instance>/uploads).
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    # Public forms and survey links (docs/surveys.md): posts per client address, posts
    # per public link or survey form (all addresses together), and the largest post.
    PUBLIC_RATE_LIMIT = "20 per minute;200 per hour"
    PUBLIC_FORM_RATE_LIMIT = "120 per minute;3000 per hour"
    PUBLIC_MAX_BYTES = 64 * 1024
    # How often the scheduler sends due survey reminders.
    SURVEY_REMINDER_SECONDS = 300

    # Sessions of commands and scripts (outside a request) start as SQLite writers. The
    # test suite turns this off: its tests interleave several sessions in one thread.
    WRITE_FIRST_OUTSIDE_REQUESTS = True

    # Automations (docs/automations.md). Where runs execute: "threads" (in-process, the
    # default), "celery" (``formwork worker`` processes on a broker) or "inline" (tests).
    EXECUTOR = "threads"
    EXECUTOR_THREADS = 4
    CELERY_BROKER_URL: str | None = None
    CELERY_QUEUE = "formwork"
    # A worker holds a run this long between steps; a dead worker's runs move on after.
    RUN_LEASE_SECONDS = 60
    # The scheduler: its lock's lease, and how often it sweeps, scans dates, sends mail.
    SCHEDULER_LEASE_SECONDS = 30
    SWEEP_SECONDS = 5
    DATE_SCAN_SECONDS = 900
    MAILER_SECONDS = 15
    # Outgoing e-mail: smtp://user:password@host:587 (or smtps://…); unset → logged only.
    SMTP_URL: str | None = None
    SMTP_STARTTLS = False
    MAIL_FROM = "Formwork <no-reply@localhost>"
    # The address people reach Formwork at, for links in e-mails (e.g. https://crm.example.com).
    BASE_URL = ""

    # Framework settings derived from the above are filled in by load_config.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock
    BOOTSTRAP_SERVE_LOCAL = True
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"


_BOOLEAN_WORDS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
    "": False,
}


def load_config(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` from defaults, environment and ``overrides``; refuse unsafe ones."""
    app.config.from_object(DefaultConfig)
    # from_prefixed_env parses JSON values ("true", "3"); plain strings stay strings.
    app.config.from_prefixed_env("FORMWORK")
    if overrides:
        app.config.update(overrides)
    for key in ("DEBUG", "TESTING", "RATELIMIT_ENABLED", "SECURE_COOKIES", "DATABASE_ECHO"):
        app.config[key] = _as_bool(app.config[key], key)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'formwork.db'}"
    app.config["SESSION_COOKIE_SECURE"] = app.config["SECURE_COOKIES"]
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SECURE_COOKIES"]
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LOCALE"]
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"

    if app.config["ENV"] == "production":
        _refuse_insecure_production(app.config)
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)


def _as_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value)
    word = str(value).strip().lower()
    if word not in _BOOLEAN_WORDS:
        raise ConfigError(f"FORMWORK_{key} must be true or false, not {value!r}")
    return _BOOLEAN_WORDS[word]


def _refuse_insecure_production(config: Mapping[str, Any]) -> None:
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if len(secret) < 32:
        problems.append("FORMWORK_SECRET_KEY must be set to a random value of 32+ characters")
    if config["DEBUG"]:
        problems.append("FORMWORK_DEBUG must be off")
    if config["TESTING"]:
        problems.append("FORMWORK_TESTING must be off")
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))


def _instance_secret_key(instance: Path) -> str:
    """Generate the key once and keep it, so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    # Write a private temp file, then hard-link it into place: link() fails if another
    # worker won the race, and nobody ever reads a half-written key.
    temp = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    try:
        os.link(temp, path)
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        temp.unlink()
    return key

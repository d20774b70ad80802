"""Formwork: zero-code forms, workflows and customer tiering on Flask."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

__all__ = ["create_app", "instance_path"]


def instance_path(config: Mapping[str, Any] | None = None) -> Path:
    """Where the SQLite file and the generated secret live: ``./instance`` by default."""
    chosen = (config or {}).get("INSTANCE_PATH") or os.environ.get("FORMWORK_INSTANCE_PATH")
    return Path(chosen or Path.cwd() / "instance").resolve()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, error handlers, CLI."""
    from formwork import cli, db, extensions
    from formwork.automation import executors
    from formwork.config import load_config
    from formwork.web import register_blueprints, security
    from formwork.web.errors import register_error_handlers

    app = Flask(__name__, instance_path=str(instance_path(config)))
    load_config(app, config)

    db.init_app(app)
    executors.init_app(app)
    security.init_app(app)
    extensions.init_app(app)
    register_blueprints(app)
    register_error_handlers(app)
    cli.init_app(app)

    if app.config["PROXY_FIX"]:
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app

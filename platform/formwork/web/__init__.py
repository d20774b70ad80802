"""HTML pages: thin blueprints that parse input, call one service and render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from formwork.api import bp as api_bp
    from formwork.web.apps import bp as apps_bp
    from formwork.web.auth import bp as auth_bp
    from formwork.web.automations import bp as automations_bp
    from formwork.web.builder import bp as builder_bp
    from formwork.web.customer_value import bp as value_bp
    from formwork.web.gallery import bp as gallery_bp
    from formwork.web.lists import bp as lists_bp
    from formwork.web.notifications import bp as notifications_bp
    from formwork.web.public import bp as public_bp
    from formwork.web.records import bp as records_bp
    from formwork.web.reports import bp as reports_bp
    from formwork.web.shell import bp as shell_bp
    from formwork.web.surveys import bp as surveys_bp
    from formwork.web.tasks import bp as tasks_bp
    from formwork.web.tiers import bp as tiers_bp
    from formwork.web.workspaces import bp as workspaces_bp

    app.register_blueprint(shell_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(workspaces_bp)
    app.register_blueprint(apps_bp)
    app.register_blueprint(builder_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(lists_bp)
    app.register_blueprint(tasks_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(automations_bp)
    app.register_blueprint(tiers_bp)
    app.register_blueprint(value_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(gallery_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp)

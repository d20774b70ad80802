"""The ``formwork`` command: serve, database upgrades, users and workspaces.

Installed as a console script; the same commands are on ``flask --app wsgi``.
"""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork import db, migrate
from formwork.gallery.cli import templates_group
from formwork.models import Membership, Role, User, Workspace
from formwork.services import accounts, workspaces
from formwork.services.errors import PlatformError
from formwork.services.scope import actor_for
from formwork.value.clv_cli import clv_group

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "formwork-demo"  # noqa: S105 - documented demo credentials, refused in production
DEMO_WORKSPACE = "Demo Company"
DEMO_TEMPLATE = "customer_asset"


def init_app(app: Flask) -> None:
    app.cli.add_command(serve)
    app.cli.add_command(db_group)
    app.cli.add_command(create_user)
    app.cli.add_command(create_workspace)
    app.cli.add_command(worker)
    app.cli.add_command(scheduler)
    app.cli.add_command(templates_group)


def _create_app() -> Flask:
    from formwork import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
def main() -> None:
    """Formwork: zero-code forms, workflows and customer tiering."""


# FlaskGroup's --app/--env-file/--debug make no sense here: the app is always Formwork's,
# configured through FORMWORK_* variables.
main.params = [param for param in main.params if param.name not in {"app", "env_file", "debug"}]
# Offline (a CSV in, no database): on the group itself, so the app is never created.
main.add_command(clv_group)


def _is_embedded(app: Flask) -> bool:
    return str(app.config["DATABASE_URL"]).startswith("sqlite")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
@click.option(
    "--demo",
    is_flag=True,
    help="Create the demo user and workspace with the Customer Asset CRM and sample data "
    "(idempotent).",
)
@click.option(
    "--demo-language",
    type=click.Choice(["en", "zh-CN"]),
    default="en",
    show_default=True,
    help="Language of the demo's sample data.",
)
@click.option(
    "--scheduler/--no-scheduler",
    "with_scheduler",
    default=True,
    show_default=True,
    help="Run the automation scheduler in this process (it idles while another holds it).",
)
@with_appcontext
def serve(
    host: str, port: int, threads: int, demo: bool, demo_language: str, with_scheduler: bool
) -> None:
    """Run Formwork with the production WSGI server (waitress), with the automation
    executor and scheduler in the same process on the default set-up."""
    import waitress

    from formwork.automation.executors import executor_for

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if _is_embedded(app):
        migrate.upgrade(app)
    elif migrate.pending_revisions(app):
        raise click.ClickException("the database needs migrations: run `formwork db upgrade`")
    if demo:
        if app.config["ENV"] == "production":
            raise click.ClickException("--demo is refused in production (known password)")
        _ensure_demo(app, demo_language)
        click.echo(f"Demo: log in at http://{host}:{port}/login as {DEMO_EMAIL} / {DEMO_PASSWORD}")
    executor = executor_for(app)
    executor.start()
    service = None
    if with_scheduler:
        from formwork.automation.scheduler import SchedulerService

        service = SchedulerService(app)
        service.start()
    click.echo(f"Formwork listening on http://{host}:{port}/  (Ctrl+C to stop)")
    logging.getLogger("waitress").setLevel(logging.WARNING)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="Formwork")
    finally:
        if service is not None:
            service.stop()
        executor.stop()


@click.command("worker")
@click.option("--concurrency", default=4, show_default=True, type=int, help="Worker threads.")
@click.option("--loglevel", default="INFO", show_default=True, help="Celery log level.")
@with_appcontext
def worker(concurrency: int, loglevel: str) -> None:
    """Run a Celery worker for automations (needs FORMWORK_CELERY_BROKER_URL)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("CELERY_BROKER_URL"):
        raise click.ClickException("set FORMWORK_CELERY_BROKER_URL (a Redis or RabbitMQ URL)")
    from formwork.automation.celery_app import celery_for

    celery = celery_for(app)
    celery.worker_main(
        [
            "worker",
            f"--loglevel={loglevel}",
            "--pool=threads",
            f"--concurrency={concurrency}",
            f"--queues={app.config['CELERY_QUEUE']}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the automation scheduler: cron schedules, date scans, wake-ups, sweeps.

    Only one scheduler works at a time (a lock in the database); start a second one and
    it waits, taking over if the first stops.
    """
    from formwork.automation.scheduler import run_forever

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if _is_embedded(app):
        migrate.upgrade(app)
    run_forever(app)


def _ensure_demo(app: Flask, sample: str = "en") -> None:
    session = db.session()
    user = session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if user is None:
        user = accounts.create_user(
            session,
            email=DEMO_EMAIL,
            name="Demo User",
            password=DEMO_PASSWORD,
            min_password_length=app.config["PASSWORD_MIN_LENGTH"],
        )
    owns_demo = session.scalar(
        select(Workspace.id)
        .join(Membership)
        .where(Membership.user_id == user.id, Workspace.name == DEMO_WORKSPACE)
    )
    if owns_demo is None:
        owns_demo = workspaces.create_workspace(
            session, user, DEMO_WORKSPACE, timezone=app.config["DEFAULT_TIMEZONE"]
        ).id
    _install_demo_template(session, user, owns_demo, sample)


def _install_demo_template(session: Session, user: User, workspace_id: int, sample: str) -> None:
    """The Customer Asset CRM with sample data, so the demo opens on a populated report.
    Idempotent: an installed (or archived) template is left as it is."""
    from formwork.gallery import install as installer
    from templates_library import find_template

    bundle = find_template(DEMO_TEMPLATE)
    assert bundle is not None, f"the {DEMO_TEMPLATE} template is missing from the library"
    actor = actor_for(session, user, workspace_id)
    existing = installer.installation_for(session, actor, bundle.id)
    if existing is not None and existing.status != "installing":
        return
    click.echo(f"Installing the {bundle.title('en')} template with sample data…")
    installer.install(session, actor, bundle, sample_locale=sample)


@click.group("db")
def db_group() -> None:
    """Database schema management."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrate.upgrade(current_app._get_current_object(), revision)  # type: ignore[attr-defined]
    click.echo("database is up to date")


@click.command("create-user")
@click.option("--email", required=True, help="Log-in e-mail address.")
@click.option("--name", required=True, help="Display name.")
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def create_user(email: str, name: str, password: str) -> None:
    """Create a user account."""
    try:
        user = accounts.create_user(
            db.session(),
            email=email,
            name=name,
            password=password,
            min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
        )
    except PlatformError as exc:
        raise click.ClickException(f"{exc.field or 'input'}: {exc.message}") from exc
    click.echo(f"created user {user.id} <{user.email}>")


@click.command("create-workspace")
@click.option("--name", required=True, help="Workspace name.")
@click.option("--owner", "owner_email", required=True, help="E-mail of the owning user.")
@click.option(
    "--timezone", default=None, help="IANA time zone (default: FORMWORK_DEFAULT_TIMEZONE)."
)
@with_appcontext
def create_workspace(name: str, owner_email: str, timezone: str | None) -> None:
    """Create a workspace owned by an existing user."""
    session = db.session()
    owner = session.scalar(select(User).where(User.email == owner_email.strip().lower()))
    if owner is None:
        raise click.ClickException(f"no user with e-mail {owner_email}")
    try:
        workspace = workspaces.create_workspace(
            session, owner, name, timezone=timezone or current_app.config["DEFAULT_TIMEZONE"]
        )
    except PlatformError as exc:
        raise click.ClickException(f"{exc.field or 'input'}: {exc.message}") from exc
    click.echo(
        f"created workspace {workspace.id} “{workspace.name}” owned by {owner.email} "
        f"({Role.OWNER.value})"
    )


if __name__ == "__main__":
    main()

"""Configuration, migrations and the ``formwork`` command."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, inspect, select

from formwork import cli, create_app, db
from formwork.config import ConfigError
from formwork.db import Base
from formwork.migrate import alembic_config, include_object
from formwork.models import Membership, User, Workspace


def test_models_and_migrations_agree(database_url: str) -> None:
    """No pending autogenerate diff on this backend (what `alembic check` verifies)."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_object}
            ),
            Base.metadata,
        )
    engine.dispose()
    assert diff == []


def test_migrations_downgrade_and_upgrade_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    command.upgrade(config, "head")
    assert {"users", "workspaces", "memberships", "invitations", "audit_events"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_environment_variables_configure_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMWORK_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("FORMWORK_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("FORMWORK_PASSWORD_MIN_LENGTH", "14")
    monkeypatch.setenv("FORMWORK_SECURE_COOKIES", "true")
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'env.db'}"
    assert app.config["PASSWORD_MIN_LENGTH"] == 14
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.instance_path == str(tmp_path / "inst")


def test_default_is_sqlite_in_the_instance_folder_with_wal(tmp_path: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'formwork.db'}"
    with app.app_context(), db.engine().connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 48
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({}, "FORMWORK_SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "FORMWORK_SECRET_KEY must be set"),
        ({"SECRET_KEY": "k" * 40, "DEBUG": True}, "FORMWORK_DEBUG must be off"),
        ({"SECRET_KEY": "k" * 40, "DEBUG": "yes"}, "FORMWORK_DEBUG must be off"),
    ],
)
def test_production_refuses_insecure_settings(
    tmp_path: Path, overrides: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path), **overrides})
    assert not (tmp_path / "secret_key").exists()


def test_production_starts_with_a_real_secret(tmp_path: Path) -> None:
    app = create_app({"ENV": "production", "SECRET_KEY": "k" * 40, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "k" * 40


def test_bad_boolean_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FORMWORK_DEBUG must be true or false"):
        create_app({"DEBUG": "maybe", "INSTANCE_PATH": str(tmp_path)})


def _run(app: Flask, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_cli_creates_users_and_workspaces(app: Flask) -> None:
    result = _run(
        app,
        "create-user",
        "--email",
        "Ops@Example.com",
        "--name",
        "Ops",
        input="long-enough-pw\nlong-enough-pw\n",
    )
    assert result.exit_code == 0, result.output
    assert "created user" in result.output
    result = _run(app, "create-workspace", "--name", "Ops Team", "--owner", "ops@example.com")
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.session()
        user = session.scalar(select(User).where(User.email == "ops@example.com"))
        assert user is not None
        workspace = session.scalar(select(Workspace).where(Workspace.name == "Ops Team"))
        assert workspace is not None
        assert session.get(Membership, (workspace.id, user.id)) is not None


def test_cli_reports_bad_input_clearly(app: Flask) -> None:
    result = _run(
        app, "create-user", "--email", "nope", "--name", "X", "--password", "whatever-123"
    )
    assert result.exit_code != 0 and "email: Enter a valid e-mail address." in result.output
    result = _run(app, "create-workspace", "--name", "X", "--owner", "ghost@example.com")
    assert result.exit_code != 0 and "no user with e-mail ghost@example.com" in result.output


@pytest.mark.parametrize(
    "command_args",
    [
        ["serve", "--help"],
        ["db", "upgrade", "--help"],
        ["create-user", "--help"],
        ["create-workspace", "--help"],
    ],
)
def test_every_command_has_help(command_args: list[str]) -> None:
    result = CliRunner().invoke(cli.main, command_args)
    assert result.exit_code == 0 and "Usage:" in result.output


def test_db_upgrade_command_migrates_a_fresh_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)})
    result = _run(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    assert "users" in inspect(engine).get_table_names()
    engine.dispose()


def test_demo_set_up_is_idempotent(app: Flask) -> None:
    with app.app_context():
        cli._ensure_demo(app)
        cli._ensure_demo(app)
        session = db.session()
        user = session.scalar(select(User).where(User.email == cli.DEMO_EMAIL))
        assert user is not None
        names = session.scalars(
            select(Workspace.name).join(Membership).where(Membership.user_id == user.id)
        ).all()
        assert names == [cli.DEMO_WORKSPACE]


def test_demo_is_refused_in_production(tmp_path: Path) -> None:
    app = create_app({"ENV": "production", "SECRET_KEY": "k" * 40, "INSTANCE_PATH": str(tmp_path)})
    result = _run(app, "serve", "--demo")
    assert result.exit_code != 0 and "--demo is refused in production" in result.output


def test_field_indexes_become_partial_on_sqlite_and_back(tmp_path: Path) -> None:
    """Migration 0008 rebuilds SQLite's link and filter indexes to hold only their form's
    records (as they are created now); its downgrade rebuilds them whole."""
    from sqlalchemy import text

    from formwork.models import ManagedIndex
    from formwork.services import accounts, workspaces
    from formwork.services.scope import actor_for
    from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, published_forms

    url = f"sqlite:///{tmp_path / 'partial.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        session = db.session()
        user = accounts.create_user(
            session,
            email="o@example.com",
            name="O",
            password="Passw0rd-long",
            min_password_length=10,
        )
        workspace = workspaces.create_workspace(session, user, "Acme")
        forms = published_forms(
            session,
            actor_for(session, user, workspace.id),
            {"customers": CUSTOMERS, "orders": ORDERS},
        )
        orders_id = forms["orders"].id
        link = session.scalars(
            select(ManagedIndex.name).where(
                ManagedIndex.form_id == orders_id, ManagedIndex.purpose == "link"
            )
        ).one()
    engine = create_engine(url)

    def ddl() -> str:
        with engine.connect() as connection:
            found = connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": link}
            )
        assert isinstance(found, str)
        return found

    partial = f" WHERE form_id = {orders_id}"
    assert ddl().endswith(partial)
    command.downgrade(config, "0007")
    assert partial not in ddl()
    command.upgrade(config, "head")
    assert ddl().endswith(partial)
    engine.dispose()

"""Shared fixtures: the app on SQLite and PostgreSQL, clients, factories, log-in helper.

Integration tests run once per database backend. PostgreSQL is used whenever
127.0.0.1:5432 (or FORMWORK_TEST_POSTGRES_URL) answers; each test run creates a
throw-away database and drops it at the end. In CI (CI=true) PostgreSQL is required.
"""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from alembic import command
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from formwork import create_app
from formwork.db import Base
from formwork.migrate import alembic_config
from formwork.models import Role, User, Workspace
from formwork.services import accounts, workspaces

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "s3cret-Passw0rd"


def _reachable(url: str) -> bool:
    parts = urlsplit(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Argon2 at minimum cost in tests: same code path, milliseconds instead of ~50 ms."""
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    saved = accounts._hasher, accounts._DUMMY_HASH
    accounts._hasher, accounts._DUMMY_HASH = fast, fast.hash("dummy")
    yield
    accounts._hasher, accounts._DUMMY_HASH = saved


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped afterwards."""
    server = os.environ.get("FORMWORK_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    if not _reachable(server):
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but {server} does not answer")
        pytest.skip(f"PostgreSQL not reachable at {server}")
    name = f"formwork_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # A throw-away database: a commit need not wait for its WAL to reach the disk
        # (transactions and their isolation are unchanged; tests commit thousands of times).
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database per backend, shared by the session (tables emptied per test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'formwork.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test database; every table is emptied afterwards."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        config = {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-" + secrets.token_hex(16),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            # Automations run in the request that raised them: deterministic tests.
            "EXECUTOR": "inline",
            "WRITE_FIRST_OUTSIDE_REQUESTS": False,
            **overrides,
        }
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    engine = create_engine(database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql" and connection.scalar(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        ):
            # Emptying every table: skip the per-row foreign-key triggers (a superuser's
            # replica mode), which made a PostgreSQL teardown cost up to seconds.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for (name,) in connection.execute(text("SELECT name FROM managed_indexes")).all():
            connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    engine.dispose()
    for app in apps:
        app.extensions["formwork.engine"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        from formwork import db

        yield db.session()


@dataclass
class Factory:
    """Creates users and workspaces through the services, as the app would."""

    app: Flask

    def user(
        self, name: str = "Test User", email: str | None = None, password: str = PASSWORD
    ) -> User:
        with self.app.app_context():
            from formwork import db

            return accounts.create_user(
                db.session(),
                email=email or f"{uuid.uuid4().hex[:10]}@example.com",
                name=name,
                password=password,
                min_password_length=10,
            )

    def workspace(self, owner: User, name: str = "Acme") -> Workspace:
        with self.app.app_context():
            from formwork import db

            session = db.session()
            return workspaces.create_workspace(session, session.merge(owner), name)

    def member(self, workspace: Workspace, role: Role, name: str = "Member") -> User:
        user = self.user(name=name)
        with self.app.app_context():
            from formwork import db
            from formwork.models import Membership

            session = db.session()
            session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=role))
            session.commit()
        return user


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)


class Auth:
    """Logs a test client in and out through the real pages."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user_or_email: User | str, password: str = PASSWORD) -> None:
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        response = self.client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)

    def logout(self) -> None:
        self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)

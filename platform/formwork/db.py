"""Database engine, sessions, the declarative ``Base`` and shared column types.

Services receive a :class:`~sqlalchemy.orm.Session` explicitly; web views get the
request's session from :func:`session`. One engine per app, kept in ``app.extensions``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# A stable naming convention keeps Alembic's constraint names from drifting.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WRITE_OPTION = "formwork_write_transaction"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# JSON documents and record data: JSONB on PostgreSQL (indexable), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime,
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that
        # SAVEPOINT and explicit write locks behave (SQLAlchemy's documented recipe).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def dialect_insert(session: Session, model: type[Any]) -> Any:
    """``INSERT`` for the session's database, with its ``ON CONFLICT`` clauses."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(model)
    return sqlite_insert(model)


def _sqlite_begin(conn: Any) -> None:
    # A transaction that will write should say so up front (BEGIN IMMEDIATE): SQLite
    # refuses, without waiting, to upgrade a reader to a writer while another connection
    # writes; an immediate transaction instead waits its turn (busy_timeout).
    immediate = conn.get_execution_options().get(WRITE_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer (SQLite: BEGIN IMMEDIATE).

    Takes effect when the session has no transaction yet (call it before the first
    statement of a transaction that reads and then writes); on PostgreSQL it changes
    nothing.
    """
    if not session.in_transaction():
        session.connection(execution_options={WRITE_OPTION: True})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config["DATABASE_ECHO"])
    app.extensions["formwork.engine"] = engine
    app.extensions["formwork.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    # The same engine and pool, but every transaction begins as a writer (see session()).
    app.extensions["formwork.write_engine"] = engine.execution_options(**{WRITE_OPTION: True})
    app.teardown_appcontext(_close_session)


def write_sessions(app: Flask) -> Callable[[], Session]:
    """Sessions for background jobs that write (scans, reminders, the mailer, schedules):
    on SQLite a transaction that reads and then writes fails at once with "database is
    locked" if another connection committed in between; begun as a writer, it waits.
    Made by the app's sessionmaker (bound to the writing engine), so its after-commit
    hooks (waking the automation executor) run for them too."""
    make: sessionmaker[Session] = app.extensions["formwork.sessionmaker"]
    return functools.partial(make, bind=app.extensions["formwork.write_engine"])


def engine() -> Engine:
    return current_app.extensions["formwork.engine"]  # type: ignore[no-any-return]


def session() -> Session:
    """The session of the current app context (one per request), created on first use."""
    if "db_session" not in g:
        if has_request_context():
            writes = request.method not in SAFE_METHODS
        else:  # a command or script: it is there to write
            writes = bool(current_app.config["WRITE_FIRST_OUTSIDE_REQUESTS"])
        make = current_app.extensions["formwork.sessionmaker"]
        # A writing session takes SQLite's write lock with the first statement of EVERY
        # transaction (not only its first one: commands and jobs commit several times) and
        # waits for it (busy_timeout), instead of failing with "database is locked" when a
        # transaction reads first and another connection writes meanwhile.
        g.db_session = (
            make(bind=current_app.extensions["formwork.write_engine"]) if writes else make()
        )
    return g.db_session  # type: ignore[no-any-return]


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()

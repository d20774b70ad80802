"""Alembic, driven from the app: locate the scripts, upgrade, and report the revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

_PACKAGE_DIR = Path(__file__).resolve().parent
# Expression indexes the platform creates for user forms; Alembic leaves them alone.
MANAGED_INDEX_PREFIX = "fwx_"
# APScheduler's job store creates and owns this table itself.
SCHEDULER_JOBS_TABLE = "scheduler_jobs"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic hook: skip the platform-managed ``fwx_*`` indexes and the job store's table."""
    if type_ == "table" and name == SCHEDULER_JOBS_TABLE:
        return False
    return not (type_ == "index" and name is not None and name.startswith(MANAGED_INDEX_PREFIX))


def script_location() -> Path:
    """``migrations/`` in a source checkout; ``formwork/_migrations`` inside the wheel."""
    for candidate in (_PACKAGE_DIR.parent.parent / "migrations", _PACKAGE_DIR / "_migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("Formwork's Alembic migrations are missing from this installation")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    # ConfigParser interpolation would choke on "%" in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    command.upgrade(alembic_config(app.config["DATABASE_URL"]), revision)


def pending_revisions(app: Flask) -> bool:
    """True when the database is behind the newest migration."""
    from formwork import db

    with app.app_context(), db.engine().connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    script = ScriptDirectory.from_config(alembic_config(app.config["DATABASE_URL"]))
    return current != set(script.get_heads())

"""``formwork templates``: list the library, install into a workspace by name, export an
app as a zip and install that zip elsewhere; errors name the problem."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select

from formwork import db
from formwork.models import InstalledTemplate
from templates_library import load_zip
from tests.conftest import Factory


def _run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["templates", *args])


def test_list_install_export_and_import(app: Flask, factory: Factory, tmp_path: Path) -> None:
    listed = _run(app, "list")
    assert listed.exit_code == 0 and "customer_asset\t1.1.0\tCustomer Asset CRM" in listed.output
    owner = factory.user(name="Cli Owner")
    factory.workspace(owner, name="Cli Co")
    other = factory.workspace(owner, name="Cli Two")
    installed = _run(app, "install", "sales_pipeline", "--workspace", "Cli Co", "--as", owner.email)
    assert installed.exit_code == 0, installed.output
    with app.app_context():
        row = db.session().scalar(select(InstalledTemplate))
        assert row is not None and row.status == "installed" and row.sample_locale is None
        app_id = row.app_id
    out = tmp_path / "pipeline.zip"
    exported = _run(app, "export", "--workspace", "Cli Co", "--as", owner.email,
                    "--app", str(app_id), "--id", "pipeline_copy", "--out", str(out))  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert load_zip(out.read_bytes()).id == "pipeline_copy"
    imported = _run(app, "install", str(out), "--workspace", str(other.id), "--as", owner.email)
    assert imported.exit_code == 0, imported.output
    with app.app_context():
        rows = db.session().scalars(select(InstalledTemplate.source)).all()
        assert sorted(rows) == ["import", "library"]


def test_errors_name_the_problem(app: Flask, factory: Factory) -> None:
    owner = factory.user(name="Cli Owner")
    factory.workspace(owner, name="Cli Co")
    missing = _run(app, "install", "nope", "--workspace", "Cli Co", "--as", owner.email)
    assert missing.exit_code != 0 and "no template 'nope'" in missing.output
    stranger = _run(app, "install", "nps_programme", "--workspace", "Cli Co", "--as", "x@y.z")
    assert stranger.exit_code != 0 and "no user with e-mail x@y.z" in stranger.output

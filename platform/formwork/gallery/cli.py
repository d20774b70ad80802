"""``formwork templates …``: list, check, install, upgrade and export templates from the
command line (the same services as the gallery pages)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from formwork import db
from formwork.models import User, Workspace
from formwork.services.errors import PlatformError
from formwork.services.scope import Actor, actor_for
from templates_library import TemplateError, available_templates, find_template, load_zip


@click.group("templates")
def templates_group() -> None:
    """The template gallery: list, check, install, upgrade, export."""


def _actor(workspace: str, email: str) -> Actor:
    session = db.session()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    query = select(Workspace.id).where(Workspace.name == workspace)
    if workspace.isdigit():
        query = select(Workspace.id).where(Workspace.id == int(workspace))
    workspace_id = session.scalar(query)
    if workspace_id is None:
        raise click.ClickException(f"no workspace {workspace!r}")
    try:
        return actor_for(session, user, workspace_id)
    except PlatformError as exc:
        raise click.ClickException(f"{email} is not a member of {workspace!r}") from exc


@templates_group.command("list")
def list_templates() -> None:
    """Print the templates of the library with their versions."""
    for bundle in available_templates():
        click.echo(f"{bundle.id}\t{bundle.version}\t{bundle.title('en')} / {bundle.title('zh-CN')}")


@templates_group.command("install")
@click.argument("template")
@click.option("--workspace", required=True, help="Workspace name or id.")
@click.option("--as", "email", required=True, help="E-mail of an admin of the workspace.")
@click.option(
    "--sample",
    type=click.Choice(["en", "zh-CN", "none"]),
    default="none",
    show_default=True,
    help="Add sample data in this language.",
)
@with_appcontext
def install_template(template: str, workspace: str, email: str, sample: str) -> None:
    """Install TEMPLATE (a library id, or the path of an exported zip)."""
    from formwork.gallery import install as installer

    try:
        if template.endswith(".zip"):
            bundle, source = load_zip(Path(template).read_bytes(), origin=template), "import"
        else:
            found = find_template(template)
            if found is None:
                raise click.ClickException(f"no template {template!r} in the library")
            bundle, source = found, "library"
    except TemplateError as exc:
        raise click.ClickException("\n".join(exc.problems)) from exc
    actor = _actor(workspace, email)
    try:
        installation = installer.install(
            db.session(),
            actor,
            bundle,
            sample_locale=None if sample == "none" else sample,
            source=source,
        )
    except PlatformError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"installed {bundle.id} {installation.version} as app {installation.app_id}")


@templates_group.command("export")
@click.option("--workspace", required=True, help="Workspace name or id.")
@click.option("--as", "email", required=True, help="E-mail of an admin of the workspace.")
@click.option("--app", "app_id", required=True, type=int, help="The app's id.")
@click.option("--id", "template_id", default=None, help="Template id (default: the app's).")
@click.option("--with-records", is_flag=True, help="Include records as sample data.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_template(
    workspace: str, email: str, app_id: int, template_id: str | None, with_records: bool, out: Path
) -> None:
    """Export an app as a template zip."""
    from formwork.gallery import export as exporter

    actor = _actor(workspace, email)
    try:
        bundle = exporter.export_app(
            db.session(), actor, app_id, template_id=template_id, with_records=with_records
        )
    except PlatformError as exc:
        raise click.ClickException(str(exc.message)) from exc
    out.write_bytes(exporter.to_zip(bundle))
    click.echo(f"wrote {out} ({bundle.id} {bundle.version})")

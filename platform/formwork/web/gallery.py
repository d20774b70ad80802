"""The template gallery (模板中心): template cards with a preview of what they install,
install with or without sample data (with a progress bar), installed apps with upgrade,
archive/restore and export, and import of an exported template zip.

Install runs one step per POST to ``…/step``: the progress page's script calls it until
done and moves the bar; without script, the page's button runs every remaining step in
one request. Either way a closed tab or a crash only pauses the install.
"""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from form_engine.dialect import fields_of, label
from form_engine.messages import normalise_locale
from formwork import db
from formwork.gallery import export as exporter
from formwork.gallery import install as installer
from formwork.gallery import lifecycle
from formwork.gallery import upgrade as upgrader
from formwork.models import App, InstalledTemplate, Role
from formwork.services.errors import Invalid, PlatformError
from formwork.services.scope import scoped
from formwork.web.context import current_actor, workspace_view
from templates_library import (
    TemplateBundle,
    TemplateError,
    available_templates,
    find_template,
    load_zip,
    version_tuple,
)

bp = Blueprint("gallery", __name__, url_prefix="/w/<int:workspace_id>/gallery")

IMPORT_MAX_BYTES = 20 * 1024 * 1024


def _locale() -> str:
    return normalise_locale(str(get_locale()))


@bp.app_template_filter("app_title")
def app_title(app: App) -> str:
    """An app's name in the reader's language: installed templates keep the other
    languages' names in ``App.titles``."""
    other = (app.titles or {}).get(_locale())
    return other if isinstance(other, str) and other else app.name


def _template_or_404(template_id: str) -> TemplateBundle:
    bundle = find_template(template_id)
    if bundle is None:
        abort(404)
    return bundle


def _installation(installation_id: int) -> InstalledTemplate:
    return installer.get_installation(db.session(), current_actor(), installation_id)


def _summary(bundle: TemplateBundle, locale: str) -> dict[str, Any]:
    """What a template installs, by name, for its card and preview."""

    def names(parts: dict[str, dict[str, Any]]) -> list[str]:
        return [part["name"].get(locale) or part["name"]["en"] for part in parts.values()]

    return {
        "forms": [label(doc, locale, key) for key, doc in bundle.forms.items()],
        "automations": names(bundle.automations),
        "tier_schemes": names(bundle.tier_schemes),
        "reports": names(bundle.reports),
    }


@bp.get("/")
@workspace_view()
def index() -> str:
    actor, session, locale = current_actor(), db.session(), _locale()
    installed = {i.template_id: i for i in installer.list_installations(session, actor)}
    templates = available_templates()
    library = {bundle.id: bundle for bundle in templates}
    apps = {
        app.id: app
        for app in session.scalars(
            scoped(App, actor).where(App.id.in_([i.app_id for i in installed.values() if i.app_id]))
        )
    }
    cards = [
        {
            "bundle": bundle,
            "title": bundle.title(locale),
            "description": bundle.description(locale),
            "summary": _summary(bundle, locale),
            "installed": installed.get(bundle.id),
        }
        for bundle in templates
    ]
    rows = [
        {
            "installation": installation,
            "app": apps.get(installation.app_id or 0),
            "newer": _newer(library.get(installation.template_id), installation),
        }
        for installation in installed.values()
    ]
    return render_template(
        "gallery/index.html",
        cards=cards,
        rows=rows,
        locale=locale,
        is_admin=actor.role.at_least(Role.ADMIN),
    )


def _newer(bundle: TemplateBundle | None, installation: InstalledTemplate) -> str | None:
    if bundle is None or installation.source != "library":
        return None
    if version_tuple(bundle.version) > version_tuple(installation.version):
        return bundle.version
    return None


@bp.get("/templates/<template_id>")
@workspace_view()
def preview(template_id: str) -> str:
    """Every form of a template with its fields, and the other parts it installs."""
    bundle, locale = _template_or_404(template_id), _locale()
    forms = [
        {
            "title": label(doc, locale, key),
            "fields": [
                {
                    "label": label(schema, locale, field_key),
                    "type": kind.names.get(locale) or kind.names.get("en") or kind.key,
                    "required": field_key in (doc.get("required") or []),
                    "options": _options(schema, locale),
                }
                for field_key, schema, kind in fields_of(doc)
                if not kind.layout
            ],
        }
        for key, doc in bundle.forms.items()
    ]
    installation = installer.installation_for(db.session(), current_actor(), bundle.id)
    return render_template(
        "gallery/preview.html",
        bundle=bundle,
        title=bundle.title(locale),
        description=bundle.description(locale),
        forms=forms,
        summary=_summary(bundle, locale),
        installation=installation,
        locale=locale,
        is_admin=current_actor().role.at_least(Role.ADMIN),
    )


def _options(schema: dict[str, Any], locale: str) -> list[str]:
    values = schema.get("enum") or (schema.get("items") or {}).get("enum") or []
    titles = schema.get("x-option-titles") or {}
    return [(titles.get(v) or {}).get(locale) or str(v) for v in values]


@bp.post("/templates/<template_id>/install")
@workspace_view(Role.ADMIN)
def install(template_id: str) -> Response:
    actor, session = current_actor(), db.session()
    bundle = _template_or_404(template_id)
    sample = request.form.get("sample") or None
    if sample is not None and sample not in bundle.sample_locales:
        sample = bundle.sample_locales[0] if bundle.sample_locales else None
    installation = installer.start(session, actor, bundle, sample_locale=sample)
    if installation.status == "installed":
        flash(_("This template is already installed."), "info")
        return redirect(
            url_for(".installed", workspace_id=actor.workspace_id, installation_id=installation.id)
        )
    return redirect(
        url_for(".progress", workspace_id=actor.workspace_id, installation_id=installation.id)
    )


@bp.get("/installed/<int:installation_id>/progress")
@workspace_view(Role.ADMIN)
def progress(installation_id: int) -> str | Response:
    installation = _installation(installation_id)
    if installation.status != "installing":
        return redirect(
            url_for(
                ".installed",
                workspace_id=installation.workspace_id,
                installation_id=installation.id,
            )
        )
    state = installer.progress(installation, _locale())
    return render_template("gallery/progress.html", installation=installation, state=state)


@bp.post("/installed/<int:installation_id>/step")
@workspace_view(Role.ADMIN)
def step(installation_id: int) -> Response:
    """One install step (script) or every remaining step (a plain form post)."""
    actor, session = current_actor(), db.session()
    installation = _installation(installation_id)
    done_url = url_for(
        ".installed", workspace_id=actor.workspace_id, installation_id=installation.id
    )
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        state = installer.run_step(session, actor, installation)
        while not wants_json and not state.done and installation.status == "installing":
            state = installer.run_step(session, actor, installation)
    except PlatformError as exc:
        session.rollback()
        message = _("The install stopped: %(reason)s", reason=upgrader._reason(exc))
        if wants_json:
            return jsonify({"error": message}), 422  # type: ignore[return-value]
        flash(message, "danger")
        return redirect(
            url_for(".progress", workspace_id=actor.workspace_id, installation_id=installation.id)
        )
    if wants_json:
        return jsonify(
            {
                "step": state.step,
                "steps_total": state.steps_total,
                "percent": state.percent,
                "label": state.label,
                "done": state.done,
                "next": done_url if state.done else None,
            }
        )
    flash(_("The app is installed."), "success")
    return redirect(done_url)


@bp.get("/installed/<int:installation_id>")
@workspace_view()
def installed(installation_id: int) -> str:
    actor, session, locale = current_actor(), db.session(), _locale()
    installation = _installation(installation_id)
    bundle = installer.bundle_of(installation)
    library = find_template(installation.template_id) if installation.source == "library" else None
    report = installation.last_report or {}
    return render_template(
        "gallery/installed.html",
        installation=installation,
        app=installer.app_of(session, installation),
        title=bundle.title(locale),
        summary=_summary(bundle, locale),
        newer=_newer(library, installation),
        report=report,
        changed=[upgrader.render_entry(e) for e in report.get("changed", [])],
        kept=[upgrader.render_entry(e) for e in report.get("kept", [])],
        notes=[n.get(locale) or n.get("en", "") for n in report.get("notes", [])],
        is_admin=actor.role.at_least(Role.ADMIN),
    )


@bp.post("/installed/<int:installation_id>/upgrade")
@workspace_view(Role.ADMIN)
def upgrade(installation_id: int) -> Response:
    actor, session = current_actor(), db.session()
    installation = _installation(installation_id)
    bundle = find_template(installation.template_id)
    if bundle is None or installation.source != "library":
        raise Invalid(_("There is no newer version of this template in the library."))
    report = upgrader.upgrade(session, actor, installation, bundle)
    flash(
        _(
            "Upgraded to version %(version)s. Changes: %(changed)d; left as they were: %(kept)d.",
            version=report.to_version,
            changed=len(report.changed),
            kept=len(report.kept),
        ),
        "success",
    )
    return redirect(
        url_for(".installed", workspace_id=actor.workspace_id, installation_id=installation.id)
    )


@bp.post("/installed/<int:installation_id>/archive")
@workspace_view(Role.ADMIN)
def archive(installation_id: int) -> Response:
    actor = current_actor()
    installation = _installation(installation_id)
    lifecycle.archive(db.session(), actor, installation)
    flash(_("The app is archived. Its data is kept; restore it at any time."), "success")
    return redirect(url_for(".index", workspace_id=actor.workspace_id))


@bp.post("/installed/<int:installation_id>/restore")
@workspace_view(Role.ADMIN)
def restore(installation_id: int) -> Response:
    actor = current_actor()
    installation = _installation(installation_id)
    still_off = lifecycle.restore(db.session(), actor, installation)
    flash(_("The app is restored."), "success")
    if still_off:
        flash(
            _(
                "These automations no longer fit their forms and stay off: %(names)s",
                names=", ".join(still_off),
            ),
            "warning",
        )
    return redirect(
        url_for(".installed", workspace_id=actor.workspace_id, installation_id=installation.id)
    )


@bp.route("/apps/<int:app_id>/export", methods=["GET", "POST"])
@workspace_view(Role.ADMIN)
def export(app_id: int) -> str | Response:
    actor, session = current_actor(), db.session()
    app = session.scalar(scoped(App, actor).where(App.id == app_id))
    if app is None:
        abort(404)
    if request.method == "GET":
        return render_template(
            "gallery/export.html", app=app, slug=exporter.slug(app.name, "my_app")
        )
    template_id = (request.form.get("template_id") or "").strip() or None
    version = (request.form.get("version") or "").strip() or None
    try:
        bundle = exporter.export_app(
            session,
            actor,
            app.id,
            template_id=template_id,
            version=version,
            with_records=request.form.get("with_records") == "1",
        )
    except Invalid as exc:
        flash(str(exc.message), "danger")
        return render_template("gallery/export.html", app=app, slug=template_id or "my_app"), 400  # type: ignore[return-value]
    return send_file(
        io.BytesIO(exporter.to_zip(bundle)),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{bundle.id}-{bundle.version}.zip",
    )


@bp.post("/import")
@workspace_view(Role.ADMIN)
def import_zip() -> str | Response:
    actor, session = current_actor(), db.session()
    upload = request.files.get("file")
    back = redirect(url_for(".index", workspace_id=actor.workspace_id))
    if upload is None or not upload.filename:
        flash(_("Choose a template zip to import."), "danger")
        return back
    data = upload.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        flash(_("The file is too large (at most 20 MB)."), "danger")
        return back
    try:
        bundle = load_zip(data, origin=upload.filename)
    except TemplateError as exc:
        flash(_("This is not a valid template:"), "danger")
        for problem in exc.problems[:20]:
            flash(problem, "danger")
        return back
    existing = installer.installation_for(session, actor, bundle.id)
    if existing is not None:
        flash(
            _(
                "A template with the id “%(id)s” is already installed in this workspace; "
                "export it with another id to install a copy.",
                id=bundle.id,
            ),
            "warning",
        )
        return back
    sample = (
        bundle.sample_locales[0]
        if request.form.get("with_records") == "1" and bundle.sample_locales
        else None
    )
    installation = installer.start(session, actor, bundle, sample_locale=sample, source="import")
    return redirect(
        url_for(".progress", workspace_id=actor.workspace_id, installation_id=installation.id)
    )

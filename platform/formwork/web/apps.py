"""Apps and forms: the workspace's app list, one app's forms, creating both."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from formwork import db
from formwork.models import Role
from formwork.services import apps
from formwork.services.errors import InputError
from formwork.web.context import current_actor, form_error, workspace_view
from formwork.web.forms import AppForm, ImportSchemaForm, NewFormForm

bp = Blueprint("apps", __name__, url_prefix="/w/<int:workspace_id>/apps")


@bp.route("/new", methods=["GET", "POST"])
@workspace_view(Role.ADMIN)
def new() -> str | Response:
    """Create an app."""
    form = AppForm()
    if form.validate_on_submit():
        try:
            app = apps.create_app(
                db.session(), current_actor(), form.name.data or "", form.description.data or ""
            )
        except InputError as exc:
            form_error(form, exc)
        else:
            flash(_("App “%(name)s” created. Add its first form.", name=app.name), "success")
            return redirect(url_for("apps.show", workspace_id=app.workspace_id, app_id=app.id))
    return render_template("apps/new.html", form=form)


@bp.get("/<int:app_id>/")
@workspace_view()
def show(app_id: int) -> str:
    """An app and its forms."""
    actor = current_actor()
    session = db.session()
    app = apps.get_app(session, actor, app_id)
    return render_template(
        "apps/show.html",
        app=app,
        forms=apps.list_forms(session, actor, app.id),
        new_form=NewFormForm(),
        import_form=ImportSchemaForm(),
    )


@bp.post("/<int:app_id>/forms")
@workspace_view(Role.ADMIN)
def create_form(app_id: int) -> str | Response:
    """Add a form to the app and open the form designer."""
    actor = current_actor()
    form = NewFormForm()
    if form.validate_on_submit():
        try:
            created = apps.create_form(db.session(), actor, app_id, form.title.data or "")
        except InputError as exc:
            form_error(form, exc)
        else:
            return redirect(
                url_for("builder.edit", workspace_id=actor.workspace_id, form_id=created.id)
            )
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "danger")
    return redirect(url_for("apps.show", workspace_id=actor.workspace_id, app_id=app_id))


@bp.post("/<int:app_id>/import")
@workspace_view(Role.ADMIN)
def import_schema(app_id: int) -> Response:
    """Turn an uploaded or pasted JSON Schema into a new form's draft."""
    actor = current_actor()
    form = ImportSchemaForm()
    upload = form.file.data
    text = upload.read(apps.IMPORT_MAX_BYTES + 1).decode("utf-8", "replace") if upload else ""
    text = text or (form.text.data or "")
    if not form.validate_on_submit() or not text.strip():
        flash(_("Choose a JSON Schema file or paste one."), "danger")
        return redirect(url_for("apps.show", workspace_id=actor.workspace_id, app_id=app_id))
    locale = "zh-CN" if str(get_locale()).startswith("zh") else "en"
    try:
        created, warnings = apps.import_form(db.session(), actor, app_id, text, locale=locale)
    except InputError as exc:
        flash(str(exc.message), "danger")
        return redirect(url_for("apps.show", workspace_id=actor.workspace_id, app_id=app_id))
    flash(
        _("Imported “%(name)s” as a draft: review it, then publish.", name=created.title), "success"
    )
    for warning in warnings[:10]:
        flash(_("Not imported: %(warning)s", warning=warning), "warning")
    return redirect(url_for("builder.edit", workspace_id=actor.workspace_id, form_id=created.id))

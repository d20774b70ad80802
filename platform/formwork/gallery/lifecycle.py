"""Archive (uninstall) and restore an installed app. Archiving keeps every form, record
and setting: the app leaves the app list, its automations stop and its tier schedules
pause; restoring brings all of it back as it was."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from formwork.db import utcnow
from formwork.models import App, Automation, InstalledTemplate, TierScheme
from formwork.services import audit, automations
from formwork.services.errors import Conflict, PlatformError
from formwork.services.scope import Actor


def archive(session: Session, actor: Actor, installation: InstalledTemplate) -> None:
    """Archive the app: hide it, switch off its automations and pause its schedules."""
    actor.require_admin()
    if installation.status != "installed":
        raise Conflict(_l("Only an installed, active app can be archived."))
    now = utcnow()
    app = session.get(App, installation.app_id) if installation.app_id else None
    if app is not None:
        app.archived_at = now
    paused: list[int] = []
    for automation_id in installation.key_map.get("automations", {}).values():
        automation = session.get(Automation, automation_id)
        if automation is not None and automation.enabled:
            automation.enabled = False
            automation.updated_at = now
            paused.append(automation.id)
    schedules: dict[str, Any] = {}
    for scheme_id in installation.key_map.get("tier_scheme_ids", {}).values():
        scheme = session.get(TierScheme, scheme_id)
        if scheme is not None and scheme.schedule:
            schedules[str(scheme.id)] = scheme.schedule
            scheme.schedule = None
    installation.paused_automations = paused
    installation.key_map = {**installation.key_map, "paused_schedules": schedules}
    installation.status = "archived"
    installation.archived_at = now
    installation.updated_at = now
    audit.record(
        session,
        "template.archived",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=installation.template_id,
        app=installation.app_id,
    )
    session.commit()


def restore(session: Session, actor: Actor, installation: InstalledTemplate) -> list[str]:
    """Restore an archived app as it was. Returns the names of automations that no longer
    fit their forms and so stay off (each says why on its own page)."""
    actor.require_admin()
    if installation.status != "archived":
        raise Conflict(_l("This app is not archived."))
    app = session.get(App, installation.app_id) if installation.app_id else None
    if app is not None:
        app.archived_at = None
    for scheme_id, cron in (installation.key_map.get("paused_schedules") or {}).items():
        scheme = session.get(TierScheme, int(scheme_id))
        if scheme is not None and not scheme.schedule:
            scheme.schedule = cron
    installation.status = "installed"
    installation.archived_at = None
    installation.updated_at = utcnow()
    installation.key_map = {
        k: v for k, v in installation.key_map.items() if k != "paused_schedules"
    }
    paused = list(installation.paused_automations)
    installation.paused_automations = []
    audit.record(
        session,
        "template.restored",
        actor_id=actor.user_id,
        workspace_id=actor.workspace_id,
        target=installation.template_id,
        app=installation.app_id,
    )
    session.commit()
    still_off: list[str] = []
    for automation_id in paused:
        automation = session.get(Automation, automation_id)
        if automation is None:
            continue
        try:
            automations.set_enabled(session, actor, automation.id, True)
        except PlatformError:
            session.rollback()
            still_off.append(automation.name)
    return still_off

"""What the workflow engine sees of the platform: the catalog of forms and the template
context of a run. Plain data only — the engine never touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork.models import Form, Membership, Record, User, Workspace
from formwork.services.form_runtime import runtime_for
from workflow_engine.documents import Catalog, FieldShape, FormShape

# Actions whose handlers exist in this build (formwork.automation.actions registers them).
AVAILABLE_ACTIONS: set[str] = set()


def form_shapes(session: Session, workspace_id: int) -> dict[str, FormShape]:
    """Every published form of the workspace, keyed by form key, with its field shapes."""
    shapes: dict[str, FormShape] = {}
    forms = session.scalars(
        select(Form).where(Form.workspace_id == workspace_id, Form.published_version.is_not(None))
    )
    for form in forms:
        runtime = runtime_for(session, form)
        fields = {
            key: FieldShape(
                type=kind.key,
                kind=runtime.kinds.get(key, "json"),
                computed=kind.computed,
                link_form=runtime.links.get(key),
                multiple=key in runtime.multi_links,
            )
            for key, _schema, kind in runtime.compiled.fields
            if not kind.layout
        }
        shapes[form.key] = FormShape(key=form.key, fields=fields)
    return shapes


def catalog_for(session: Session, workspace_id: int) -> Catalog:
    import formwork.automation.actions  # noqa: F401 - registers the available actions

    members = frozenset(
        session.scalars(select(Membership.user_id).where(Membership.workspace_id == workspace_id))
    )
    from formwork.value.tier_schedule import scheme_shapes

    return Catalog(
        forms=form_shapes(session, workspace_id),
        members=members,
        available_actions=frozenset(AVAILABLE_ACTIONS),
        tier_schemes=scheme_shapes(session, workspace_id),
    )


def record_path(record: Record) -> str:
    return f"/w/{record.workspace_id}/forms/{record.form_id}/records/{record.id}/"


def build_context(
    session: Session,
    record: Record | None,
    *,
    trigger: Mapping[str, Any],
    now: datetime,
    workspace: Workspace | None = None,
    steps: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The template context of a run: ``record``, ``trigger``, ``workspace``, ``today``,
    ``now`` and earlier ``steps``' outputs. ``now`` is converted to the workspace's zone.
    """
    if workspace is None:
        workspace_id = record.workspace_id if record is not None else trigger.get("workspace_id")
        workspace = session.get(Workspace, workspace_id) if workspace_id else None
    zone = workspace.zone if workspace is not None else ZoneInfo("UTC")
    local_now = now.astimezone(zone)
    context: dict[str, Any] = {
        "trigger": dict(trigger),
        "workspace": {"name": workspace.name if workspace else "", "timezone": str(zone)},
        "today": local_now.date(),
        "now": local_now,
        "steps": dict(steps or {}),
    }
    if record is not None:
        owner = session.get(User, record.owner_id) if record.owner_id else None
        context["record"] = {
            **record.data,
            "id": record.id,
            "url": record_path(record),
            "owner": {"id": owner.id, "name": owner.name, "email": owner.email}
            if owner is not None
            else None,
        }
    return context

"""What the workflow engine sees of the platform: the catalog of forms, the template
context of a run, and how values look in the texts people read (option labels, in the
reader's language). Plain data only — the engine never touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from form_engine.fields.base import field_type, is_zh
from form_engine.fields.rows import row_fields
from form_engine.messages import normalise_locale
from formwork.automation.people import resolve_people, resolve_person
from formwork.models import Form, Membership, Record, TierScheme, User, Workspace
from formwork.services.form_runtime import runtime_for
from workflow_engine.actions import TEXT_ACTIONS
from workflow_engine.documents import Catalog, FieldShape, FormShape
from workflow_engine.templating import Display

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


# -- texts people read ----------------------------------------------------------------
# Keys build_context sets on ``record`` itself: a field with such a key is hidden by them.
_RECORD_KEYS = frozenset({"id", "url", "owner"})


class ChoiceLabels:
    """Option labels for the choice values a run's texts show.

    ``display(locale)`` is the workflow engine's ``Display`` hook: a placeholder that
    resolves to a select or multi-select value of the trigger form — directly, in a
    subform row, or copied by a lookup from the linked form — shows the option's label
    (several joined with ", ", "、" in Chinese), as the record pages do; a yes/no box
    shows Yes/No (是/否). So do
    ``trigger.from``/``trigger.to``: the trigger field's value, or a tier change's tier
    (the tier field's option label, else the scheme's tier name; churn statuses by name).
    Anything else keeps the default text. Schemas are read once, when first needed.
    """

    def __init__(
        self,
        session: Session,
        workspace_id: int,
        form_id: int | None,
        trigger: Mapping[str, Any],
    ) -> None:
        self._session = session
        self._workspace_id = workspace_id
        self._form_id = form_id
        self._trigger = trigger
        self._forms: dict[Any, dict[str, Mapping[str, Any]]] = {}

    def display(self, locale: str | None) -> Display:
        lang = normalise_locale(locale)

        def show(path: tuple[str, ...], value: Any) -> str | None:
            return self.label(path, value, lang)

        return show

    def label(self, path: tuple[str, ...], value: Any, locale: str) -> str | None:
        """The text of ``value`` found at ``path``, or None to keep the default."""
        if len(path) >= 2 and path[0] == "record" and path[1] not in _RECORD_KEYS:
            schema = self._fields(self._form_id).get(path[1])
            return None if schema is None else self._shown(schema, path[2:], value, locale)
        if path in (("trigger", "from"), ("trigger", "to")):
            return self._trigger_value(value, locale)
        return None

    def _fields(self, form: int | str | None) -> dict[str, Mapping[str, Any]]:
        """Field schemas by key of a published form (by id, or by key in the workspace)."""
        if form is None:
            return {}
        if form not in self._forms:
            query = select(Form).where(Form.workspace_id == self._workspace_id)
            query = query.where(Form.id == form if isinstance(form, int) else Form.key == form)
            found = self._session.scalar(query)
            fields: dict[str, Mapping[str, Any]] = {}
            if found is not None and found.published_version is not None:
                try:
                    runtime = runtime_for(self._session, found)
                except LookupError:  # its version went away: values keep their text
                    runtime = None
                if runtime is not None:
                    fields = {key: schema for key, schema, _kind in runtime.compiled.fields}
            self._forms[form] = fields
        return self._forms[form]

    def _shown(
        self,
        schema: Mapping[str, Any],
        rest: tuple[str, ...],
        value: Any,
        locale: str,
        *,
        follow: bool = True,
    ) -> str | None:
        kind = schema.get("x-field")
        if kind == "lookup" and follow:
            return self._looked_up(schema, rest, value, locale)
        if kind == "checkbox" and not rest and isinstance(value, bool):
            return field_type("checkbox").format(value, locale, schema)  # Yes / 是
        if kind == "select" and not rest and isinstance(value, str):
            return field_type("select").format(value, locale, schema)
        if kind == "multiselect":
            if not rest and isinstance(value, list) and all(isinstance(v, str) for v in value):
                return field_type("multiselect").format(value, locale, schema)
            if len(rest) == 1 and rest[0].isdigit() and isinstance(value, str):
                return field_type("select").format(value, locale, schema)
        if kind == "subform" and len(rest) >= 2 and rest[0].isdigit():
            column = row_fields(schema).get(rest[1])
            if isinstance(column, Mapping):
                return self._shown(column, rest[2:], value, locale, follow=False)
        return None

    def _looked_up(
        self, schema: Mapping[str, Any], rest: tuple[str, ...], value: Any, locale: str
    ) -> str | None:
        """A lookup shows the copied field as the linked form shows it (one level only:
        a lookup of a lookup keeps its text)."""
        spec = schema.get("x-lookup")
        if not isinstance(spec, Mapping):
            return None
        link = self._fields(self._form_id).get(str(spec.get("link"))) or {}
        target_form = (link.get("x-link") or {}).get("form")
        if not isinstance(target_form, str):
            return None
        target = self._fields(target_form).get(str(spec.get("field")))
        if target is None:
            return None
        if not link.get("x-multiple"):
            return self._shown(target, rest, value, locale, follow=False)
        # Through a multiple link the lookup holds one copied value per linked record.
        if rest:
            if not rest[0].isdigit():
                return None
            return self._shown(target, rest[1:], value, locale, follow=False)
        if not isinstance(value, list):
            return None
        texts = [self._shown(target, (), item, locale, follow=False) for item in value]
        if any(text is None for text in texts):
            return None
        return ("、" if is_zh(locale) else ", ").join(t for t in texts if t)

    def _trigger_value(self, value: Any, locale: str) -> str | None:
        field = self._trigger.get("field")
        if isinstance(field, str) and field:
            schema = self._fields(self._form_id).get(field)
            return None if schema is None else self._shown(schema, (), value, locale)
        if self._trigger.get("type") == "tier_changed" and isinstance(value, str):
            return self._tier(str(self._trigger.get("scheme") or ""), value, locale)
        return None

    def _tier(self, scheme_key: str, tier: str, locale: str) -> str | None:
        from formwork.value.catalog import CHURN_SCHEME_KEY, CHURN_STATUSES

        if scheme_key == CHURN_SCHEME_KEY:
            status = CHURN_STATUSES.get(tier)
            if status is None:
                return None
            with force_locale(locale.replace("-", "_")):
                return str(status)
        scheme = self._session.scalar(
            select(TierScheme).where(
                TierScheme.workspace_id == self._workspace_id, TierScheme.key == scheme_key
            )
        )
        if scheme is None:
            return None
        schema = self._fields(scheme.form_id).get(scheme.field_key) or {}
        titles = schema.get("x-option-titles")
        if isinstance(titles, Mapping) and isinstance(titles.get(tier), Mapping):
            return field_type("select").format(tier, locale, schema)
        document = scheme.document or {}
        for entry in [*(document.get("tiers") or []), document.get("fallback") or {}]:
            if isinstance(entry, Mapping) and entry.get("key") == tier:
                names = entry.get("name")
                if isinstance(names, Mapping):
                    for candidate in (locale, "en"):
                        if isinstance(names.get(candidate), str) and names[candidate]:
                            return str(names[candidate])
        return None


def linked_record(
    session: Session, workspace_id: int, record: Record | None, link: Any
) -> Record | None:
    """The live record of this workspace that ``record``'s single-link field ``link``
    points at (a one-item list counts), or None."""
    value = record.data.get(link) if record is not None and isinstance(link, str) else None
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return session.scalar(
        select(Record).where(
            Record.workspace_id == workspace_id,
            Record.id == value,
            Record.deleted_at.is_(None),
        )
    )


def text_readers(
    session: Session,
    workspace_id: int,
    action_type: str,
    config: Mapping[str, Any],
    record: Record | None,
    actor_id: int | None,
) -> list[int]:
    """Who reads an action's texts (the follow-up's assignee, the people notified), as
    the action's handler will resolve them; nobody when that cannot be told now."""
    spec_key = TEXT_ACTIONS.get(action_type)
    if spec_key is None:
        return []
    spec = config.get(spec_key)
    if action_type == "create_task":
        target = config.get("record")
        if isinstance(target, Mapping):
            record = linked_record(session, workspace_id, record, target.get("link"))
            if record is None:
                return []
        found = resolve_person(session, workspace_id, spec, record, actor_id)
        return [found] if found is not None else []
    return resolve_people(session, workspace_id, spec, record, actor_id)


def text_locale(session: Session, user_ids: list[int]) -> str:
    """The language of a text written once for ``user_ids``: theirs when they all share
    one (a single reader above all), else English."""
    if not user_ids:
        return "en"
    if len(user_ids) == 1:  # often loaded already (the record's owner, the acting admin)
        user = session.get(User, user_ids[0])
        return normalise_locale(user.locale if user is not None else None)
    chosen = {
        normalise_locale(locale)
        for locale in session.scalars(select(User.locale).where(User.id.in_(user_ids)))
    }
    return chosen.pop() if len(chosen) == 1 else "en"

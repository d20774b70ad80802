"""The typed shapes the workflow engine works with: catalogs, triggers, actions.

``documents.parse_automation`` builds these from a checked document; the platform builds
the ``Catalog`` from its forms and members. Everything is immutable plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from types import MappingProxyType
from typing import Any, Final, final

from form_engine.conditions import Condition

TRIGGER_TYPES: Final = frozenset(
    {
        "record_created",
        "record_updated",
        "record_deleted",
        "field_changed",
        "form_submitted",
        "survey_submitted",
        "tier_changed",
        "schedule",
        "date_relative",
        "manual",
    }
)
# Triggers without a record: actions and templates reading the record are refused.
RECORDLESS_TRIGGERS: Final = frozenset({"schedule"})
# Triggers where nobody made a change: a person ``{"kind": "actor"}`` is refused.
ACTORLESS_TRIGGERS: Final = frozenset({"schedule", "date_relative"})

ALL_ACTION_TYPES: Final = frozenset(
    {
        "update_record",
        "create_record",
        "assign_owner",
        "create_task",
        "notify",
        "add_tag",
        "remove_tag",
        "webhook",
        "wait",
        "recompute_tiers",
        "send_survey",
    }
)


@final
class _Missing:
    """The type of ``MISSING``: a key that is absent (``None`` is JSON null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""Stands for an absent ``from``/``to`` in a trigger ("any value"); null is ``None``."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class FieldShape:
    """What an automation needs to know about one field of a form.

    Attributes:
        type: The field's ``x-field`` type (text, number, date, member, link, tags …).
        kind: Its condition kind (text, number, integer, boolean, date, datetime, json).
        computed: True for formula, lookup, rollup and auto-number fields (read-only).
        link_form: For a ``link`` field, the key of the form it links to.
        multiple: For a ``link`` field, whether it holds several records.
    """

    type: str
    kind: str
    computed: bool = False
    link_form: str | None = None
    multiple: bool = False


@dataclass(frozen=True)
class FormShape:
    """A form's key and its fields (key → shape), layout-only fields excluded."""

    key: str
    fields: Mapping[str, FieldShape]

    def kinds(self) -> dict[str, str]:
        """Field key → condition kind, for ``parse_condition``."""
        return {key: shape.kind for key, shape in self.fields.items() if shape.type != "section"}


@dataclass(frozen=True)
class TierShape:
    """A tier scheme as automations see it.

    Attributes:
        form: The key of the form it tiers (None: any form, e.g. the built-in churn status).
        tiers: Its tier keys, best first, the fallback last.
        recomputable: Whether ``recompute_tiers`` can apply it.
    """

    form: str | None
    tiers: tuple[str, ...]
    recomputable: bool = True


@dataclass(frozen=True)
class Catalog:
    """What a workspace offers an automation: its forms, members and action types.

    Attributes:
        forms: Form key → shape.
        members: The workspace's user ids; None skips the membership checks.
        available_actions: The action types this build can execute.
        tier_schemes: Tier scheme key → shape; None skips the scheme checks.
    """

    forms: Mapping[str, FormShape]
    members: frozenset[int] | None = None
    available_actions: frozenset[str] = ALL_ACTION_TYPES
    tier_schemes: Mapping[str, TierShape] | None = None


@dataclass(frozen=True)
class Trigger:
    """A checked trigger. Keys a trigger type does not use keep their defaults.

    Attributes:
        type: One of ``TRIGGER_TYPES``.
        form: The form key (None for ``schedule``).
        field: ``field_changed``'s field.
        fields: ``record_updated``'s filter (empty: any change).
        from_value: ``field_changed``'s ``from`` constant, ``MISSING`` when absent.
        to_value: ``field_changed``'s / ``tier_changed``'s ``to``, ``MISSING`` when absent.
        scheme: ``tier_changed``'s tier scheme key.
        cron: ``schedule``'s crontab, normalised by ``parse_cron``.
        date_field: ``date_relative``'s date field.
        offset_days: ``date_relative``'s offset (negative: before the date).
        at: ``date_relative``'s local time of day (default 09:00).
        label: ``manual``'s button label.
    """

    type: str
    form: str | None = None
    field: str | None = None
    fields: tuple[str, ...] = ()
    from_value: Any = MISSING
    to_value: Any = MISSING
    scheme: str | None = None
    cron: str | None = None
    date_field: str | None = None
    offset_days: int = 0
    at: time | None = None
    label: str | None = None


@dataclass(frozen=True)
class Action:
    """One checked action: its id, type and the rest of its keys as ``config``."""

    id: str
    type: str
    config: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class Automation:
    """A checked automation document, typed.

    Attributes:
        version: The format version (always the current one: documents are upgraded).
        trigger: The trigger.
        condition: The parsed condition, None when there is none.
        actions: The actions, in order.
        document: The upgraded document itself (a private copy).
    """

    version: int
    trigger: Trigger
    condition: Condition | None
    actions: tuple[Action, ...]
    document: dict[str, Any]


@dataclass(frozen=True)
class PlannedAction:
    """An action ready to execute: its type and its rendered, JSON-ready inputs."""

    type: str
    inputs: dict[str, Any]

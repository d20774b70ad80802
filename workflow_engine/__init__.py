"""Formwork's workflow engine: a pure library for automations (see docs/automations.md).

It depends on form_engine and the standard library only:

* ``documents`` — the automation document: versions, ``check_automation`` (every
  problem, with its path), ``parse_automation`` → ``Automation``;
* ``triggers`` — ``Event``, ``trigger_matches``, ``condition_holds``;
* ``templating`` — the logic-less ``{{ … }}`` templates;
* ``actions`` — ``plan_action`` (templates rendered, times resolved) and ``summarize``;
* ``runs`` — run/step states, transitions, retries, idempotency keys;
* ``ports`` — the executor and scheduler protocols the platform implements.
"""

from workflow_engine.actions import ALL_ACTION_TYPES, PlannedAction, plan_action, summarize
from workflow_engine.cron import cron_matches, parse_cron
from workflow_engine.documents import (
    CURRENT_VERSION,
    MISSING,
    TRIGGER_TYPES,
    Action,
    Automation,
    Catalog,
    FieldShape,
    FormShape,
    Trigger,
    check_automation,
    parse_automation,
    upgrade,
)
from workflow_engine.errors import (
    AutomationError,
    CodedError,
    RunError,
    TemplateError,
    WorkflowError,
)
from workflow_engine.ports import Executor, Scheduler
from workflow_engine.runs import (
    MAX_CHAIN_DEPTH,
    TERMINAL,
    RetryPolicy,
    RunStatus,
    StepFailure,
    StepStatus,
    check_transition,
    idempotency_key,
)
from workflow_engine.templating import check_template, render_text, render_value
from workflow_engine.triggers import Event, condition_holds, trigger_matches

__all__ = [
    "ALL_ACTION_TYPES",
    "CURRENT_VERSION",
    "MAX_CHAIN_DEPTH",
    "MISSING",
    "TERMINAL",
    "TRIGGER_TYPES",
    "Action",
    "Automation",
    "AutomationError",
    "Catalog",
    "CodedError",
    "Event",
    "Executor",
    "FieldShape",
    "FormShape",
    "PlannedAction",
    "RetryPolicy",
    "RunError",
    "RunStatus",
    "Scheduler",
    "StepFailure",
    "StepStatus",
    "TemplateError",
    "Trigger",
    "WorkflowError",
    "check_automation",
    "check_template",
    "check_transition",
    "condition_holds",
    "cron_matches",
    "idempotency_key",
    "parse_automation",
    "parse_cron",
    "plan_action",
    "render_text",
    "render_value",
    "summarize",
    "trigger_matches",
    "upgrade",
]

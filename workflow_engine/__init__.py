"""Formwork's workflow engine: a pure library for automation documents.

It depends on form_engine and the standard library only. So far it holds the error root;
triggers, actions, the run state machine and the executor/scheduler ports follow with
the automations issue.
"""

from workflow_engine.errors import WorkflowError

__all__ = ["WorkflowError"]

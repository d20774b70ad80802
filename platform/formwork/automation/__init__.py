"""The automation runtime: outbox, dispatcher, runner, action handlers, executors, scheduler.

``workflow_engine`` decides (trigger matching, conditions, templates, retry rules); this
package ties it to the database and to the executors (inline, threads, Celery) and the
scheduler (APScheduler). See docs/automations.md.
"""

# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Tier schemes (分层方案): checks, save and archive, preview equals apply (both backends,
on generated data), history, revisions, events and automations, schedules, roles and
workspace isolation."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from form_engine.conditions import EvalContext, evaluate, parse_condition
from formwork import db
from formwork.automation.context import catalog_for
from formwork.db import utcnow
from formwork.models import (
    AuditEvent,
    CustomerMetrics,
    Event,
    Record,
    RecordRevision,
    Role,
    Run,
    Task,
    TierChange,
    TierScheme,
)
from formwork.services import publishing, records
from formwork.services.errors import Conflict, Forbidden, NotFound, StaleRecord
from formwork.services.form_runtime import runtime_for
from formwork.services.scope import actor_for
from formwork.value import tiers
from formwork.value.tier_apply import apply_tiers
from formwork.value.tier_documents import METRIC_KINDS, check_scheme, compile_scheme
from formwork.value.tier_schedule import latest_fire
from formwork.value.tier_sql import preview
from formwork.value.tiers import TierDraft, TierSchemeInvalid
from tests.integration.automation_fixtures import add_automation, runs_by_status
from tests.integration.tier_fixtures import (
    GOLD,
    SILVER,
    THREE_TIERS,
    TODAY,
    TierCrm,
    add_customers,
    make_tier_crm,
    scheme_doc,
    set_metrics,
    tier,
)
from workflow_engine.documents import check_automation


@pytest.fixture
def crm(app: Flask, factory: Any) -> TierCrm:
    return make_tier_crm(app, factory)


def save(session: Any, crm: TierCrm, document: Any = THREE_TIERS, **changes: Any) -> TierScheme:
    arguments: dict[str, Any] = {
        "key": "value",
        "name": "Customer value",
        "form_id": crm.customers.id,
        "field_key": "tier",
        "document": document,
        **changes,
    }
    return tiers.save_scheme(session, crm.actor(session), **arguments)


def problems_of(session: Any, crm: TierCrm, document: Any, **changes: Any) -> dict[str, str]:
    with pytest.raises(TierSchemeInvalid) as caught:
        save(session, crm, document, **changes)
    return {p["path"]: p["message"] for p in caught.value.problems}


def tier_of(session: Any, record_id: int) -> Any:
    session.expire_all()
    record = session.get(Record, record_id)
    assert record is not None
    return record.data.get("tier")


# -- checks --------------------------------------------------------------------------------
def test_every_problem_of_a_scheme_is_reported_with_its_spot(crm: TierCrm) -> None:
    bad = {
        "tiers": [
            tier("gold", {">=": [{"var": "metrics.total_spnt"}, 5]}, color="gold"),
            tier("gold", {"=>": [{"var": "metrics.order_count"}, 5]}),
            {"key": " x", "name": {"fr": "Or"}, "color": "#12345", "condition": None},
            tier("silver", {"changed": "name"}),
        ],
        "fallback": tier("bronze"),
        "extra": 1,
    }
    with crm.app.app_context():
        session = db.session()
        found = problems_of(session, crm, bad, schedule="61 * * * *")
        assert set(found) == {
            "/extra",
            "/tiers/0/color",
            "/tiers/0/condition/>=/0/var",
            "/tiers/1/key",
            "/tiers/1/condition",
            "/tiers/2/key",
            "/tiers/2/name",
            "/tiers/2/color",
            "/tiers/2/condition",
            "/tiers/3/condition",
            "/schedule",
        }
        assert "did you mean “metrics.total_spent”" in found["/tiers/0/condition/>=/0/var"]
        assert (
            "“=>”" in found["/tiers/1/condition"]
            and "did you mean “>”" in found["/tiers/1/condition"]
        )
        assert "already used" in found["/tiers/1/key"]
        assert "automation conditions only" in found["/tiers/3/condition"]
        assert "“gold”" in found["/tiers/0/color"]
        assert "minute" in found["/schedule"]
        assert session.scalar(select(func.count()).select_from(TierScheme)) == 0


def test_problems_are_in_chinese_for_a_chinese_user(crm: TierCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        doc = scheme_doc(("gold", {">=": [{"var": "metrics.total_spnt"}, 5]}))
        problems = check_scheme(session, actor.workspace_id, crm.customers, "tier", doc, None)
        (problem,) = problems
        assert problem.message_in("zh-CN") == (
            "/tiers/0/condition/>=/0/var 处的字段“metrics.total_spnt”不存在，"
            "您是想用“metrics.total_spent”吗？"
        )
        problems = check_scheme(session, actor.workspace_id, crm.customers, "label", doc, None)
        messages = {p.pointer: p.message_in("zh-CN") for p in problems}
        assert "单选字段" in messages["/field"]


@pytest.mark.parametrize(
    ("field_key", "document", "expected"),
    [
        ("tier", {"tiers": [], "fallback": tier("bronze")}, ("/tiers", "1 to 20 tiers")),
        (
            "tier",
            {"tiers": [tier(f"t{i}", True) for i in range(21)], "fallback": tier("x")},
            ("/tiers", "(this one has 21)"),
        ),
        ("tier", {"tiers": [tier("gold", GOLD)]}, ("", "“fallback” is required")),
        ("tier", scheme_doc(("platinum", GOLD)), ("/field", "lack the tier keys “platinum”")),
        ("tierr", THREE_TIERS, ("/field", "did you mean “tier”")),
        ("total_spent", THREE_TIERS, ("/field", "is a rollup field")),
        ("grade", scheme_doc(("a" * 21, GOLD)), ("/field", "holds at most 20 characters")),
        ("tier", {**THREE_TIERS, "version": 2}, ("/version", "from 1 to 1")),
        ("tier", [1, 2], ("", "must be a JSON object")),
        ("tier", scheme_doc(("gold", GOLD), fallback="gold"), ("/fallback/key", "already used")),
    ],
)
def test_shape_target_and_version_problems(
    crm: TierCrm, field_key: str, document: Any, expected: tuple[str, str]
) -> None:
    with crm.app.app_context():
        session = db.session()
        found = problems_of(session, crm, document, field_key=field_key)
        path, words = expected
        assert path in found, found
        assert words in found[path]


def test_scheme_keys_and_names_are_checked(crm: TierCrm, factory: Any) -> None:
    with crm.app.app_context():
        session = db.session()
        assert "lowercase" in problems_of(session, crm, THREE_TIERS, key="Value!")["/key"]
        assert "built-in churn" in problems_of(session, crm, THREE_TIERS, key="churn")["/key"]
        assert "/name" in problems_of(session, crm, THREE_TIERS, name="  ")
        scheme = save(session, crm)
        assert "already uses" in problems_of(session, crm, THREE_TIERS)["/key"]
        fixed = problems_of(session, crm, THREE_TIERS, scheme_id=scheme.id, revision=1, key="other")
        assert "cannot change" in fixed["/key"]


# -- saving, roles, isolation ------------------------------------------------------------
def test_saving_keeps_revisions_audits_and_refuses_stale_edits(crm: TierCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        scheme = save(session, crm, schedule="0 4 * * 1-5", titles={"zh-CN": " 客户 价值 "})
        assert scheme.revision == 1 and scheme.schedule == "0 4 * * mon-fri"
        assert scheme.titles == {"zh-CN": "客户 价值"} and scheme.document["version"] == 1
        again = save(session, crm, scheme_id=scheme.id, revision=1, name="Value 2")
        assert again.revision == 2 and again.name == "Value 2"
        with pytest.raises(Conflict):
            save(session, crm, scheme_id=scheme.id, revision=1)
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.workspace_id == crm.workspace.id)
        ).all()
        assert actions.count("tier_scheme.created") == 1
        assert actions.count("tier_scheme.updated") == 1


def test_members_preview_but_only_admins_save_apply_and_archive(crm: TierCrm, factory: Any) -> None:
    member = factory.member(crm.workspace, Role.MEMBER, name="Mo Member")
    viewer = factory.member(crm.workspace, Role.VIEWER, name="Vi Viewer")
    with crm.app.app_context():
        session = db.session()
        scheme = save(session, crm)
        for user in (member, viewer):
            actor = actor_for(session, session.merge(user), crm.workspace.id)
            assert tiers.get_scheme(session, actor, scheme.id).id == scheme.id
            tiers.preview_draft(session, actor, TierDraft(crm.customers.id, "tier", THREE_TIERS))
            with pytest.raises(Forbidden):
                tiers.save_scheme(
                    session, actor, key="x", name="X", form_id=crm.customers.id,
                    field_key="tier", document=THREE_TIERS,
                )  # fmt: skip
            with pytest.raises(Forbidden):
                tiers.apply_now(session, actor, scheme.id, revision=scheme.revision)
            with pytest.raises(Forbidden):
                tiers.archive_scheme(session, actor, scheme.id)


def test_a_scheme_of_another_workspace_looks_missing(crm: TierCrm, factory: Any) -> None:
    other = make_tier_crm(crm.app, factory, name="Other")
    with crm.app.app_context():
        session = db.session()
        theirs = save(session, other)
        ids = add_customers(session, other.actor(session), other.customers, [{"name": "T"}])
        actor = crm.actor(session)
        with pytest.raises(NotFound):
            tiers.get_scheme(session, actor, theirs.id)
        with pytest.raises(NotFound):
            tiers.apply_now(session, actor, theirs.id, revision=theirs.revision)
        with pytest.raises(NotFound):
            tiers.scheme_history(session, actor, theirs.id)
        with pytest.raises(NotFound):
            tiers.preview(session, actor.workspace_id, theirs, today=TODAY)
        # Their form cannot be the target of our scheme, nor be previewed.
        found = problems_of(session, crm, THREE_TIERS, form_id=other.customers.id)
        assert "/form" in found
        with pytest.raises(TierSchemeInvalid):
            tiers.preview_draft(session, actor, TierDraft(other.customers.id, "tier", THREE_TIERS))
        # Applying ours never touches their records.
        ours = save(session, crm)
        tiers.apply_now(session, actor, ours.id, revision=ours.revision)
        assert tier_of(session, ids[0]) is None


# -- preview and apply -----------------------------------------------------------------------
def test_preview_counts_tiers_revenue_and_movers(crm: TierCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        ids = add_customers(
            session,
            actor,
            crm.customers,
            [
                {"name": "Ann", "tier": "silver"},  # → gold (up)
                {"name": "Bo", "tier": "gold"},  # → silver (down)
                {"name": "Cy", "tier": "bronze"},  # stays bronze
                {"name": "Di"},  # → bronze (new), no metrics row
                {"name": "Ed", "tier": "vip"},  # not a tier of the scheme → silver (new)
            ],
        )
        set_metrics(session, crm, ids[0], total_spent=6000.0, order_count=2)
        set_metrics(session, crm, ids[1], total_spent=100.5, order_count=9)
        set_metrics(session, crm, ids[2], total_spent=50.0, order_count=1, r_score=2)
        set_metrics(session, crm, ids[4], total_spent=10.0, order_count=1, r_score=5)
        _, result = tiers.preview_draft(
            session, actor, TierDraft(crm.customers.id, "tier", THREE_TIERS)
        )
        assert result.total == 5 and (result.up, result.down, result.new) == (1, 1, 2)
        counts = {t.key: (t.current, t.proposed, t.revenue) for t in result.tiers}
        assert counts == {
            "gold": (1, 1, 6000.0),
            "silver": (1, 2, 110.5),
            "bronze": (1, 2, 50.0),
        }
        assert result.unassigned == 2 and result.unassigned_revenue == 10.0
        assert [(m.title, m.from_tier, m.to_tier, m.direction) for m in result.movers] == [
            (f"Ann · #{ids[0]}", "silver", "gold", "up"),
            (f"Bo · #{ids[1]}", "gold", "silver", "down"),
            (f"Di · #{ids[3]}", None, "bronze", "new"),
            (f"Ed · #{ids[4]}", "vip", "silver", "new"),
        ]
        # Nothing was written.
        assert [tier_of(session, i) for i in ids] == ["silver", "gold", "bronze", None, "vip"]
        assert session.scalar(select(func.count()).select_from(TierChange)) == 0


def test_apply_writes_tiers_history_revisions_and_events(crm: TierCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        ids = add_customers(
            session,
            actor,
            crm.customers,
            [{"name": "Ann", "city": "Zürich", "tier": "silver"}, {"name": "ÉMILE"}],
        )
        set_metrics(session, crm, ids[0], total_spent=9000.0)
        versions = [session.get(Record, i).version for i in ids]  # type: ignore[union-attr]
        scheme = save(session, crm)
        result = tiers.apply_now(session, actor, scheme.id, revision=scheme.revision)
        assert (result.changed, result.up, result.new) == (2, 1, 1)
        assert result.moves == {("silver", "gold"): 1, (None, "bronze"): 1}
        session.expire_all()
        ann, emile = (session.get(Record, i) for i in ids)
        assert ann is not None and emile is not None
        assert ann.data["tier"] == "gold" and ann.data["city"] == "Zürich"
        assert emile.data["tier"] == "bronze"
        assert [ann.version, emile.version] == [v + 1 for v in versions]
        # Search finds the new tier (text lower-cased like Python does, not only ASCII).
        assert ann.search_text == records.search_text(runtime_for(session, crm.customers), ann.data)
        assert emile.search_text == "émile bronze"
        revisions = session.scalars(
            select(RecordRevision).where(RecordRevision.action == "tiered")
        ).all()
        assert {r.record_id: (r.changes, r.record_version, r.actor_id) for r in revisions} == {
            ids[0]: ({"tier": ["silver", "gold"]}, ann.version, crm.owner.id),
            ids[1]: ({"tier": [None, "bronze"]}, emile.version, crm.owner.id),
        }
        events = session.scalars(select(Event).where(Event.type == "tier_changed")).all()
        assert sorted((e.record_id, e.payload["from"], e.payload["to"]) for e in events) == [
            (ids[0], "silver", "gold"),
            (ids[1], None, "bronze"),
        ]
        assert all(e.payload["scheme"] == "value" and e.source == "ui" for e in events)
        assert all(e.form_id == crm.customers.id and e.depth == 0 for e in events)
        # No automation listens to tier_changed here: stored already dispatched.
        assert all(e.fire and e.dispatched_at is not None for e in events)
        history = tiers.scheme_history(session, actor, scheme.id)
        assert [(h.record_id, h.from_tier, h.to_tier, h.rule_index, h.source) for h in history] == [
            (ids[1], None, "bronze", None, "apply"),
            (ids[0], "silver", "gold", 0, "apply"),
        ]
        assert history[0].actor == "Olivia Owner"
        session.refresh(scheme)
        assert scheme.last_applied_at is not None
        # Applying again changes nothing and raises nothing.
        again = tiers.apply_now(session, actor, scheme.id, revision=scheme.revision)
        assert again.changed == 0
        assert session.scalar(select(func.count()).select_from(TierChange)) == 2
        assert session.scalar(select(func.count()).where(Event.type == "tier_changed")) == 2
        applied = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tier_scheme.applied")
        ).all()
        assert [a.details["changed"] for a in applied] == [2, 0]


def test_an_edit_started_before_an_apply_conflicts_instead_of_undoing_it(crm: TierCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        (rid,) = add_customers(session, actor, crm.customers, [{"name": "Ann", "tier": "gold"}])
        opened = session.get(Record, rid)
        assert opened is not None
        version, form_data = opened.version, {"name": "Ann Smith", "tier": "gold"}
        scheme = save(session, crm)
        tiers.apply_now(session, actor, scheme.id, revision=scheme.revision)  # gold → bronze
        with pytest.raises(StaleRecord) as caught:
            records.update_record(
                session, actor, crm.customers, rid, form_data, expected_version=version
            )
        assert caught.value.current["tier"] == "bronze"
        assert tier_of(session, rid) == "bronze"
        # Saved on the current version, the person's change goes through.
        current = session.get(Record, rid)
        assert current is not None
        records.update_record(
            session, actor, crm.customers, rid, {**form_data, "tier": "bronze"},
            expected_version=current.version,
        )  # fmt: skip
        session.expire_all()
        assert session.get(Record, rid).data["name"] == "Ann Smith"  # type: ignore[union-attr]


def test_deleted_records_and_stale_revisions_are_not_touched(crm: TierCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        keep, gone = add_customers(session, actor, crm.customers, [{"name": "A"}, {"name": "B"}])
        records.delete_record(session, actor, crm.customers, gone)
        scheme = save(session, crm)
        result = tiers.apply_now(session, actor, scheme.id, revision=scheme.revision)
        assert result.changed == 1
        assert tier_of(session, keep) == "bronze" and tier_of(session, gone) is None
        with pytest.raises(Conflict):
            tiers.apply_now(session, actor, scheme.id, revision=scheme.revision - 1)
        tiers.archive_scheme(session, actor, scheme.id)
        with pytest.raises(Conflict):
            tiers.apply_now(session, actor, scheme.id, revision=scheme.revision)


def test_a_scheme_that_no_longer_fits_its_form_is_refused_and_changes_nothing(
    crm: TierCrm,
) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        (rid,) = add_customers(session, actor, crm.customers, [{"name": "A"}])
        scheme = save(session, crm)
        document = copy.deepcopy(runtime_for(session, crm.customers).document)
        document["properties"]["tier"]["enum"] = ["gold", "silver", "vip"]
        del document["properties"]["tier"]["x-option-titles"]["bronze"]
        form = session.merge(crm.customers)
        revision = publishing.save_draft(session, actor, form, document, form.draft_revision)
        publishing.publish(session, actor, form, revision)
        with pytest.raises(TierSchemeInvalid) as caught:
            tiers.apply_now(session, actor, scheme.id, revision=scheme.revision)
        assert "“bronze”" in caught.value.problems[0]["message"]
        assert tier_of(session, rid) is None


# -- preview == apply on generated data ----------------------------------------------------
METRIC_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "total_spent": st.sampled_from([0.0, 99.5, 100.0, 4999.99, 5000.0, 12000.0]),
    "order_count": st.integers(0, 8),
    "r_score": st.none() | st.integers(1, 5),
    "rfm_segment": st.none() | st.sampled_from(["champions", "lost", "loyal"]),
    "last_order_on": st.none() | st.sampled_from(["2026-11-01", "2026-06-01", "2025-01-01"]),
}
RULES = [
    GOLD,
    SILVER,
    {"<=": [{"days_since": [{"var": "metrics.last_order_on"}]}, 30]},
    {"in": [{"var": "metrics.rfm_segment"}, ["champions", "loyal"]]},
    {"is_empty": [{"var": "metrics.r_score"}]},
    {"and": [{">": [{"var": "metrics.order_count"}, 2]}, {"==": [{"var": "city"}, "Shanghai"]}]},
    {"!": {"<": [{"var": "metrics.total_spent"}, 100]}},
    {"==": [{"var": "level"}, "vip"]},
    True,
]


@st.composite
def customers(draw: st.DrawFn) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    rows = []
    for i in range(draw(st.integers(1, 12))):
        data: dict[str, Any] = {"name": f"C{i}"}
        current = draw(st.sampled_from([None, "gold", "silver", "bronze", "vip"]))
        if current:
            data["tier"] = current
        if draw(st.booleans()):
            data["city"] = draw(st.sampled_from(["Shanghai", "Beijing"]))
        if draw(st.booleans()):
            data["level"] = "vip"
            data["vip_note"] = "x"
        metrics = None
        if draw(st.integers(0, 4)):
            metrics = {name: draw(values) for name, values in METRIC_VALUES.items()}
        rows.append((data, metrics))
    return rows


SCHEMES = st.lists(st.sampled_from(RULES), min_size=1, max_size=3).map(
    lambda rules: scheme_doc(*zip(("gold", "silver", "vip"), rules, strict=False))
)


def _expected(
    fields: dict[str, str],
    doc: dict[str, Any],
    data: dict[str, Any],
    metrics: dict[str, Any] | None,
) -> str:
    """The tier the condition language's Python evaluator picks: first match wins."""
    record = {**data, **{f"metrics.{k}": v for k, v in (metrics or {}).items()}}
    context = EvalContext(today=TODAY)
    for entry in doc["tiers"]:
        if evaluate(parse_condition(entry["condition"], fields=fields), record, context=context):
            return str(entry["key"])
    return str(doc["fallback"]["key"])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=customers(), doc=SCHEMES)
def test_preview_equals_apply_on_generated_customers(
    crm: TierCrm, rows: list[tuple[dict[str, Any], dict[str, Any] | None]], doc: dict[str, Any]
) -> None:
    """DESIGN §6: the preview's counts and movers are what the apply then does, and each
    customer ends in the tier the condition language's Python evaluator picks."""
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        fields = {**runtime_for(session, crm.customers).kinds, **METRIC_KINDS}
        session.execute(delete(CustomerMetrics))
        session.execute(delete(Record).where(Record.form_id == crm.customers.id))
        session.commit()
        ids = add_customers(session, actor, crm.customers, [data for data, _ in rows])
        for rid, (_, metrics) in zip(ids, rows, strict=True):
            if metrics is not None:
                set_metrics(session, crm, rid, **metrics)
        scheme = session.scalar(select(TierScheme).where(TierScheme.key == "value"))
        if scheme is None:
            scheme = save(session, crm, doc)
        else:
            scheme = save(session, crm, doc, scheme_id=scheme.id, revision=scheme.revision)
        compiled = compile_scheme(session, crm.workspace.id, crm.customers, "tier", doc)
        seen = preview(session, crm.workspace.id, compiled, today=TODAY, limit=100)
        before = {rid: data.get("tier") for rid, (data, _) in zip(ids, rows, strict=True)}
        done = apply_tiers(session, scheme, compiled, actor_id=None, source="apply", today=TODAY)
        session.commit()
        assert (done.changed, done.up, done.down, done.new) == (
            seen.changed,
            seen.up,
            seen.down,
            seen.new,
        )
        movers = {m.record_id: (m.from_tier, m.to_tier, m.direction) for m in seen.movers}
        changes = session.execute(
            select(TierChange.record_id, TierChange.from_tier, TierChange.to_tier).where(
                TierChange.scheme_id == scheme.id, TierChange.record_id.in_(ids)
            )
        ).all()
        assert {rid: (a, b) for rid, a, b in changes} == {
            rid: (a, b) for rid, (a, b, _) in movers.items()
        }
        proposed = {t.key: t.proposed for t in seen.tiers}
        for rid, (data, metrics) in zip(ids, rows, strict=True):
            expected = _expected(fields, doc, data, metrics)
            assert tier_of(session, rid) == expected, (data, metrics)
            proposed[expected] -= 1
            assert (rid in movers) == (before[rid] != expected)
        assert set(proposed.values()) == {0}


# -- automations -----------------------------------------------------------------------------
def test_tier_changes_fire_tier_changed_automations(crm: TierCrm) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "tier_changed", "form": "customers", "scheme": "value", "to": "gold"},
        "actions": [
            {
                "id": "call",
                "type": "create_task",
                "title": "Welcome {{ record.name }} to {{ trigger.to }} (was {{ trigger.from }})",
                "assignee": {"kind": "owner"},
            }
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        ids = add_customers(
            session, actor, crm.customers, [{"name": "Ann", "tier": "silver"}, {"name": "Bo"}]
        )
        set_metrics(session, crm, ids[0], total_spent=8000.0)
        scheme = save(session, crm)
        automation = add_automation(session, actor, document)
        tiers.apply_now(session, actor, scheme.id, revision=scheme.revision)
        assert runs_by_status(session, automation.id) == {"succeeded": 1}
        task = session.scalars(select(Task)).one()
        # The tiers read as the tier field's option labels (the owner reads English).
        assert task.title == "Welcome Ann to Gold (was Silver)" and task.record_id == ids[0]


def test_the_checker_knows_the_workspaces_schemes_and_tiers(crm: TierCrm) -> None:
    def trigger(**keys: Any) -> dict[str, Any]:
        return {
            "version": 1,
            "trigger": {"type": "tier_changed", "form": "customers", **keys},
            "actions": [{"id": "a", "type": "recompute_tiers", "scheme": "value"}],
        }

    with crm.app.app_context():
        session = db.session()
        save(session, crm)
        catalog = catalog_for(session, crm.workspace.id)

        def codes(doc: dict[str, Any]) -> list[tuple[str, str]]:
            return [(p.code, p.pointer) for p in check_automation(doc, catalog)]

        assert codes(trigger(scheme="value", to="gold")) == []
        assert codes(trigger(scheme="churn", to="at_risk")) == []
        assert codes(trigger(scheme="valu")) == [
            ("automation_unknown_scheme_hint", "/trigger/scheme")
        ]
        assert codes(trigger(scheme="value", to="gld")) == [
            ("automation_unknown_tier_hint", "/trigger/to")
        ]
        assert codes(trigger(scheme="churn", to="gold")) == [
            ("automation_unknown_tier", "/trigger/to")
        ]
        other_form = trigger(scheme="value")
        other_form["trigger"]["form"] = "orders"
        assert codes(other_form) == [("automation_scheme_other_form", "/trigger/scheme")]
        bad_action = trigger()
        bad_action["actions"][0]["scheme"] = "churn"
        assert codes(bad_action) == [("automation_scheme_not_recomputable", "/actions/0/scheme")]
        bad_action["actions"][0]["scheme"] = "nope"
        (problem,) = check_automation(bad_action, catalog)
        assert problem.message_in("zh-CN") == "分层方案“nope”不存在（位置：/actions/0/scheme）。"


def test_the_recompute_tiers_action_applies_the_scheme(crm: TierCrm) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "record_updated", "form": "customers", "fields": ["city"]},
        "actions": [{"id": "tiers", "type": "recompute_tiers", "scheme": "value"}],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        (rid,) = add_customers(session, actor, crm.customers, [{"name": "Ann"}])
        set_metrics(session, crm, rid, total_spent=7000.0)
        save(session, crm)
        automation = add_automation(session, actor, document)
        records.update_record(
            session, actor, crm.customers, rid, {"name": "Ann", "city": "Hangzhou"},
            expected_version=1,
        )  # fmt: skip
        assert runs_by_status(session, automation.id) == {"succeeded": 1}
        assert tier_of(session, rid) == "gold"
        change = session.scalars(select(TierChange)).one()
        assert change.source == "automation" and change.actor_id == crm.owner.id
        event = session.scalars(select(Event).where(Event.type == "tier_changed")).one()
        run = session.scalars(select(Run)).one()
        assert event.source == "automation" and event.depth == 1
        assert event.caused_by_run_id == run.id


# -- schedules ------------------------------------------------------------------------------
def test_latest_fire_walks_back_to_the_last_scheduled_time() -> None:
    now = datetime(2026, 11, 16, 5, 0, tzinfo=UTC)  # a Monday
    assert latest_fire("0 4 * * *", now - timedelta(days=2), now) == now.replace(hour=4)
    assert latest_fire("0 4 * * *", now.replace(hour=4), now) is None
    assert latest_fire("0 4 * * sat", now - timedelta(days=5), now) == datetime(
        2026, 11, 14, 4, 0, tzinfo=UTC
    )
    assert latest_fire("0 6 * * *", now - timedelta(hours=24), now) == datetime(
        2026, 11, 15, 6, 0, tzinfo=UTC
    )
    assert latest_fire("0 6 * * *", now - timedelta(hours=20), now) is None  # 09:00 → 05:00
    # A year without a run: only the last time counts, and only within the catch-up.
    assert latest_fire("0 4 1 1 *", now - timedelta(days=400), now) is None


def test_scheduled_schemes_apply_once_when_due_in_the_workspace_zone(crm: TierCrm) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        crm_workspace = actor.workspace
        crm_workspace.timezone = "Asia/Shanghai"
        session.commit()
        (rid,) = add_customers(session, actor, crm.customers, [{"name": "Ann"}])
        scheme = save(session, crm, schedule="0 4 * * *")
        manual = save(session, crm, key="manual", name="By hand")
        saved_at = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
        for item in (scheme, manual):
            item.updated_at = saved_at
        session.commit()
        # 03:59 in Shanghai (19:59 UTC the day before): not yet.
        early = datetime(2026, 11, 14, 19, 59, tzinfo=UTC)
        assert tiers.apply_due_schemes(session, early) == []
        due = datetime(2026, 11, 14, 20, 1, tzinfo=UTC)
        assert tiers.apply_due_schemes(session, due) == [scheme.id]
        assert tiers.apply_due_schemes(session, due + timedelta(minutes=1)) == []
        assert tier_of(session, rid) == "bronze"
        change = session.scalars(select(TierChange)).one()
        assert change.source == "schedule" and change.actor_id is None
        event = session.scalars(select(Event).where(Event.type == "tier_changed")).one()
        assert event.source == "scheduler"
        tiers.archive_scheme(session, actor, scheme.id)
        assert tiers.apply_due_schemes(session, due + timedelta(days=1)) == []


def test_a_scheduled_scheme_that_no_longer_fits_is_reported_once(
    crm: TierCrm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formwork.value import tier_schedule

    # The memory of failures is per process (one database): start with none.
    monkeypatch.setattr(tier_schedule, "_failed", set())
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        scheme = save(session, crm, schedule="0 4 * * *")
        scheme.updated_at = datetime(2026, 11, 14, 0, 0, tzinfo=UTC)
        scheme.field_key = "label"  # made unfit behind the service's back
        session.commit()
        now = datetime(2026, 11, 14, 5, 0, tzinfo=UTC)
        assert tiers.apply_due_schemes(session, now) == []
        assert tiers.apply_due_schemes(session, now + timedelta(minutes=1)) == []
        failures = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tier_scheme.schedule_failed")
        ).all()
        assert len(failures) == 1 and "label" in failures[0].details["reason"]
        session.refresh(scheme)
        assert scheme.last_applied_at is None
        assert actor.workspace_id == scheme.workspace_id


def test_nightly_refresh_is_due_after_half_past_two_local_time(crm: TierCrm) -> None:
    from formwork.models import ValueModel
    from formwork.value import nightly

    with crm.app.app_context():
        session = db.session()
        session.add(ValueModel(workspace_id=crm.workspace.id, settings={}))
        session.commit()
        night = datetime(2026, 11, 14, 2, 29, tzinfo=UTC)
        assert nightly.due_workspaces(session, night) == []
        assert nightly.due_workspaces(session, night + timedelta(minutes=2)) == [
            (crm.workspace.id, date(2026, 11, 14))
        ]
        model = session.get(ValueModel, crm.workspace.id)
        assert model is not None
        model.computed_at = night + timedelta(minutes=30)
        session.commit()
        assert nightly.due_workspaces(session, night + timedelta(hours=3)) == []
        assert nightly.due_workspaces(session, night + timedelta(days=1, minutes=2)) != []
        assert utcnow() > night


def test_a_save_committed_during_an_apply_is_kept(
    crm: TierCrm, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """PostgreSQL lets another transaction commit between choosing the changes and writing
    them: that record keeps the person's value and gets no history, revision or event."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite holds the write lock for the whole apply")
    from sqlalchemy import create_engine, update

    from formwork.value import tier_apply

    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        ann, bo = add_customers(session, actor, crm.customers, [{"name": "Ann"}, {"name": "Bo"}])
        scheme = save(session, crm)
        real = tier_apply._update_records

        def meanwhile(*args: Any, **kwargs: Any) -> None:
            engine = create_engine(database_url)
            with engine.begin() as other:  # a person saves Ann as silver, and commits
                other.execute(
                    update(Record)
                    .where(Record.id == ann)
                    .values(data={"name": "Ann", "tier": "silver"}, version=Record.version + 1)
                )
            engine.dispose()
            real(*args, **kwargs)

        monkeypatch.setattr(tier_apply, "_update_records", meanwhile)
        tiers.apply_now(session, actor, scheme.id, revision=scheme.revision)
        assert tier_of(session, ann) == "silver" and tier_of(session, bo) == "bronze"
        changed = session.scalars(select(TierChange.record_id)).all()
        assert changed == [bo]
        revised = session.scalars(
            select(RecordRevision.record_id).where(RecordRevision.action == "tiered")
        ).all()
        assert revised == [bo]
        events = session.scalars(select(Event.record_id).where(Event.type == "tier_changed"))
        assert list(events) == [bo]


def test_the_scheduler_job_applies_due_schemes(
    crm: TierCrm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formwork.automation import scheduler

    with crm.app.app_context():
        session = db.session()
        (rid,) = add_customers(session, crm.actor(session), crm.customers, [{"name": "Ann"}])
        scheme = save(session, crm, schedule="* * * * *")
        scheme.updated_at = utcnow() - timedelta(minutes=5)
        session.commit()
    monkeypatch.setattr(scheduler, "_active", scheduler._Active(crm.app, None))  # type: ignore[arg-type]
    scheduler.run_tier_schedules()
    with crm.app.app_context():
        assert tier_of(db.session(), rid) == "bronze"

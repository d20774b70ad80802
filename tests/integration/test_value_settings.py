"""The customer-value settings: checks against the forms (every problem named by JSON
pointer, in English and Chinese), saving (admins, revisions, audit), loading."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from formwork import db
from formwork.models import AuditEvent, Form, Role, ValueModel
from formwork.services import apps
from formwork.services.errors import Conflict, Forbidden
from formwork.services.scope import actor_for
from formwork.value import settings as value_settings
from formwork.value.settings import SettingsInvalid, check_settings, normalise
from tests.integration.value_fixtures import ValueCrm, configure, make_value_crm, settings_doc


@pytest.fixture
def crm(app: Flask, factory: Any) -> ValueCrm:
    return make_value_crm(app, factory, customers=4, orders=6)


def _set(doc: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with the value at ``pointer`` replaced (``...`` deletes it)."""
    result = copy.deepcopy(doc)
    *parents, last = pointer.strip("/").split("/")
    target: Any = result
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is ...:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return result


PROBLEMS = [
    ("/orders/amount", "customer", "/orders/amount", "value_not_amount"),
    ("/orders/amount", "nope", "/orders/amount", "value_field_missing"),
    ("/orders/amount", ..., "/orders/amount", "value_required"),
    ("/orders/amount", 3, "/orders/amount", "value_not_key"),
    ("/orders/link", "amount", "/orders/link", "value_not_link"),
    ("/orders/date", "amount", "/orders/date", "value_not_date"),
    ("/orders/form", "missing", "/orders/form", "value_form_missing"),
    ("/orders/colour", "red", "/orders/colour", "value_unknown_key"),
    ("/orders", None, "/orders", "value_required"),
    ("/orders", [], "/orders", "value_not_object"),
    ("/complaints/form", "customers", "/complaints/form", "value_customer_form_reused"),
    ("/complaints/link", "summary", "/complaints/link", "value_not_link"),
    ("/complaints/resolved", "opened_on", "/complaints/resolved", "value_not_resolved_field"),
    ("/complaints/resolved_values", ["done"], "/complaints/resolved_values/0", "value_not_option"),
    ("/complaints/resolved_values", [], "/complaints/resolved_values", "value_resolved_values"),
    ("/surveys/score", "answered_on", "/surveys/score", "value_not_score"),
    ("/surveys/score", ..., "/surveys/score", "value_required"),
    ("/follow_ups/date", "customer", "/follow_ups/date", "value_not_date"),
    ("/clv/margin", 2, "/clv/margin", "value_number_range"),
    ("/clv/margin", "1", "/clv/margin", "value_number_range"),
    ("/clv/discount_rate", -0.1, "/clv/discount_rate", "value_number_range"),
    ("/clv/horizon_days", 1.5, "/clv/horizon_days", "value_integer_range"),
    ("/clv/predictive", "yes", "/clv/predictive", "value_not_boolean"),
    ("/churn/dormant_days", 60, "/churn/dormant_days", "value_dormant_before_risk"),
    ("/churn/at_risk_days", True, "/churn/at_risk_days", "value_integer_range"),
    ("/churn/complaints_at_risk", -1, "/churn/complaints_at_risk", "value_integer_range"),
    ("/rfm/method", "median", "/rfm/method", "value_rfm_method"),
    ("/rfm/thresholds/frequency", [3, 2, 5, 10], "/rfm/thresholds/frequency", "value_thresholds"),
    ("/rfm/thresholds/monetary", [1, 2, 3], "/rfm/thresholds/monetary", "value_thresholds"),
    ("/rfm/thresholds/recency_days", [-1, 2, 3, 4], "/rfm/thresholds/recency_days",
     "value_thresholds"),
    ("/rfm/grid/66", "lost", "/rfm/grid/66", "value_unknown_key"),
    ("/rfm/grid/11", "vip", "/rfm/grid/11", "value_unknown_segment"),
    ("/version", 2, "/version", "value_bad_version"),
    ("/extra", {}, "/extra", "value_unknown_key"),
]  # fmt: skip


@pytest.mark.parametrize(("pointer", "value", "path", "code"), PROBLEMS)
def test_each_problem_is_named_at_its_place(
    app: Flask, crm: ValueCrm, pointer: str, value: Any, path: str, code: str
) -> None:
    with app.app_context():
        session = db.session()
        doc = normalise(_set(settings_doc(), pointer, value))
        problems = check_settings(doc, session, crm.workspace.id)
        assert [(p.path, p.code) for p in problems] == [(path, code)]
        problem = problems[0]
        assert problem.messages["en"] and problem.messages["zh-CN"]
        assert problem.messages["en"] != problem.messages["zh-CN"]
        assert problem.as_dict("zh-CN")["message"] == problem.messages["zh-CN"]


def test_the_message_names_the_field_and_the_form(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        doc = _set(settings_doc(), "/orders/amount", "customer")
        (problem,) = check_settings(normalise(doc), session, crm.workspace.id)
        assert str(problem) == (
            "/orders/amount: The field “customer” of the form “orders” is not a number field."
        )
        assert problem.message("zh-CN") == "表单“orders”的字段“customer”不是数字字段。"


def test_a_valid_document_has_no_problems(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        assert check_settings(normalise(settings_doc()), session, crm.workspace.id) == []
        assert check_settings(value_settings.default_settings(), session, crm.workspace.id) == []
        thresholds = settings_doc(rfm={"method": "thresholds"})
        assert check_settings(normalise(thresholds), session, crm.workspace.id) == []


def test_every_problem_is_reported_at_once(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        doc = _set(settings_doc(), "/orders/amount", "nope")
        doc = _set(doc, "/clv/margin", 5)
        doc = _set(doc, "/rfm/grid/12", "nobody")
        problems = check_settings(normalise(doc), session, crm.workspace.id)
        assert {p.path for p in problems} == {"/orders/amount", "/clv/margin", "/rfm/grid/12"}
        assert check_settings("not an object", session, crm.workspace.id)[0].code == (
            "value_not_object"
        )


def test_unpublished_and_archived_forms_are_refused(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        draft = apps.create_form(session, actor, crm.customers.app_id, "Draft")
        draft.key = "draft"
        session.commit()
        doc = _set(settings_doc(), "/follow_ups/form", "draft")
        problems = check_settings(normalise(doc), session, crm.workspace.id)
        assert [(p.path, p.code) for p in problems] == [
            ("/follow_ups/form", "value_form_unpublished")
        ]
        visits = session.scalar(
            select(Form).where(Form.key == "visits", Form.workspace_id == crm.workspace.id)
        )
        assert visits is not None
        visits.archived_at = datetime.now(UTC)
        session.commit()
        problems = check_settings(normalise(settings_doc()), session, crm.workspace.id)
        assert [(p.path, p.code) for p in problems] == [("/follow_ups/form", "value_form_archived")]


def test_forms_of_another_workspace_are_not_found(app: Flask, factory: Any, crm: ValueCrm) -> None:
    other = make_value_crm(app, factory, customers=2, orders=1, name="Other")
    with app.app_context():
        session = db.session()
        actor = other.actor(session)
        special = apps.create_form(session, actor, other.customers.app_id, "Special")
        special.key = "special"
        session.commit()
        doc = _set(settings_doc(), "/follow_ups/form", "special")
        problems = check_settings(normalise(doc), session, crm.workspace.id)
        assert [(p.path, p.code) for p in problems] == [("/follow_ups/form", "value_form_missing")]


def test_saving_fills_in_defaults_bumps_the_revision_and_audits(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        model = value_settings.save(
            session,
            actor,
            {"customers": {"form": "customers"}, "orders": settings_doc()["orders"]},
            revision=0,
        )
        assert model.revision == 1
        assert model.settings["clv"]["expected_years"] == 3
        assert model.settings["rfm"]["grid"]["55"] == "champions"
        assert model.settings["complaints"] is None
        model = configure(session, actor)
        assert model.revision == 2 and model.settings["surveys"]["form"] == "nps"
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.workspace_id == crm.workspace.id)
        ).all()
        assert actions.count("value.settings_saved") == 2


def test_a_stale_revision_conflicts_and_changes_nothing(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        configure(session, actor)
        with pytest.raises(Conflict):
            value_settings.save(session, actor, settings_doc(clv={"margin": 0.5}), revision=0)
        model = session.get(ValueModel, crm.workspace.id)
        assert model is not None and model.revision == 1
        assert model.settings["clv"]["margin"] == 1.0


def test_invalid_settings_raise_with_problems_and_change_nothing(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        configure(session, actor)
        bad = _set(settings_doc(), "/orders/date", "amount")
        with pytest.raises(SettingsInvalid) as caught:
            value_settings.save(session, actor, bad, revision=1)
        assert [p.path for p in caught.value.problems] == ["/orders/date"]
        session.rollback()
        model = session.get(ValueModel, crm.workspace.id)
        assert model is not None and model.revision == 1
        assert model.settings["orders"]["date"] == "ordered_on"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_only_admins_save_settings(app: Flask, factory: Any, crm: ValueCrm, role: Role) -> None:
    user = factory.member(crm.workspace, role)
    with app.app_context():
        session = db.session()
        actor = actor_for(session, session.merge(user), crm.workspace.id)
        with pytest.raises(Forbidden):
            value_settings.save(session, actor, settings_doc(), revision=0)
        assert session.get(ValueModel, crm.workspace.id) is None


def test_load_resolves_forms_fields_and_kinds(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        assert value_settings.load(session, crm.workspace.id) is None
        configure(session, crm.actor(session))
        settings = value_settings.load(session, crm.workspace.id, strict=True)
        assert settings is not None
        assert settings.customers_form_id == crm.customers.id
        assert settings.orders.form_id == crm.orders.id and settings.orders.date_kind == "date"
        assert settings.complaints is not None and settings.complaints.resolved_kind == "text"
        assert settings.complaints.resolved_values == ("resolved", "closed")
        assert settings.follow_ups is not None and settings.follow_ups.date_kind == "datetime"
        assert settings.rfm.grid["11"] == "lost"
        assert settings.role_form_ids() == {f.id for f in crm.forms.values()}


def test_settings_that_no_longer_fit_load_as_none_or_raise(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        configure(session, crm.actor(session))
        crm_forms = session.scalars(select(Form).where(Form.workspace_id == crm.workspace.id))
        for form in crm_forms:
            if form.key == "nps":
                form.archived_at = datetime.now(UTC)
        session.commit()
        assert value_settings.load(session, crm.workspace.id) is None
        with pytest.raises(SettingsInvalid) as caught:
            value_settings.load(session, crm.workspace.id, strict=True)
        assert [p.path for p in caught.value.problems] == ["/surveys/form"]

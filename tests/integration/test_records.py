"""Records end to end through the services: validation, computed fields, links, history,
optimistic concurrency, soft delete, uniqueness in the database, isolation."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from formwork import db
from formwork.models import Record, RecordRevision, Role
from formwork.services import computed, records
from formwork.services.errors import NotFound, RecordInvalid, StaleRecord
from tests.conftest import Factory
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, actor, published_forms


@pytest.fixture
def crm(app: Flask, factory: Factory):  # type: ignore[no-untyped-def]
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        who = actor(app, owner, workspace)
        session = db.session()
        forms = published_forms(session, who, {"customers": CUSTOMERS, "orders": ORDERS})
        yield session, who, forms["customers"], forms["orders"]


def test_record_is_coerced_validated_and_stored(crm) -> None:  # type: ignore[no-untyped-def]
    session, who, customers, _orders = crm
    record = records.create_record(
        session, who, customers, {"name": " 张三 ", "phone": "138 0013 8000", "level": "normal"}
    )
    assert record.data["phone"] == "13800138000"
    assert record.data["order_count"] == 0
    assert record.version == 1 and record.form_version == 1


def test_bad_values_are_refused_per_field_and_nothing_is_stored(crm) -> None:  # type: ignore[no-untyped-def]
    session, who, customers, _orders = crm
    with pytest.raises(RecordInvalid) as caught:
        records.create_record(session, who, customers, {"phone": "12345", "level": "gold"})
    keys = {error.key for error in caught.value.errors}
    assert keys == {"name", "phone", "level"}
    assert session.scalar(select(Record.id)) is None


def test_hidden_field_is_not_required_nor_stored(crm) -> None:  # type: ignore[no-untyped-def]
    session, who, customers, _orders = crm
    record = records.create_record(
        session, who, customers, {"name": "A", "level": "normal", "vip_note": "ignored"}
    )
    assert "vip_note" not in record.data
    with pytest.raises(RecordInvalid) as caught:
        records.create_record(session, who, customers, {"name": "B", "level": "vip"})
    assert [e.key for e in caught.value.errors] == ["vip_note"]


def test_rollups_lookups_formulas_and_autonumbers_stay_current(crm) -> None:  # type: ignore[no-untyped-def]
    session, who, customers, orders = crm
    customer = records.create_record(session, who, customers, {"name": "C", "phone": "13800138001"})
    first = records.create_record(
        session, who, orders, {"customer": str(customer.id), "amount": "600"}
    )
    second = records.create_record(
        session, who, orders, {"customer": str(customer.id), "amount": "500.5"}
    )
    assert (first.data["number"], second.data["number"]) == ("SO-0001", "SO-0002")
    assert first.data["customer_phone"] == "13800138001"
    session.refresh(customer)
    assert customer.data["order_count"] == 2
    assert customer.data["total_spent"] == 1100.5
    assert customer.data["label"] == "big"

    records.delete_record(session, who, orders, second.id)
    session.refresh(customer)
    assert (customer.data["order_count"], customer.data["total_spent"]) == (1, 600)
    assert customer.data["label"] == "small"
    records.restore_record(session, who, orders, second.id)
    session.refresh(customer)
    assert customer.data["total_spent"] == 1100.5

    records.update_record(
        session,
        who,
        customers,
        customer.id,
        {"name": "C", "phone": "13900139000"},
        expected_version=customer.version,
    )
    session.refresh(first)
    assert first.data["customer_phone"] == "13900139000"


def test_only_records_that_read_what_changed_are_recomputed(
    crm,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new order changes its customer's rollups, which no order looks up: the customer
    is recomputed, its other orders are not (a customer with a thousand orders would
    otherwise recompute them all at every sale). A new phone number is looked up: then
    every order is."""
    session, who, customers, orders = crm
    customer = records.create_record(session, who, customers, {"name": "C", "phone": "13800138001"})
    existing = [
        records.create_record(session, who, orders, {"customer": str(customer.id), "amount": "5"})
        for _ in range(3)
    ]
    recomputed: list[int] = []
    real = computed.recompute

    def spy(session_, record, *, depth=0):  # type: ignore[no-untyped-def]
        recomputed.append(record.id)
        return real(session_, record, depth=depth)

    monkeypatch.setattr(computed, "recompute", spy)
    records.create_record(session, who, orders, {"customer": str(customer.id), "amount": "7"})
    assert recomputed == [customer.id]
    session.refresh(customer)
    assert customer.data["order_count"] == 4 and customer.data["total_spent"] == 22

    recomputed.clear()
    records.update_record(
        session,
        who,
        customers,
        customer.id,
        {"name": "C", "phone": "13900139000"},
        expected_version=customer.version,
    )
    assert set(recomputed) >= {order.id for order in existing}
    session.refresh(existing[0])
    assert existing[0].data["customer_phone"] == "13900139000"


def test_links_to_other_workspaces_or_forms_are_refused(
    app: Flask,
    factory: Factory,
    crm,  # type: ignore[no-untyped-def]
) -> None:
    session, who, customers, orders = crm
    stranger = factory.user()
    their_workspace = factory.workspace(stranger)
    them = actor(app, stranger, their_workspace)
    their_customers = published_forms(session, them, {"customers": CUSTOMERS, "orders": ORDERS})[
        "customers"
    ]
    theirs = records.create_record(session, them, their_customers, {"name": "X"})
    mine = records.create_record(session, who, customers, {"name": "Y"})
    with pytest.raises(RecordInvalid) as caught:
        records.create_record(session, who, orders, {"customer": str(theirs.id), "amount": "1"})
    assert [e.code for e in caught.value.errors] == ["link_not_found"]
    with pytest.raises(NotFound):
        records.get_record(session, them, their_customers, mine.id)


def test_stale_edit_is_a_conflict_and_never_overwrites(crm) -> None:  # type: ignore[no-untyped-def]
    session, who, customers, _orders = crm
    record = records.create_record(session, who, customers, {"name": "Original"})
    records.update_record(
        session, who, customers, record.id, {"name": "First edit"}, expected_version=1
    )
    with pytest.raises(StaleRecord) as caught:
        records.update_record(
            session, who, customers, record.id, {"name": "Second edit"}, expected_version=1
        )
    assert caught.value.current["name"] == "First edit"
    assert caught.value.current_version == 2
    session.expire_all()
    assert session.get(Record, record.id).data["name"] == "First edit"  # type: ignore[union-attr]


def test_history_keeps_field_level_before_and_after(crm) -> None:  # type: ignore[no-untyped-def]
    session, who, customers, _orders = crm
    record = records.create_record(session, who, customers, {"name": "Before"})
    records.update_record(session, who, customers, record.id, {"name": "After"}, expected_version=1)
    history = records.revisions(session, who, record)
    assert [h.action for h in history] == ["updated", "created"]
    assert history[0].changes == {"name": ["Before", "After"]}
    assert history[0].actor_id == who.user_id


def test_unique_field_is_enforced_by_the_database(crm) -> None:  # type: ignore[no-untyped-def]
    session, who, customers, _orders = crm
    first = records.create_record(session, who, customers, {"name": "A", "phone": "13800138000"})
    with pytest.raises(RecordInvalid) as caught:
        records.create_record(session, who, customers, {"name": "B", "phone": "13800138000"})
    assert [(e.key, e.code) for e in caught.value.errors] == [("phone", "not_unique")]
    records.delete_record(session, who, customers, first.id)
    records.create_record(session, who, customers, {"name": "B", "phone": "13800138000"})
    with pytest.raises(RecordInvalid):
        records.restore_record(session, who, customers, first.id)


def test_viewers_cannot_write(app: Flask, factory: Factory, crm) -> None:  # type: ignore[no-untyped-def]
    session, who, customers, _orders = crm
    viewer = factory.member(who.workspace, Role.VIEWER)
    from formwork.services.errors import Forbidden

    with pytest.raises(Forbidden):
        records.create_record(
            session, actor(app, viewer, who.workspace), customers, {"name": "Nope"}
        )
    assert session.scalar(select(RecordRevision.id)) is None


def test_bulk_create_of_no_rows_stores_nothing(crm) -> None:  # type: ignore[no-untyped-def]
    session, who, customers, _orders = crm
    assert records.bulk_create(session, who, customers, []) == []
    assert session.scalar(select(Record.id)) is None


def test_bulk_create_is_all_or_nothing_and_keeps_computed_fields(crm) -> None:  # type: ignore[no-untyped-def]
    from formwork.services.errors import RowsInvalid

    session, who, customers, orders = crm
    ids = records.bulk_create(
        session, who, customers, [{"name": f"C{n}", "phone": f"1380013800{n}"} for n in range(3)]
    )
    assert len(ids) == 3
    with pytest.raises(RowsInvalid) as caught:
        records.bulk_create(
            session,
            who,
            orders,
            [
                {"customer": ids[0], "amount": 10},
                {"customer": 999999, "amount": -1},
            ],
        )
    assert set(caught.value.rows) == {2}
    assert session.scalar(select(Record.id).where(Record.form_id == orders.id)) is None
    order_ids = records.bulk_create(
        session,
        who,
        orders,
        [
            {"customer": ids[0], "amount": 10},
            {"customer": ids[0], "amount": 15.5},
        ],
    )
    created = [session.get(Record, i) for i in order_ids]
    assert [r.data["number"] for r in created] == ["SO-0001", "SO-0002"]  # type: ignore[union-attr]
    assert created[0].data["customer_phone"] == "13800138000"  # type: ignore[union-attr]
    customer = session.get(Record, ids[0])
    session.refresh(customer)
    assert (customer.data["order_count"], customer.data["total_spent"]) == (2, 25.5)  # type: ignore[union-attr]


def test_publishing_a_type_change_converts_or_refuses_with_examples(crm) -> None:  # type: ignore[no-untyped-def]
    import copy

    from formwork.services import publishing
    from formwork.services.errors import Invalid

    session, who, customers, orders = crm
    first = records.bulk_create(
        session,
        who,
        orders,
        [
            {
                "customer": records.create_record(session, who, customers, {"name": "A"}).id,
                "amount": 12,
            },
        ],
    )[0]
    document = copy.deepcopy(publishing.published_document(session, orders))
    document["properties"]["amount"] = {
        "type": "string",
        "title": "Amount",
        "maxLength": 20,
        "x-field": "text",
    }
    revision = publishing.save_draft(session, who, orders, document, orders.draft_revision)
    preview = publishing.preview(session, who, orders, "en")
    assert preview.ok, preview.as_dict()
    publishing.publish(session, who, orders, revision)
    session.expire_all()
    assert session.get(Record, first).data["amount"] == "12"  # type: ignore[union-attr]

    back = copy.deepcopy(document)
    back["properties"]["amount"] = {"type": "number", "title": "Amount", "x-field": "number"}
    records.update_record(
        session,
        who,
        orders,
        first,
        {"customer": session.get(Record, first).data["customer"], "amount": "twelve"},
        expected_version=1,  # type: ignore[union-attr]
        source="json",
    )
    revision = publishing.save_draft(session, who, orders, back, orders.draft_revision)
    preview = publishing.preview(session, who, orders, "en")
    assert not preview.ok and any("twelve" in line for line in preview.data_effects)
    with pytest.raises(Invalid):
        publishing.publish(session, who, orders, revision)
    session.expire_all()
    assert session.get(Record, first).data["amount"] == "twelve"  # type: ignore[union-attr]


def test_removing_a_field_without_archiving_is_refused(crm) -> None:  # type: ignore[no-untyped-def]
    import copy

    from formwork.services import publishing

    session, who, customers, _orders = crm
    document = copy.deepcopy(publishing.published_document(session, customers))
    del document["properties"]["level"]
    document["x-order"].remove("level")
    publishing.save_draft(session, who, customers, document, customers.draft_revision)
    preview = publishing.preview(session, who, customers, "zh-CN")
    assert not preview.ok


def test_concurrent_edits_never_overwrite_silently(app: Flask, crm) -> None:  # type: ignore[no-untyped-def]
    """Two people save the same version at the same moment: one wins, one gets a conflict."""
    import threading

    from formwork.services.scope import actor_for

    session, who, customers, _orders = crm
    record = records.create_record(session, who, customers, {"name": "Start"})
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(name: str) -> None:
        with app.app_context():
            own = db.session()
            me = actor_for(own, own.merge(who.user), who.workspace_id)
            form = own.merge(customers)
            barrier.wait()
            try:
                records.update_record(own, me, form, record.id, {"name": name}, expected_version=1)
                outcomes.append(f"saved {name}")
            except StaleRecord:
                outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(name,)) for name in ("Alice", "Bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.split()[0] for o in outcomes) == ["conflict", "saved"]
    session.expire_all()
    stored = session.get(Record, record.id)
    winner = next(o.split()[1] for o in outcomes if o.startswith("saved"))
    assert stored.data["name"] == winner and stored.version == 2  # type: ignore[union-attr]
    assert len([r for r in records.revisions(session, who, stored) if r.action == "updated"]) == 1  # type: ignore[arg-type]

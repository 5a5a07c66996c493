"""Order and payment saves log events in the saving transaction and publish on commit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order, Payment
from realtime.follower import follower
from realtime.groups import namespace_group, owner_group
from realtime.hub import hub
from realtime.models import Event
from tests.support.recorder import Recorder

pytestmark = pytest.mark.django_db


def types(events: list[Any]) -> list[str]:
    return [event.type for event in events]


def test_create_emits_created_owned_by_customer(alice: Any, event_log: Any) -> None:
    order = Order.objects.create(customer=alice.customer, total=Decimal("149.90"))
    [event] = event_log("orders")
    assert event.type == "order:created"
    assert event.owner_id == alice.customer.pk
    assert event.payload["id"] == order.pk
    assert event.payload["total"] == "149.90"


def test_update_without_status_change(alice_order: Order, event_log: Any) -> None:
    order = Order.objects.get(pk=alice_order.pk)
    order.total = Decimal("1.00")
    order.save()
    assert types(event_log("orders")) == ["order:created", "order:updated"]


def test_status_change_emits_updated_and_status_changed(alice_order: Order,
                                                         event_log: Any) -> None:
    order = Order.objects.get(pk=alice_order.pk)
    order.status = Order.Status.CONFIRMED
    order.save()
    created, updated, changed = event_log("orders")
    assert (updated.type, changed.type) == ("order:updated", "order:status_changed")
    assert changed.payload["status"] == "confirmed"
    assert changed.payload["previousStatus"] == "pending"
    assert "previousStatus" not in updated.payload
    assert changed.owner_id == alice_order.customer_id


def test_successive_saves_compare_with_last_save(alice_order: Order, event_log: Any) -> None:
    alice_order.status = Order.Status.CONFIRMED
    alice_order.save()
    alice_order.status = Order.Status.SHIPPED
    alice_order.save()
    alice_order.save()
    changes = [e.payload for e in event_log("orders") if e.type == "order:status_changed"]
    assert [(c["previousStatus"], c["status"]) for c in changes] == [
        ("pending", "confirmed"), ("confirmed", "shipped")]


def test_old_status_costs_no_query(alice_order: Order) -> None:
    order = Order.objects.select_related("customer").get(pk=alice_order.pk)
    order.status = Order.Status.PROCESSING
    with CaptureQueriesContext(connection) as queries:
        order.save()
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]


def test_delete_emits_deleted(alice_order: Order, event_log: Any) -> None:
    pk = alice_order.pk
    alice_order.delete()
    event = event_log("orders")[-1]
    assert event.type == "order:deleted"
    assert event.payload["id"] == pk
    assert event.owner_id == alice_order.customer_id


def test_rolled_back_save_leaves_nothing(alice: Any, event_log: Any,
                                         django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            Order.objects.create(customer=alice.customer, total=Decimal("1.00"))
            raise RuntimeError("abort")
    assert event_log() == []
    assert callbacks == []


@pytest.mark.django_db(transaction=True)
async def test_published_on_commit_to_staff_and_owner(alice: Any, bob: Any) -> None:
    follower.ensure_running()  # as a server's first socket does
    await follower.ready()
    staff, owner, other = Recorder(), Recorder(), Recorder()
    await hub.join(namespace_group("orders"), staff)
    await hub.join(owner_group("orders", alice.customer.pk), owner)
    await hub.join(owner_group("orders", bob.customer.pk), other)

    def work() -> list[int]:
        with transaction.atomic():
            order = Order.objects.create(customer=alice.customer, total=Decimal("1.00"))
            order.status = Order.Status.CONFIRMED
            order.save()
            assert staff.messages == []  # nothing before the commit
        return list(Event.objects.filter(namespace="orders").values_list("id", flat=True))

    ids = await database_sync_to_async(work)()
    assert len(ids) == 3
    assert staff.ids == owner.ids == ids
    assert other.messages == []


def test_payment_created_pending_is_silent(alice_payment: Payment, event_log: Any) -> None:
    assert event_log("payments") == []


@pytest.mark.parametrize(("status", "event_type"), [
    ("completed", "payment:received"), ("failed", "payment:failed"),
    ("refunded", "payment:refunded"),
])
def test_payment_created_in_final_status(alice_order: Order, event_log: Any, status: str,
                                         event_type: str) -> None:
    Payment.objects.create(order=alice_order, amount=Decimal("5"), status=status)
    [event] = event_log("payments")
    assert event.type == event_type
    assert event.owner_id == alice_order.customer_id
    assert event.payload["status"] == status


def test_payment_transitions(alice_payment: Payment, event_log: Any) -> None:
    payment = Payment.objects.get(pk=alice_payment.pk)
    payment.status = Payment.Status.FAILED
    payment.reason = "card declined"
    payment.save()
    payment.status = Payment.Status.COMPLETED
    payment.save()
    payment.save()
    payment.status = Payment.Status.REFUNDED
    payment.save()
    failed, received, refunded = event_log("payments")
    assert types([failed, received, refunded]) == [
        "payment:failed", "payment:received", "payment:refunded"]
    assert failed.payload["reason"] == "card declined"
    assert "reason" not in received.payload
    assert received.payload["amount"] == "149.90"
    assert {e.owner_id for e in (failed, received, refunded)} == {alice_payment.order.customer_id}


def test_payment_other_field_change_is_silent(alice_order: Order, event_log: Any) -> None:
    payment = Payment.objects.create(order=alice_order, amount=Decimal("5"), status="completed")
    payment.method = Payment.Method.CASH
    payment.save()
    assert types(event_log("payments")) == ["payment:received"]


def test_fixture_loading_emits_nothing(alice: Any, event_log: Any) -> None:
    """``loaddata`` saves raw rows whose related rows may not exist yet."""
    now = timezone.now()
    order = Order(customer=alice.customer, total=Decimal("1.00"), created_at=now, updated_at=now)
    order.save_base(raw=True)
    assert event_log() == []


def test_unloaded_instance_claims_no_transition(alice_order: Order, event_log: Any) -> None:
    """An instance built by hand has no loaded status: it is updated, with no guessed change."""
    order = Order(pk=alice_order.pk, customer=alice_order.customer, total=Decimal("1.00"),
                  status=Order.Status.SHIPPED, created_at=alice_order.created_at)
    order.save()
    assert types(event_log("orders")) == ["order:created", "order:updated"]

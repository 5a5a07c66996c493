from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import ProtectedError

from orders.models import Customer, Order, Payment

pytestmark = pytest.mark.django_db


def test_order_defaults(alice: Any) -> None:
    order = Order.objects.create(customer=alice.customer, total=Decimal("10"))
    assert order.status == Order.Status.PENDING
    assert order.channel == Order.Channel.ONLINE
    assert order.created_at is not None and order.updated_at is not None
    assert list(alice.customer.orders.all()) == [order]


def test_choices_match_design() -> None:
    assert Order.Status.values == ["pending", "confirmed", "processing", "shipped",
                                   "delivered", "cancelled", "refunded"]
    assert Order.Channel.values == ["online", "pos", "marketplace", "phone"]
    assert Payment.Method.values == ["card", "cash", "transfer", "wallet"]
    assert Payment.Status.values == ["pending", "completed", "failed", "refunded"]


def test_payment_defaults(alice_order: Order) -> None:
    payment = Payment.objects.create(order=alice_order, amount=Decimal("5.00"))
    assert payment.status == Payment.Status.PENDING
    assert payment.reason == ""
    assert list(alice_order.payments.all()) == [payment]


def test_customer_without_user() -> None:
    customer = Customer.objects.create(name="Walk-in", email="")
    assert customer.user is None
    assert str(customer) == "Walk-in"


def test_customer_with_orders_cannot_be_deleted(alice_order: Order) -> None:
    with pytest.raises(ProtectedError):
        alice_order.customer.delete()


def test_loaded_status_is_tracked(alice_order: Order) -> None:
    loaded = Order.objects.get(pk=alice_order.pk)
    loaded.status = Order.Status.SHIPPED
    assert loaded.loaded_value("status") == Order.Status.PENDING


def test_new_instance_has_no_loaded_value(alice: Any) -> None:
    assert Order(customer=alice.customer).loaded_value("status") is None

"""Each simulated action saves like a real one and so sends the real events."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from inventory.models import Inventory, Product
from orders.models import Order, Payment
from orders.simulation import NothingToSimulate, Simulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock() -> Inventory:
    product = Product.objects.create(sku="S-1", name="Widget", price=Decimal("10.00"))
    return Inventory.objects.create(product=product, quantity=30, low_stock_threshold=5)


@pytest.fixture
def simulator(alice: Any, stock: Inventory) -> Simulator:
    return Simulator(random.Random(1))


def test_needs_customers_and_stock(stock: Inventory) -> None:
    with pytest.raises(NothingToSimulate):
        Simulator(random.Random(1))


def test_create_order_takes_stock(simulator: Simulator, stock: Inventory,
                                  event_log: Any) -> None:
    line = simulator.create_order()
    order = Order.objects.get()
    stock.refresh_from_db()
    sold = 30 - stock.quantity
    assert 1 <= sold <= 3
    assert order.total == Decimal("10.00") * sold
    assert f"order #{order.pk} created" in line
    assert {"order:created", "inventory:updated"} <= {e.type for e in event_log()}


def test_create_order_skips_empty_stock(simulator: Simulator, stock: Inventory) -> None:
    stock.quantity = 0
    stock.save()
    assert simulator.create_order() is None


def test_advance_order_follows_the_flow(simulator: Simulator, alice: Any) -> None:
    order = Order.objects.create(customer=alice.customer, status="shipped", total=1)
    assert simulator.advance_order() == f"order #{order.pk}: shipped -> delivered"
    assert simulator.advance_order() is None


def test_settle_payment_opens_then_settles(simulator: Simulator, alice: Any,
                                           event_log: Any) -> None:
    order = Order.objects.create(customer=alice.customer, total=Decimal("5.00"))
    simulator.settle_payment()
    payment = Payment.objects.get()
    assert (payment.order, payment.amount, payment.status) == (order, Decimal("5.00"),
                                                               "pending")
    simulator.settle_payment()
    payment.refresh_from_db()
    assert payment.status in ("completed", "failed")
    assert event_log("payments")[-1].type in ("payment:received", "payment:failed")


def test_move_stock_restocks_low_stock(simulator: Simulator, stock: Inventory) -> None:
    stock.quantity = 2
    stock.save()
    simulator.move_stock()
    stock.refresh_from_db()
    assert stock.quantity > stock.low_stock_threshold


def test_move_stock_sells_from_healthy_stock(simulator: Simulator, stock: Inventory) -> None:
    simulator.move_stock()
    stock.refresh_from_db()
    assert 25 <= stock.quantity < 30


def test_same_seed_same_run(alice: Any, bob: Any, stock: Inventory) -> None:
    """A seed repeats a run: rows are chosen by the seeded generator, not the database."""
    runs = []
    for _ in range(2):
        with transaction.atomic():
            simulator = Simulator(random.Random(5))
            lines = [simulator.step() for _ in range(15)]
            transaction.set_rollback(True)
        runs.append([re.sub(r"#\d+", "#", line) for line in lines])
    assert runs[0] == runs[1]

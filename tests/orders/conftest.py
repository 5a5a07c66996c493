from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orders.models import Order, Payment


@pytest.fixture
def alice_order(alice: Any) -> Order:
    return Order.objects.create(customer=alice.customer, total=Decimal("149.90"))


@pytest.fixture
def bob_order(bob: Any) -> Order:
    return Order.objects.create(customer=bob.customer, total=Decimal("20.00"), channel="pos")


@pytest.fixture
def alice_payment(alice_order: Order) -> Payment:
    return Payment.objects.create(order=alice_order, amount=alice_order.total)


@pytest.fixture
def bob_payment(bob_order: Order) -> Payment:
    return Payment.objects.create(order=bob_order, amount=bob_order.total, method="cash")

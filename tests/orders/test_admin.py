"""The admin pages render, and a change saved there emits like any other save."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orders.models import Order, Payment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["customer", "order", "payment"])
def test_changelists_render(admin_client: Client, alice_payment: Payment, model: str) -> None:
    response = admin_client.get(f"/admin/orders/{model}/", {"q": "alice"})
    assert response.status_code == 200


def test_order_page_has_payments_inline(admin_client: Client, alice_payment: Payment) -> None:
    response = admin_client.get(f"/admin/orders/order/{alice_payment.order_id}/change/")
    assert response.status_code == 200
    assert b"payments-TOTAL_FORMS" in response.content


def test_status_change_in_admin_emits(admin_client: Client, alice_order: Order,
                                      event_log: Any) -> None:
    response = admin_client.post(f"/admin/orders/order/{alice_order.pk}/change/", {
        "customer": alice_order.customer_id, "status": "shipped", "total": "149.90",
        "channel": "online", "payments-TOTAL_FORMS": "0", "payments-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content
    changed = event_log("orders")[-1]
    assert changed.type == "order:status_changed"
    assert changed.payload["previousStatus"] == "pending"

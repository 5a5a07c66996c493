"""Payloads per docs/protocol.md "Events": camelCase keys, money as strings, UTC times with Z."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.events import order_payload, payment_payload
from orders.formats import iso_utc, money
from orders.models import Order, Payment
from realtime.publish import emit_order_event, emit_payment_event

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("149.9"), "149.90"), (Decimal("0"), "0.00"), ("12.345", "12.34"), ("12.355", "12.36"),
    (3, "3.00"),
    (19.99, "19.99"), (None, None),
])
def test_money(value: object, text: str | None) -> None:
    """Rounded half-even, as a DecimalField stores it, so a payload matches a reload."""
    assert money(value) == text


def test_iso_utc_has_z() -> None:
    assert iso_utc(datetime(2024, 5, 1, 12, 30, tzinfo=UTC)) == "2024-05-01T12:30:00Z"
    assert iso_utc(None) is None


def test_order_payload(alice_order: Order) -> None:
    payload = order_payload(alice_order)
    assert payload == {
        "id": alice_order.pk,
        "customerId": alice_order.customer_id,
        "customerName": "Alice Martin",
        "total": "149.90",
        "status": "pending",
        "channel": "online",
        "createdAt": iso_utc(alice_order.created_at),
        "updatedAt": iso_utc(alice_order.updated_at),
    }
    assert payload["createdAt"].endswith("Z")


def test_payment_payload(alice_payment: Payment) -> None:
    assert payment_payload(alice_payment) == {
        "id": alice_payment.pk,
        "orderId": alice_payment.order_id,
        "customerId": alice_payment.order.customer_id,
        "amount": "149.90",
        "method": "card",
        "status": "pending",
    }


def test_helpers_take_instances(alice_order: Order, alice_payment: Payment) -> None:
    """``register_source`` lets the catalogue's helpers build payload and owner."""
    event = emit_order_event("updated", alice_order)
    assert event.type == "order:updated"
    assert event.owner_id == alice_order.customer_id
    assert event.payload == order_payload(alice_order)
    event = emit_payment_event("received", alice_payment)
    assert event.owner_id == alice_order.customer_id
    assert event.payload["amount"] == "149.90"

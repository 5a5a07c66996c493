"""Payloads of the orders and payments namespaces (docs/protocol.md, "Events")."""

from __future__ import annotations

from typing import Any

from .formats import iso_utc, money
from .models import Order, Payment


def order_payload(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "customerId": order.customer_id,
        "customerName": order.customer.name,
        "total": money(order.total),
        "status": order.status,
        "channel": order.channel,
        "createdAt": iso_utc(order.created_at),
        "updatedAt": iso_utc(order.updated_at),
    }


def payment_payload(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "orderId": payment.order_id,
        "customerId": payment_owner(payment),
        "amount": money(payment.amount),
        "method": payment.method,
        "status": payment.status,
    }


def order_owner(order: Order) -> int:
    return order.customer_id


def payment_owner(payment: Payment) -> int:
    """A payment belongs to the customer of its order: that customer sees its events."""
    return payment.order.customer_id


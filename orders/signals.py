"""Order and payment saves become realtime events.

Transitions are found by comparing with the value the instance was loaded with
(``TracksFields.loaded_value``), so a save costs no extra query to learn its
old status. The tracked fields are never NULL, so a loaded value of None means
"not known" (an instance built by hand): no transition is claimed for it.
``emit`` logs in the current transaction and publishes on commit.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from realtime.publish import emit

from .events import order_payload, payment_owner, payment_payload
from .models import Order, Payment

PAYMENT_STATUS_EVENTS = {
    Payment.Status.COMPLETED: "payment:received",
    Payment.Status.FAILED: "payment:failed",
    Payment.Status.REFUNDED: "payment:refunded",
}


def order_saved(sender: type[Order], instance: Order, created: bool, raw: bool = False,
                **kwargs: Any) -> None:
    if raw:
        return
    payload = order_payload(instance)
    owner = instance.customer_id
    if created:
        emit("order:created", payload, owner=owner)
    else:
        emit("order:updated", payload, owner=owner)
        previous = instance.loaded_value("status")
        if previous is not None and previous != instance.status:
            emit("order:status_changed", {**payload, "previousStatus": previous}, owner=owner)
    instance.remember_saved()


def order_deleted(sender: type[Order], instance: Order, **kwargs: Any) -> None:
    emit("order:deleted", order_payload(instance), owner=instance.customer_id)


def payment_saved(sender: type[Payment], instance: Payment, created: bool, raw: bool = False,
                  **kwargs: Any) -> None:
    """A payment created in, or moved into, completed/failed/refunded announces it."""
    if raw:
        return
    previous = instance.loaded_value("status")
    event_type = PAYMENT_STATUS_EVENTS.get(instance.status)
    if event_type and (created or previous not in (None, instance.status)):
        payload = payment_payload(instance)
        if instance.status == Payment.Status.FAILED:
            payload["reason"] = instance.reason
        emit(event_type, payload, owner=payment_owner(instance))
    instance.remember_saved()


def connect() -> None:
    post_save.connect(order_saved, sender=Order, dispatch_uid="orders.order_saved")
    post_delete.connect(order_deleted, sender=Order, dispatch_uid="orders.order_deleted")
    post_save.connect(payment_saved, sender=Payment, dispatch_uid="orders.payment_saved")

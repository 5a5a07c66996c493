"""Product and stock saves become realtime events.

Price changes and stock threshold crossings are found by comparing with the
values the instance was loaded with (``TracksFields.loaded_value``), never by
an extra query. The tracked fields are never NULL, so a loaded value of None
means "not known" (an instance built by hand): no transition is claimed for it.
``emit`` logs in the current transaction and publishes on commit.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from orders.formats import money
from realtime.publish import emit

from .events import inventory_payload, product_payload
from .models import Inventory, Product


def product_saved(sender: type[Product], instance: Product, created: bool, raw: bool = False,
                  **kwargs: Any) -> None:
    if raw:
        return
    payload = product_payload(instance)
    if created:
        emit("product:created", payload)
    else:
        emit("product:updated", payload)
        previous = instance.loaded_value("price")
        if previous is not None and money(previous) != payload["price"]:
            emit("product:price_changed", {**payload, "previousPrice": money(previous)})
    instance.remember_saved()


def product_deleted(sender: type[Product], instance: Product, **kwargs: Any) -> None:
    emit("product:deleted", product_payload(instance))


def stock_transitions(previous: int, quantity: int, threshold: int) -> list[str]:
    """The threshold events a move from ``previous`` to ``quantity`` crosses, in order."""
    events = []
    if quantity <= threshold < previous:
        events.append("inventory:low_stock")
    if quantity <= 0 < previous:
        events.append("inventory:out_of_stock")
    if previous <= threshold < quantity:
        events.append("inventory:restocked")
    return events


def arrival_transitions(quantity: int, threshold: int) -> list[str]:
    """The threshold events of a new stock row: where it starts is news in itself.

    A row created at or below its threshold is low (and out at 0) from its first
    moment, so the alert panels hear of it as they would of a fall; a row above its
    threshold is restocked, as a rise from nothing.
    """
    return [event_type for event_type, applies in (
        ("inventory:low_stock", quantity <= threshold),
        ("inventory:out_of_stock", quantity <= 0),
        ("inventory:restocked", quantity > threshold),
    ) if applies]


def inventory_saved(sender: type[Inventory], instance: Inventory, created: bool,
                    raw: bool = False, **kwargs: Any) -> None:
    """Every save is inventory:updated (a new row's previousQuantity is 0); its
    threshold events come from ``arrival_transitions`` for a new row, from
    ``stock_transitions`` for a change."""
    if raw:
        return
    previous = 0 if created else instance.loaded_value("quantity")
    payload = inventory_payload(instance, previous)
    emit("inventory:updated", payload)
    threshold = instance.low_stock_threshold
    if created:
        transitions = arrival_transitions(instance.quantity, threshold)
    elif previous is not None:
        transitions = stock_transitions(previous, instance.quantity, threshold)
    else:
        transitions = []
    for event_type in transitions:
        emit(event_type, payload)
    instance.remember_saved()


def connect() -> None:
    post_save.connect(product_saved, sender=Product, dispatch_uid="inventory.product_saved")
    post_delete.connect(product_deleted, sender=Product,
                        dispatch_uid="inventory.product_deleted")
    post_save.connect(inventory_saved, sender=Inventory,
                      dispatch_uid="inventory.inventory_saved")

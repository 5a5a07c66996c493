"""Payloads per docs/protocol.md "Events": camelCase keys, money as decimal strings."""

from __future__ import annotations

import pytest

from inventory.events import inventory_payload, product_payload
from inventory.models import Inventory, Product
from realtime.publish import emit_inventory_event, emit_product_event

pytestmark = pytest.mark.django_db


def test_product_payload(product: Product) -> None:
    assert product_payload(product) == {
        "id": product.pk, "sku": "KB-001", "name": "Keyboard", "price": "89.90",
        "isActive": True,
    }


def test_inventory_payload_defaults_to_loaded_quantity(stock: Inventory) -> None:
    stock.quantity = 7
    assert inventory_payload(stock) == {
        "productId": stock.product_id, "sku": "KB-001", "name": "Keyboard", "quantity": 7,
        "previousQuantity": 20, "threshold": 10,
    }
    assert inventory_payload(stock, 0)["previousQuantity"] == 0


def test_helpers_take_instances(product: Product, stock: Inventory) -> None:
    event = emit_product_event("updated", product)
    assert (event.type, event.payload["sku"], event.owner_id) == ("product:updated", "KB-001",
                                                                 None)
    event = emit_inventory_event("low_stock", stock)
    assert (event.namespace, event.payload["threshold"]) == ("inventory", 10)

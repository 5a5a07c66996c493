"""Payloads of the products and inventory namespaces (docs/protocol.md, "Events")."""

from __future__ import annotations

from typing import Any

from orders.formats import money

from .models import Inventory, Product


def product_payload(product: Product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "price": money(product.price),
        "isActive": product.is_active,
    }


def inventory_payload(stock: Inventory, previous_quantity: int | None = None) -> dict[str, Any]:
    """``previousQuantity`` defaults to the quantity loaded from the database."""
    if previous_quantity is None:
        previous_quantity = stock.loaded_value("quantity")
    return {
        "productId": stock.product_id,
        "sku": stock.product.sku,
        "name": stock.product.name,
        "quantity": stock.quantity,
        "previousQuantity": previous_quantity,
        "threshold": stock.low_stock_threshold,
    }


"""What the inventory app declares to the realtime registry: products and stock.

Autodiscovered by ``realtime``. Everyone sees the catalogue; stock levels are for
the staff roles, and ``inventory:updated`` is coalesced per product.
"""

from __future__ import annotations

from realtime.events import Access, register
from realtime.widgets import register_module

from .events import inventory_payload, product_payload

ALL = Access.ALL
STAFF_ROLES = ("admin", "manager", "staff")

register("products", prefix="product", actions=("created", "updated", "price_changed", "deleted"),
         access=dict.fromkeys((*STAFF_ROLES, "customer", "guest"), ALL),
         helper="emit_product_event", description="Catalogue changes and price changes",
         payload=product_payload)
register("inventory", actions=("updated", "low_stock", "out_of_stock", "restocked"),
         access=dict.fromkeys(STAFF_ROLES, ALL), helper="emit_inventory_event",
         description="Stock levels and threshold crossings",
         payload=inventory_payload, debounce={"updated": "productId"})
register_module("inventory/widgets/index.js")

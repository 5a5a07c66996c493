"""What the orders app declares to the realtime registry: its namespaces and its owners.

Autodiscovered by ``realtime`` (as the admin finds ``admin.py``). Orders and
payments are owner-scoped: a customer sees only events whose owner is their own
Customer. The customers namespace carries presence (``customer:online`` /
``customer:offline``) and the storefront activity customers' clients report.
"""

from __future__ import annotations

from typing import Any

from realtime.events import Access, register
from realtime.roles import Profile
from realtime.widgets import register_module

from .events import order_owner, order_payload, payment_owner, payment_payload
from .models import Customer

ALL, OWN = Access.ALL, Access.OWN
STAFF_ROLES = ("admin", "manager", "staff")


def customer_profile(user: Any) -> Profile | None:
    """The owner identity of the user's customer events, or None for a non-customer."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        customer = user.customer
    except Customer.DoesNotExist:
        return None
    return Profile(customer.pk, customer.name)


# Joined into the token user's query (realtime.roles.with_profile): no query here.
customer_profile.select_related = ("customer",)  # type: ignore[attr-defined]


def customer_presence(profile: Profile) -> dict[str, Any]:
    return {"customerId": profile.id, "customerName": profile.name}


def customer_activity(profile: Profile, data: dict[str, Any]) -> dict[str, Any]:
    return {**customer_presence(profile), "action": data["action"],
            "productId": data.get("productId"), "quantity": data.get("quantity")}


register("orders", prefix="order", actions=("created", "updated", "status_changed", "deleted"),
         access={**dict.fromkeys(STAFF_ROLES, ALL), "customer": OWN},
         helper="emit_order_event",
         description="Orders: creation, changes, status transitions, deletion",
         payload=order_payload, owner=order_owner)
register("customers", prefix="customer",
         actions=("activity", "viewing_product", "added_to_cart", "online", "offline"),
         access=dict.fromkeys(STAFF_ROLES, ALL), helper="emit_customer_activity",
         description="Customer presence and storefront activity",
         client_actions=("viewing_product", "added_to_cart", "activity"),
         client_payload=customer_activity, presence_payload=customer_presence)
register("payments", prefix="payment", actions=("received", "failed", "refunded"),
         access={"admin": ALL, "manager": ALL, "customer": OWN}, helper="emit_payment_event",
         description="Payments received, failed and refunded",
         payload=payment_payload, owner=payment_owner)
register_module("orders/widgets/index.js")

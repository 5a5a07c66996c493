"""docs/protocol.md's tables, copied by hand: the tests compare the code with these,
never with the code's own catalogue."""

from __future__ import annotations

ROLES = ("admin", "manager", "staff", "customer", "guest")

# "Identity and roles": role -> namespace -> all | own | no
ROLE_MATRIX: dict[str, dict[str, str]] = {
    "admin": {"orders": "all", "customers": "all", "products": "all", "inventory": "all",
              "payments": "all", "system": "all"},
    "manager": {"orders": "all", "customers": "all", "products": "all", "inventory": "all",
                "payments": "all", "system": "no"},
    "staff": {"orders": "all", "customers": "all", "products": "all", "inventory": "all",
              "payments": "no", "system": "no"},
    "customer": {"orders": "own", "customers": "no", "products": "all", "inventory": "no",
                 "payments": "own", "system": "no"},
    "guest": {"orders": "no", "customers": "no", "products": "all", "inventory": "no",
              "payments": "no", "system": "no"},
}

NAMESPACE_ORDER = ("orders", "customers", "products", "inventory", "payments", "system")


def allowed(role: str) -> list[str]:
    """The namespaces a role may subscribe to, in the table's column order."""
    return [ns for ns in NAMESPACE_ORDER if ROLE_MATRIX[role][ns] != "no"]


# "Events": 23 types in 6 namespaces.
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "orders": ("order:created", "order:updated", "order:status_changed", "order:deleted"),
    "customers": ("customer:activity", "customer:viewing_product", "customer:added_to_cart",
                  "customer:online", "customer:offline"),
    "products": ("product:created", "product:updated", "product:price_changed",
                 "product:deleted"),
    "inventory": ("inventory:updated", "inventory:low_stock", "inventory:out_of_stock",
                  "inventory:restocked"),
    "payments": ("payment:received", "payment:failed", "payment:refunded"),
    "system": ("system:notification", "system:alert", "system:maintenance"),
}

ERROR_CODES = ("bad_json", "bad_message", "unknown_type", "unknown_namespace", "forbidden",
               "auth_failed", "rate_limited", "too_large")

# "Close codes": code -> does the client reconnect on its own?
CLOSE_CODES: dict[int, bool] = {
    1001: True,
    1009: True,
    4000: True,
    4001: True,
    4008: True,
    4009: True,
    4013: True,
    4500: False,
    4503: False,
}
# Sent by a proxy; a client treats them as 4008 and 4013: reconnect after a long backoff.
PROXY_EQUIVALENTS = {1008: 4008, 1013: 4013}
LONG_BACKOFF = {4008, 4013, *PROXY_EQUIVALENTS}

# The six helpers of the old API that ``realtime.publish`` must still offer.
HELPERS = {
    "emit_order_event": "orders",
    "emit_inventory_event": "inventory",
    "emit_product_event": "products",
    "emit_payment_event": "payments",
    "emit_customer_activity": "customers",
    "emit_system_notification": "system",
}

"""The event catalogue and role matrix: one table that everything reads.

The consumer authorizes subscriptions from it, ``/api/ws`` and ``/api/ws/info``
describe it, ``publish`` validates against it and derives the ``emit_*``
helpers from it, and the docs' table and the tests are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ROLES = ("admin", "manager", "staff", "customer", "guest")


class Access(StrEnum):
    """How much of a namespace a role sees."""

    ALL = "all"
    OWN = "own"  # only events whose owner is the socket's own profile
    NONE = "no"


A, O, N = Access.ALL, Access.OWN, Access.NONE  # noqa: E741 - the matrix's letters


@dataclass(frozen=True)
class Namespace:
    name: str
    prefix: str
    actions: tuple[str, ...]
    # Access per role, in the order of ROLES.
    matrix: tuple[Access, Access, Access, Access, Access]
    helper: str
    description: str

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(f"{self.prefix}:{action}" for action in self.actions)

    def access(self, role: str) -> Access:
        return self.matrix[ROLES.index(role)] if role in ROLES else Access.NONE

    @property
    def owner_scoped(self) -> bool:
        return Access.OWN in self.matrix


CATALOGUE: tuple[Namespace, ...] = (
    #          name         prefix      actions                                                                  admin manager staff customer guest
    Namespace("orders", "order", ("created", "updated", "status_changed", "deleted"), (A, A, A, O, N),
              "emit_order_event", "Orders: creation, changes, status transitions, deletion"),
    Namespace("customers", "customer", ("activity", "viewing_product", "added_to_cart", "online", "offline"),
              (A, A, A, N, N), "emit_customer_activity", "Customer presence and storefront activity"),
    Namespace("products", "product", ("created", "updated", "price_changed", "deleted"), (A, A, A, A, A),
              "emit_product_event", "Catalogue changes and price changes"),
    Namespace("inventory", "inventory", ("updated", "low_stock", "out_of_stock", "restocked"), (A, A, A, N, N),
              "emit_inventory_event", "Stock levels and threshold crossings"),
    Namespace("payments", "payment", ("received", "failed", "refunded"), (A, A, N, O, N),
              "emit_payment_event", "Payments received, failed and refunded"),
    Namespace("system", "system", ("notification", "alert", "maintenance"), (A, N, N, N, N),
              "emit_system_notification", "Operator notifications, alerts and maintenance windows"),
)

NAMESPACES: dict[str, Namespace] = {ns.name: ns for ns in CATALOGUE}
EVENT_TYPES: dict[str, Namespace] = {t: ns for ns in CATALOGUE for t in ns.types}

# Customer actions a client may report with an ``activity`` frame.
CLIENT_ACTIVITY_ACTIONS = ("viewing_product", "added_to_cart", "activity")


class UnknownEventType(ValueError):
    """An event type that is not in the catalogue."""


def namespace_of(event_type: str) -> Namespace:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(f"Unknown realtime event type {event_type!r}") from None


def namespaces_for(role: str) -> list[str]:
    """The namespaces a role may subscribe to, in catalogue order."""
    return [ns.name for ns in CATALOGUE if ns.access(role) is not Access.NONE]


def describe() -> dict[str, dict]:
    """The catalogue as JSON for ``GET /api/ws`` and the docs."""
    return {
        ns.name: {
            "types": list(ns.types),
            "description": ns.description,
            "access": {role: ns.access(role).value for role in ROLES},
        }
        for ns in CATALOGUE
    }

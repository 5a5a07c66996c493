"""realtime.events: the demo's registry (declared by orders/ and inventory/) equals
docs/protocol.md's tables; the registry refuses bad declarations."""

from __future__ import annotations

import pytest

from realtime.events import (
    EVENT_TYPES,
    NAMESPACES,
    Access,
    Registry,
    RegistryError,
    UnknownEventType,
    catalogue,
    describe,
    namespace_of,
    namespaces_for,
    registry,
)

from . import spec


def test_twenty_three_types_in_six_namespaces() -> None:
    assert {ns.name: ns.types for ns in catalogue()} == spec.EVENT_TYPES
    assert len(EVENT_TYPES) == 23
    assert len(NAMESPACES) == 6


@pytest.mark.parametrize("role", spec.ROLES)
def test_role_matrix_matches_protocol(role: str) -> None:
    assert {ns.name: ns.access(role).value for ns in catalogue()} == spec.ROLE_MATRIX[role]


@pytest.mark.parametrize("role", spec.ROLES)
def test_namespaces_for_role(role: str) -> None:
    assert namespaces_for(role) == spec.allowed(role)


def test_an_unknown_role_sees_nothing() -> None:
    assert namespaces_for("superhero") == []
    assert NAMESPACES["products"].access("superhero") is Access.NONE


def test_owner_scoped_namespaces_are_orders_and_payments() -> None:
    assert {ns.name for ns in catalogue() if ns.owner_scoped} == {"orders", "payments"}


@pytest.mark.parametrize("event_type", [t for ts in spec.EVENT_TYPES.values() for t in ts])
def test_namespace_of_every_type(event_type: str) -> None:
    expected = next(ns for ns, types in spec.EVENT_TYPES.items() if event_type in types)
    assert namespace_of(event_type).name == expected


@pytest.mark.parametrize("event_type", ["order:shipped", "orders:created", "", "order"])
def test_namespace_of_unknown_type_names_it(event_type: str) -> None:
    with pytest.raises(UnknownEventType, match=repr(event_type)):
        namespace_of(event_type)


def test_describe_lists_types_and_access() -> None:
    described = describe()
    assert list(described) == list(spec.NAMESPACE_ORDER)
    for name, entry in described.items():
        assert tuple(entry["types"]) == spec.EVENT_TYPES[name]
        assert entry["access"] == {role: spec.ROLE_MATRIX[role][name] for role in spec.ROLES}
        assert entry["description"]


def test_client_activity_actions_are_those_of_the_protocol() -> None:
    actions = registry.client_actions()
    assert set(actions) == {"viewing_product", "added_to_cart", "activity"}
    for action in actions:
        assert f"{registry.activity(action).prefix}:{action}" in spec.EVENT_TYPES["customers"]


def test_presence_is_announced_by_the_customers_namespace() -> None:
    assert registry.presence().name == "customers"


def test_each_app_declares_its_own_namespaces() -> None:
    """orders/ and inventory/ own their data's namespaces; realtime only ``system``."""
    from inventory import realtime as inventory_declarations
    from orders import realtime as orders_declarations

    assert orders_declarations.__name__ == "orders.realtime"
    assert inventory_declarations.__name__ == "inventory.realtime"
    owners = {ns.name: ns.payload.__module__ if ns.payload else None
              for ns in catalogue()}
    assert owners == {"orders": "orders.events", "customers": None,
                      "products": "inventory.events", "inventory": "inventory.events",
                      "payments": "orders.events", "system": None}


def test_a_registry_refuses_a_second_namespace_of_the_same_name_or_types() -> None:
    tickets = Registry()
    tickets.register("tickets", prefix="ticket", actions=("created",),
                     access={"agent": Access.ALL})
    with pytest.raises(RegistryError, match="'tickets' is already registered"):
        tickets.register("tickets", actions=("updated",), access={})
    with pytest.raises(RegistryError, match="ticket:created already registered"):
        tickets.register("issues", prefix="ticket", actions=("created",), access={})
    with pytest.raises(RegistryError, match="not a plain lowercase name"):
        tickets.register("Bad Name", actions=("x",), access={})
    assert tickets.namespaces["tickets"].access("agent") is Access.ALL
    assert tickets.namespaces["tickets"].access("requester") is Access.NONE


def test_a_host_namespace_appears_in_the_catalogue_and_leaves_again() -> None:
    registry.register("tickets", prefix="ticket", actions=("created", "updated"),
                      access={"admin": Access.ALL, "customer": Access.OWN})
    try:
        assert "tickets" in namespaces_for("customer")
        assert namespace_of("ticket:updated").name == "tickets"
        assert describe()["tickets"]["access"]["customer"] == "own"
        assert list(describe())[-1] == "tickets"  # after the project's ordered ones
    finally:
        registry.unregister("tickets")
    assert "tickets" not in NAMESPACES and "ticket:created" not in EVENT_TYPES

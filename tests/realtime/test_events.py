"""realtime.events: the catalogue and role matrix equal PROTOCOL.md's tables."""

from __future__ import annotations

import pytest

from realtime.events import (
    CATALOGUE,
    CLIENT_ACTIVITY_ACTIONS,
    EVENT_TYPES,
    NAMESPACES,
    Access,
    UnknownEventType,
    describe,
    namespace_of,
    namespaces_for,
)

from . import spec


def test_twenty_three_types_in_six_namespaces() -> None:
    assert {ns.name: ns.types for ns in CATALOGUE} == spec.EVENT_TYPES
    assert len(EVENT_TYPES) == 23
    assert len(NAMESPACES) == 6


@pytest.mark.parametrize("role", spec.ROLES)
def test_role_matrix_matches_protocol(role: str) -> None:
    assert {ns.name: ns.access(role).value for ns in CATALOGUE} == spec.ROLE_MATRIX[role]


@pytest.mark.parametrize("role", spec.ROLES)
def test_namespaces_for_role(role: str) -> None:
    assert namespaces_for(role) == spec.allowed(role)


def test_an_unknown_role_sees_nothing() -> None:
    assert namespaces_for("superhero") == []
    assert NAMESPACES["products"].access("superhero") is Access.NONE


def test_owner_scoped_namespaces_are_orders_and_payments() -> None:
    assert {ns.name for ns in CATALOGUE if ns.owner_scoped} == {"orders", "payments"}


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
    assert set(CLIENT_ACTIVITY_ACTIONS) == {"viewing_product", "added_to_cart", "activity"}
    for action in CLIENT_ACTIVITY_ACTIONS:
        assert f"customer:{action}" in spec.EVENT_TYPES["customers"]

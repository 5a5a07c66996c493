"""realtime.groups: valid channel-layer names, and which groups an event reaches."""

from __future__ import annotations

import re
from typing import Any

import pytest

from realtime.events import Access, UnknownEventType
from realtime.groups import (
    event_groups,
    everyone_group,
    namespace_group,
    owner_group,
    role_group,
    subscription_group,
    user_group,
)

from . import spec

# Channels' rule for group names.
GROUP_NAME = re.compile(r"^[a-zA-Z\d\-_.]+$")
BIG_ID = 2**63 - 1


def all_group_names() -> list[str]:
    names = [everyone_group(), user_group(BIG_ID)]
    names += [role_group(role) for role in spec.ROLES]
    for ns in spec.NAMESPACE_ORDER:
        names += [namespace_group(ns), owner_group(ns, BIG_ID)]
    return names


def test_every_group_name_is_valid_for_channels() -> None:
    for name in all_group_names():
        assert GROUP_NAME.match(name), name
        assert len(name) < 100, name


def test_group_names_are_distinct() -> None:
    names = all_group_names()
    assert len(names) == len(set(names))


def test_prefix_comes_from_settings(realtime_settings: Any) -> None:
    realtime_settings(GROUP_PREFIX="shop-a")
    assert all(name.startswith("shop-a.") for name in all_group_names())


def test_owner_group_takes_an_integer_id() -> None:
    assert owner_group("orders", "7") == owner_group("orders", 7)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        owner_group("orders", "7; drop")  # type: ignore[arg-type]


def test_owner_scoped_event_goes_to_namespace_and_owner() -> None:
    assert event_groups("order:created", owner=12) == [
        namespace_group("orders"), owner_group("orders", 12)]
    assert event_groups("payment:failed", owner=12) == [
        namespace_group("payments"), owner_group("payments", 12)]


def test_event_without_owner_goes_to_namespace_only() -> None:
    assert event_groups("order:created") == [namespace_group("orders")]


def test_owner_is_ignored_where_the_namespace_is_not_owner_scoped() -> None:
    # Nobody subscribes to products by owner: an owner group there would be dead.
    assert event_groups("product:updated", owner=12) == [namespace_group("products")]


@pytest.mark.parametrize(("targets", "group"), [
    ({"user": 5}, lambda: user_group(5)),
    ({"role": "staff"}, lambda: role_group("staff")),
    ({"everyone": True}, everyone_group),
])
def test_targeted_event_goes_to_one_personal_group(targets: dict, group: Any) -> None:
    assert event_groups("system:notification", owner=3, **targets) == [group()]


def test_unknown_type_raises() -> None:
    with pytest.raises(UnknownEventType):
        event_groups("order:exploded")


def test_subscription_group_by_access() -> None:
    assert subscription_group("orders", Access.ALL, None) == namespace_group("orders")
    assert subscription_group("orders", Access.ALL, 4) == namespace_group("orders")
    assert subscription_group("orders", Access.OWN, 4) == owner_group("orders", 4)
    assert subscription_group("orders", Access.OWN, None) is None
    assert subscription_group("orders", Access.NONE, 4) is None

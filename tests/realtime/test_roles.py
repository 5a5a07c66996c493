"""realtime.roles: the role comes from the user's records (docs/protocol.md "Identity and roles")."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from realtime.roles import Identity, Profile, identify, with_profile


@pytest.mark.parametrize(("fields", "role"), [
    ({"is_superuser": True}, "admin"),
    ({"is_superuser": True, "groups": ("manager",)}, "admin"),
    ({"groups": ("manager",)}, "manager"),
    ({"groups": ("manager",), "is_staff": True}, "manager"),
    ({"is_staff": True}, "staff"),
    ({"groups": ("staff",)}, "staff"),
    ({"is_staff": True, "customer": "Shop Worker"}, "staff"),
    ({"customer": "Ann Buyer"}, "customer"),
    ({"groups": ("customers", "newsletter")}, "guest"),
    ({}, "guest"),
])
def test_role_from_the_user(db: Any, make_user: Any, fields: dict, role: str) -> None:
    user = make_user("someone", **fields)
    assert identify(user).role == role
    assert identify(user).user_id == user.pk
    # Loaded the way token auth loads it: the same identity, the profile and the groups
    # already there.
    expected = identify(user)
    loaded = with_profile(get_user_model().objects.all()).get(pk=user.pk)
    with CaptureQueriesContext(connection) as queries:
        assert identify(loaded) == expected
    assert [q["sql"] for q in queries] == []


def test_the_role_resolvers_prefetch_is_copied_for_each_path(db: Any, manager_user: Any) -> None:
    """``with_profile`` prefixes a ``Prefetch`` with the path to the user (a token's
    row): on a copy, so that the resolver's own stays as declared for the next call."""
    from orders.roles import omni_role
    from realtime.models import IssuedToken
    from realtime.tokens import issue

    (declared,) = omni_role.prefetch_related
    through = declared.prefetch_through
    issue(manager_user)
    for _ in range(2):
        (row,) = with_profile(IssuedToken.objects.all(), "user__")
        assert [group.name for group in row.user.realtime_groups] == ["manager"]
        (user,) = with_profile(get_user_model().objects.filter(pk=manager_user.pk))
        assert [group.name for group in user.realtime_groups] == ["manager"]
    assert declared.prefetch_through == through == "groups"


def test_a_customer_identity_carries_the_profile(db: Any, alice: Any) -> None:
    assert identify(alice) == Identity(alice.pk, "customer",
                                       Profile(alice.customer.pk, "Alice Martin"))


def test_anonymous_and_none_are_guests() -> None:
    assert identify(AnonymousUser()) == Identity(None, "guest", None)
    assert identify(None) == Identity(None, "guest", None)


def test_an_inactive_user_is_a_guest(db: Any, make_user: Any) -> None:
    user = make_user("gone", is_superuser=True, is_active=False)
    assert identify(user) == Identity(None, "guest", None)


def test_the_role_resolver_is_a_setting(db: Any, staff_user: Any,
                                        realtime_settings: Any) -> None:
    realtime_settings(ROLE_RESOLVER=lambda user, profile: "manager")
    assert identify(staff_user).role == "manager"

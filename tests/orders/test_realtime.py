"""The profile resolver the settings point at, and the roles it lets realtime decide."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from orders.realtime import customer_profile
from realtime.roles import Profile, identify

pytestmark = pytest.mark.django_db


def test_customer_profile(alice: Any) -> None:
    assert customer_profile(alice) == Profile(alice.customer.pk, "Alice Martin")


def test_no_profile_without_customer(staff_user: Any) -> None:
    assert customer_profile(staff_user) is None
    assert customer_profile(AnonymousUser()) is None
    assert customer_profile(None) is None


@pytest.mark.parametrize(("fixture", "role"), [
    ("admin_user", "admin"), ("manager_user", "manager"), ("staff_user", "staff"),
    ("alice", "customer"), ("guest_user", "guest"),
])
def test_roles_through_settings(request: pytest.FixtureRequest, fixture: str, role: str) -> None:
    assert identify(request.getfixturevalue(fixture)).role == role


def test_customer_identity_carries_profile(bob: Any) -> None:
    assert identify(bob).profile == Profile(bob.customer.pk, "Bob Chen")

"""The profile resolver of ``REALTIME["PROFILE_RESOLVER"]``: a user's Customer, if any."""

from __future__ import annotations

from typing import Any

from realtime.roles import Profile

from .models import Customer


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

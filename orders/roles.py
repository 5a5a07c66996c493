"""Omni Sales' roles (``REALTIME["ROLE_RESOLVER"]``): who sees what of the catalogue.

superuser → admin; group ``manager`` → manager; ``is_staff`` or group ``staff`` →
staff; a user with a Customer profile → customer; anyone else → guest. The
realtime app knows none of these: the project's settings name them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch

from realtime.roles import Profile

# Where a batch of token auths puts each user's groups (realtime.roles.with_profile): a
# plain list, cheaper than the related manager and queryset a prefetch into
# ``user.groups`` builds for every user (docs/performance.md).
PREFETCHED_GROUPS = "realtime_groups"


def omni_role(user: Any, profile: Profile | None) -> str:
    if user is None or not user.is_authenticated or not user.is_active:
        return "guest"
    if user.is_superuser:
        return "admin"
    groups = {group.name for group in groups_of(user)}
    if "manager" in groups:
        return "manager"
    if user.is_staff or "staff" in groups:
        return "staff"
    if profile is not None:
        return "customer"
    return "guest"


def groups_of(user: Any) -> Iterable[Any]:
    """The groups prefetched with the user, else a query (a session's user)."""
    prefetched = getattr(user, PREFETCHED_GROUPS, None)
    return user.groups.all() if prefetched is None else prefetched


omni_role.prefetch_related = (  # type: ignore[attr-defined]
    Prefetch("groups", to_attr=PREFETCHED_GROUPS),)

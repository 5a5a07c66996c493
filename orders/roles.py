"""Omni Sales' roles (``REALTIME["ROLE_RESOLVER"]``): who sees what of the catalogue.

superuser → admin; group ``manager`` → manager; ``is_staff`` or group ``staff`` →
staff; a user with a Customer profile → customer; anyone else → guest. The
realtime app knows none of these: the project's settings name them.
"""

from __future__ import annotations

from typing import Any

from realtime.roles import Profile


def omni_role(user: Any, profile: Profile | None) -> str:
    if user is None or not user.is_authenticated or not user.is_active:
        return "guest"
    if user.is_superuser:
        return "admin"
    # ``all()``: the groups prefetched with a batch of token auths (realtime.roles).
    groups = {group.name for group in user.groups.all()}
    if "manager" in groups:
        return "manager"
    if user.is_staff or "staff" in groups:
        return "staff"
    if profile is not None:
        return "customer"
    return "guest"


omni_role.prefetch_related = ("groups",)  # type: ignore[attr-defined]

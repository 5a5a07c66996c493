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
    groups = set(user.groups.values_list("name", flat=True))
    if "manager" in groups:
        return "manager"
    if user.is_staff or "staff" in groups:
        return "staff"
    if profile is not None:
        return "customer"
    return "guest"

"""Who a user is to the realtime layer: a role and, for customers, a profile.

Both come from the server's own records, never from anything a client sends.
The resolvers are settings (dotted paths) so a host project can map its own
user model; the defaults follow PROTOCOL.md.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db.models import QuerySet

from .conf import setting

GUEST = "guest"


class Profile(NamedTuple):
    """The owner identity of owner-scoped events (a customer)."""

    id: int
    name: str


class Identity(NamedTuple):
    user_id: int | None
    role: str
    profile: Profile | None


ANONYMOUS = Identity(None, GUEST, None)


def no_profile(user: Any) -> Profile | None:
    return None


def with_profile(users: QuerySet) -> QuerySet:
    """Users loaded with the relations the profile resolver reads, joined in.

    The resolver names them in its ``select_related`` attribute. A token ``auth``
    then costs two queries on the one database thread (the user with its profile,
    and its groups for ``default_role``) instead of three. Loading the group
    memberships as ``EXISTS`` annotations as well made it one query but cost more:
    building and compiling those subqueries took 0.5 ms of the ORM's time per auth
    on SQLite, against 0.1 ms for the groups query (docs/performance.md).
    """
    return users.select_related(*getattr(setting("PROFILE_RESOLVER"), "select_related", ()))


def default_role(user: Any, profile: Profile | None) -> str:
    """superuser → admin; group manager → manager; staff → staff; profile → customer."""
    if user is None or not user.is_authenticated or not user.is_active:
        return GUEST
    if user.is_superuser:
        return "admin"
    groups = set(user.groups.values_list("name", flat=True))
    if "manager" in groups:
        return "manager"
    if user.is_staff or "staff" in groups:
        return "staff"
    if profile is not None:
        return "customer"
    return GUEST


def identify(user: Any) -> Identity:
    """Resolve a user (or AnonymousUser/None) to an Identity. Touches the database."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    profile = setting("PROFILE_RESOLVER")(user)
    role = setting("ROLE_RESOLVER")(user, profile)
    return Identity(user.pk, role, profile)

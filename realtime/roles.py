"""Who a user is to the realtime layer: a role and, for owners of rows, a profile.

Both come from the server's own records, never from anything a client sends.
The roles and their resolvers are the project's settings (``ROLES``,
``ROLE_RESOLVER``, ``PROFILE_RESOLVER``, ``ANONYMOUS_ROLE``, ``ADMIN_ROLE``), so a
host maps its own users; the app's default knows only superusers and the rest.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db.models import QuerySet

from .conf import setting


class Profile(NamedTuple):
    """The owner identity of owner-scoped events (the requester of a ticket, a customer)."""

    id: int
    name: str


class Identity(NamedTuple):
    user_id: int | None
    role: str
    profile: Profile | None


def anonymous() -> Identity:
    """The identity of a socket without a user."""
    return Identity(None, setting("ANONYMOUS_ROLE"), None)


def no_profile(user: Any) -> Profile | None:
    return None


def with_profile(users: QuerySet) -> QuerySet:
    """Users loaded with the relations the profile resolver reads, joined in.

    The resolver names them in its ``select_related`` attribute. A token ``auth``
    then costs two queries on the one database thread (the user with its profile,
    and, for a resolver that reads them, its groups) instead of three. Loading the group
    memberships as ``EXISTS`` annotations as well made it one query but cost more:
    building and compiling those subqueries took 0.5 ms of the ORM's time per auth
    on SQLite, against 0.1 ms for the groups query (docs/performance.md).
    """
    return users.select_related(*getattr(setting("PROFILE_RESOLVER"), "select_related", ()))


def default_role(user: Any, profile: Profile | None) -> str:
    """A superuser has ``ADMIN_ROLE``; anyone else signed in is ``"user"``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return setting("ANONYMOUS_ROLE")
    return setting("ADMIN_ROLE") if user.is_superuser else "user"


def identify(user: Any) -> Identity:
    """Resolve a user (or AnonymousUser/None) to an Identity. Touches the database."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return anonymous()
    profile = setting("PROFILE_RESOLVER")(user)
    role = setting("ROLE_RESOLVER")(user, profile)
    return Identity(user.pk, role, profile)

"""Who a user is to the realtime layer: a role and, for owners of rows, a profile.

Both come from the server's own records, never from anything a client sends.
The roles and their resolvers are the project's settings (``ROLES``,
``ROLE_RESOLVER``, ``PROFILE_RESOLVER``, ``ANONYMOUS_ROLE``, ``ADMIN_ROLE``), so a
host maps its own users; the app's default knows only superusers and the rest.
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

from django.db.models import Prefetch, QuerySet

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


def with_profile(users: QuerySet, path: str = "") -> QuerySet:
    """Users loaded with the relations the resolvers read: ``path`` is the lookup that
    leads to the user from the queryset's model (``"user__"`` from a token's row).

    The profile resolver names the relations to join in its ``select_related``
    attribute, the role resolver the ones to prefetch in ``prefetch_related``: names
    or ``Prefetch`` objects (this project's: the groups, into a list attribute). A
    batch of token ``auth``s then costs two queries on the one database thread whatever
    its size (realtime/batching.py). Loading the group memberships as ``EXISTS``
    annotations instead made one query per auth but cost more: building and compiling
    those subqueries took 0.5 ms of the ORM's time per auth on SQLite
    (docs/performance.md).
    """
    joined = getattr(setting("PROFILE_RESOLVER"), "select_related", ())
    prefetched = getattr(setting("ROLE_RESOLVER"), "prefetch_related", ())
    if path:
        users = users.select_related(path.removesuffix("__"))
    return (users.select_related(*(path + name for name in joined))
            .prefetch_related(*(_under(lookup, path) for lookup in prefetched)))


def _under(lookup: str | Prefetch, path: str) -> str | Prefetch:
    """A prefetch lookup from the queryset's model: a copy, since ``add_prefix`` changes
    the resolver's own ``Prefetch``."""
    if isinstance(lookup, str):
        return path + lookup
    lookup = copy.copy(lookup)
    if path:
        lookup.add_prefix(path.removesuffix("__"))
    return lookup


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

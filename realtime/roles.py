"""Who a user is to the realtime layer: a role and, for customers, a profile.

Both come from the server's own records, never from anything a client sends.
The resolvers are settings (dotted paths) so a host project can map its own
user model; the defaults follow PROTOCOL.md.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db.models import Exists, OuterRef, QuerySet

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


# The groups ``default_role`` looks for, and the attribute ``with_identity_facts``
# annotates each membership as.
ROLE_GROUPS = {"manager": "rt_in_manager", "staff": "rt_in_staff"}


def with_identity_facts(users: QuerySet) -> QuerySet:
    """Users loaded with what ``identify`` reads, in the same query.

    A token ``auth`` used to cost three queries on the one database thread (the
    user, its customer, its groups), which is what a crowd of connecting sockets
    queues behind. The group memberships ``default_role`` needs come as EXISTS
    annotations, and the profile resolver's relations (its ``select_related``
    attribute) as joins: one query. Users loaded otherwise still work: the
    resolvers then query as before.
    """
    from django.contrib.auth.models import Group

    member = users.model._meta.get_field("groups").related_query_name()
    facts = {attr: Exists(Group.objects.filter(name=name, **{member: OuterRef("pk")}))
             for name, attr in ROLE_GROUPS.items()}
    related = getattr(setting("PROFILE_RESOLVER"), "select_related", ())
    return users.select_related(*related).annotate(**facts)


def _groups(user: Any) -> set[str]:
    """The user's groups that matter to ``default_role``, from annotations if loaded."""
    if all(hasattr(user, attr) for attr in ROLE_GROUPS.values()):
        return {name for name, attr in ROLE_GROUPS.items() if getattr(user, attr)}
    return set(user.groups.values_list("name", flat=True))


def default_role(user: Any, profile: Profile | None) -> str:
    """superuser → admin; group manager → manager; staff → staff; profile → customer."""
    if user is None or not user.is_authenticated or not user.is_active:
        return GUEST
    if user.is_superuser:
        return "admin"
    groups = _groups(user)
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

"""REST access from the realtime role matrix: who may read a namespace, who may write it.

Roles come from ``realtime.roles.identify`` and read access from the catalogue in
``realtime.events``, so the REST API and the sockets agree on who sees what. A view
names its ``namespace``; the permission class says which roles may write.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from realtime.events import NAMESPACES, Access
from realtime.roles import Identity, identify


def identity_of(request: Request) -> Identity:
    """The caller's identity, resolved once per request (it costs queries)."""
    identity = getattr(request, "_realtime_identity", None)
    if identity is None:
        identity = identify(request.user)
        request._realtime_identity = identity
    return identity


def access_of(request: Request, namespace: str) -> Access:
    return NAMESPACES[namespace].access(identity_of(request).role)


class NamespaceAccess(BasePermission):
    """Read when the role may see ``view.namespace``; write when it is in ``write_roles``."""

    write_roles: frozenset[str] = frozenset()

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return access_of(request, view.namespace) is not Access.NONE
        return identity_of(request).role in self.write_roles


class StaffWrites(NamespaceAccess):
    write_roles = frozenset({"admin", "manager", "staff"})


class ManagerWrites(NamespaceAccess):
    write_roles = frozenset({"admin", "manager"})


class NamespaceScopedMixin:
    """Narrows a view's queryset to the caller's own rows when their access is "own".

    Filtering the queryset (not checking objects) makes another customer's row a 404,
    which does not even confirm that it exists.
    """

    namespace: str = ""
    # The lookup from a row to its owning Customer's id.
    owner_lookup: str = "customer_id"

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()  # type: ignore[misc]
        access = access_of(self.request, self.namespace)  # type: ignore[attr-defined]
        if access is Access.ALL:
            return queryset
        profile = identity_of(self.request).profile  # type: ignore[attr-defined]
        if access is Access.OWN and profile is not None:
            return queryset.filter(**{self.owner_lookup: profile.id})
        return queryset.none()

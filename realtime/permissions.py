"""DRF permission classes that read the role from realtime.roles, never from the client."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from .conf import setting
from .events import NAMESPACES, Access, registry
from .roles import identify


def is_admin(user: Any) -> bool:
    """Whether the user has the role that reads stats and metrics (``ADMIN_ROLE``)."""
    return identify(user).role == setting("ADMIN_ROLE")


class IsRealtimeAdmin(BasePermission):
    """``ADMIN_ROLE`` only; anonymous callers get 401, others 403."""

    message = "The admin role is required."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_admin(request.user)


class SeesNamespace(BasePermission):
    """Roles whose access to a namespace is not "no" (the catalogue decides)."""

    namespace = ""

    @classmethod
    def of(cls, namespace: str) -> type[SeesNamespace]:
        return type(f"Sees{namespace.title()}", (cls,), {"namespace": namespace})

    def has_permission(self, request: Any, view: Any) -> bool:
        role = identify(request.user).role
        return NAMESPACES[self.namespace].access(role) is not Access.NONE


class SeesPresence(BasePermission):
    """Roles that see the namespace announcing presence (none if no app declares one)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        namespace = registry.presence()
        role = identify(request.user).role
        return namespace is not None and namespace.access(role) is not Access.NONE

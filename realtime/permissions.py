"""DRF permission classes that read the role from realtime.roles, never from the client."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from .events import NAMESPACES, Access
from .roles import identify


class IsRealtimeAdmin(BasePermission):
    """The ``admin`` role only; anonymous callers get 401, others 403."""

    message = "The admin role is required."

    def has_permission(self, request: Any, view: Any) -> bool:
        return identify(request.user).role == "admin"


class SeesNamespace(BasePermission):
    """Roles whose access to a namespace is not "no" (the catalogue decides)."""

    namespace = ""

    @classmethod
    def of(cls, namespace: str) -> type[SeesNamespace]:
        return type(f"Sees{namespace.title()}", (cls,), {"namespace": namespace})

    def has_permission(self, request: Any, view: Any) -> bool:
        role = identify(request.user).role
        return NAMESPACES[self.namespace].access(role) is not Access.NONE

"""DRF permission classes that read the role from realtime.roles, never from the client."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from .roles import identify


class IsRealtimeAdmin(BasePermission):
    """The ``admin`` role only; anonymous callers get 401, others 403."""

    message = "The admin role is required."

    def has_permission(self, request: Any, view: Any) -> bool:
        return identify(request.user).role == "admin"

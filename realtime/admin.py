"""The admin's "Live stats" page under "Realtime": every server process, updating live.

The page is the changelist of ``ProcessStats`` (so the admin index links it and the
admin login guards it), but shows the merged figures of ``realtime.stats.cluster()``
in Redis mode too, where that table stays empty. Admin role only: others get 403,
anonymous visitors the admin login. ``realtime/static/realtime/admin/stats.js`` polls
``GET /api/ws/stats`` every ``STATS_INTERVAL`` and redraws.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from . import stats
from .conf import setting
from .models import ProcessStats
from .permissions import is_admin


def is_realtime_admin(request: HttpRequest) -> bool:
    """``ADMIN_ROLE``, resolved once per request (the admin index asks several times)."""
    allowed = getattr(request, "_realtime_admin", None)
    if allowed is None:
        allowed = request._realtime_admin = is_admin(request.user)
    return allowed


@admin.register(ProcessStats)
class LiveStatsAdmin(admin.ModelAdmin):
    """Read-only: the changelist is the stats page; rows are never edited by hand."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_realtime_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_realtime_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest,
                        extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Realtime",
            "subtitle": "Live stats",
            "opts": self.model._meta,
            "stats": stats.cluster(),
            "stats_url": reverse("realtime-stats"),
            "metrics_url": reverse("realtime-metrics"),
            "interval_ms": int(setting("STATS_INTERVAL") * 1000),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/realtime/stats.html", context)

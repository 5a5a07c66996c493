from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Declare realtime's own namespace, then every installed app's ``realtime.py``."""
        from django.apps import apps
        from django.utils.module_loading import autodiscover_modules

        from . import (
            checks,  # noqa: F401  (registers the system checks)
            logins,
            sessions,
        )
        from .events import declare_system

        declare_system()
        autodiscover_modules("realtime")
        sessions.connect_signals()
        logins.connect_signals()
        if apps.is_installed("drf_spectacular"):
            # The HTTP endpoints' OpenAPI shapes; drf-spectacular stays optional.
            from . import openapi  # noqa: F401

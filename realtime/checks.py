"""System checks: a bad REALTIME setting shows at ``manage.py check``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import DEFAULTS, ImproperlyConfiguredRealtime, get_config


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list:
    try:
        config = get_config()
    except (ImproperlyConfiguredRealtime, ImportError) as exc:
        return [Error(str(exc), id="realtime.E001")]
    problems = []
    for key in ("MAX_CONNECTIONS", "MAX_CONNECTIONS_PER_IP", "RATE_LIMIT", "MAX_PAYLOAD",
                "PING_INTERVAL", "PONG_TIMEOUT", "TOKEN_TTL"):
        if not isinstance(config[key], int) or config[key] <= 0:
            problems.append(Error(f"REALTIME[{key!r}] must be a positive integer, "
                                  f"got {config[key]!r} (default {DEFAULTS[key]!r})",
                                  id="realtime.E002"))
    return problems


@register(Tags.compatibility, deploy=True)
def check_deployment(app_configs: Any = None, **kwargs: Any) -> list:
    """``check --deploy``: the embedded default's in-process layer is one process only."""
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    if backend.endswith("InMemoryChannelLayer"):
        return [Warning("The in-memory channel layer serves one Daphne process only.",
                        hint="Set REDIS_URL to run several Daphne processes.",
                        id="realtime.W001")]
    return []

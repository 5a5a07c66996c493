"""System checks: a bad REALTIME setting shows at ``manage.py check``."""

from __future__ import annotations

from math import inf
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import DEFAULTS, ImproperlyConfiguredRealtime, get_config

# Numeric settings and the type each must be (ints are accepted where floats are).
POSITIVE: dict[str, type | tuple[type, ...]] = {
    "MAX_CONNECTIONS": int, "MAX_CONNECTIONS_PER_IP": int, "RATE_LIMIT": int,
    "RATE_LIMIT_BURST": int, "RATE_LIMIT_CLOSE_AFTER": int, "MAX_PAYLOAD": int,
    "MAX_OUTBOUND_BUFFER": int, "PING_INTERVAL": int, "PONG_TIMEOUT": int, "TOKEN_TTL": int,
    "MAX_REPLAY": int, "EVENT_RETENTION_DAYS": (int, float), "BRIDGE_POLL_INTERVAL": (int, float),
    "SHUTDOWN_GRACE": (int, float), "PROCESS_HEARTBEAT": (int, float),
    "PROCESS_TTL": (int, float), "BATCH_MAX": int, "FAN_OUT_SLICE": (int, float),
    "REPLAY_THREADS": int, "LOG_CHECK_INTERVAL": (int, float), "GAP_GRACE": (int, float),
}
OPTIONAL = {"RATE_LIMIT_CLOSE_AFTER"}


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list:
    try:
        config = get_config()
    except (ImproperlyConfiguredRealtime, ImportError) as exc:
        return [Error(str(exc), id="realtime.E001")]
    problems = []
    for key, kind in POSITIVE.items():
        value = config[key]
        if value is None and key in OPTIONAL:
            continue
        if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
            problems.append(Error(f"REALTIME[{key!r}] must be a positive number, "
                                  f"got {value!r} (default {DEFAULTS[key]!r})",
                                  id="realtime.E002"))
    if problems:
        return problems
    if config["PROCESS_TTL"] <= config["PROCESS_HEARTBEAT"]:
        problems.append(Error(
            "REALTIME['PROCESS_TTL'] must outlast PROCESS_HEARTBEAT: a process that beats "
            "on time would count as dead between two beats", id="realtime.E003"))
    interval = config["STATS_INTERVAL"]
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
        problems.append(Error(f"REALTIME['STATS_INTERVAL'] must be a positive number of "
                              f"seconds, got {interval!r}", id="realtime.E002"))
    problems.extend(_check_prune_interval(config["PRUNE_INTERVAL"]))
    from .metrics import allowed_networks

    try:
        allowed_networks()
    except ImproperlyConfiguredRealtime as exc:
        problems.append(Error(str(exc), id="realtime.E002"))
    return problems


def _check_prune_interval(value: Any) -> list:
    """A number, "external" or None; None is allowed but leaves the log unbounded."""
    if value is None:
        return [Warning(
            "REALTIME['PRUNE_INTERVAL'] is None: the event log grows without bound: set "
            "PRUNE_INTERVAL, or schedule manage.py prune_events and set it to 'external'",
            id="realtime.W002")]
    if value == "external":
        return []
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < inf:
        return [Error(f"REALTIME['PRUNE_INTERVAL'] must be a positive number of seconds, "
                      f"'external' or None, got {value!r} (default {DEFAULTS['PRUNE_INTERVAL']!r})",
                      id="realtime.E002")]
    return []


@register(Tags.compatibility, deploy=True)
def check_deployment(app_configs: Any = None, **kwargs: Any) -> list:
    """``check --deploy``: the embedded default's in-process layer is one process only."""
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    if backend.endswith("InMemoryChannelLayer"):
        return [Warning("The in-memory channel layer serves one Daphne process only.",
                        hint="Set REDIS_URL to run several Daphne processes.",
                        id="realtime.W001")]
    return []

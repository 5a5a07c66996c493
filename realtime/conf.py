"""The one place the ``REALTIME`` settings dict is read.

Shaped like django-debug-toolbar's ``get_config()``: a table of defaults, the
user's dict merged over it, dotted paths resolved, and the cache cleared on
``setting_changed`` so ``override_settings`` works in tests.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # Origins allowed to open a socket; empty means "the ALLOWED_HOSTS".
    "ALLOWED_ORIGINS": [],
    # Handshakes without an Origin header (scripts, mobile apps) are allowed.
    "ALLOW_MISSING_ORIGIN": True,
    "MAX_CONNECTIONS": 10_000,
    "MAX_CONNECTIONS_PER_IP": 100,
    # Client frames per minute per socket, and the burst above the steady rate.
    "RATE_LIMIT": 100,
    "RATE_LIMIT_BURST": 100,
    # Frames rejected within the window before the socket is closed with 4008;
    # None means RATE_LIMIT (a client sending twice the limit is closed).
    "RATE_LIMIT_CLOSE_AFTER": None,
    "MAX_PAYLOAD": 1024 * 1024,
    # Frames a socket may have waiting for the app before the server stops reading from
    # it and closes it with 4008 (realtime.server and stock Daphne; realtime/inbound.py).
    # Above RATE_LIMIT_BURST, or a burst the rate limit allows is closed (realtime.W005).
    "INBOUND_QUEUE": 256,
    # Bytes a socket may have waiting to be sent before the server drops it as a
    # slow reader (realtime.server's Daphne protocol, or the app under stock Daphne).
    "MAX_OUTBOUND_BUFFER": 4 * 1024 * 1024,
    # Milliseconds one frame's send may wait for a client that does not read, under a
    # server whose send waits for its buffer to drain (uvicorn); then the socket is
    # closed with 4008 and the fan-out goes on. realtime.server uses the buffer bound.
    "SEND_TIMEOUT": 2000,
    # Seconds a connection has to complete a request's headers, from its opening and, on
    # a keep-alive connection, from the end of its previous request; then it is aborted
    # (slowloris). Enforced by realtime.server only (realtime/http_deadline.py); None: off.
    "HANDSHAKE_TIMEOUT": 5.0,
    # Seconds a socket may stay open without a successful ``auth`` or ``subscribe``;
    # then it is closed with 4008 "idle" by a sweep beside the heartbeat's. None: off.
    "IDLE_TIMEOUT": None,
    # Seconds a shutting-down server waits for clients to acknowledge its 1001 close.
    "SHUTDOWN_GRACE": 2.0,
    # Heartbeat, in milliseconds as in the protocol's ``connected`` frame.
    "PING_INTERVAL": 30_000,
    "PONG_TIMEOUT": 5_000,
    # Seconds a ``POST /api/ws/token`` token stays valid.
    "TOKEN_TTL": 300,
    # Seconds between the heartbeat sweep's re-checks of every socket's credential (what
    # no signal reports: QuerySet.update, SQL); the bound on how long such a socket lasts
    # is this plus PING_INTERVAL.
    "REVALIDATE_INTERVAL": 30,
    "TOKEN_SALT": "realtime.ws-token",
    # DRF rates of POST /api/ws/token: attempts per client IP, counted before the
    # password is checked; tokens per user. Counted in Django's default cache.
    "TOKEN_ATTEMPT_RATE": "30/min",
    "TOKEN_RATE": "60/min",
    # The project's roles, the role of a socket without a user, and the role that may
    # read the stats and metrics; user -> role name; user -> Profile(id, name) or None,
    # the owner identity of owner-scoped events.
    "ROLES": ["admin", "user", "anonymous"],
    "ANONYMOUS_ROLE": "anonymous",
    "ADMIN_ROLE": "admin",
    "ROLE_RESOLVER": "realtime.roles.default_role",
    "PROFILE_RESOLVER": "realtime.roles.no_profile",
    # Namespaces listed here come first, in this order, in /api/ws and to clients; the
    # others follow in the order their apps registered them.
    "NAMESPACE_ORDER": [],
    # Events newer than this many days are kept for ``subscribe`` with ``since``.
    "EVENT_RETENTION_DAYS": 7,
    # Seconds between two rounds of automatic retention in each server process; one
    # process of the deployment prunes per round (realtime/retention.py). "external":
    # the operator schedules ``manage.py prune_events``; None: nothing prunes.
    "PRUNE_INTERVAL": 3600,
    # At most this many events are replayed on one resume; more means ``reset``.
    "MAX_REPLAY": 1000,
    # The newest events kept in memory, encoded, per process: a resume after one of
    # them is served without reading the log (realtime/recent.py). 0 reads every time.
    "REPLAY_MEMORY": 2000,
    # Threads of the pool that serves resume reads, beside Channels' database thread.
    "REPLAY_THREADS": 4,
    # The event log is the only path between processes (the embedded mode's bridge):
    # read it every BRIDGE_POLL_INTERVAL seconds and when woken. None decides from
    # the channel layer: on unless it is Redis.
    "EVENT_LOG_BRIDGE": None,
    "BRIDGE_POLL_INTERVAL": 0.2,
    # Seconds between two reads of the log for what a working layer did not bring,
    # and between two probes of the layer (the bridge's interval while it is down).
    "LOG_CHECK_INTERVAL": 1.0,
    # Milliseconds a position from further on waits for the missing ones to arrive
    # through the layer before the log is read for them.
    "GAP_GRACE": 50,
    # Seconds between a server process's liveness beats in Redis (realtime.shared): its
    # sockets count in the shared per-IP and presence sets only while it beats.
    "PROCESS_HEARTBEAT": 1.0,
    # Seconds after its last beat that a silent process counts as dead: its sockets stop
    # counting against the per-IP cap, and its customers are announced offline at the
    # next beat of a live process. Must exceed PROCESS_HEARTBEAT by a few beats, so a
    # busy event loop or a slow Redis reply is not taken for a death.
    "PROCESS_TTL": 5.0,
    # Milliseconds an owner's last socket must stay closed before they are announced
    # offline, so moving from one page to the next is not an offline/online pair.
    "PRESENCE_GRACE": 3000,
    # Milliseconds within which a namespace's debounced actions (its declaration's
    # ``debounce``) are coalesced per key: only the latest value is sent.
    "DEBOUNCE_WINDOW": 250,
    # Events of one group waiting while the hub is busy go out as one ``batch`` frame
    # of at most this many; 1 sends every event as a frame of its own.
    "BATCH_MAX": 100,
    # Milliseconds a fan-out may hold the event loop before letting other sockets'
    # handshakes, ``auth`` and heartbeats run: shorter answers them sooner during a
    # burst, longer sends more frames per second.
    "FAN_OUT_SLICE": 0.5,
    # Connections the kernel queues for python -m realtime.server before it accepts
    # them (Twisted's default is 50): a reconnect storm's handshakes wait there instead
    # of resending their SYN after a second or more. Capped by net.core.somaxconn.
    "LISTEN_BACKLOG": 2048,
    # Connections of the Redis pool for per-IP counts and presence, per process.
    "REDIS_POOL_SIZE": 20,
    # Generation-0 threshold of the cyclic GC in realtime.server (Python's default is
    # 700); 0 leaves Python's default.
    "GC_THRESHOLD": 50_000,
    # A full collection after this many sockets closed (the garbage of churn).
    "GC_COLLECT_AFTER_CLOSES": 1000,
    # Prefix of every channel-layer group this app uses.
    "GROUP_PREFIX": "rt",
    # Seconds between a server process's stats snapshots in the shared store (Redis
    # or the database); a snapshot older than five intervals is a dead process's.
    "STATS_INTERVAL": 1.0,
    # Who may read /metrics: "admin" (the admin role, by session or HTTP Basic) or
    # a list of client IPs and networks allowed without credentials.
    "METRICS_ACCESS": "admin",
}

_DOTTED = {"ROLE_RESOLVER", "PROFILE_RESOLVER"}


class ImproperlyConfiguredRealtime(Exception):
    """A REALTIME setting that cannot be used; the message names the key."""


@cache
def get_config() -> dict[str, Any]:
    user = getattr(settings, "REALTIME", {}) or {}
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfiguredRealtime(f"Unknown REALTIME keys: {', '.join(unknown)}")
    config = {**DEFAULTS, **user}
    if not config["ALLOWED_ORIGINS"]:
        # Django's own reading of an empty ALLOWED_HOSTS: the local names, under DEBUG.
        hosts = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"]
                                           if settings.DEBUG else [])
        config["ALLOWED_ORIGINS"] = list(hosts)
    if config["EVENT_LOG_BRIDGE"] is None:
        config["EVENT_LOG_BRIDGE"] = "redis" not in layer_backend().lower()
    for key in _DOTTED:
        if isinstance(config[key], str):
            config[key] = import_string(config[key])
    return config


def layer_backend() -> str:
    """The default channel layer's BACKEND, "" without one.

    A host without ``CHANNEL_LAYERS`` (a fresh ``startproject``) must still get through
    ``manage.py check``, which reports the missing setting as realtime.E004.
    """
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    default = layers.get("default") if isinstance(layers, dict) else None
    backend = default.get("BACKEND", "") if isinstance(default, dict) else ""
    return backend if isinstance(backend, str) else ""


def setting(key: str) -> Any:
    return get_config()[key]


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in {"REALTIME", "ALLOWED_HOSTS", "CHANNEL_LAYERS", "DEBUG"}:
        get_config.cache_clear()

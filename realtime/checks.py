"""System checks: a bad REALTIME setting shows at ``manage.py check``."""

from __future__ import annotations

import re
from math import inf
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Tags, Warning, register
from django.utils.module_loading import import_string

from .conf import DEFAULTS, ImproperlyConfiguredRealtime, get_config, layer_backend

# Numeric settings and the type each must be (ints are accepted where floats are).
POSITIVE: dict[str, type | tuple[type, ...]] = {
    "MAX_CONNECTIONS": int, "MAX_CONNECTIONS_PER_IP": int, "RATE_LIMIT": int,
    "RATE_LIMIT_BURST": int, "RATE_LIMIT_CLOSE_AFTER": int, "MAX_PAYLOAD": int,
    "MAX_OUTBOUND_BUFFER": int, "INBOUND_QUEUE": int, "PING_INTERVAL": int, "PONG_TIMEOUT": int, "TOKEN_TTL": int,
    "MAX_REPLAY": int, "EVENT_RETENTION_DAYS": (int, float), "BRIDGE_POLL_INTERVAL": (int, float),
    "SHUTDOWN_GRACE": (int, float), "PROCESS_HEARTBEAT": (int, float),
    "PROCESS_TTL": (int, float), "BATCH_MAX": int, "FAN_OUT_SLICE": (int, float),
    "REPLAY_THREADS": int, "SEND_TIMEOUT": (int, float), "LOG_CHECK_INTERVAL": (int, float), "GAP_GRACE": (int, float),
    "REVALIDATE_INTERVAL": (int, float),
    "HANDSHAKE_TIMEOUT": (int, float), "IDLE_TIMEOUT": (int, float), "LISTEN_BACKLOG": int,
}
# Numeric settings where 0 turns a feature off.
NON_NEGATIVE: dict[str, type] = {"REPLAY_MEMORY": int}
OPTIONAL = {"RATE_LIMIT_CLOSE_AFTER", "HANDSHAKE_TIMEOUT", "IDLE_TIMEOUT"}
# What DRF's SimpleRateThrottle.parse_rate reads: requests, then a period by its initial.
DRF_RATE = re.compile(r"[1-9][0-9]*/[smhd][a-z]*")


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
    for key, kind in NON_NEGATIVE.items():
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, kind) or value < 0:
            problems.append(Error(f"REALTIME[{key!r}] must be 0 or more, "
                                  f"got {value!r} (default {DEFAULTS[key]!r})",
                                  id="realtime.E002"))
    for key in ("TOKEN_ATTEMPT_RATE", "TOKEN_RATE"):
        if not isinstance(config[key], str) or not DRF_RATE.fullmatch(config[key]):
            problems.append(Error(f"REALTIME[{key!r}] must be a DRF rate such as '30/min', "
                                  f"got {config[key]!r}", id="realtime.E002"))
    if problems:
        return problems
    if config["INBOUND_QUEUE"] <= config["RATE_LIMIT_BURST"]:
        problems.append(Warning(
            f"REALTIME['INBOUND_QUEUE'] ({config['INBOUND_QUEUE']}) is not above "
            f"RATE_LIMIT_BURST ({config['RATE_LIMIT_BURST']}): a burst the rate limit allows "
            "can arrive in one read and be closed as a flood (4008)",
            hint="Raise INBOUND_QUEUE above RATE_LIMIT_BURST.", id="realtime.W005"))
    if config["PROCESS_TTL"] <= config["PROCESS_HEARTBEAT"]:
        problems.append(Error(
            "REALTIME['PROCESS_TTL'] must outlast PROCESS_HEARTBEAT: a process that beats "
            "on time would count as dead between two beats", id="realtime.E003"))
    interval = config["STATS_INTERVAL"]
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
        problems.append(Error(f"REALTIME['STATS_INTERVAL'] must be a positive number of "
                              f"seconds, got {interval!r}", id="realtime.E002"))
    problems.extend(_check_prune_interval(config["PRUNE_INTERVAL"]))
    problems.extend(_check_allowed_origins(config["ALLOWED_ORIGINS"]))
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


def origin_pattern_problem(pattern: Any) -> str | None:
    """What is wrong with one ALLOWED_ORIGINS entry, None if nothing.

    ``*``; a host pattern as ALLOWED_HOSTS writes it, without a port (it allows the
    server's own scheme and port); or a full origin, ``http(s)://host[:port]``, nothing
    after it. ``localhost:8000`` would read as a scheme to the URL parser and match
    nothing: the full origin says what was meant.
    """
    if not isinstance(pattern, str) or not pattern.strip():
        return f"{pattern!r} is not an origin"
    if pattern == "*":
        return None
    full = "://" in pattern
    try:
        parts = urlsplit(pattern if full else "//" + pattern)
        port = parts.port
    except ValueError:
        return f"{pattern!r} has a bad port"
    if full and parts.scheme not in {"http", "https"}:
        return f"{pattern!r}: a page's origin is http:// or https://"
    if not parts.hostname or parts.path or parts.query or parts.fragment:
        return f"{pattern!r}: only scheme://host[:port], nothing after it"
    if not full and port is not None:
        return (f"{pattern!r}: a host pattern allows the server's own port; to allow "
                f"another, write the full origin (http://{pattern} or https://{pattern})")
    return None


def _check_allowed_origins(value: Any) -> list:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        return [Error(f"REALTIME['ALLOWED_ORIGINS'] must be a list of origins, got {value!r}",
                      id="realtime.E002")]
    return [Error(f"REALTIME['ALLOWED_ORIGINS']: {problem}", id="realtime.E002")
            for problem in map(origin_pattern_problem, value) if problem]


@register(Tags.compatibility, deploy=True)
def check_deployment(app_configs: Any = None, **kwargs: Any) -> list:
    """``check --deploy``: the embedded default's in-process layer is one process only."""
    if layer_backend().endswith("InMemoryChannelLayer"):
        return [Warning("The in-memory channel layer serves one Daphne process only.",
                        hint="Set REDIS_URL to run several Daphne processes.",
                        id="realtime.W001")]
    return []


PROCESS_LOCAL_CACHES = ("LocMemCache", "DummyCache")


@register(Tags.security)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """realtime.W004: the token endpoint's throttles count in Django's default cache; with
    a shared channel layer there can be several processes, and a process-local cache lets
    each of them count alone (61 requests a minute pass on one and again on the other)."""
    if layer_backend().endswith("InMemoryChannelLayer"):
        return []
    backend = str(getattr(settings, "CACHES", {}).get("default", {}).get("BACKEND", ""))
    if backend.endswith(PROCESS_LOCAL_CACHES):
        return [Warning(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) is per process while the "
            "channel layer is shared: POST /api/ws/token's throttles count per process.",
            hint='Use a shared cache, e.g. CACHES = {"default": {"BACKEND": '
                 '"django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}.',
            id="realtime.W004")]
    return []


LAYER_HINT = ('CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}} '
              "for one process, or channels_redis' layer for several.")


@register(Tags.compatibility)
def check_channel_layers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """realtime.E004: every event goes through the default channel layer, which Channels
    looks up only when the first event is sent; without it the failure is a publish error
    at run time, not a message at start-up."""
    layers = getattr(settings, "CHANNEL_LAYERS", None)
    if layers is None:
        return [Error("CHANNEL_LAYERS is not set: realtime sends every event through the "
                      "default channel layer.", hint=LAYER_HINT, id="realtime.E004")]
    if not isinstance(layers, dict) or not isinstance(layers.get("default"), dict):
        return [Error(f"CHANNEL_LAYERS has no 'default' layer (got {layers!r}): realtime "
                      "sends every event through it.", hint=LAYER_HINT, id="realtime.E004")]
    return []


# Apps realtime cannot work without, and what breaks (at request time) without each.
REQUIRED_APPS: dict[str, str] = {
    "channels": "realtime's consumers, routing and channel layer are Channels'",
    "rest_framework": "realtime's HTTP endpoints (/api/ws, /api/ws/token, /api/ws/stats, "
                      "/metrics) are Django REST framework views, and a browser's request "
                      "to them is a 500 without the app's templates",
    "django.contrib.sessions": "a socket's user comes from the session cookie at the "
                               "handshake",
    "django.contrib.auth": "roles and socket tokens are those of Django's users",
}


def missing_app_problems(installed: list[str]) -> list[CheckMessage]:
    """realtime.E005 for each required app not in ``installed`` (app names, in order).

    Separate from the registered check so tests can pass a list instead of reloading the
    app registry with another INSTALLED_APPS.
    """
    return [Error(f"{name!r} is not in INSTALLED_APPS: {why}.",
                  hint=f'Add "{name}" to INSTALLED_APPS.', id="realtime.E005")
            for name, why in REQUIRED_APPS.items() if name not in installed]


RUNSERVER_HINT = ('Put "daphne" first in INSTALLED_APPS, or serve with '
                  "python -m realtime.server.")


def runserver_problems(installed: list[str]) -> list[CheckMessage]:
    """realtime.W003: ``runserver`` serves WebSockets only when it is Daphne's.

    Without ``daphne`` it is Django's WSGI server, which answers the handshake's GET like
    any request and opens no socket; after ``django.contrib.staticfiles``, whose own
    ``runserver`` overrides it (the first app with a command wins), the same.
    """
    if "daphne" not in installed:
        return [Warning('"daphne" is not in INSTALLED_APPS: runserver is Django\'s WSGI '
                        "server and serves no WebSockets.", hint=RUNSERVER_HINT,
                        id="realtime.W003")]
    staticfiles = "django.contrib.staticfiles"
    if staticfiles in installed and installed.index(staticfiles) < installed.index("daphne"):
        return [Warning(f'"daphne" comes after "{staticfiles}" in INSTALLED_APPS: '
                        "staticfiles' runserver wins, and serves no WebSockets.",
                        hint=RUNSERVER_HINT, id="realtime.W003")]
    return []


@register(Tags.compatibility)
def check_installed_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """realtime.E005 and W003 from the app registry's apps, in INSTALLED_APPS order."""
    installed = [config.name for config in apps.get_app_configs()]
    return missing_app_problems(installed) + runserver_problems(installed)


ASGI_HINT = ("Point ASGI_APPLICATION at a channels.routing.ProtocolTypeRouter whose "
             '"websocket" route is realtime.auth.websocket_stack(URLRouter('
             "realtime.routing.websocket_urlpatterns)), beside get_asgi_application() "
             'for "http".')
# Attributes under which ASGI middleware commonly keeps the application it wraps.
WRAPPED = ("application", "app", "inner")


def websocket_route(application: Any) -> Any:
    """The "websocket" route of the ProtocolTypeRouter in ``application`` or in the
    middleware wrapped around it, None if there is none."""
    for _ in range(5):
        mapping = getattr(application, "application_mapping", None)
        if isinstance(mapping, dict):
            return mapping.get("websocket")
        application = next((getattr(application, name) for name in WRAPPED
                            if getattr(application, name, None) is not None), None)
    return None


@register(Tags.compatibility)
def check_asgi_application(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """realtime.E006: without a "websocket" route in ASGI_APPLICATION, runserver and daphne
    serve the HTTP endpoints but every handshake fails.

    Importing the application runs its module (get_asgi_application(), django.setup());
    whatever that raises is reported as the error's text, never as a traceback.
    """
    path = getattr(settings, "ASGI_APPLICATION", None)
    if not path:
        return [Error("ASGI_APPLICATION is not set: no ASGI server knows the application "
                      "that routes realtime's WebSockets.", hint=ASGI_HINT, id="realtime.E006")]
    try:
        application = import_string(path)
    except Exception as exc:  # noqa: BLE001 - any failure of the import is the message
        return [Error(f"ASGI_APPLICATION {path!r} cannot be imported: "
                      f"{type(exc).__name__}: {exc}", hint=ASGI_HINT, id="realtime.E006")]
    if websocket_route(application) is None:
        return [Error(f"ASGI_APPLICATION {path!r} has no \"websocket\" route (a "
                      "ProtocolTypeRouter with a \"websocket\" key): no socket reaches "
                      "realtime's consumers.", hint=ASGI_HINT, id="realtime.E006")]
    return []


@register(Tags.compatibility, deploy=True)
def check_server_guarantees(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy``: which server runs the app is not knowable from a check, and two
    guarantees exist only under ``python -m realtime.server``; say so once, as an Info.
    Both act before any application is called, so no app can give them elsewhere."""
    return [Info(
        "The frame-size guard (1009 from a frame's header at MAX_PAYLOAD, before an "
        "oversized frame is buffered) and the handshake deadline (a connection whose "
        "request headers are not complete within HANDSHAKE_TIMEOUT is aborted: slowloris) "
        "exist only under python -m realtime.server.",
        hint="Serve WebSockets with python -m realtime.server; under stock daphne, "
             "runserver or uvicorn a message over MAX_PAYLOAD is refused with 4009 once it "
             "was received, and one over the server's own limit with 1009, and nothing "
             "times a request's headers: set the proxy's header timeout (nginx: "
             "client_header_timeout).",
        id="realtime.I001")]

"""``GET /metrics``: the cluster's realtime figures for Prometheus.

``RealtimeCollector`` reads the same merged snapshots as ``/api/ws/stats``
(every live server process, from Redis or the database), so whichever process
answers the scrape serves every process's series, each labelled with its
``process`` (origin id). Counters are per process since its start, as
Prometheus expects; sum them in queries: ``sum(rate(realtime_deliveries_total[1m]))``.
Events published by processes that serve no sockets (commands, workers; Redis
mode) carry ``process="external"``.

Access is ``REALTIME["METRICS_ACCESS"]``: ``"admin"`` (the admin role, by session
or HTTP Basic: 401 anonymous, 403 others) or a list of client IPs or networks
allowed without credentials (403 for any other address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from django.http import HttpResponse
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.utils import floatToGoString
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from . import stats
from .conf import ImproperlyConfiguredRealtime, setting
from .permissions import is_admin

# Counter name in realtime.stats -> metric name (without _total), help.
COUNTERS = {
    "connects": ("realtime_connects", "Sockets accepted."),
    "frames.in": ("realtime_frames_in", "Client frames received."),
    "frames.rate_limited": ("realtime_frames_rate_limited",
                            "Client frames refused by the rate limit."),
    "auth.failures": ("realtime_auth_failures", "auth frames without a valid token."),
    "login.failed": ("realtime_login_failures",
                     "Failed logins (login page, admin, the token endpoint's Basic auth)."),
    "login.locked_out": ("realtime_login_lockouts", "Logins refused by a lockout."),
    "login.throttled": ("realtime_token_attempts_throttled",
                        "Token requests refused by the per-IP attempt throttle."),
    "login.throttle_unavailable": ("realtime_throttle_unavailable",
                                   "Requests let through because the throttles' cache "
                                   "was down."),
    "closed.credential_ended": ("realtime_credential_closes",
                                "Sockets closed because their session or token ended."),
    "publish.failures": ("realtime_publish_failures",
                         "Events that could not be logged or sent to the channel layer."),
    "deliveries": ("realtime_deliveries", "Events sent to sockets."),
    "frames.batch": ("realtime_batch_frames",
                     "batch frames sent to sockets, each carrying several events."),
    "dropped.slow_reader": ("realtime_slow_readers_dropped",
                            "Sockets dropped for not reading their frames."),
    "dropped.flooder": ("realtime_flooders_stopped",
                        "Sockets no longer read and closed for sending too much."),
    "dropped.handshake_timeout": ("realtime_handshake_timeouts",
                                  "HTTP connections aborted for not completing a request's "
                                  "headers within HANDSHAKE_TIMEOUT."),
    "dropped.idle": ("realtime_idle_sockets_closed",
                     "Sockets closed 4008 for no auth or subscribe within IDLE_TIMEOUT."),
    "log.filled": ("realtime_log_filled",
                   "Events the channel layer did not bring, read from the event log."),
    "log.duplicates": ("realtime_log_duplicates",
                       "Event copies dropped because the process had handed them over."),
    "layer.lost": ("realtime_layer_lost",
                   "Times the channel layer stopped carrying the hub's probe."),
    "layer.recovered": ("realtime_layer_recovered",
                        "Times the channel layer carried the probe again."),
}
# Counter name prefix -> metric name, label, help.
LABELLED_COUNTERS = {
    "disconnects.": ("realtime_disconnects", "code", "Sockets closed, by close code."),
    "events.": ("realtime_events_published", "type", "Events published, by type."),
    "errors.": ("realtime_errors", "code", "error frames sent, by error code."),
    "refused.": ("realtime_refused_connections", "reason", "Connections refused, by reason."),
    "resumes.": ("realtime_resumes", "source",
                 "subscribes with since, by what answered them (memory, log, reset)."),
    "auth.refused.": ("realtime_auth_refused", "reason",
                      "auth frames refused, by reason (expired, revoked, invalid)."),
}
QUANTILES = (0.5, 0.95, 0.99)


class RealtimeCollector:
    """Metric families from the merged stats of every live server process."""

    def __init__(self, source: Callable[[], tuple[list[dict], dict]] | None = None) -> None:
        self.source = source or stats.collect

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        rows, status = self.source()
        yield GaugeMetricFamily("realtime_stats_store_up",
                                "1 if the shared stats store could be read.",
                                value=1 if status.get("ok", True) else 0)
        yield GaugeMetricFamily("realtime_processes", "Server processes reporting stats.",
                                value=sum(1 for row in rows if not row.get("external")))
        info = GaugeMetricFamily("realtime_process_info", "One per live server process.",
                                 labels=["process", "pid", "host"])
        started = GaugeMetricFamily("realtime_process_start_time_seconds",
                                    "When the process started (epoch seconds).",
                                    labels=["process"])
        open_sockets = GaugeMetricFamily("realtime_connections", "Open sockets, by role.",
                                         labels=["process", "role"])
        subscriptions = GaugeMetricFamily("realtime_subscriptions",
                                          "Open sockets subscribed to a namespace.",
                                          labels=["process", "namespace"])
        simple = {name: CounterMetricFamily(metric, help_, labels=["process"])
                  for name, (metric, help_) in COUNTERS.items()}
        labelled = {prefix: CounterMetricFamily(metric, help_, labels=["process", label])
                    for prefix, (metric, label, help_) in LABELLED_COUNTERS.items()}
        other = CounterMetricFamily("realtime_counter", "Other realtime counters, by name.",
                                    labels=["process", "name"])
        latency = HistogramMetricFamily(
            "realtime_delivery_latency_seconds",
            "Event creation to socket send, every delivery.", labels=["process"])
        for row in rows:
            process = str(row.get("origin"))
            if row.get("external"):
                # What processes serving no sockets published: process="external".
                _add_counters(row.get("counters", {}), process, simple, labelled, other)
                continue
            info.add_metric([process, str(row.get("pid")), str(row.get("host"))], 1)
            started.add_metric([process], row.get("startedAt", 0))
            conns = row.get("connections", {})
            for role, n in sorted(conns.get("byRole", {}).items()):
                open_sockets.add_metric([process, role], n)
            for namespace, n in sorted(conns.get("byNamespace", {}).items()):
                subscriptions.add_metric([process, namespace], n)
            counts = row.get("counters", {})
            for name, family in simple.items():
                family.add_metric([process], counts.get(name, 0))
            _add_counters(counts, process, simple, labelled, other)
            hist = row.get("latency", {})
            latency.add_metric([process], _buckets(stats.dense(hist.get("counts", []))),
                               hist.get("sum", 0.0))
        yield from (info, started, open_sockets, subscriptions, *simple.values(),
                    *labelled.values(), other, latency)
        recent = GaugeMetricFamily(
            "realtime_delivery_latency_recent_seconds",
            f"Delivery latency quantiles over the last {stats.LATENCY_WINDOW} s, "
            "all processes.", labels=["quantile"])
        window = [0] * (len(stats.BOUNDS) + 1)
        for row in rows:
            window = [a + b for a, b in zip(
                window, stats.dense(row.get("latency", {}).get("window", [])), strict=True)]
        for q in QUANTILES:
            value = stats.percentile(window, q)
            if value is not None:
                recent.add_metric([str(q)], value)
        yield recent


def _add_counters(counts: dict[str, int], process: str, simple: dict, labelled: dict,
                  other: CounterMetricFamily) -> None:
    for name, value in sorted(counts.items()):
        if name in simple:
            if process == "external":  # servers' rows list every simple counter already
                simple[name].add_metric([process], value)
            continue
        prefix = next((p for p in labelled if name.startswith(p)), None)
        if prefix is None:
            other.add_metric([process, name], value)
        else:
            labelled[prefix].add_metric([process, name[len(prefix):]], value)


def _buckets(counts: list[int]) -> list[tuple[str, float]]:
    """Cumulative counts at the Prometheus bucket bounds (a subset of stats.BOUNDS)."""
    cumulative, running, index = [], 0, 0
    for bound in stats.PROMETHEUS_BOUNDS:
        while index < len(stats.BOUNDS) and stats.BOUNDS[index] <= bound:
            running += counts[index]
            index += 1
        cumulative.append((floatToGoString(bound), running))
    cumulative.append(("+Inf", sum(counts)))
    return cumulative


@cache
def _networks(access: tuple[str, ...]) -> tuple[Any, ...]:
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in access)
    except ValueError as exc:
        raise ImproperlyConfiguredRealtime(
            f"REALTIME['METRICS_ACCESS'] must be \"admin\" or a list of IP addresses or "
            f"networks: {exc}") from exc


def allowed_networks() -> tuple[Any, ...] | None:
    """None for ``"admin"``; else the IP networks allowed to scrape."""
    access = setting("METRICS_ACCESS")
    if access == "admin":
        return None
    if isinstance(access, str) or not isinstance(access, list | tuple):
        raise ImproperlyConfiguredRealtime(
            f"REALTIME['METRICS_ACCESS'] must be \"admin\" or a list of IP addresses or "
            f"networks, got {access!r}")
    return _networks(tuple(access))


def address_allowed(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class MetricsAccess(BasePermission):
    """``METRICS_ACCESS``: the admin role, or a client address in the allowed list."""

    message = "Metrics are for the admin role or the allowed addresses."

    def has_permission(self, request: Any, view: Any) -> bool:
        networks = allowed_networks()
        if networks is None:
            return is_admin(request.user)
        return address_allowed(request.META.get("REMOTE_ADDR", ""), networks)


class TextRenderer(BaseRenderer):
    """Plain text, so error answers (401/403) suit a scraper too."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict | None = None) -> bytes:
        if isinstance(data, dict) and "detail" in data:
            data = data["detail"]
        return f"{data}\n".encode()


class MetricsView(APIView):
    """``GET /metrics``: Prometheus text (or OpenMetrics, if the scraper asks for it)."""

    permission_classes = [MetricsAccess]
    renderer_classes = [TextRenderer]

    def get_authenticators(self) -> list:
        # With an address list nobody logs in: a refused address gets 403, not 401.
        if allowed_networks() is not None:
            return []
        return super().get_authenticators()

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The body's format follows the Accept header below (choose_encoder), and error
        # answers are plain text whatever a scraper asks for: never 406.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request: Request) -> HttpResponse:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(RealtimeCollector())
        encoder, content_type = choose_encoder(request.META.get("HTTP_ACCEPT", ""))
        return HttpResponse(encoder(registry), content_type=content_type)

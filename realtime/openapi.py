"""OpenAPI descriptions of realtime's HTTP endpoints, for projects that use drf-spectacular.

The views answer with hand-built JSON (no serializers), so drf-spectacular cannot guess
their shapes; these extensions give them from outside the views. That keeps drf-spectacular
an optional companion of the app rather than a dependency of the wheel: ``RealtimeConfig``
imports this module only when ``drf_spectacular`` is an installed app. The serializers
below describe responses and are never used to render one; the shapes are those of
docs/protocol.md (Endpoints) and docs/operations.md (Monitoring).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import BasicScheme
from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

TAG = "realtime"


class LockoutAwareBasicScheme(BasicScheme):
    """HTTP Basic, as DRF's: the lockout changes the answer (429), not the scheme. A name
    of its own, as a host may use DRF's BasicAuthentication beside it (``basicAuth``)."""

    target_class = "realtime.throttling.LockoutAwareBasicAuthentication"
    name = "realtimeBasicAuth"


def _strings() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField())


class RealtimeNamespaceSerializer(serializers.Serializer):
    types = _strings()
    description = serializers.CharField()
    access = serializers.DictField(child=serializers.CharField(),
                                   help_text="role -> all, own or no")


class RealtimeDescribeSerializer(serializers.Serializer):
    protocol = serializers.IntegerField()
    endpoints = inline_serializer("RealtimeEndpoints", {
        name: serializers.CharField()
        for name in ("multiplexed", "namespace", "info", "stats", "token")})
    namespaces = serializers.DictField(child=RealtimeNamespaceSerializer())
    errorCodes = _strings()  # noqa: N815 (the JSON's own keys)
    closeCodes = serializers.DictField(child=serializers.IntegerField())  # noqa: N815


class RealtimeInfoSerializer(serializers.Serializer):
    protocol = serializers.IntegerField()
    features = _strings()
    limits = inline_serializer("RealtimeLimits", {
        "maxConnections": serializers.IntegerField(),
        "maxConnectionsPerIp": serializers.IntegerField(allow_null=True),
        "rateLimit": inline_serializer("RealtimeRateLimit", {
            "frames": serializers.IntegerField(),
            "per": serializers.IntegerField(help_text="ms"),
            "burst": serializers.IntegerField()}),
        "maxPayload": serializers.IntegerField(help_text="bytes"),
        "heartbeat": inline_serializer("RealtimeHeartbeat", {
            "interval": serializers.IntegerField(help_text="ms"),
            "timeout": serializers.IntegerField(help_text="ms")}),
        "tokenTtl": serializers.IntegerField(help_text="seconds"),
    })
    role = serializers.CharField()
    userId = serializers.IntegerField(allow_null=True)  # noqa: N815
    namespaces = _strings()


def _counts() -> serializers.DictField:
    return serializers.DictField(child=serializers.IntegerField())


def _group(name: str, key: str) -> serializers.Serializer:
    return inline_serializer(name, {"total": serializers.IntegerField(), key: _counts()})


class RealtimeFiguresSerializer(serializers.Serializer):
    """The figures of the cluster or of one process (docs/operations.md, Monitoring)."""

    connections = inline_serializer("RealtimeConnections", {
        "total": serializers.IntegerField(), "byRole": _counts(), "byNamespace": _counts()})
    connects = serializers.IntegerField()
    disconnects = _group("RealtimeDisconnects", "byCode")
    framesIn = serializers.IntegerField()  # noqa: N815
    rateLimited = serializers.IntegerField()  # noqa: N815
    authFailures = serializers.IntegerField()  # noqa: N815
    loginFailures = serializers.IntegerField()  # noqa: N815
    loginLockouts = serializers.IntegerField()  # noqa: N815
    loginThrottled = serializers.IntegerField()  # noqa: N815
    credentialsEnded = serializers.IntegerField()  # noqa: N815
    events = _group("RealtimeEventCounts", "byType")
    publishFailures = serializers.IntegerField()  # noqa: N815
    deliveries = serializers.IntegerField()
    errors = _group("RealtimeErrorCounts", "byCode")
    refused = _group("RealtimeRefusals", "byReason")
    slowReadersDropped = serializers.IntegerField()  # noqa: N815
    latency = inline_serializer("RealtimeLatency", {
        "samples": serializers.IntegerField(),
        "windowSeconds": serializers.IntegerField(),
        **{q: serializers.FloatField(allow_null=True, help_text="ms; null without samples")
           for q in ("p50", "p95", "p99")}})
    counters = _counts()


class RealtimeProcessSerializer(RealtimeFiguresSerializer):
    origin = serializers.CharField()
    pid = serializers.IntegerField()
    host = serializers.CharField()
    current = serializers.BooleanField()
    startedAt = serializers.DateTimeField()  # noqa: N815
    updatedAt = serializers.DateTimeField()  # noqa: N815
    uptime = serializers.FloatField(help_text="seconds")


class RealtimeStatsSerializer(RealtimeFiguresSerializer):
    generatedAt = serializers.DateTimeField()  # noqa: N815
    store = serializers.DictField(help_text="backend, ok, ttl")
    processCount = serializers.IntegerField()  # noqa: N815
    uptime = serializers.FloatField(help_text="the oldest process's, seconds")
    history = inline_serializer("RealtimeHistory", {
        "end": serializers.IntegerField(help_text="epoch seconds"),
        "step": serializers.IntegerField(help_text="seconds"),
        **{series: serializers.ListField(child=serializers.FloatField())
           for series in ("connections", "events", "deliveries")}})
    external = inline_serializer("RealtimeExternal", {
        "events": _group("RealtimeExternalEvents", "byType"),
        "publishFailures": serializers.IntegerField()})
    processes = RealtimeProcessSerializer(many=True)


class RealtimePresenceSerializer(serializers.Serializer):
    online = serializers.IntegerField()
    customerIds = serializers.ListField(child=serializers.IntegerField())  # noqa: N815


class RealtimeTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiresIn = serializers.IntegerField(help_text="seconds")  # noqa: N815


class RealtimeRevokeSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="a token from POST /api/ws/token")


DENIED = {401: OpenApiResponse(description="not authenticated"),
          403: OpenApiResponse(description="the role may not")}


def described(target: str, **schema: Any) -> type[OpenApiViewExtension]:
    """An extension that gives the view at dotted path ``target`` this ``extend_schema``."""

    class Described(OpenApiViewExtension):
        target_class = target

        def view_replacement(self) -> type:
            @extend_schema(tags=[TAG], **schema)
            class Fixed(self.target_class):  # type: ignore[name-defined]
                pass

            return Fixed

    Described.__name__ = f"Described{target.rsplit('.', 1)[-1]}"
    return Described


DescribeSchema = described(
    "realtime.views.DescribeView", summary="Where to connect and which events exist",
    responses=RealtimeDescribeSerializer)
InfoSchema = described(
    "realtime.views.InfoView", summary="Features, limits and the caller's namespaces",
    responses=RealtimeInfoSerializer)
StatsSchema = described(
    "realtime.views.StatsView", summary="Connection and event figures of every process",
    responses={200: RealtimeStatsSerializer, **DENIED})
PresenceSchema = described(
    "realtime.views.PresenceView", summary="Owners online now",
    responses={200: RealtimePresenceSerializer, **DENIED})
TokenSchema = described(
    "realtime.views.TokenView", summary="A short-lived token for the socket's auth frame",
    request=None,
    responses={200: RealtimeTokenSerializer, 401: DENIED[401],
               429: OpenApiResponse(description="too many attempts or tokens")})
RevokeSchema = described(
    "realtime.views.TokenRevokeView", summary="Revoke a token and close its sockets",
    request=RealtimeRevokeSerializer,
    responses={204: OpenApiResponse(description="revoked"),
               400: OpenApiResponse(description="not a token"),
               401: DENIED[401],
               403: OpenApiResponse(description="someone else's token")})
MetricsSchema = described(
    "realtime.metrics.MetricsView", summary="Prometheus text (or OpenMetrics)",
    responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR),
               (401, "text/plain"): DENIED[401], (403, "text/plain"): DENIED[403]})

"""realtime.metrics: the Prometheus collector over merged stats, and GET /metrics access."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from realtime import metrics, stats
from realtime.conf import ImproperlyConfiguredRealtime

from .test_stats import raw
from .test_views import basic


def scrape(rows: list[dict], ok: bool = True) -> dict[tuple[str, tuple], float]:
    """The collector's samples: (name, sorted labels) -> value."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics.RealtimeCollector(lambda: (rows, {"ok": ok})))
    return parse(generate_latest(registry).decode())


def parse(text: str) -> dict[tuple[str, tuple], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def labels(**pairs: str) -> tuple:
    return tuple(sorted(pairs.items()))


ROWS = [
    raw("1-a", pid=1, host="web1", roles={"admin": 1, "guest": 2}, namespaces={"orders": 2},
        counters={"connects": 5, "disconnects.4000": 2, "events.order:created": 3,
                  "deliveries": 7, "errors.bad_json": 1, "refused.max_connections": 1,
                  "frames.in": 9, "frames.rate_limited": 4, "auth.failures": 1,
                  "publish.failures": 2, "dropped.slow_reader": 1, "presence.reaped": 3,
                  "frames.batch": 6, "log.filled": 7, "layer.lost": 1,
                  "layer.recovered": 1, "dropped.handshake_timeout": 50, "dropped.idle": 2},
        window=[[stats.BOUNDS.index(0.002), 10]]),
    raw("2-b", pid=2, host="web2", roles={"guest": 1}, counters={"connects": 1}),
]


def test_the_collector_exposes_every_process_with_its_labels() -> None:
    samples = scrape(ROWS)
    assert samples["realtime_processes", ()] == 2
    assert samples["realtime_stats_store_up", ()] == 1
    assert samples["realtime_process_info", labels(process="1-a", pid="1", host="web1")] == 1
    assert samples["realtime_connections", labels(process="1-a", role="guest")] == 2
    assert samples["realtime_connections", labels(process="2-b", role="guest")] == 1
    assert samples["realtime_subscriptions", labels(process="1-a", namespace="orders")] == 2
    assert samples["realtime_connects_total", labels(process="1-a")] == 5
    assert samples["realtime_connects_total", labels(process="2-b")] == 1
    assert samples["realtime_deliveries_total", labels(process="2-b")] == 0
    assert samples["realtime_disconnects_total", labels(process="1-a", code="4000")] == 2
    assert samples["realtime_events_published_total",
                   labels(process="1-a", type="order:created")] == 3
    assert samples["realtime_errors_total", labels(process="1-a", code="bad_json")] == 1
    assert samples["realtime_refused_connections_total",
                   labels(process="1-a", reason="max_connections")] == 1
    for name, value in [("realtime_frames_in_total", 9),
                        ("realtime_frames_rate_limited_total", 4),
                        ("realtime_auth_failures_total", 1),
                        ("realtime_publish_failures_total", 2),
                        ("realtime_slow_readers_dropped_total", 1),
                        ("realtime_batch_frames_total", 6),
                        ("realtime_log_filled_total", 7),
                        ("realtime_layer_lost_total", 1),
                        ("realtime_layer_recovered_total", 1),
                        ("realtime_handshake_timeouts_total", 50),
                        ("realtime_idle_sockets_closed_total", 2)]:
        assert samples[name, labels(process="1-a")] == value, name
    # A counter the collector has no name for is still exported.
    assert samples["realtime_counter_total", labels(process="1-a", name="presence.reaped")] == 3


def test_latency_is_a_histogram_per_process_and_recent_quantiles_for_all() -> None:
    samples = scrape(ROWS)
    a = "1-a"
    assert samples["realtime_delivery_latency_seconds_count", labels(process=a)] == 10
    assert samples["realtime_delivery_latency_seconds_bucket", labels(process=a, le="0.001")] == 0
    assert samples["realtime_delivery_latency_seconds_bucket",
                   labels(process=a, le="0.0025")] == 10
    assert samples["realtime_delivery_latency_seconds_bucket", labels(process=a, le="+Inf")] == 10
    p99 = samples["realtime_delivery_latency_recent_seconds", labels(quantile="0.99")]
    assert 0.0015 < p99 <= 0.002


def test_buckets_are_cumulative_at_the_prometheus_bounds() -> None:
    histogram = stats.Histogram()
    for value in (0.00005, 0.0003, 0.0003, 0.004, 2.0, 500.0):
        histogram.observe(value)
    buckets = dict(metrics._buckets(histogram.counts))
    assert buckets["0.0001"] == 1
    assert buckets["0.0005"] == 3
    assert buckets["0.005"] == 4
    assert buckets["5.0"] == 5
    assert buckets["100.0"] == 5
    assert buckets["+Inf"] == 6
    values = list(buckets.values())
    assert values == sorted(values)


def test_an_unreadable_store_is_a_metric() -> None:
    assert scrape([], ok=False)["realtime_stats_store_up", ()] == 0


# GET /metrics


def test_metrics_refused_to_an_anonymous_caller_with_a_basic_challenge(
        db: Any, api_client: APIClient) -> None:
    response = api_client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("role", ["manager", "staff", "customer"])
def test_metrics_forbidden_below_admin(db: Any, api_client: APIClient, users: dict,
                                       role: str) -> None:
    api_client.force_login(users[role])
    assert api_client.get("/metrics").status_code == 403


def test_metrics_for_an_admin_by_basic_auth(db: Any, api_client: APIClient,
                                             admin_user: Any) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=basic("admin"))
    response = api_client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = parse(response.content.decode())
    assert samples["realtime_processes", ()] >= 1  # this process answers for itself
    assert ("realtime_connects_total", labels(process=stats.snapshot()["origin"])) in samples


def test_metrics_speak_openmetrics_when_asked(db: Any, api_client: APIClient,
                                              admin_user: Any) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=basic("admin"))
    response = api_client.get("/metrics", HTTP_ACCEPT="application/openmetrics-text")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().rstrip().endswith("# EOF")


def test_an_allowed_address_scrapes_without_credentials(db: Any, api_client: APIClient,
                                                        realtime_settings: Any) -> None:
    realtime_settings(METRICS_ACCESS=["10.0.0.0/8", "127.0.0.1"])
    assert api_client.get("/metrics").status_code == 200
    assert api_client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_any_other_address_is_forbidden_even_for_an_admin(db: Any, api_client: APIClient,
                                                           admin_user: Any,
                                                           realtime_settings: Any) -> None:
    realtime_settings(METRICS_ACCESS=["10.0.0.0/8"])
    api_client.credentials(HTTP_AUTHORIZATION=basic("admin"))
    assert api_client.get("/metrics").status_code == 403
    assert api_client.get("/metrics", REMOTE_ADDR="::1").status_code == 403


@pytest.mark.parametrize("access", ["everyone", ["not-an-ip"], 42])
def test_a_bad_access_setting_names_the_key(realtime_settings: Any, access: Any) -> None:
    realtime_settings(METRICS_ACCESS=access)
    with pytest.raises(ImproperlyConfiguredRealtime, match="METRICS_ACCESS"):
        metrics.allowed_networks()


def test_the_env_var_lists_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.conf import settings

    _, read = {name: spec for name, spec in settings.REALTIME_ENV.items()}[
        "WS_METRICS_ALLOW_IPS"]
    assert read(" 127.0.0.1, 10.0.0.0/8 ,") == ["127.0.0.1", "10.0.0.0/8"]


@pytest.mark.parametrize("key, value", [("METRICS_ACCESS", "everyone"),
                                        ("METRICS_ACCESS", ["10.0.0.300"]),
                                        ("STATS_INTERVAL", 0), ("STATS_INTERVAL", "1")])
def test_manage_py_check_reports_a_bad_value(realtime_settings: Any, key: str,
                                             value: Any) -> None:
    from realtime.checks import check_settings

    realtime_settings(**{key: value})
    problems = check_settings()
    assert [p.id for p in problems] == ["realtime.E002"]
    assert key in problems[0].msg


def test_events_of_processes_without_sockets_are_process_external() -> None:
    external = {"origin": "external", "external": True,
                "counters": {"events.order:created": 4, "publish.failures": 1}}
    samples = scrape([ROWS[1], external])
    assert samples["realtime_processes", ()] == 1
    assert samples["realtime_events_published_total",
                   labels(process="external", type="order:created")] == 4
    assert samples["realtime_publish_failures_total", labels(process="external")] == 1
    assert ("realtime_connects_total", labels(process="external")) not in samples

"""The benchmark's machinery, run tiny: every socket gets every event, every field is there.

No timing is asserted: figures on a shared CI machine mean nothing. The numbers are
bench/run.py's business (docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.run import Options, run

pytestmark = pytest.mark.e2e

BURST_FIELDS = {
    "scenario", "target", "kind", "sockets", "events", "connect_s", "connect_failed",
    "connect_auth_p50_ms", "connect_auth_p99_ms", "auth_p50_ms", "auth_p99_ms", "auth_samples",
    "delivered", "expected", "delivered_ratio", "dupes", "deliveries_per_s", "span_s",
    "first_event_p50_ms", "first_event_p99_ms", "latency_p50_ms", "latency_p99_ms",
    "server_cpu_s", "server_connect_cpu_s", "server_rss_mb", "rss_per_socket_kb",
    "client_cpu_s", "client_cpu_pct", "client_workers", "timed_out",
}
MEASURED = {"connect_s", "auth_p50_ms", "auth_p99_ms", "deliveries_per_s", "latency_p50_ms",
            "latency_p99_ms", "first_event_p50_ms", "first_event_p99_ms", "server_cpu_s",
            "rss_per_socket_kb", "client_cpu_s"}


def test_tiny_burst_embedded_stock_channels_and_websockets_yardstick(tmp_path: Path) -> None:
    report = run(Options(
        scenarios=["burst"], modes=["embedded", "channels", "websockets"], sizes=[200], events=20,
        client="python", workers=2, users=2, burst_timeout=60, write=False, chart=False,
        workdir=tmp_path, verbose=False))

    results = {r["target"]: r for r in report["results"]}
    assert set(results) == {"embedded", "channels", "websockets"}, report["results"]
    for target, result in results.items():
        assert "error" not in result, result
        assert BURST_FIELDS <= set(result), (target, BURST_FIELDS - set(result))
        assert result["connect_failed"] == 0, result["connect_errors"]
        assert result["expected"] == 200 * 20
        assert result["delivered"] == result["expected"], (target, result["delivered"])
        assert result["dupes"] == 0
        assert not result["timed_out"]
        assert result["auth_samples"] > 0
        for key in MEASURED:
            assert isinstance(result[key], (int, float)), (target, key, result[key])

    ratios = results["embedded"]["vs"]["websockets"]
    assert {"deliveries_per_s", "latency_p99_ms", "connect_s", "server_cpu_s"} <= set(ratios)
    assert "deliveries_per_s" in results["embedded"]["vs"]["channels"]
    assert results["channels"]["kind"] == "yardstick" and "vs" not in results["channels"]
    assert report["machine"]["nproc"] and report["versions"]["Django"]
    assert "| embedded | 200 | 20 |" in report["markdown"]
    assert "| channels | 200 | 20 |" in report["markdown"]
    assert "| websockets | 200 | 20 |" in report["markdown"]
    assert "Deliveries/s as a ratio to stock Channels: embedded N=200" in report["markdown"]


@pytest.mark.parametrize("mode", ["kill", "restart"])
async def test_a_tiny_reconnect_storm_loses_nothing(tmp_path: Path, mode: str) -> None:
    """bench/storm.py at N=60: every socket that lost its server is back, and every event
    saved during the storm reached every socket once, by replay or live."""
    from bench.storm import storm

    report = await storm(60, mode, workers=2, events=10, workdir=tmp_path)
    assert report["lost_sockets"] == (60 if mode == "restart" else report["lost_sockets"])
    assert report["lost_sockets"] > 0
    assert report["resubscribed"] == report["lost_sockets"]
    assert report["events"] == 10
    assert report["delivered"] == report["expected"] == 60 * 10
    assert report["dupes"] == 0
    assert report["all_delivered_s"] >= report["all_back_s"] >= 0
    assert isinstance(report["reconnect_p99_ms"], float)


@pytest.mark.parametrize("target", ["websockets", "channels"])
async def test_a_yardstick_weathers_the_same_storm_without_resume(tmp_path: Path,
                                                                  target: str) -> None:
    """The yardsticks' storm: their sockets come back too; without resume, an event is
    delivered once or missed, never twice, and the count is reported as it is."""
    from bench.storm import storm

    report = await storm(40, "restart", workers=2, events=5, workdir=tmp_path, target=target)
    assert report["target"] == target
    assert report["lost_sockets"] == report["resubscribed"] == 40
    assert report["expected"] == 40 * 5
    assert report["delivered"] <= report["expected"]
    assert report["dupes"] == 0
    if report["delivered"] < report["expected"]:
        assert report["all_delivered_s"] is None

"""Operations end to end: stats across real Daphne processes, /metrics, the admin page
in headless Chromium, and ``manage.py realtime_stats`` from another process.

Two Daphne processes share a redis-server of their own and a project database;
every wait polls a condition until a deadline.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import (
    DEMO_PASSWORD,
    ROOT,
    DaphneServer,
    Project,
    RedisServer,
    session_cookie,
    until,
)
from tests.support.wsclient import WS, fetch_token

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = ROOT / "docs" / "img" / "admin-realtime.png"
PAGE = "/admin/realtime/processstats/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(server: DaphneServer, path: str, *, user: str | None = None,
         cookie: str | None = None, accept: str | None = None) -> tuple[int, dict, bytes]:
    """GET without following redirects: (status, headers, body)."""
    headers = {}
    if user:
        credentials = base64.b64encode(f"{user}:{DEMO_PASSWORD}".encode()).decode()
        headers["Authorization"] = f"Basic {credentials}"
    if cookie:
        headers["Cookie"] = cookie
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(f"{server.http}{path}", headers=headers)
    try:
        with _opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def stats(server: DaphneServer) -> dict:
    status, _, body = http(server, "/api/ws/stats", user="admin")
    assert status == 200, body
    return json.loads(body)


def metric_samples(server: DaphneServer) -> list:
    status, _, body = http(server, "/metrics", user="admin")
    assert status == 200, body
    return [sample for family in text_string_to_metric_families(body.decode())
            for sample in family.samples]


def row_of(data: dict, server: DaphneServer) -> dict | None:
    return next((p for p in data["processes"] if p["pid"] == server.process.pid), None)


@dataclass
class Cluster:
    project: Project
    a: DaphneServer
    b: DaphneServer

    def token(self, username: str) -> str:
        return fetch_token(self.a.http, username, DEMO_PASSWORD)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two Daphne processes on a Redis of their own (no other test's processes in it)."""
    redis = RedisServer.start(tmp_path_factory.mktemp("ops-redis"))
    project = Project.create(tmp_path_factory.mktemp("ops"), redis_url=redis.url)
    servers = [DaphneServer.start(project), DaphneServer.start(project)]
    yield Cluster(project, *servers)
    for server in servers:
        server.stop()
    redis.stop()


def settled(data: dict, expected: dict[int, int]) -> bool:
    """The stats show exactly these processes (pid -> open sockets)."""
    return {p["pid"]: p["connections"]["total"] for p in data["processes"]} == expected


async def test_stats_total_the_sockets_open_on_every_process(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    admin = await WS.open(f"{a.ws}/api/ws", token=cluster.token("admin"))
    await admin.subscribe("orders")
    guest = await WS.open(f"{a.ws}/ws/products/")
    staff = await WS.open(f"{b.ws}/api/ws", token=cluster.token("staff"))
    await staff.subscribe("inventory")
    expected = {a.process.pid: 2, b.process.pid: 1}
    for server in (a, b):
        await until(lambda server=server: settled(stats(server), expected),
                    what=f"both processes in {server.port}'s stats")
    data = stats(b)
    assert data["processCount"] == 2
    assert data["connections"] == {"total": 3,
                                   "byRole": {"admin": 1, "guest": 1, "staff": 1},
                                   "byNamespace": {"inventory": 1, "orders": 1,
                                                   "products": 1}}
    assert data["store"]["backend"] == "redis" and data["store"]["ok"] is True
    assert data["connects"] >= 3
    # The answering process comes first, with its live figures.
    assert data["processes"][0]["pid"] == b.process.pid and data["processes"][0]["current"]
    row_a = row_of(data, a)
    assert row_a["connections"]["byRole"] == {"admin": 1, "guest": 1}
    assert row_a["host"] and row_a["origin"].startswith(f"{a.process.pid}-")
    assert row_a["uptime"] > 0

    await guest.close()
    await until(lambda: settled(stats(b), {a.process.pid: 1, b.process.pid: 1}),
                what="the closed socket gone from the other process's view")
    assert stats(a)["disconnects"]["total"] >= 1
    for ws in (admin, staff):
        await ws.close()
    await until(lambda: stats(a)["connections"]["total"] == 0, what="all sockets closed")


async def test_deliveries_and_latency_are_counted_across_processes(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    sockets = [await WS.open(f"{server.ws}/api/ws", token=cluster.token("manager"))
               for server in (a, b)]
    for ws in sockets:
        await ws.subscribe("orders")
    before = stats(a)["deliveries"]
    await cluster.project.ashell("""
from orders.models import Customer, Order
Order.objects.create(customer=Customer.objects.get(user__username="bob"), total="5.00")
""")
    for ws in sockets:
        await ws.expect("order:created", timeout=10)
    data = await until(lambda: (d := stats(a))["deliveries"] >= before + 2 and d,
                       what="deliveries counted by both processes")
    assert all(p["deliveries"] >= 1 for p in data["processes"])
    assert data["latency"]["samples"] >= 2
    assert 0 <= data["latency"]["p50"] <= data["latency"]["p99"] < 5000
    # The shell serves no sockets: what it published is counted through Redis.
    data = await until(lambda: (d := stats(b))["external"]["events"]["byType"].get(
        "order:created", 0) >= 1 and d, what="the shell's event counted")
    assert data["events"]["byType"]["order:created"] >= 1
    for ws in sockets:
        await ws.close()


async def test_a_killed_process_drops_out_within_a_few_seconds(cluster: Cluster) -> None:
    doomed = DaphneServer.start(cluster.project)
    try:
        ws = await WS.open(f"{doomed.ws}/api/ws")
        await until(lambda: row_of(stats(cluster.a), doomed), what="the third process listed")
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(10)
        killed = time.monotonic()
        await ws.wait_closed()
        await until(lambda: row_of(stats(cluster.a), doomed) is None, timeout=15,
                    what="the killed process gone")
        gone_after = time.monotonic() - killed
        print(f"killed process dropped out of the stats after {gone_after:.1f} s")
        assert gone_after < 8  # TTL: five 1-second intervals, plus one
        assert {p["pid"] for p in stats(cluster.a)["processes"]} == {
            cluster.a.process.pid, cluster.b.process.pid}
    finally:
        doomed.stop()


async def test_a_stopped_process_leaves_at_once(cluster: Cluster) -> None:
    leaving = DaphneServer.start(cluster.project)
    ws = await WS.open(f"{leaving.ws}/api/ws")
    await until(lambda: row_of(stats(cluster.a), leaving), what="the third process listed")
    await ws.close()
    leaving.stop()  # SIGTERM: a clean exit removes its snapshot
    stopped = time.monotonic()
    await until(lambda: row_of(stats(cluster.a), leaving) is None, what="stopped process gone")
    assert time.monotonic() - stopped < 3


async def test_stats_page_and_metrics_refuse_anonymous_and_staff(cluster: Cluster) -> None:
    server = cluster.a
    staff_cookie = session_cookie(cluster.project, "staff")
    for path in ("/api/ws/stats", "/metrics"):
        status, headers, _ = http(server, path)
        assert status == 401, path
        assert headers.get("WWW-Authenticate", "").startswith("Basic"), path
        assert http(server, path, user="staff")[0] == 403, path
        assert http(server, path, cookie=staff_cookie)[0] == 403, path
    status, headers, _ = http(server, PAGE)
    assert status == 302 and headers["Location"].startswith("/admin/login/")
    assert http(server, PAGE, cookie=staff_cookie)[0] == 403
    assert http(server, PAGE, cookie=session_cookie(cluster.project, "admin"))[0] == 200


async def test_metrics_expose_every_process(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    sockets = [await WS.open(f"{a.ws}/api/ws", token=cluster.token("staff")),
               await WS.open(f"{b.ws}/api/ws")]
    await sockets[0].subscribe("orders")
    # b reads a's snapshot from Redis: wait until it shows the socket's role after auth.
    await until(lambda: row_of(stats(b), a)["connections"]["byRole"] == {"staff": 1}
                and settled(stats(b), {a.process.pid: 1, b.process.pid: 1}),
                what="one socket on each process")
    status, headers, _ = http(b, "/metrics", user="admin")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    samples = metric_samples(b)

    def values(name: str, **labels: str) -> list[float]:
        return [s.value for s in samples if s.name == name
                and all(s.labels.get(k) == v for k, v in labels.items())]

    assert values("realtime_processes") == [2]
    pids = {s.labels["pid"]: s.labels["process"] for s in samples
            if s.name == "realtime_process_info"}
    assert set(pids) == {str(a.process.pid), str(b.process.pid)}
    process_a, process_b = pids[str(a.process.pid)], pids[str(b.process.pid)]
    assert values("realtime_connections", process=process_a, role="staff") == [1]
    assert values("realtime_connections", process=process_b, role="guest") == [1]
    assert sum(values("realtime_connections")) == 2
    assert values("realtime_subscriptions", process=process_a, namespace="orders") == [1]
    assert values("realtime_connects_total", process=process_a)[0] >= 1
    assert values("realtime_delivery_latency_seconds_count", process=process_a)
    for name in ("realtime_frames_in_total", "realtime_deliveries_total",
                 "realtime_auth_failures_total", "realtime_frames_rate_limited_total",
                 "realtime_publish_failures_total", "realtime_slow_readers_dropped_total",
                 "realtime_process_start_time_seconds", "realtime_stats_store_up"):
        assert values(name), name
    for ws in sockets:
        await ws.close()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, DaphneServer]]:
    project = Project.create(tmp_path_factory.mktemp("ops-embedded"))
    server = DaphneServer.start(project)
    yield project, server
    server.stop()


def command_stats(project: Project) -> dict:
    return json.loads(project.manage("realtime_stats", "--json"))


async def test_realtime_stats_in_another_process_sees_the_live_server(embedded) -> None:
    project, server = embedded
    ws = await WS.open(f"{server.ws}/api/ws", token=fetch_token(server.http, "manager",
                                                                 DEMO_PASSWORD))
    await ws.subscribe("payments")
    data = await until(lambda: (d := command_stats(project))["connections"]["total"] == 1 and d,
                       timeout=30, what="realtime_stats showing the socket")
    assert data["store"]["backend"] == "database"
    (row,) = data["processes"]
    assert row["pid"] == server.process.pid and row["current"] is False
    assert row["connections"] == {"total": 1, "byRole": {"manager": 1},
                                  "byNamespace": {"payments": 1}}
    table = project.manage("realtime_stats")
    assert "store: database" in table
    assert any(line.split()[1:3] == [str(server.process.pid), row["origin"]]
               for line in table.splitlines() if line.strip())
    await ws.close()
    await until(lambda: command_stats(project)["connections"]["total"] == 0, timeout=30,
                what="the closed socket gone")


async def test_a_stopped_embedded_process_removes_its_row(embedded) -> None:
    project, _ = embedded
    leaving = DaphneServer.start(project)
    ws = await WS.open(f"{leaving.ws}/api/ws")
    await until(lambda: any(p["pid"] == leaving.process.pid
                            for p in command_stats(project)["processes"]),
                timeout=30, what="the second embedded process listed")
    await ws.close()
    leaving.stop()
    # Gone at once, not after the TTL: the next reader no longer sees the row.
    assert all(p["pid"] != leaving.process.pid for p in command_stats(project)["processes"])


def _chromium_or_skip() -> str:
    """Debian's chromium for Playwright, or skip saying what is missing."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install playwright==1.65.2)")
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    return executable


async def test_the_admin_page_updates_live_in_chromium(cluster: Cluster,
                                                       tmp_path: Path) -> None:
    executable = _chromium_or_skip()
    from playwright.async_api import async_playwright

    a, b = cluster.a, cluster.b
    cookie = session_cookie(cluster.project, "admin").split("=", 1)[1]
    await until(lambda: stats(a)["connections"]["total"] == 0, what="no sockets left open")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"])
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 1100})
            await context.add_cookies([{"name": "sessionid", "value": cookie,
                                        "url": a.http}])
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(f"{a.http}{PAGE}")
            assert await page.locator("h1").text_content() == "Realtime"
            total = page.locator('[data-field="connections.total"]')
            await page.wait_for_function(
                "() => document.querySelector('.rt-dot').dataset.state === 'live'",
                timeout=10_000)
            assert await total.text_content() == "0"

            # A socket opens on the other process: the page shows it without a reload.
            sockets = [await WS.open(f"{b.ws}/api/ws", token=cluster.token("staff")),
                       await WS.open(f"{a.ws}/api/ws")]
            await sockets[0].subscribe("orders")
            await page.wait_for_function(
                "() => document.querySelector('[data-field=\"connections.total\"]')"
                ".textContent === '2'", timeout=15_000)
            rows = page.locator("[data-processes] tr")
            assert await rows.count() == 2
            staff_row = page.locator('[data-table="connections.byRole"] tr',
                                     has_text="staff")
            assert (await staff_row.locator("td").text_content()) == "1"
            await page.wait_for_function(
                "() => [...document.querySelectorAll('[data-chart=\"connections\"] polyline')]"
                ".some(line => line.getAttribute('points').length > 0)", timeout=15_000)
            assert errors == []

            shot = tmp_path / "admin-realtime.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            # The committed docs image is refreshed on request (or when missing), so a
            # test run does not leave the working tree changed.
            if os.environ.get("UPDATE_SCREENSHOTS") or not SCREENSHOT.exists():
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, SCREENSHOT)
            for ws in sockets:
                await ws.close()
            await page.wait_for_function(
                "() => document.querySelector('[data-field=\"connections.total\"]')"
                ".textContent === '0'", timeout=15_000)
        finally:
            await browser.close()

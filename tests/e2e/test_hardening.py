"""Limits and defences against a real Daphne (``realtime.server``), with short settings.

Every limit is set small through the environment of the server the test starts,
never by waiting for the defaults.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
import urllib.error
import urllib.request
import uuid

import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.servers import (
    DEMO_PASSWORD,
    DaphneServer,
    Project,
    free_port,
    session_cookie,
    until,
)
from tests.support.wsclient import WS, fetch_token

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return Project.create(tmp_path_factory.mktemp("hardening"))


@pytest.fixture
def start_server(project):
    servers: list[DaphneServer] = []

    def start(project_: Project | None = None, **env: str) -> DaphneServer:
        server = DaphneServer.start(project_ or project, extra_env=env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()






async def test_origins_outside_the_allowed_list_are_refused(start_server):
    server = start_server(ALLOWED_ORIGINS="https://shop.example.com,127.0.0.1")
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{server.ws}/api/ws", origin="http://evil.example.net")
    assert refused.value.response.status_code == 403
    allowed = await WS.open(f"{server.ws}/api/ws", origin="https://shop.example.com")
    scripted = await WS.open(f"{server.ws}/api/ws")  # no Origin: allowed by default
    await allowed.close()
    await scripted.close()


async def test_a_cookie_socket_from_another_port_or_scheme_of_the_host_is_refused(
        start_server, project):
    """The default patterns (ALLOWED_HOSTS: localhost, 127.0.0.1, [::1]) allow those hosts
    on the server's own scheme and port: a page on another port or scheme of the same
    host is another site, whose requests carry the same cookie (docs/security.md)."""
    server = start_server()
    cookie = session_cookie(project, "staff")
    foreign_port = free_port()
    for origin in (f"http://localhost:{foreign_port}", f"http://127.0.0.1:{foreign_port}",
                   "https://127.0.0.1", f"https://127.0.0.1:{server.port}", "http://127.0.0.1"):
        with pytest.raises(InvalidStatus) as refused:
            await connect(f"{server.ws}/api/ws", origin=origin,
                          additional_headers={"Cookie": cookie})
        assert refused.value.response.status_code == 403, origin  # docs/protocol.md: 4503
    for origin in (server.http, f"http://localhost:{server.port}"):
        page = await WS.open(f"{server.ws}/api/ws", cookie=cookie, origin=origin)
        assert page.identity["role"] == "staff", origin
        await page.close()


async def test_missing_origin_is_refused_when_the_setting_says_so(start_server):
    server = start_server(WS_ALLOW_MISSING_ORIGIN="0")
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{server.ws}/api/ws")
    assert refused.value.response.status_code == 403
    await (await WS.open(f"{server.ws}/api/ws", origin=server.http)).close()


async def test_process_connection_cap_closes_with_4013_and_counts(start_server):
    server = start_server(WS_MAX_CONNECTIONS="3")
    sockets = [await WS.open(f"{server.ws}/api/ws") for _ in range(3)]
    conn = await connect(f"{server.ws}/api/ws")
    over = WS(conn)
    assert await over.wait_closed() == 4013
    assert server.admin_stats()["processes"][0]["counters"]["refused.max_connections"] == 1
    await sockets.pop().close()
    await until(lambda: server.admin_stats()["connections"]["total"] == 2, what="a slot freed")
    sockets.append(await WS.open(f"{server.ws}/api/ws"))
    await sockets[-1].roundtrip()
    for ws in sockets:
        await ws.close()


async def test_per_ip_cap_is_shared_by_processes_through_redis(start_server, redis_server,
                                                               tmp_path):
    shared = Project.create(tmp_path / "per-ip", redis_url=redis_server.url)
    first = start_server(shared, WS_MAX_CONNECTIONS_PER_IP="2")
    second = start_server(shared, WS_MAX_CONNECTIONS_PER_IP="2")
    a = await WS.open(f"{first.ws}/api/ws")
    b = await WS.open(f"{second.ws}/api/ws")
    third = WS(await connect(f"{second.ws}/api/ws"))
    assert await third.wait_closed() == 4013
    await a.close()
    # The freed slot is usable from the other process.
    # Totals cover both processes (b is open on second): look at first's own row.
    await until(lambda: first.admin_stats()["processes"][0]["connections"]["total"] == 0,
                what="socket a gone")
    c = await WS.open(f"{second.ws}/api/ws")
    await c.roundtrip()
    # A process shut down with SIGTERM takes its sockets out of the shared count at
    # once (not after PROCESS_TTL): its two slots are free on the other process.
    await b.close()
    # The client's close returns before the server's cleanup has left Redis: wait for it.
    await until(lambda: second.admin_stats()["processes"][0]["connections"]["total"] == 1,
                what="socket b gone")
    d = await WS.open(f"{first.ws}/api/ws")
    await c.close()
    await until(lambda: second.admin_stats()["processes"][0]["connections"]["total"] == 0,
                what="second process empty")
    e = await WS.open(f"{second.ws}/api/ws")
    second.process.send_signal(signal.SIGTERM)
    assert await e.wait_closed() == 1001
    second.process.wait(15)
    f = await WS.open(f"{first.ws}/api/ws")  # d and f: 2, within the cap
    await f.roundtrip()
    for ws in (d, f):
        await ws.close()


SLOWLORIS = 50
HANDSHAKE_TIMEOUT = 2.0
# A loaded 2-core machine may run the server's timer this late; a held connection is
# held for good, so any margin tells the two apart.
DEADLINE_MARGIN = 3.0


async def slowloris(port: int, give_up_after: float) -> float | None:
    """A raw connection that sends a request line, then one header line a second and
    never ends its headers: seconds until the server dropped it, None if it still held
    it after ``give_up_after``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    opened = time.monotonic()
    writer.write(b"GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    line = 0
    try:
        while (elapsed := time.monotonic() - opened) < give_up_after:
            try:
                if await asyncio.wait_for(reader.read(1024), 1.0) == b"":
                    return elapsed
            except TimeoutError:
                line += 1
                writer.write(b"X-Slow-%d: x\r\n" % line)
                await writer.drain()
            except ConnectionError:
                return time.monotonic() - opened
        return None
    except ConnectionError:
        return time.monotonic() - opened
    finally:
        writer.close()


async def test_slowloris_connections_are_dropped_at_the_handshake_timeout(start_server):
    """50 connections that never finish their headers are all aborted within
    HANDSHAKE_TIMEOUT plus a margin and counted; a socket opened before them stays open
    past the timeout (an upgraded connection is not timed), and new clients connect."""
    server = start_server(WS_HANDSHAKE_TIMEOUT=str(HANDSHAKE_TIMEOUT))
    before = await WS.open(f"{server.ws}/api/ws")
    attack = [asyncio.create_task(slowloris(server.port, HANDSHAKE_TIMEOUT + 3 * DEADLINE_MARGIN))
              for _ in range(SLOWLORIS)]
    during = await WS.open(f"{server.ws}/api/ws")  # while all 50 are held
    await during.roundtrip()
    dropped_after = await asyncio.gather(*attack)
    held = sum(1 for t in dropped_after if t is None)
    times = sorted(t for t in dropped_after if t is not None)
    print(f"\nslowloris: {SLOWLORIS} connections, HANDSHAKE_TIMEOUT={HANDSHAKE_TIMEOUT}s: "
          f"{len(times)} dropped after {times[0] if times else 0:.2f}-"
          f"{times[-1] if times else 0:.2f}s, {held} still held")
    assert held == 0
    assert HANDSHAKE_TIMEOUT - 0.5 <= times[0] and times[-1] <= HANDSHAKE_TIMEOUT + DEADLINE_MARGIN
    await before.roundtrip()  # opened before the attack, past the timeout now
    after = await WS.open(f"{server.ws}/api/ws")
    await after.roundtrip()
    counters = server.admin_stats()["processes"][0]["counters"]
    assert counters["dropped.handshake_timeout"] == SLOWLORIS
    for ws in (before, during, after):
        await ws.close()


async def test_rate_limit_answers_rate_limited_then_closes_with_4008(start_server):
    server = start_server(WS_RATE_LIMIT="10", WS_RATE_LIMIT_BURST="10")
    flooder = await WS.open(f"{server.ws}/api/ws")
    neighbour = await WS.open(f"{server.ws}/api/ws")
    for n in range(10):
        await flooder.send("ping", {"n": n})
    for _ in range(10):
        await flooder.expect("pong")
    await flooder.send("ping", {"n": 10})
    limited = await flooder.expect("error")
    assert limited["data"]["code"] == "rate_limited"
    assert limited["data"]["retryAfter"] > 0
    await neighbour.roundtrip("neighbour-1")  # other sockets are unaffected
    for n in range(11, 30):
        try:
            await flooder.send("ping", {"n": n})
        except Exception:
            break
    assert await flooder.wait_closed() == 4008
    await neighbour.roundtrip("neighbour-2")
    assert server.admin_stats()["processes"][0]["counters"]["frames.rate_limited"] >= 10
    await neighbour.close()


async def test_an_oversized_frame_is_refused_with_1009_without_buffering_it(start_server):
    server = start_server(WS_MAX_PAYLOAD=str(64 * 1024))
    ws = await WS.open(f"{server.ws}/api/ws")
    await ws.roundtrip()
    before = server.rss_kib()
    try:
        await ws.send_raw("x" * (2 * 1024 * 1024))
    except Exception:
        pass
    assert await ws.wait_closed() == 1009
    after = server.rss_kib()
    print(f"RSS around a 2 MiB frame: {before} KiB -> {after} KiB")
    ok = await WS.open(f"{server.ws}/api/ws")
    await ok.roundtrip()
    await ok.close()


async def test_heartbeat_closes_silent_sockets_with_4000_and_keeps_answering_ones(start_server):
    server = start_server(WS_PING_INTERVAL="800", WS_PONG_TIMEOUT="500")
    silent = await WS.open(f"{server.ws}/api/ws", auto_pong=False)
    assert silent.connected["data"]["heartbeat"] == {"interval": 800, "timeout": 500}
    lively = await WS.open(f"{server.ws}/api/ws")
    await lively.subscribe("products")
    assert await silent.wait_closed(timeout=10) == 4000
    assert any(f["type"] == "ping" for f in silent.frames)
    for _ in range(3):
        await lively.expect("ping", timeout=5)  # answered by the client, as a real one does
    await lively.roundtrip()
    await until(lambda: server.admin_stats()["connections"]["total"] == 1, what="stale socket dropped")
    counters = server.admin_stats()["processes"][0]["counters"]
    assert counters["disconnects.4000"] == 1
    await lively.close()


async def test_a_slow_reader_is_dropped_and_the_others_get_everything(start_server, project):
    server = start_server(WS_MAX_OUTBOUND_BUFFER=str(1024 * 1024))
    reader = await WS.open(f"{server.ws}/api/ws", token=fetch_token(server.http, "alice",
                                                                   DEMO_PASSWORD))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    slow_conn = await connect(f"{server.ws}/api/ws", sock=sock, max_queue=1,
                              additional_headers={})
    token = fetch_token(server.http, "bob", DEMO_PASSWORD)
    await slow_conn.send(json.dumps({"type": "auth", "data": {"token": token}}))
    rss_before = server.rss_kib()
    count, size = 300, 32 * 1024
    await project.ashell(f"""
from django.db import transaction
from realtime.publish import emit
for n in range({count}):
    with transaction.atomic():
        emit("system:notification", {{"title": str(n), "message": "x" * {size},
                                      "level": "info"}}, everyone=True)
""")
    for n in range(count):
        note = await reader.expect("system:notification", timeout=30)
        assert note["data"]["title"] == str(n)
    await until(lambda: server.admin_stats()["processes"][0]["counters"].get("dropped.slow_reader") == 1,
             what="slow reader dropped")
    rss_after = server.rss_kib()
    print(f"RSS with a slow reader and {count * size // 1024} KiB sent: "
          f"{rss_before} KiB -> {rss_after} KiB")
    await reader.roundtrip()
    await reader.close()
    await slow_conn.close()


async def _user(project: Project, role: str) -> str:
    """A fresh user of ``role`` (staff or customer), so tests never change shared users."""
    name = f"{role}-{uuid.uuid4().hex[:6]}"
    await project.ashell(f"""
from django.contrib.auth import get_user_model
from orders.models import Customer
user = get_user_model().objects.create_user({name!r}, password={DEMO_PASSWORD!r},
                                            is_staff={role == 'staff'})
if {role == 'customer'}:
    Customer.objects.create(user=user, name={name!r}, email="c@example.com")
""")
    return name


async def test_logout_closes_that_sessions_sockets_with_4500(deployment):
    name = await _user(deployment.project, "staff")
    cookie = session_cookie(deployment.project, name)
    by_session = await WS.open(deployment.ws_url, cookie=cookie, origin=deployment.server.http)
    by_token = await deployment.connect(name)
    assert by_session.identity["role"] == "staff"
    await deployment.shell(f"""
from django.test import Client
client = Client()
client.cookies["sessionid"] = {cookie.split("=", 1)[1]!r}
client.logout()
""")
    assert await by_session.wait_closed() == 4500
    await by_token.roundtrip()  # another session of the same user stays
    await by_token.close()


async def test_deactivation_closes_with_4500_and_role_change_with_4001(deployment):
    staff_name = await _user(deployment.project, "staff")
    customer_name = await _user(deployment.project, "customer")
    staff = await deployment.connect(staff_name)
    customer = await deployment.connect(customer_name)
    token = deployment.token(staff_name)
    await deployment.shell(f"""
from django.contrib.auth.models import Group, User
User.objects.get(username={staff_name!r}).groups.add(Group.objects.get_or_create(name="manager")[0])
user = User.objects.get(username={customer_name!r})
user.is_active = False
user.save()
""")
    assert await staff.wait_closed() == 4001
    assert await customer.wait_closed() == 4500
    again = await WS.open(deployment.ws_url, token=token)
    assert again.identity["role"] == "manager"  # the reconnect gets the new scope
    await again.close()
    with pytest.raises(urllib.error.HTTPError):
        deployment.token(customer_name)


async def test_a_server_stopped_right_after_its_clients_left_leaves_no_shared_counts(
        start_server, redis_server, tmp_path):
    """Sockets that closed just before SIGTERM have their disconnect still queued when
    Daphne cancels the applications: the shutdown itself takes them out of Redis."""
    shared = Project.create(tmp_path / "stop-after-close", redis_url=redis_server.url)
    server = start_server(shared, WS_MAX_CONNECTIONS_PER_IP="1000")
    client = redis.Redis.from_url(redis_server.url)

    def counted() -> int:
        # realtime.shared: one set of connection ids per IP and process, rt:ip:<ip>/<origin>.
        return sum(client.scard(key) for key in client.scan_iter("rt:ip:*/*", _type="set"))

    before = counted()  # other tests' processes share this Redis
    sockets = [await WS.open(f"{server.ws}/api/ws") for _ in range(200)]
    assert counted() == before + 200
    closing = [asyncio.create_task(ws.conn.close()) for ws in sockets]
    await asyncio.sleep(0.05)  # the close frames are out; the server is handling them
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(15)
    await asyncio.gather(*closing, return_exceptions=True)
    assert counted() == before  # not left to expire after PROCESS_TTL
    client.close()

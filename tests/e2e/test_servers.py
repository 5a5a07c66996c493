"""The hardening scenarios under every ASGI server the app runs on (docs/operations.md,
"Which server"): ``python -m realtime.server``, stock ``daphne``, daphne's ``manage.py
runserver`` and ``uvicorn``.

Each close must reach the client as the code docs/protocol.md gives, from every server:
never 1011 and never a TCP connection dropped without a close frame. Under stock Daphne
the app adds what the server lacks through its Twisted protocol
(realtime/daphne_sockets.py): these tests fail if that stops working.
"""

from __future__ import annotations

import base64
import signal
import socket

import pytest
from websockets.asyncio.client import connect

from tests.support.servers import DEMO_PASSWORD, SERVERS, DaphneServer, Project, until
from tests.support.wsclient import WS, fetch_token

pytestmark = pytest.mark.e2e

# What each server sends where they differ: a frame over MAX_PAYLOAD is refused by
# realtime.server's frame guard (1009) and by the app elsewhere (4009), and a message over
# stock Daphne's own limit (1 MiB) by Daphne (1009); on SIGTERM realtime.server and Daphne
# (as daphne or runserver) say "going away" (1001), uvicorn "service restart" (1012).
OVERSIZED = {"realtime": 1009, "daphne": 4009, "runserver": 4009, "uvicorn": 4009}
SHUTDOWN = {"realtime": 1001, "daphne": 1001, "runserver": 1001, "uvicorn": 1012}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return Project.create(tmp_path_factory.mktemp("servers"))


@pytest.fixture(params=list(SERVERS))
def server_name(request) -> str:
    return request.param


@pytest.fixture
def start_server(project, server_name):
    servers: list[DaphneServer] = []

    def start(**env: str) -> DaphneServer:
        server = DaphneServer.start(project, extra_env=env, server=server_name)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()




# Stock Daphne's own limits, where the app never gets a say (daphne/server.py defaults).
DAPHNE_MAX_MESSAGE = 1024 * 1024


def a_close_frame(code: int | None) -> int:
    """The close code the server sent: a close frame it must be, and not 1011."""
    assert code is not None, "the server dropped the connection without a close frame"
    assert code != 1011, "the server closed with 1011 (internal error)"
    return code


async def closed_with(ws: WS, timeout: float = 10.0) -> int:
    return a_close_frame(await ws.wait_closed(timeout))


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
    for n in range(11, 30):
        try:
            await flooder.send("ping", {"n": n})
        except Exception:
            break
    assert await closed_with(flooder) == 4008
    await neighbour.roundtrip()
    await neighbour.close()


async def test_connection_cap_closes_the_one_over_with_4013(start_server):
    server = start_server(WS_MAX_CONNECTIONS="3")
    sockets = [await WS.open(f"{server.ws}/api/ws") for _ in range(3)]
    over = WS(await connect(f"{server.ws}/api/ws"))
    assert await closed_with(over) == 4013
    assert server.admin_stats()["processes"][0]["counters"]["refused.max_connections"] == 1
    await sockets.pop().close()
    await until(lambda: server.admin_stats()["connections"]["total"] == 2, what="a slot freed")
    sockets.append(await WS.open(f"{server.ws}/api/ws"))
    await sockets[-1].roundtrip()
    for ws in sockets:
        await ws.close()


# 256 KiB: over MAX_PAYLOAD, within stock Daphne's own message limit, so the app refuses
# it there; 2 MiB: over that limit too (as in test_hardening.py).
@pytest.mark.parametrize("size", [256 * 1024, 2 * 1024 * 1024], ids=["256KiB", "2MiB"])
async def test_an_oversized_message_is_refused_with_a_close_code(start_server, server_name,
                                                                 size):
    server = start_server(WS_MAX_PAYLOAD=str(64 * 1024))
    ws = await WS.open(f"{server.ws}/api/ws")
    await ws.roundtrip()
    try:
        await ws.send_raw("x" * size)
    except Exception:
        pass
    code = await ws.wait_closed()
    ok = await WS.open(f"{server.ws}/api/ws")  # the server goes on serving
    await ok.roundtrip()
    await ok.close()
    expected = (1009 if server_name in ("daphne", "runserver") and size > DAPHNE_MAX_MESSAGE
                else OVERSIZED[server_name])
    assert a_close_frame(code) == expected
    if expected == 4009:
        refused = ws.frames[-1]
        assert refused["type"] == "error" and refused["data"]["code"] == "too_large"


async def test_heartbeat_closes_a_silent_socket_with_4000(start_server):
    server = start_server(WS_PING_INTERVAL="800", WS_PONG_TIMEOUT="500")
    silent = await WS.open(f"{server.ws}/api/ws", auto_pong=False)
    lively = await WS.open(f"{server.ws}/api/ws")
    assert await closed_with(silent) == 4000
    assert any(f["type"] == "ping" for f in silent.frames)
    await lively.expect("ping", timeout=5)
    await lively.roundtrip()
    await lively.close()


async def test_sigterm_closes_every_socket_and_a_resume_loses_nothing(start_server, project,
                                                                      server_name):
    server = start_server()
    ws = await WS.open(f"{server.ws}/api/ws", token=fetch_token(server.http, "manager",
                                                               DEMO_PASSWORD))
    since = (await ws.subscribe("orders"))["data"]["lastEventId"]
    server.process.send_signal(signal.SIGTERM)
    code = await ws.wait_closed()
    server.process.wait(15)
    out = await project.ashell("""
from orders.models import Customer, Order
for total in ("11.00", "12.00"):
    print("ORDER", Order.objects.create(customer=Customer.objects.get(user__username="bob"),
                                        total=total).pk)
""")
    missed = [int(line.split()[1]) for line in out.splitlines() if line.startswith("ORDER ")]
    restarted = start_server()
    again = await WS.open(f"{restarted.ws}/api/ws", token=fetch_token(restarted.http, "manager",
                                                                     DEMO_PASSWORD))
    reply = await again.subscribe("orders", since=since)
    assert reply["data"]["recovered"] is True
    for order_id in missed:
        created = await again.expect("order:created")
        assert created["data"]["id"] == order_id
    await again.close()
    assert a_close_frame(code) == SHUTDOWN[server_name]


async def test_a_shutting_down_server_refuses_new_connections_while_it_closes(project):
    """realtime.server stops listening before it sends 1001: the clients' reconnects go
    to another process or wait for the restart, instead of being accepted by the
    process on its way out (which held the exit of a 10,000-socket storm for 23 s)."""
    server = DaphneServer.start(project, extra_env={"WS_SHUTDOWN_GRACE": "5"})
    try:
        ws = await WS.open(f"{server.ws}/api/ws")
        stuck = stuck_client(server.port)  # never answers the close: the grace runs
        server.process.send_signal(signal.SIGTERM)
        assert a_close_frame(await ws.wait_closed()) == 1001
        assert server.process.poll() is None, "the process should still be closing"
        with pytest.raises(OSError):
            async with connect(f"{server.ws}/api/ws", open_timeout=3):
                pass
        assert server.process.poll() is None, "the refusal must come from the live process"
        stuck.close()
        server.process.wait(15)
    finally:
        server.stop()


def stuck_client(port: int) -> socket.socket:
    """A WebSocket that completes its handshake and then never reads, with a small
    receive buffer so the kernel holds little for it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(b"stuck-client-key").decode()
    sock.sendall(f"GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n".encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)  # the handshake's answer only, byte by byte
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


async def emit_to_everyone(project: Project, count: int, payload: str, *,
                           together: bool = False) -> None:
    """``count`` ``system:notification`` events to every socket from another process,
    each ``payload`` (a Python expression of ``n``): each committed on its own, or
    ``together`` in one transaction."""
    loop = f"for n in range({count}):\n    emit('system:notification', {payload}, everyone=True)"
    if together:
        loop = "with transaction.atomic():\n" + "\n".join(
            "    " + line for line in loop.splitlines())
    await project.ashell("from django.db import transaction\n"
                         "from realtime.publish import emit\n" + loop + "\n")


@pytest.mark.parametrize(("batch_max", "batched"), [("100", True), ("1", False)])
async def test_a_burst_arrives_whole_and_in_order_batched_or_a_frame_per_event(
        start_server, project, server_name, batch_max, batched):
    """300 events committed together in another process reach the server at once:
    every one arrives, in order; by default in ``batch`` frames, with ``WS_BATCH_MAX=1``
    each a frame of its own (written together under realtime.server, one by one
    elsewhere)."""
    server = start_server(WS_BATCH_MAX=batch_max)
    ws = await WS.open(f"{server.ws}/api/ws")
    await ws.roundtrip()
    count = 300
    await emit_to_everyone(project, count, "{'title': 'burst', 'message': str(n)}",
                           together=True)
    await until(lambda: len(ws.events("system:notification")) == count, timeout=60,
                what="every event of the burst")
    events = ws.events("system:notification")
    assert [event["data"]["message"] for event in events] == [str(n) for n in range(count)]
    assert [event["id"] for event in events] == sorted({event["id"] for event in events})
    assert (ws.batches > 0) is batched, f"{server_name}: {ws.batches} batch frames"
    await ws.close()


async def test_a_client_that_stops_reading_does_not_stall_the_others(start_server, project,
                                                                   server_name):
    """One socket that never reads while 600 events of 32 KiB go out: the healthy
    reader gets them all; the stuck one is dropped (realtime.server's buffer bound, the
    app's MAX_OUTBOUND_BUFFER check under stock Daphne, or its SEND_TIMEOUT where a
    server's send waits for the client, as uvicorn's)."""
    server = start_server(WS_SEND_TIMEOUT="1000")
    healthy = await WS.open(f"{server.ws}/api/ws")
    stuck = stuck_client(server.port)
    await healthy.roundtrip()
    count = 600
    await emit_to_everyone(project, count, "{'title': 'big', 'message': 'x' * 32768, 'n': n}")
    await until(lambda: len(healthy.events("system:notification")) == count, timeout=60,
                what="every event at the healthy reader")
    dropped = server.admin_stats()["processes"][0]["counters"].get("dropped.slow_reader", 0)
    assert dropped == 1, f"{server_name}: the stuck socket was not dropped"
    await healthy.close()
    stuck.close()

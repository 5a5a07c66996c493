"""realtime.limits: rate limit, payload size, connection caps, heartbeat."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from realtime import stats

from .conftest import APP, TIMEOUT

pytestmark = pytest.mark.django_db(transaction=True)


async def refused_code(client: tuple[str, int] | None = None) -> Any:
    """Open a socket that the caps must refuse: accepted, then closed before ``connected``."""
    communicator = WebsocketCommunicator(APP, "/api/ws")
    if client is not None:
        communicator.scope["client"] = client
    try:
        accepted, _ = await communicator.connect(timeout=TIMEOUT)
        if not accepted:
            return _
        output = await communicator.receive_output(TIMEOUT)
        assert output["type"] == "websocket.close", output
        return output.get("code")
    finally:
        await communicator.disconnect(timeout=TIMEOUT)


# Rate limit


async def test_rate_limited_then_closed_with_4008(connect: Any, realtime_settings: Any) -> None:
    realtime_settings(RATE_LIMIT=5, RATE_LIMIT_BURST=5, RATE_LIMIT_CLOSE_AFTER=3)
    noisy, other = await connect(), await connect()
    for n in range(5):
        assert (await noisy.request("ping", {"n": n}))["type"] == "pong"
    reply = await noisy.error("ping")
    assert reply["data"]["code"] == "rate_limited"
    assert isinstance(reply["data"]["retryAfter"], int) and reply["data"]["retryAfter"] > 0
    # Strikes drain with time, so the close comes on the 3rd or 4th rejected frame.
    for _ in range(3):
        await noisy.send("ping")
        output = await noisy.communicator.receive_output(TIMEOUT)
        if output["type"] == "websocket.close":
            break
        assert '"rate_limited"' in output["text"], output
    assert output == {"type": "websocket.close", "code": 4008, "reason": output.get("reason")}
    await other.sync()  # one client's flood is its own


async def test_rate_limit_counts_bad_frames_too(connect: Any, realtime_settings: Any) -> None:
    realtime_settings(RATE_LIMIT=3, RATE_LIMIT_BURST=3)
    socket = await connect()
    for _ in range(3):
        await socket.send_raw("not json")
        assert (await socket.expect("error"))["data"]["code"] == "bad_json"
    assert (await socket.error("ping"))["data"]["code"] == "rate_limited"


# Payload size


async def test_a_message_over_max_payload_is_refused_with_4009(connect: Any,
                                                                realtime_settings: Any) -> None:
    """Where no frame guard ran (any server but realtime.server), the app refuses it."""
    realtime_settings(MAX_PAYLOAD=256)
    socket, other = await connect(), await connect()
    assert (await socket.request("ping", {"pad": "x" * 100}))["type"] == "pong"
    await socket.send("ping", {"pad": "x" * 300}, ref="big")
    reply = await socket.expect("error")
    assert reply["data"]["code"] == "too_large"
    assert await socket.expect_close() == 4009
    await other.sync()  # one client's message is its own


async def test_payload_limit_counts_utf8_bytes_not_characters(connect: Any,
                                                             realtime_settings: Any) -> None:
    realtime_settings(MAX_PAYLOAD=256)
    socket = await connect()
    await socket.send("ping", {"pad": "é" * 120})  # 120 characters, 240 bytes and more
    assert (await socket.expect("error"))["data"]["code"] == "too_large"
    assert await socket.expect_close() == 4009


# Connection caps


async def test_max_connections_refuses_with_4013(connect: Any,
                                                 realtime_settings: Any) -> None:
    realtime_settings(MAX_CONNECTIONS=2)
    first = await connect()
    second = await connect()
    refused = stats.counters["refused.max_connections"]
    assert await refused_code() == 4013
    assert stats.counters["refused.max_connections"] == refused + 1
    await first.close()
    third = await connect()  # room again
    await second.sync()
    await third.sync()


async def test_max_connections_per_ip_refuses_with_4013(connect: Any,
                                                        realtime_settings: Any) -> None:
    realtime_settings(MAX_CONNECTIONS_PER_IP=2)
    here, there = ("10.1.1.1", 50000), ("10.2.2.2", 50000)
    first = await connect(client=here)
    await connect(client=here)
    assert await refused_code(client=here) == 4013
    await connect(client=there)  # another IP is not affected
    await first.close()
    await connect(client=here)


# Heartbeat


async def test_heartbeat_pings_and_closes_a_silent_socket_with_4000(
        connect: Any, realtime_settings: Any) -> None:
    realtime_settings(PING_INTERVAL=600, PONG_TIMEOUT=400)
    answering, silent = await connect(), await connect()
    ping = await answering.expect("ping")
    assert isinstance(ping["data"]["ts"], int)
    await answering.send("pong", ping["data"])
    assert (await silent.expect("ping"))["data"]["ts"] == ping["data"]["ts"]
    assert await silent.expect_close() == 4000
    # The answering socket outlives the sweep that closed the silent one.
    for _ in range(2):
        ping = await answering.expect("ping")
        await answering.send("pong", ping["data"])


# Idle sockets (IDLE_TIMEOUT)


async def close_of(socket: Any) -> dict[str, Any]:
    """The close the server sends next, past any frames before it."""
    while True:
        output = await socket.communicator.receive_output(TIMEOUT)
        if output["type"] == "websocket.close":
            socket.closed = True
            return output


async def test_a_socket_without_a_successful_auth_or_subscribe_is_closed_4008_idle(
        connect: Any, realtime_settings: Any, token_for: Any, staff_user: Any) -> None:
    """Pings, a failed ``auth`` and a refused subscription do not count: one bogus frame
    would otherwise hold the slot for good. The sockets that engaged were opened before
    the last idle one, so they were past their own time when it was closed."""
    realtime_settings(IDLE_TIMEOUT=0.3)
    before = stats.counters["dropped.idle"]
    authenticated = await connect(token=await token_for(staff_user))
    subscriber = await connect()
    await subscriber.subscribe("products")
    by_url = await connect("/ws/products/")  # the URL's subscription counts
    await by_url.expect("subscribed")
    failed_auth = await connect()
    assert (await failed_auth.error("auth", {"token": "forged"}))["data"]["code"] == "auth_failed"
    pinging = await connect()
    await pinging.sync()
    forbidden = await connect("/ws/orders/")  # a guest: error forbidden, not subscribed
    silent = await connect()
    for socket in (failed_auth, pinging, forbidden, silent):
        output = await close_of(socket)
        assert (output["code"], output.get("reason")) == (4008, "idle"), output
    for socket in (authenticated, subscriber, by_url):
        await socket.sync()
    assert stats.counters["dropped.idle"] == before + 4


async def test_no_idle_timeout_by_default(connect: Any) -> None:
    from realtime.limits import registry

    await connect()
    assert registry.idle == {}

"""realtime.follower: every event to this process's sockets once, in position order,
whether it came through the layer, a local publish, or only the log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from realtime import stats
from realtime.follower import follower
from realtime.publish import event_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def bridge_on(realtime_settings: Any) -> AsyncIterator[None]:
    """The log read fast, as the embedded bridge does; stopped before the loop closes."""
    realtime_settings(EVENT_LOG_BRIDGE=True, BRIDGE_POLL_INTERVAL=0.01)
    yield
    task = follower.task.task
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_event_only_in_the_log_is_delivered(bridge_on: None, connect: Any,
                                                  log_elsewhere: Any) -> None:
    guest = await connect()
    await guest.subscribe("products")
    event = await log_elsewhere("products", "product:updated", {"id": 4})
    received = await guest.recv()
    assert (received["type"], received["id"], received["data"]) == (
        "product:updated", event.pk, {"id": 4})


async def test_published_and_logged_event_arrives_once(bridge_on: None, connect: Any,
                                                       emit_now: Any,
                                                       log_elsewhere: Any) -> None:
    guest = await connect()
    await guest.subscribe("products")
    own = await emit_now("product:created", {"id": 1})
    assert (await guest.recv())["id"] == own.pk  # published on commit
    foreign = await log_elsewhere("products", "product:updated", {"id": 1})
    assert (await guest.recv())["id"] == foreign.pk  # the log read is past ``own`` now
    await guest.sync()


async def test_logged_events_keep_their_audience(bridge_on: None, role_socket: Any,
                                                 alice: Any, bob: Any,
                                                 log_elsewhere: Any) -> None:
    alice_socket = await role_socket("alice")
    await alice_socket.subscribe("orders")
    await log_elsewhere("orders", "order:created", {"id": 1}, owner_id=bob.customer.pk)
    hers = await log_elsewhere("orders", "order:created", {"id": 2},
                               owner_id=alice.customer.pk)
    assert (await alice_socket.recv())["id"] == hers.pk
    note = await log_elsewhere("system", "system:notification", {"title": "t"},
                               user_id=alice.pk)
    assert (await alice_socket.recv())["id"] == note.pk


async def test_with_a_layer_the_log_is_still_read_for_what_it_lost(
        realtime_settings: Any, connect: Any, log_elsewhere: Any) -> None:
    # No bridge: only the periodic check of the log can deliver an unpublished event.
    realtime_settings(EVENT_LOG_BRIDGE=False, LOG_CHECK_INTERVAL=0.05)
    guest = await connect()
    await guest.subscribe("products")
    lost = await log_elsewhere("products", "product:updated", {"id": 1})
    assert (await guest.recv())["id"] == lost.pk


async def test_events_offered_out_of_order_go_out_in_position_order(
        realtime_settings: Any, connect: Any, log_elsewhere: Any) -> None:
    realtime_settings(EVENT_LOG_BRIDGE=False, LOG_CHECK_INTERVAL=60, GAP_GRACE=5000)
    guest = await connect()
    await guest.subscribe("products")
    first = await log_elsewhere("products", "product:updated", {"id": 1})
    second = await log_elsewhere("products", "product:updated", {"id": 2})
    follower.offer(event_message(second))  # the later publisher's message came first
    await guest.assert_nothing()  # held: position ``first`` is still on its way
    follower.offer(event_message(first))
    assert [(await guest.recv())["id"] for _ in range(2)] == [first.pk, second.pk]
    follower.offer(event_message(second))  # the layer's late copy
    await guest.sync()
    await guest.assert_nothing()


async def test_a_gap_the_layer_never_fills_is_read_from_the_log(
        realtime_settings: Any, connect: Any, log_elsewhere: Any) -> None:
    realtime_settings(EVENT_LOG_BRIDGE=False, LOG_CHECK_INTERVAL=60, GAP_GRACE=20)
    guest = await connect()
    await guest.subscribe("products")
    lost = await log_elsewhere("products", "product:updated", {"id": 1})
    later = await log_elsewhere("products", "product:updated", {"id": 2})
    before = stats.counters["log.filled"]
    follower.offer(event_message(later))
    assert [(await guest.recv())["id"] for _ in range(2)] == [lost.pk, later.pk]
    assert stats.counters["log.filled"] == before  # local layer


async def test_subscribe_reports_the_position_the_live_stream_continues_after(
        connect: Any, emit_now: Any) -> None:
    guest = await connect()
    first = await emit_now("product:created", {"id": 1})
    reply = await guest.subscribe("products")
    assert reply["data"]["lastEventId"] == first.pk
    second = await emit_now("product:created", {"id": 2})
    assert (await guest.recv())["id"] == second.pk

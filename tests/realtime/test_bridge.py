"""realtime.bridge: events another process wrote to the log reach this process's sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from realtime import bridge
from realtime.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def bridge_on(realtime_settings: Any) -> AsyncIterator[None]:
    """The bridge polling fast; stopped before the test's loop closes."""
    realtime_settings(EVENT_LOG_BRIDGE=True, BRIDGE_POLL_INTERVAL=0.01)
    yield
    task = bridge._task
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@database_sync_to_async
def log_from_another_process(namespace: str, event_type: str, payload: dict,
                             **fields: Any) -> Event:
    return Event.objects.create(namespace=namespace, type=event_type, payload=payload,
                                origin="another-process", created_at=timezone.now(),
                                **fields)


async def test_event_written_elsewhere_is_relayed(bridge_on: None, connect: Any) -> None:
    guest = await connect()  # the first socket starts the bridge
    await guest.subscribe("products")
    event = await log_from_another_process("products", "product:updated", {"id": 4})
    received = await guest.recv()
    assert (received["type"], received["id"], received["data"]) == (
        "product:updated", event.pk, {"id": 4})


async def test_own_events_are_not_relayed_twice(bridge_on: None, connect: Any,
                                                emit_now: Any) -> None:
    guest = await connect()
    await guest.subscribe("products")
    own = await emit_now("product:created", {"id": 1})
    assert (await guest.recv())["id"] == own.pk  # published on commit
    foreign = await log_from_another_process("products", "product:updated", {"id": 1})
    assert (await guest.recv())["id"] == foreign.pk  # the bridge is past ``own`` now
    await guest.sync()


async def test_relayed_events_keep_their_audience(bridge_on: None, role_socket: Any,
                                                  alice: Any, bob: Any) -> None:
    alice_socket = await role_socket("alice")
    await alice_socket.subscribe("orders")
    await log_from_another_process("orders", "order:created", {"id": 1},
                                   owner_id=bob.customer.pk)
    hers = await log_from_another_process("orders", "order:created", {"id": 2},
                                          owner_id=alice.customer.pk)
    assert (await alice_socket.recv())["id"] == hers.pk
    note = await log_from_another_process("system", "system:notification", {"title": "t"},
                                          user_id=alice.pk)
    assert (await alice_socket.recv())["id"] == note.pk


async def test_bridge_off_relays_nothing(connect: Any, emit_now: Any) -> None:
    guest = await connect()  # EVENT_LOG_BRIDGE is False in this suite by default
    await guest.subscribe("products")
    await log_from_another_process("products", "product:updated", {"id": 1})
    sentinel = await emit_now("product:created", {"id": 2})
    assert (await guest.recv())["id"] == sentinel.pk

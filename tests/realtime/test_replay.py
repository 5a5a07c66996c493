"""realtime.replay: a resume gets the same events whether memory or the log answers it."""

from __future__ import annotations

from typing import Any

import pytest

from realtime import stats
from realtime.follower import follower
from tests.support.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)


async def history(emit_now: Any, alice: Any, bob: Any) -> list[Any]:
    """Every kind of audience: owners, a namespace, a user, a role, everyone."""
    def order(order_id: int, customer: Any) -> dict[str, Any]:
        return {"id": order_id, "customerId": customer.pk, "customerName": customer.name,
                "total": "10.00", "status": "pending", "channel": "online"}

    return [
        await emit_now("order:created", order(1, alice.customer), owner=alice.customer.pk),
        await emit_now("product:updated", {"id": 9}),
        await emit_now("order:created", order(2, bob.customer), owner=bob.customer.pk),
        await emit_now("system:alert", {"title": "for admins"}),
        await emit_now("system:notification", {"title": "for bob"}, user=bob.pk),
        await emit_now("system:notification", {"title": "for staff"}, role="staff"),
        await emit_now("order:updated", order(1, alice.customer), owner=alice.customer.pk),
        await emit_now("payment:received", {"id": 5, "orderId": 1, "customerId":
                                             alice.customer.pk, "amount": "10.00",
                                             "method": "card", "status": "completed"},
                       owner=alice.customer.pk),
    ]


async def resumed(socket: Any, namespace: str, since: int) -> list[dict[str, Any]]:
    """``subscribed`` and every frame after it, up to a ping round trip."""
    frames = [await socket.subscribe(namespace, since=since)]
    await socket.send("ping", {"ts": "end"})
    while (frame := await socket.recv())["type"] != "pong":
        frames.append(frame)
    return frames


@pytest.mark.parametrize(("role", "namespace"), [
    ("staff", "orders"), ("alice", "orders"), ("bob", "orders"), ("alice", "payments"),
    ("admin", "system"), ("guest", "products"), ("manager", "payments"),
])
async def test_memory_answers_a_resume_with_exactly_what_the_log_does(
        role_socket: Any, emit_now: Any, alice: Any, bob: Any, realtime_settings: Any,
        role: str, namespace: str) -> None:
    first = (await role_socket("guest")).hello  # the follower runs
    assert first["type"] == "connected"
    events = await history(emit_now, alice, bob)
    await until(lambda: follower.cursor >= events[-1].pk)
    before = stats.counters["resumes.memory"]
    from_memory = await resumed(await role_socket(role), namespace, events[0].pk - 1)
    assert stats.counters["resumes.memory"] == before + 1
    realtime_settings(REPLAY_MEMORY=0)
    before = stats.counters["resumes.log"]
    from_log = await resumed(await role_socket(role), namespace, events[0].pk - 1)
    assert stats.counters["resumes.log"] == before + 1
    assert from_memory == from_log
    assert from_memory[0]["data"]["recovered"] is True


async def test_events_logged_before_the_server_started_are_answered_from_memory(
        connect: Any, emit_now: Any) -> None:
    """A restarted server's resumes: the follower starts with the log's newest events."""
    events = [await emit_now("product:updated", {"id": n}) for n in range(3)]
    guest = await connect()  # starts the follower, after the events
    before = stats.counters["resumes.memory"]
    frames = await resumed(guest, "products", events[0].pk)
    assert stats.counters["resumes.memory"] == before + 1
    assert [frame.get("id") for frame in frames[1:]] == [events[1].pk, events[2].pk]


async def test_a_resume_older_than_memory_reads_the_log(
        connect: Any, emit_now: Any, realtime_settings: Any) -> None:
    realtime_settings(REPLAY_MEMORY=2)
    events = [await emit_now("product:updated", {"id": n}) for n in range(5)]
    guest = await connect()
    before = stats.counters["resumes.log"]
    frames = await resumed(guest, "products", events[0].pk - 1)
    assert stats.counters["resumes.log"] == before + 1
    assert [frame.get("id") for frame in frames[1:]] == [event.pk for event in events]

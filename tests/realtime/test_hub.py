"""The hub: one layer subscription per process and group, fan-out to local members,
debouncing per key — against the in-process path and a real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.layers import channel_layers
from django.test import override_settings

from realtime.hub import EVENT, Hub
from tests.support.recorder import Recorder


def event(event_id: int, ns: str = "orders", **extra: Any) -> dict[str, Any]:
    return {"type": EVENT, "id": event_id, "ns": ns, "targeted": False, "at": 0.0,
            "text": f'{{"id":{event_id}}}', **extra}


async def until(condition: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


async def test_local_fan_out_reaches_every_member_of_the_group_only() -> None:
    hub = Hub()
    a, b, outsider = Recorder(), Recorder(), Recorder()
    await hub.join("rt.orders", a)
    await hub.join("rt.orders", b)
    await hub.join("rt.payments", outsider)
    await hub.publish("rt.orders", event(1))
    assert a.ids == b.ids == [1] and outsider.ids == []
    await hub.leave("rt.orders", a)
    await hub.publish("rt.orders", event(2))
    assert a.ids == [1] and b.ids == [1, 2]
    assert "rt.payments" in hub.groups
    await hub.leave("rt.payments", outsider)
    assert "rt.payments" not in hub.groups  # an empty group is forgotten


async def test_a_process_without_members_only_sends() -> None:
    hub = Hub()
    await hub.publish("rt.orders", event(1))  # no loop state, no receiving task
    assert hub.loop is None and hub.task is None


@override_settings(REALTIME={"DEBOUNCE_WINDOW": 50})
async def test_a_burst_for_one_key_reaches_members_once_with_the_latest() -> None:
    hub = Hub()
    member = Recorder()
    await hub.join("rt.inventory", member)
    for event_id in (10, 12, 11):  # 11 arrives late: 12 is still the latest
        await hub.publish("rt.inventory", event(event_id, "inventory", debounce="k:1"))
    await hub.publish("rt.inventory", event(13, "inventory", debounce="k:2"))
    assert member.ids == []
    await until(lambda: len(member.ids) == 2)
    assert sorted(member.ids) == [12, 13]
    assert all("debounce" not in message for message in member.messages)


@pytest.fixture
def redis_layer(redis_server: Any) -> Any:
    config = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                          "CONFIG": {"hosts": [redis_server.url], "prefix": "hubtest"}}}
    with override_settings(CHANNEL_LAYERS=config):
        yield channel_layers["default"]


async def test_with_redis_the_process_subscribes_once_and_fans_out(redis_layer: Any) -> None:
    hub = Hub()
    members = [Recorder() for _ in range(50)]
    for member in members:
        await hub.join("rt.orders", member)
    # One hub channel in the layer's group, whatever the number of sockets.
    loop_layer = redis_layer._get_layer()
    assert loop_layer.groups[loop_layer._get_group_channel_name("rt.orders")] == {hub.channel}
    await hub.publish("rt.orders", event(7))  # through Redis, as another process would
    await until(lambda: all(member.ids == [7] for member in members))
    await redis_layer.flush()

"""The hub: one layer subscription per process (the log group), fan-out to local
members, debouncing per key — against the in-process path and a real Redis."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from channels.layers import channel_layers
from django.test import override_settings

from realtime import stats
from realtime.follower import follower
from realtime.frames import WIRE, text_frame
from realtime.hub import Hub, hub, log_group
from realtime.messages import EVENT, Message
from realtime.publish import event_message
from tests.support.recorder import NowRecorder, Recorder
from tests.support.waiting import until


def event(event_id: int, ns: str = "orders", groups: tuple[str, ...] = (),
          **extra: Any) -> Message:
    return Message(EVENT, event_id, tuple(groups), ns=ns, text=f'{{"id":{event_id}}}',
                   **{"at": 0.0, **extra})


async def test_local_fan_out_reaches_every_member_of_the_group_only() -> None:
    hub = Hub()
    a, b, outsider = Recorder(), Recorder(), Recorder()
    await hub.join("rt.orders", a)
    await hub.join("rt.orders", b)
    await hub.join("rt.payments", outsider)
    hub.dispatch("rt.orders", event(1))
    await until(lambda: a.ids == b.ids == [1])
    await hub.leave("rt.orders", a)
    hub.dispatch("rt.orders", event(2))
    await until(lambda: b.ids == [1, 2])
    assert a.ids == [1] and outsider.ids == []
    assert "rt.payments" in hub.groups
    await hub.leave("rt.payments", outsider)
    assert "rt.payments" not in hub.groups  # an empty group is forgotten


async def test_members_that_write_now_get_the_same_events_without_a_coroutine() -> None:
    """realtime.server's sockets are handed events through ``deliver_now``; others
    through ``deliver``; in one group both get every event, in order."""
    hub = Hub()
    now, awaited = NowRecorder(), Recorder()
    await hub.join("rt.orders", now)
    await hub.join("rt.orders", awaited)
    for event_id in (1, 2, 3):
        hub.dispatch("rt.orders", event(event_id))
    await until(lambda: now.ids == awaited.ids == [1, 2, 3])
    assert now.sends == awaited.sends


class SlowNow(NowRecorder):
    """A member that writes now, taking 0.2 ms of CPU a write."""

    def deliver_now(self, messages: list[Any], send: dict[str, Any]) -> bool:
        spin(0.0002)
        return super().deliver_now(messages, send)


async def test_deliveries_written_now_are_counted_once_each_across_slices(
        realtime_settings: Any) -> None:
    """The hub counts what members that write now took, 16 sockets at a time, across a
    dozen slices: every delivery once, in the histogram too, none for a member that took
    none."""
    realtime_settings(FAN_OUT_SLICE=1)
    hub = Hub()
    members = [SlowNow() for _ in range(60)]  # 12 ms of writes: a dozen slices
    for member in members:
        await hub.join("rt.orders", member)
    await hub.join("rt.orders", Refusing())
    deliveries, samples = stats.counters["deliveries"], sum(stats.latency.counts)
    hub.dispatch("rt.orders", event(1, at=time.time()))
    await until(lambda: all(member.ids == [1] for member in members))
    await until(lambda: hub.drainer is None)
    assert stats.counters["deliveries"] - deliveries == 60
    assert sum(stats.latency.counts) - samples == 60


class Refusing(NowRecorder):
    """A member that took nothing (not subscribed, or closed)."""

    def deliver_now(self, messages: list[Any], send: dict[str, Any]) -> bool:
        return False


async def test_an_idle_hub_sends_a_lone_event_as_its_own_frame() -> None:
    hub = Hub()
    member = Recorder()
    await hub.join("rt.orders", member)
    hub.dispatch("rt.orders", event(1))
    await until(lambda: member.ids == [1])
    assert json.loads(member.sends[0]["text"]) == {"id": 1}
    assert member.sends[0][WIRE] == text_frame('{"id":1}')


async def test_events_that_wait_for_the_fan_out_go_as_batches_per_group_in_order() -> None:
    hub = Hub()
    staff, customer = Recorder(), Recorder()
    await hub.join("rt.orders", staff)
    await hub.join("rt.orders.own.7", customer)
    # Published without yielding: all but the first wait for the drain task.
    for event_id in range(1, 6):
        hub.dispatch("rt.orders", event(event_id))
        if event_id % 2:
            hub.dispatch("rt.orders.own.7", event(event_id))
    await until(lambda: len(staff.ids) == 5 and len(customer.ids) == 3)
    assert staff.ids == [1, 2, 3, 4, 5] and customer.ids == [1, 3, 5]
    frames = [json.loads(send["text"]) for send in staff.sends]
    assert [frame["type"] for frame in frames] == ["batch"]
    assert frames[0]["data"] == [{"id": n} for n in range(1, 6)]
    assert staff.sends[0][WIRE] == text_frame(staff.sends[0]["text"])
    assert [json.loads(send["text"])["data"] for send in customer.sends] == [
        [{"id": 1}, {"id": 3}, {"id": 5}]]


async def burst(member: Recorder, count: int) -> None:
    """``count`` events dispatched without yielding, so all wait for one round of the
    fan-out; returns once the member has them all, in order."""
    hub = Hub()
    await hub.join("rt.orders", member)
    for event_id in range(1, count + 1):
        hub.dispatch("rt.orders", event(event_id))
    await until(lambda: len(member.ids) == count)
    assert member.ids == list(range(1, count + 1))


async def test_batch_max_bounds_a_frame(realtime_settings: Any) -> None:
    realtime_settings(BATCH_MAX=2)
    member = Recorder()
    await burst(member, 5)
    frames = [json.loads(send["text"]) for send in member.sends]
    assert [len(f["data"]) if f.get("type") == "batch" else 1 for f in frames] == [2, 2, 1]


@pytest.mark.parametrize("member_class", [Recorder, NowRecorder])
async def test_with_batch_max_1_events_that_wait_are_frames_of_their_own_sent_together(
        realtime_settings: Any, monkeypatch: pytest.MonkeyPatch, member_class: type) -> None:
    """No ``batch`` frame: each event its own frame, as a client that asked for one
    frame per event reads them, but the ones that waited go to a socket as one send
    whose wire bytes are theirs in order (one system call on realtime.server), at most
    FRAMES_PER_WRITE of them."""
    from realtime import hub as hub_module
    from realtime.frames import FRAMES

    realtime_settings(BATCH_MAX=1)
    monkeypatch.setattr(hub_module, "FRAMES_PER_WRITE", 3)
    member = member_class()
    await burst(member, 7)
    *together, lone = member.sends
    assert [[json.loads(frame["text"])["id"] for frame in send[FRAMES]]
            for send in together] == [[1, 2, 3], [4, 5, 6]]
    for send in together:
        assert "text" not in send
        assert send[WIRE] == b"".join(text_frame(frame["text"]) for frame in send[FRAMES])
    assert json.loads(lone["text"]) == {"id": 7}  # one left: a frame as ever


def spin(seconds: float) -> None:
    """Hold the CPU (and the loop) for ``seconds``."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pass


class Slow(Recorder):
    """A member whose write takes 0.2 ms of CPU, as a real socket's send does in part."""

    write_s = 0.0002

    async def deliver(self, messages: list[dict[str, Any]], send: dict[str, Any]) -> None:
        spin(self.write_s)
        await super().deliver(messages, send)


async def test_a_long_fan_out_hands_the_loop_back_within_its_slice(
        realtime_settings: Any) -> None:
    """Other sockets' handshakes and ``auth`` must not wait for a whole fan-out."""
    realtime_settings(FAN_OUT_SLICE=1)
    hub = Hub()
    members = [Slow() for _ in range(200)]  # 40 ms of writes in all
    for member in members:
        await hub.join("rt.orders", member)
    served_when: list[int] = []

    async def other_socket() -> None:
        await asyncio.sleep(0)  # runs once the fan-out has started
        served_when.append(sum(1 for member in members if member.ids))

    hub.dispatch("rt.orders", event(1))
    task = asyncio.create_task(other_socket())
    await until(lambda: all(member.ids == [1] for member in members))
    await task
    # Served after a few slices' worth of members, not after all 200.
    assert 0 < served_when[0] < 100, served_when


class Quick(Slow):
    """A member whose write takes 20 µs of CPU."""

    write_s = 0.00002


async def turns_of_a_busy_loop(connecting: bool) -> float:
    """How many turns 20 other tasks (1 ms of CPU each, so 20 ms a turn) get while the
    hub fans one event out to 2,000 members (40 ms of writes in all): handshakes that
    count as connects, or other work."""
    hub = Hub()
    members = [Quick() for _ in range(2000)]
    for member in members:
        await hub.join("rt.orders", member)
    turns = 0
    busy = True

    async def other() -> None:
        nonlocal turns
        while busy:
            spin(0.001)
            if connecting:
                stats.incr("connects")
            turns += 1
            await asyncio.sleep(0)

    others = [asyncio.create_task(other()) for _ in range(20)]
    await asyncio.sleep(0)
    hub.dispatch("rt.orders", event(1))
    try:
        await until(lambda: all(member.ids == [1] for member in members), timeout=60)
    finally:
        busy = False
        await asyncio.gather(*others)
    return turns / len(others)


async def test_a_fan_out_gets_a_fair_share_of_a_loop_busy_with_handshakes(
        realtime_settings: Any) -> None:
    """A reconnect storm fills the loop with handshakes: the fan-out to the sockets that
    stayed must still take a few turns of it, not one slice's worth of members a turn."""
    realtime_settings(FAN_OUT_SLICE=0.5)
    turns = await turns_of_a_busy_loop(connecting=True)
    # 0.5 ms of writes per 20 ms turn would take 80 turns.
    assert turns < 20, turns


async def test_a_loop_busy_with_other_work_than_handshakes_keeps_the_short_slice(
        realtime_settings: Any) -> None:
    """In a burst the loop's turns are long with the fan-out's own writes being flushed:
    a slice grown to them would hold other sockets' ``auth`` and heartbeats for tens of
    milliseconds at a time. Without sockets connecting, the fan-out keeps to its slice:
    many short turns, as many as it takes."""
    realtime_settings(FAN_OUT_SLICE=0.5)
    turns = await turns_of_a_busy_loop(connecting=False)
    # 0.5 ms of writes per turn: about 80 turns; a share grown to the turn: under 20.
    assert turns > 40, turns


class Broken(Recorder):
    async def deliver(self, messages: list[dict[str, Any]], send: dict[str, Any]) -> None:
        raise RuntimeError("a member that fails")


async def test_a_failing_member_does_not_stop_the_fan_out_or_the_next_events() -> None:
    hub = Hub()
    members = [Recorder() for _ in range(3)]
    for member in [*members[:2], Broken(), members[2]]:
        await hub.join("rt.orders", member)
    hub.dispatch("rt.orders", event(1))
    await until(lambda: all(member.ids == [1] for member in members))
    hub.dispatch("rt.orders", event(2))
    await until(lambda: all(member.ids == [1, 2] for member in members))


async def test_a_process_without_members_only_sends() -> None:
    hub = Hub()
    await hub.publish(event(1, groups=("rt.orders",)))  # no loop state, no receiving task
    assert hub.loop is None and hub.task is None


@override_settings(REALTIME={"DEBOUNCE_WINDOW": 50})
async def test_a_burst_for_one_key_reaches_members_once_with_the_latest() -> None:
    hub = Hub()
    member = Recorder()
    await hub.join("rt.inventory", member)
    for event_id in (10, 12, 11):  # 11 arrives late: 12 is still the latest
        hub.dispatch("rt.inventory", event(event_id, "inventory", debounce="k:1"))
    hub.dispatch("rt.inventory", event(13, "inventory", debounce="k:2"))
    assert member.ids == []
    await until(lambda: len(member.ids) == 2)
    assert sorted(member.ids) == [12, 13]
    assert all(message.debounce is None for message in member.messages)


@pytest.fixture
def redis_layer(redis_server: Any) -> Any:
    config = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                          "CONFIG": {"hosts": [redis_server.url], "prefix": "hubtest"}}}
    with override_settings(CHANNEL_LAYERS=config):
        yield channel_layers["default"]


@pytest.mark.django_db(transaction=True)
async def test_with_redis_the_process_subscribes_once_and_fans_out(
        redis_layer: Any, realtime_settings: Any, log_elsewhere: Any) -> None:
    # Only the layer can deliver within the test: the log is checked once a minute.
    realtime_settings(EVENT_LOG_BRIDGE=False, LOG_CHECK_INTERVAL=60)
    follower.ensure_running()
    await follower.ready()
    members = [Recorder() for _ in range(50)]
    for member in members:
        await hub.join("rt.orders", member)
    # One hub channel in the log group, whatever the number of sockets or groups.
    loop_layer = redis_layer._get_layer()
    log_channel = loop_layer._get_group_channel_name(log_group())
    await until(lambda: loop_layer.groups.get(log_channel) == {hub.channel})
    assert hub.channel is not None and len(loop_layer.groups) == 1
    logged = await log_elsewhere("orders", "order:created", {"id": 1})
    message = event_message(logged)
    assert message.groups == ("rt.orders",)
    await redis_layer.group_send(log_group(), message.to_layer())  # as another process
    await until(lambda: all(member.ids == [logged.pk] for member in members))
    for member in members:
        await hub.leave("rt.orders", member)
    hub.task.cancel()
    await redis_layer.flush()


@pytest.mark.django_db(transaction=True)
async def test_the_layer_keeps_delivering_across_many_probe_rounds(
        redis_layer: Any, realtime_settings: Any) -> None:
    """The probe's timer never cancels the receive (channels_redis would unsubscribe the
    hub's channel and drop what arrives meanwhile). The events are in no log here: only
    the layer can deliver them."""
    realtime_settings(EVENT_LOG_BRIDGE=False, LOG_CHECK_INTERVAL=0.02, GAP_GRACE=60_000)
    follower.ensure_running()
    await follower.ready()
    member = Recorder()
    await hub.join("rt.orders", member)
    loop_layer = redis_layer._get_layer()
    log_channel = loop_layer._get_group_channel_name(log_group())
    await until(lambda: loop_layer.groups.get(log_channel) == {hub.channel})
    for position in range(1, 41):  # about 40 probe rounds
        await redis_layer.group_send(log_group(),
                                     event(position, groups=("rt.orders",)).to_layer())
        await asyncio.sleep(0.02)  # the publishers' pace
    await until(lambda: len(member.ids) == 40)
    assert member.ids == list(range(1, 41)) and hub.layer_ok
    await hub.leave("rt.orders", member)
    hub.task.cancel()
    await redis_layer.flush()


def test_frames_that_share_a_write_are_bounded_in_count_and_bytes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """At most FRAMES_PER_WRITE frames and BYTES_PER_WRITE bytes a write, in order, and a
    frame larger than the bound still goes, alone."""
    from realtime import hub as hub_module

    monkeypatch.setattr(hub_module, "FRAMES_PER_WRITE", 3)
    small = [event(n) for n in range(1, 6)]  # 2 + 8 bytes each
    assert [[m.id for m in part] for part in hub_module.writes(small)] == [[1, 2, 3], [4, 5]]
    monkeypatch.setattr(hub_module, "BYTES_PER_WRITE", 25)
    assert [[m.id for m in part] for part in hub_module.writes(small)] == [[1, 2], [3, 4], [5]]
    huge = Message(EVENT, 9, (), ns="orders", at=0.0, text="x" * 100)
    assert [[m.id for m in part] for part in hub_module.writes([small[0], huge, small[1]])] == [
        [1], [9], [2]]

"""Shared sets across processes, against a real Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from realtime import presence
from realtime.roles import Profile
from realtime.shared import SharedSets, beat, redis_client
from tests.support.servers import RedisServer, free_port

# Short enough that a death shows within a test, long enough for a loaded machine.
PROCESS_TTL = 1.0


def process(kind: str) -> SharedSets:
    """Another server process's view of the sets: its own origin."""
    return SharedSets(kind, origin=f"proc-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def sets(redis_server: Any) -> Any:
    with override_settings(REDIS_URL=redis_server.url,
                           REALTIME={"GROUP_PREFIX": f"t{uuid.uuid4().hex[:8]}",
                                     "PROCESS_TTL": PROCESS_TTL}):
        yield process, process("ip")


async def eventually(condition: Callable[[], Awaitable[bool]], within: float,
                     beating: list[SharedSets]) -> float:
    """Seconds until ``condition`` holds, with ``beating`` beating meanwhile; fails after
    ``within``."""
    start = time.monotonic()
    while not await condition():
        assert time.monotonic() - start < within, f"not within {within} s"
        await beat(beating)
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def test_two_processes_count_one_set(sets: Any) -> None:
    make, first = sets
    second = make("ip")  # another process's view of the same sets
    assert await first.add("10.0.0.1", "a") == 1
    assert await second.add("10.0.0.1", "b") == 2
    assert await first.remove("10.0.0.1", "a") == 1
    assert await second.size("10.0.0.1") == 1


async def _script_calls(client: Any) -> int:
    stats = await client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


async def test_a_storm_of_handshakes_shares_round_trips_and_each_gets_its_own_count(
        sets: Any) -> None:
    """A reconnect storm: every handshake adds at once. They gather into a few script
    calls instead of one each (which queued them for the pool), and each still gets
    the set's size right after its own add, so the per-IP cap stays exact."""
    make, first = sets
    second = make("ip")
    await second.add("10.0.2.1", "elsewhere")  # another process holds one
    client = redis_client()
    before = await _script_calls(client)
    sizes = await asyncio.gather(*(first.add("10.0.2.1", f"m{i}") for i in range(300)))
    calls = await _script_calls(client) - before
    assert sorted(sizes) == list(range(2, 302))
    assert calls < 30, calls
    # Removals and adds of several sets mixed in one gathering, in order.
    mixed = await asyncio.gather(first.remove("10.0.2.1", "m0"), first.add("10.0.2.2", "x"),
                                 first.remove("10.0.2.1", "m1"), first.add("10.0.2.2", "y"))
    assert mixed == [300, 1, 299, 2]
    assert await second.size("10.0.2.1") == 299


async def test_a_process_shutting_down_forgets_only_its_members(sets: Any) -> None:
    make, first = sets
    second = make("ip")
    await first.add("10.0.0.2", "a")
    await first.add("10.0.0.3", "c")
    await second.add("10.0.0.2", "b")
    await first.forget_local()
    assert await second.size("10.0.0.2") == 1
    assert await second.size("10.0.0.3") == 0
    assert first.local == {}


async def test_a_removal_cut_short_by_shutdown_is_finished_by_forget(redis_server: Any) -> None:
    """Daphne cancels applications at shutdown, some while their removal waits for a
    pooled connection: the member must stay for ``forget_local`` to take it out."""
    with override_settings(REDIS_URL=redis_server.url,
                           REALTIME={"GROUP_PREFIX": "cut", "REDIS_POOL_SIZE": 1}):
        first, other = SharedSets("ip"), SharedSets("ip")
        await first.add("10.0.0.9", "a")
        client = redis_client()
        # The pool's one connection is busy for a moment, so the removal waits for it.
        busy = asyncio.create_task(client.blpop(["cut:nothing"], timeout=1))
        await asyncio.sleep(0.1)
        removal = asyncio.create_task(first.remove("10.0.0.9", "a"))
        await asyncio.sleep(0.1)
        removal.cancel()
        with pytest.raises(asyncio.CancelledError):
            await removal
        await busy
        await first.forget_local()
        assert await other.size("10.0.0.9") == 0


async def test_a_process_that_stops_beating_stops_counting_within_the_ttl(sets: Any) -> None:
    make, alive = sets
    dead = make("ip")
    await alive.add("10.0.1.1", "a")
    await dead.add("10.0.1.1", "b")
    await beat([alive])
    await beat([dead])  # its last beat
    assert await alive.size("10.0.1.1") == 2
    took = await eventually(lambda: _equals(alive.size("10.0.1.1"), 1),
                            within=PROCESS_TTL + 3, beating=[alive])
    assert took >= PROCESS_TTL * 0.5  # not dropped before it went silent for a while
    assert await alive.add("10.0.1.1", "c") == 2  # its slot is free for the survivor
    assert await alive.names() == ["10.0.1.1"]


async def test_the_reap_announces_once_the_names_a_dead_process_held_last(sets: Any) -> None:
    make, _ = sets
    alive, dead = make("presence"), make("presence")
    await alive.add("7", "a")
    await dead.add("7", "b")  # customer 7: also open on the survivor
    await dead.add("8", "c")  # customer 8: only on the process that dies
    await beat([alive])
    await beat([dead])
    assert sorted(await alive.names()) == ["7", "8"]
    await eventually(lambda: _equals(alive.names(), ["7"]), within=PROCESS_TTL + 3,
                     beating=[alive])
    assert await alive.reap() == ["8"]
    assert await alive.reap() == []  # once, whoever reaps first
    assert await alive.size("7") == 1


async def test_a_first_member_counts_before_its_process_first_beats(sets: Any) -> None:
    """The handshake adds its member before the process's beat task has run: the
    others must neither ignore it nor reap it."""
    make, old = sets
    await old.add("10.0.1.2", "a")
    await beat([old])
    new = make("ip")
    assert await new.add("10.0.1.2", "b") == 2
    assert await old.reap() == []
    assert await old.size("10.0.1.2") == 2


@pytest.fixture
def own_redis(tmp_path: Path) -> Any:
    """A Redis of this test's own, since the test kills it."""
    servers = [RedisServer.start(tmp_path)]
    with override_settings(REDIS_URL=servers[0].url,
                           REALTIME={"GROUP_PREFIX": "restart", "PROCESS_TTL": PROCESS_TTL}):
        yield servers
    for server in servers:
        if server.process.poll() is None:
            server.stop()


async def test_a_redis_restart_is_healed_by_the_next_beat(own_redis: list[RedisServer],
                                                          tmp_path: Path) -> None:
    first, other = process("ip"), process("ip")
    await first.add("10.0.1.3", "a")
    await first.add("10.0.1.3", "b")
    await beat([first])
    assert await other.size("10.0.1.3") == 2
    own_redis[0].kill()  # and everything it held: it runs with --save '' --appendonly no
    # Redis down: this process's own count, and nothing raises into a handshake.
    assert await first.add("10.0.1.3", "c") == 3
    assert await first.remove("10.0.1.3", "a") == 2
    assert await beat([first]) is False
    own_redis.append(RedisServer.start(tmp_path, port=own_redis[0].port))
    assert await other.size("10.0.1.3") == 0  # the new Redis is empty
    await eventually(lambda: _equals(other.size("10.0.1.3"), 2), within=5, beating=[first])
    await first.remove("10.0.1.3", "b")
    await first.remove("10.0.1.3", "c")
    assert await other.size("10.0.1.3") == 0


async def test_with_redis_unreachable_a_customer_socket_joins_and_leaves_without_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Presence is part of the handshake: Redis down must not fail it."""
    monkeypatch.setattr(presence, "customer_sockets", SharedSets("presence"))
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
                           REALTIME={"PRESENCE_GRACE": 0}):
        shopper = Profile(990, "Nobody")
        await presence.join(shopper, "c1")
        assert await presence.customer_sockets.size("990") == 1
        await presence.leave(shopper, "c1")
        assert await presence.customer_sockets.size("990") == 0
        assert await presence.online_customers() == []


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return await value == expected

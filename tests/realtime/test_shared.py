"""Shared sets across processes, against a real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import override_settings

from realtime.shared import SharedSets, redis_client


@pytest.fixture
def sets(redis_server: Any) -> Any:
    with override_settings(REDIS_URL=redis_server.url,
                           REALTIME={"GROUP_PREFIX": f"t{id(redis_server)}"}):
        yield SharedSets, SharedSets("ip")


async def test_two_processes_count_one_set(sets: Any) -> None:
    make, first = sets
    second = make("ip")  # another process's view of the same sets
    assert await first.add("10.0.0.1", "a") == 1
    assert await second.add("10.0.0.1", "b") == 2
    assert await first.remove("10.0.0.1", "a") == 1
    assert await second.size("10.0.0.1") == 1


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

"""Shared sets across processes, against a real Redis."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from realtime.shared import SharedSets


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

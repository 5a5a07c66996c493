"""realtime.lastid: subscribes share MAX(id) queries, never one read before they asked."""

from __future__ import annotations

import asyncio

import pytest

from realtime.lastid import LatestEventId


class Log:
    """A stand-in for the event log: each query is held until ``finish`` lets it answer."""

    def __init__(self) -> None:
        self.latest = 0
        self.queries = 0
        self.started = asyncio.Event()
        self.gate = asyncio.Event()

    async def query(self) -> int:
        self.queries += 1
        value = self.latest  # read when the query starts, as MAX(id) would be
        self.started.set()
        await self.gate.wait()
        self.gate.clear()
        self.started.clear()
        if value < 0:
            raise RuntimeError("database down")
        return value

    async def finish(self) -> None:
        await asyncio.wait_for(self.started.wait(), 5)
        self.gate.set()


async def test_subscribes_asking_together_share_one_query() -> None:
    log = Log()
    log.latest = 7
    latest = LatestEventId(log.query)
    waiting = [asyncio.create_task(latest.get()) for _ in range(50)]
    await log.finish()
    assert await asyncio.gather(*waiting) == [7] * 50
    assert log.queries == 1


async def test_a_subscribe_asking_during_a_query_gets_the_next_one() -> None:
    log = Log()
    log.latest = 7
    latest = LatestEventId(log.query)
    early = asyncio.create_task(latest.get())
    await asyncio.wait_for(log.started.wait(), 5)  # the first query has read 7
    log.latest = 8  # an event committed after the first query read the log
    late = [asyncio.create_task(latest.get()) for _ in range(3)]
    await log.finish()
    assert await early == 7
    await log.finish()
    assert await asyncio.gather(*late) == [8, 8, 8]
    assert log.queries == 2


async def test_a_failed_query_fails_its_askers_and_the_next_ask_queries_again() -> None:
    log = Log()
    log.latest = -1
    latest = LatestEventId(log.query)
    waiting = [asyncio.create_task(latest.get()) for _ in range(2)]
    await log.finish()
    for task in waiting:
        with pytest.raises(RuntimeError, match="database down"):
            await task
    log.latest = 9
    again = asyncio.create_task(latest.get())
    await log.finish()
    assert await again == 9

"""The event log's latest id, as ``subscribed`` reports it: one query for a crowd.

A ``subscribe`` must report an id read *after* its socket joined the group: an
event committed in between is then either at or below that id (and in a resume's
replay) or delivered live. Each subscribe used to run its own ``MAX(id)`` on the
one database thread, so 10,000 sockets connecting meant 10,000 queries in a row.
Here the subscribes that ask while a query is already running wait for the next
one, which starts when it ends and answers all of them: never an answer read
before the asker joined, and at most one query in flight per process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class LatestEventId:
    def __init__(self, query: Callable[[], Awaitable[int]]) -> None:
        self.query = query
        self.loop: asyncio.AbstractEventLoop | None = None
        self.next: asyncio.Future[int] | None = None
        self.running = False

    async def get(self) -> int:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            # A new event loop (tests run one per test): nothing of the old one is usable.
            self.loop, self.next, self.running = loop, None, False
        if self.next is None:
            self.next = loop.create_future()
            if not self.running:
                self.running = True
                loop.create_task(self._run(), name="realtime-latest-event-id")
        return await asyncio.shield(self.next)

    async def _run(self) -> None:
        try:
            while self.next is not None:
                future, self.next = self.next, None
                try:
                    future.set_result(await self.query())
                except Exception as exc:
                    future.set_exception(exc)
        finally:
            self.running = False

"""Calls that wait while one like them runs go together in the next one.

In a reconnect storm thousands of sockets ask the database the same kind of
question at once: whose token is this, how far has retention pruned. One at a
time on Channels' single database thread, each pays the ORM's query build and a
round trip; asked together, a batch of them pays once. A caller never gets an
answer read before it asked: it joins the call after the one in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batched(Generic[T, R]):
    """``await batched(item)``: ``run(items)`` answers a list of items in one call, in
    order, a result or an exception for each; at most ``most`` items per call."""

    def __init__(self, run: Callable[[list[T]], Awaitable[list[R | BaseException]]],
                 most: int = 500) -> None:
        self.run = run
        self.most = most
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiting: list[tuple[T, asyncio.Future]] = []
        self.running = False

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new loop (tests): nothing of the old one's is left
            self.loop, self.waiting, self.running = loop, [], False
        future = loop.create_future()
        self.waiting.append((item, future))
        if not self.running:
            self.running = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:self.most], self.waiting[self.most:]
                try:
                    results = await self.run([item for item, _ in batch])
                    if len(results) != len(batch):
                        raise RuntimeError(f"{len(results)} results for {len(batch)} items")
                except Exception as exc:
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # its caller was cancelled
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.running = False

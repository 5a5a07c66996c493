"""A connection's inbound messages, as Daphne hands them to its application.

Daphne gives every connection an ``asyncio.Queue``: four deques and an Event,
3.2 KB of each idle socket's memory for what is, per socket, one reader and
mostly one message at a time (bench/memory.py, docs/performance.md).
``python -m realtime.server`` gives each an ``Inbox`` instead: the part of the
queue Daphne and this app use (``put_nowait``, ``get``, ``qsize``).
"""

from __future__ import annotations

import asyncio
from typing import Any


class Inbox:
    """A FIFO for one reader. A ``get`` cancelled while it waits loses nothing: the
    message stays for the next ``get``, as with ``asyncio.Queue``."""

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.waiter: asyncio.Future | None = None

    def put_nowait(self, item: Any) -> None:
        self.items.append(item)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Any:
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.pop(0)

    def qsize(self) -> int:
        return len(self.items)

    def empty(self) -> bool:
        return not self.items

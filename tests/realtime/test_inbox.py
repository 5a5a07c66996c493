"""realtime.inbox: the inbound messages of one connection, for one reader."""

from __future__ import annotations

import asyncio
import contextlib

from realtime.inbox import Inbox


async def test_messages_come_out_in_order_and_get_waits_for_the_next() -> None:
    inbox = Inbox()
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert inbox.qsize() == 2
    assert [await inbox.get(), await inbox.get()] == [1, 2]
    assert inbox.empty()
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    inbox.put_nowait(3)
    assert await waiting == 3


async def test_a_get_cancelled_after_its_message_arrived_leaves_it_for_the_next() -> None:
    inbox = Inbox()
    waiting = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait("kept")
    waiting.cancel()  # woken, but cancelled before it ran again
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    assert inbox.qsize() == 1
    assert await inbox.get() == "kept"

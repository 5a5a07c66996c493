"""An event loop of the process's own, in a thread, for the coroutines that synchronous
code outside any server runs: a save's publish from a management command, the shell, a
worker or a WSGI process.

asgiref's ``async_to_sync``, called where no event loop runs, makes a thread and a loop
for each call and closes both after it, and with them the channel layer's Redis
connection: every such save's publish connected to Redis anew, 1.4 ms of it against
0.4 ms on a loop kept running (docs/performance.md). Here one loop runs for the life of
the process and keeps its connections. It is made on first use, and again if its thread
ended; a child after a fork starts from nothing (it has neither the thread nor any use
for the parent's connections).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def _forget() -> None:
    """In a child after a fork: a new lock (another thread may have held the parent's),
    and no loop."""
    global _lock, _loop, _thread
    _lock, _loop, _thread = threading.Lock(), None, None


os.register_at_fork(after_in_child=_forget)


def loop() -> asyncio.AbstractEventLoop:
    """The process's background loop, started if none runs."""
    global _loop, _thread
    with _lock:
        if _loop is None or _thread is None or not _thread.is_alive():
            _loop = asyncio.new_event_loop()
            _thread = threading.Thread(target=_loop.run_forever,
                                       name="realtime-background-loop", daemon=True)
            _thread.start()
        return _loop


def run(coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
    """``coroutine``'s result, run on the background loop; ``TimeoutError`` (the
    coroutine cancelled) if it takes longer than ``timeout`` seconds. ``RuntimeError``
    at once from a thread whose own event loop runs (this one's, or a server's), which
    would stand still while it waits, as asgiref's ``async_to_sync`` refuses too."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        coroutine.close()
        raise RuntimeError("background_loop.run called from the background loop or "
                           "another running event loop")
    try:
        target = loop()
    except BaseException:
        coroutine.close()
        raise
    future = asyncio.run_coroutine_threadsafe(coroutine, target)
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        raise

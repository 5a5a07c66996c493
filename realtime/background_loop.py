"""An event loop of the process's own, in a thread, for the coroutines that synchronous
code outside any server runs: a save's publish from a management command, the shell, a
worker or a WSGI process.

asgiref's ``async_to_sync``, called where no event loop runs, makes a thread and a loop
for each call and closes both after it, and with them the channel layer's Redis
connection: every such save's publish connected to Redis anew, 1.4 ms of it against
0.4 ms on a loop kept running (docs/performance.md). Here one loop runs for the life of
the process and keeps its connections; it is made on first use, and again in a child
after a fork, which does not inherit the thread.
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
_pid: int | None = None


def loop() -> asyncio.AbstractEventLoop:
    """The process's background loop, started if it is not running here yet."""
    global _loop, _pid
    with _lock:
        if _loop is None or _pid != os.getpid():
            _loop, _pid = asyncio.new_event_loop(), os.getpid()
            threading.Thread(target=_loop.run_forever, name="realtime-background-loop",
                             daemon=True).start()
        return _loop


def run(coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
    """``coroutine``'s result, run on the background loop; ``TimeoutError`` (the
    coroutine cancelled) if it takes longer than ``timeout`` seconds. Not from a thread
    whose own event loop runs: that loop would wait on this one."""
    future = asyncio.run_coroutine_threadsafe(coroutine, loop())
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        raise

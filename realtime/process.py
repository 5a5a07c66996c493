"""This process's identity, and the one-task-per-event-loop helper the engine's tasks share.

``PROCESS_ORIGIN`` names the process in the event log, the shared sets and the
stats store. Tests run one event loop per test, so a background task (the
follower, the hub's layer link, the heartbeat) is kept per loop and started again
when the loop it ran on is gone.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

PROCESS_ORIGIN = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
# Set by ``python -m realtime.server``: its protocol bounds what a socket may have unsent
# (MAX_OUTBOUND_BUFFER), so the app need not time its sends.
server_bounds_sends = False


class LoopTask:
    """One task per running event loop, started on demand and again if it ended."""

    def __init__(self, name: str, factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.name = name
        self.factory = factory
        self.task: asyncio.Task | None = None

    def ensure(self) -> asyncio.Task:
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self.factory(), name=self.name)
        return self.task

    def active(self) -> bool:
        """Running on some event loop of this process (a server's)."""
        return self.task is not None and not self.task.done()

    def running_here(self) -> bool:
        """Running on the current thread's event loop (False outside any loop)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        return self.task is not None and not self.task.done() and self.task.get_loop() is loop

"""Relay events that other processes wrote to the event log.

With an in-process channel layer (the embedded default) a save made by a
management command or the shell cannot reach this process's sockets through
the layer; the event log is the bridge. One task per server process polls
for rows newer than its cursor that another process wrote and publishes them
here, at once when the writer wakes it (``realtime/wake.py``), or after
``BRIDGE_POLL_INTERVAL``. With Redis every process publishes itself and the
bridge is off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from django.db.models import Max

from . import wake
from .conf import setting
from .models import Event
from .publish import PROCESS_ORIGIN, apublish

logger = logging.getLogger("realtime.bridge")

BATCH = 500
# Seconds between two polls, however often publishers wake the bridge.
MIN_GAP = 0.002

_task: asyncio.Task | None = None


@database_sync_to_async
def _latest_id() -> int:
    return Event.objects.aggregate(m=Max("id"))["m"] or 0


@database_sync_to_async
def _after(cursor: int) -> list[Event]:
    return list(Event.objects.filter(id__gt=cursor).order_by("id")[:BATCH])


async def relay_forever() -> None:
    """Poll the log every interval, and at once when a publisher wakes us (wake.py)."""
    cursor = await _latest_id()
    interval = setting("BRIDGE_POLL_INTERVAL")
    woken = asyncio.Event()
    wake.listen(woken)
    try:
        while True:
            woken.clear()
            try:
                events = await _after(cursor)
            except Exception:
                logger.exception("event log poll failed")
                events = []
            for event in events:
                cursor = event.pk
                if event.origin != PROCESS_ORIGIN:
                    await apublish(event)
            if len(events) < BATCH:
                # Bounded: a flood of wake-ups costs at most one poll per MIN_GAP.
                await asyncio.sleep(MIN_GAP)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), interval)
    finally:
        wake.stop_listening()


def ensure_running() -> None:
    """Start the relay on the running loop, once per process (and per loop in tests)."""
    global _task
    if not setting("EVENT_LOG_BRIDGE"):
        return
    loop = asyncio.get_running_loop()
    if _task is None or _task.done() or _task.get_loop() is not loop:
        _task = loop.create_task(relay_forever(), name="realtime-event-log-bridge")

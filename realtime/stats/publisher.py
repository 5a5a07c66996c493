"""The publisher task: one per process, started on the running loop by its first socket.

Every ``STATS_INTERVAL`` it ticks the sampler and writes this process's snapshot to
the shared store; at a clean exit it removes the snapshot rather than leave it to
the TTL.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading

from ..conf import setting
from . import counting
from .sampling import sampler, snapshot
from .stores import DatabaseStore, RedisStore, store

logger = logging.getLogger("realtime.stats")

_publisher: asyncio.Task | None = None


def ensure_publishing() -> None:
    """Start sampling and publishing on the running loop, once per process (and loop)."""
    global _publisher
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    counting.start_serving()
    if _publisher is None or _publisher.done() or _publisher.get_loop() is not loop:
        _publisher = loop.create_task(publish_forever(), name="realtime-stats")


async def publish_forever() -> None:
    target = store()
    _forget_at_exit(target)
    failing = False
    while True:
        await asyncio.sleep(setting("STATS_INTERVAL"))
        sampler.tick()
        try:
            await target.awrite(snapshot())
        except Exception:
            if not failing:
                logger.warning("stats store (%s) write failed; this process is missing from "
                               "the cluster's stats until it recovers", target.backend,
                               exc_info=True)
            failing = True
        else:
            if failing:
                logger.warning("stats store (%s) writable again", target.backend)
            failing = False


_registered_exit = False


def _forget_at_exit(target: RedisStore | DatabaseStore) -> None:
    """At a clean exit remove this process's snapshot now rather than after the TTL."""
    global _registered_exit
    if _registered_exit:
        return
    _registered_exit = True
    from django.db import connection

    from ..process import PROCESS_ORIGIN

    database = connection.settings_dict.get("NAME")

    def forget() -> None:
        # Only where this process wrote (a test run's database is gone by now).
        if isinstance(target, DatabaseStore) and connection.settings_dict.get("NAME") != database:
            return
        try:
            target.delete(PROCESS_ORIGIN)
        except Exception:  # noqa: BLE001 - best effort; the TTL removes it anyway
            pass

    def bounded() -> None:
        # A locked SQLite file must not hold up the shutdown for its busy timeout.
        worker = threading.Thread(target=forget, daemon=True)
        worker.start()
        worker.join(2)

    atexit.register(bounded)

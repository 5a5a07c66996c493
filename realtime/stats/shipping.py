"""Counts of a process that serves no sockets, shipped to a hash in Redis.

A management command, a worker or the shell publishes events but no snapshot, so
what it counts would die with it. With Redis, ``counting.incr`` hands the counters
named in ``SHIPPED`` to ``shipper`` instead, and readers add the hash up as the
``external`` row. Without Redis nothing is shipped: the server's event-log bridge
counts other processes' events as it relays them.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter

from django.conf import settings

from ..conf import setting
from .stores import RedisStore

logger = logging.getLogger("realtime.stats")

# Failed logins too: an HTTP-only process, or one not yet serving a socket, still counts
# the guesses it refused.
SHIPPED = ("events.", "publish.failures", "login.")


class Shipper:
    """Counts of a process that serves no sockets, added to the shared hash
    ``<GROUP_PREFIX>:stats:external`` every ``STATS_INTERVAL`` by a daemon thread
    (never on the caller's path) and once more at exit."""

    def __init__(self) -> None:
        self.pending: Counter[str] = Counter()
        self.thread: threading.Thread | None = None
        # Its own lock: what it guards (pending, the thread) is read by nothing else.
        self._lock = threading.Lock()

    def add(self, name: str, amount: int) -> None:
        with self._lock:
            self.pending[name] += amount
            start = self.thread is None
            if start:
                self.thread = threading.Thread(target=self.run, daemon=True,
                                               name="realtime-stats-shipper")
        if start:
            self.thread.start()
            atexit.register(self.flush_bounded)

    def run(self) -> None:
        while True:
            time.sleep(setting("STATS_INTERVAL"))
            self.flush()

    def flush(self) -> None:
        url = getattr(settings, "REDIS_URL", "")
        with self._lock:
            if not url or not self.pending:
                return
            batch, self.pending = self.pending, Counter()
        try:
            RedisStore(url).add_external(batch)
        except Exception:
            logger.warning("could not ship %s counts to Redis; retrying", sum(batch.values()),
                           exc_info=True)
            with self._lock:
                self.pending.update(batch)

    def flush_bounded(self) -> None:
        worker = threading.Thread(target=self.flush, daemon=True)
        worker.start()
        worker.join(2)


shipper = Shipper()

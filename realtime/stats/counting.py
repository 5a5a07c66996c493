"""This process's figures, counted in memory: what the consumer, ``publish`` and the server call.

``record_deliveries`` runs on the fan-out path, so it is a few increments and a
histogram bucket per event, without the lock. The first socket this process
opens starts its publisher (``publisher.ensure_publishing``); until then, with Redis,
the publishing counts go to ``shipping.shipper`` instead of staying here.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections import Counter
from typing import Any

from django.conf import settings

from . import shipping
from .histogram import BOUNDS, Histogram
from .shipping import SHIPPED

# Guards counters and connections against the threads that read them (the sampler,
# a request's snapshot) while the event loop counts.
lock = threading.Lock()
counters: Counter[str] = Counter()
connections: Counter[str] = Counter()  # open sockets by role
latency = Histogram()

_serving = False  # this process publishes snapshots: it has served a socket


def start_serving() -> None:
    """This process publishes snapshots from now on: its counts stay in them, none shipped."""
    global _serving
    _serving = True


def incr(name: str, amount: int = 1) -> None:
    if not _serving and name.startswith(SHIPPED) and getattr(settings, "REDIS_URL", ""):
        shipping.shipper.add(name, amount)
        return
    with lock:
        counters[name] += amount


def connection_opened(role: str) -> None:
    # Deferred: the publisher imports this module (it samples these counters).
    from .publisher import ensure_publishing

    with lock:
        connections[role] += 1
        counters["connects"] += 1
    ensure_publishing()


def connection_closed(role: str, code: int | None) -> None:
    with lock:
        connections[role] -= 1
        if connections[role] <= 0:
            del connections[role]
        counters[f"disconnects.{code}"] += 1


def connection_moved(old_role: str, new_role: str) -> None:
    """An open socket changed role (``auth``): count it under the new one."""
    with lock:
        connections[old_role] -= 1
        if connections[old_role] <= 0:
            del connections[old_role]
        connections[new_role] += 1


def record_delivery(message: Any) -> None:
    """One event frame handed to a socket (``record_deliveries`` for one socket)."""
    record_deliveries((message,), 1)


def record_deliveries(messages: Any, sockets: int, batched: bool = False,
                      _now: Any = time.time, _bucket: Any = bisect_left,
                      _bounds: tuple[float, ...] = BOUNDS) -> None:
    """Each of ``messages`` handed to ``sockets`` sockets, on the fan-out path: no lock;
    ``batched``: as one ``batch`` frame each (deliveries over ``frames.batch`` is how
    much a burst was batched).

    ``message.at`` (realtime.messages) is the event's creation time (epoch seconds): each
    delivery lands in the latency histogram. The hub counts its fan-out 16 sockets at
    a time (``CHECK_EVERY``, realtime/hub.py) with one reading of the clock, instead of
    a reading and a bucket per socket, 4% of a lone event's fan-out
    (docs/performance.md); the 16 deliveries are measured after the last of them.
    """
    if sockets <= 0:
        return
    counters["deliveries"] += sockets * len(messages)
    if batched:
        counters["frames.batch"] += sockets
    now = None
    for message in messages:
        at = message.at
        if at is None:
            continue
        if now is None:
            now = _now()
        seconds = now - at
        if seconds > 0:
            latency.counts[_bucket(_bounds, seconds)] += sockets
            latency.sum += seconds * sockets
        else:  # a clock behind the publisher's
            latency.counts[0] += sockets


def open_connections() -> int:
    return sum(connections.values())

"""Counters of this process: connections, frames, events, errors.

Kept in memory per process; ``snapshot()`` is what ``/api/ws/stats`` serves.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from threading import Lock
from typing import Any

_started = time.time()
_lock = Lock()
counters: Counter[str] = Counter()
connections: Counter[str] = Counter()  # open sockets by role


def incr(name: str, amount: int = 1) -> None:
    with _lock:
        counters[name] += amount


def connection_opened(role: str) -> None:
    with _lock:
        connections[role] += 1
        counters["connects"] += 1


def connection_closed(role: str, code: int | None) -> None:
    with _lock:
        connections[role] -= 1
        if connections[role] <= 0:
            del connections[role]
        counters[f"disconnects.{code}"] += 1


def connection_moved(old_role: str, new_role: str) -> None:
    """An open socket changed role (``auth``): count it under the new one."""
    with _lock:
        connections[old_role] -= 1
        if connections[old_role] <= 0:
            del connections[old_role]
        connections[new_role] += 1


def record_delivery(message: dict[str, Any]) -> None:
    """One event frame handed to a socket; called on the fan-out path, so kept cheap."""
    counters["deliveries"] += 1


def open_connections() -> int:
    return sum(connections.values())


def snapshot() -> dict[str, Any]:
    with _lock:
        return {
            "pid": os.getpid(),
            "uptime": round(time.time() - _started, 3),
            "connections": {"total": sum(connections.values()), "byRole": dict(connections)},
            "counters": dict(counters),
        }

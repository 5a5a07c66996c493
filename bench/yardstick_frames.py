"""The frames every yardstick sends, so their events are the same bytes as each other's.

Each event is encoded once per event, with its ``ts``, as the project does per
publish: the yardsticks differ only in how they deliver it. Every event of one
trigger carries the trigger's arrival as its ``ts``.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

PAYLOAD = {"orderId": 0, "customerId": 1, "customerName": "Bench Customer", "status": "pending",
           "total": "10.00", "channel": "online", "createdAt": ""}
_ids = itertools.count(1)


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def ts_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def next_event_frame(namespace: str = "orders", ts: str | None = None) -> str:
    """The text of the next ``order:created`` event frame (ids increase per process).

    ``ts`` is when the event came to be: a trigger's K events all exist when it
    arrives, as a burst of K saves does, so each waits behind the ones before it as
    the project's do. (Stamped when its own broadcast began, an event's latency left
    out that wait: the yardsticks' burst figures were per-event fan-out times.)
    """
    event_id = next(_ids)
    ts = ts or ts_now()
    return dumps({"type": "order:created", "id": event_id, "namespace": namespace, "ts": ts,
                  "data": {**PAYLOAD, "orderId": event_id, "createdAt": ts}})

"""The frames every yardstick sends, so their events are the same bytes as each other's.

Each event is encoded once per event, with its ``ts``, as the project does per
publish: the yardsticks differ only in how they deliver it.
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


def next_event_frame(namespace: str = "orders") -> str:
    """The text of the next ``order:created`` event frame (ids increase per process)."""
    event_id = next(_ids)
    ts = ts_now()
    return dumps({"type": "order:created", "id": event_id, "namespace": namespace, "ts": ts,
                  "data": {**PAYLOAD, "orderId": event_id, "createdAt": ts}})

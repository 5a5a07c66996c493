"""Which events are coalesced, and under what key.

A value that changes ten times in a second is one event to a dashboard,
carrying the latest value: a namespace declares which of its actions are
debounced, and by which payload field (``register(..., debounce={...})``). ``publish`` marks such messages with
their key; each server process's hub (realtime/hub.py) holds one timer per key
and group — not per socket — and when it fires hands the latest message to the
group once. Latency is bounded by the window; threshold events are never
coalesced.
"""

from __future__ import annotations

from typing import Any

from .conf import setting
from .events import EVENT_TYPES


def debounce_key(event_type: str, payload: dict[str, Any]) -> str | None:
    """The coalescing key of an event, or None when its type is never debounced."""
    namespace = EVENT_TYPES.get(event_type)
    field = namespace.debounce.get(event_type.split(":", 1)[1]) if namespace else None
    if field is None or setting("DEBOUNCE_WINDOW") <= 0:
        return None
    return f"{event_type}:{payload.get(field)}"

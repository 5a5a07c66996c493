"""Which events are coalesced, and under what key.

Stock that changes ten times in a second is one ``inventory:updated`` to a
dashboard, carrying the latest quantity. ``publish`` marks such messages with
their key; each server process's hub (realtime/hub.py) holds one timer per key
and group — not per socket — and when it fires hands the latest message to the
group once. Latency is bounded by the window; threshold events are never
coalesced.
"""

from __future__ import annotations

from typing import Any

from .conf import setting


def debounce_key(event_type: str, payload: dict[str, Any]) -> str | None:
    """The coalescing key of an event, or None when its type is never debounced."""
    field = setting("DEBOUNCE_TYPES").get(event_type)
    if field is None or setting("DEBOUNCE_WINDOW") <= 0:
        return None
    return f"{event_type}:{payload.get(field)}"

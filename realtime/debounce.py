"""Coalesce bursts of one event type per key, per server process.

Stock that changes ten times in a second is one ``inventory:updated`` to a
dashboard, carrying the latest quantity. Each server process holds one timer
per key (not per socket): the first event of a burst starts it, later ones
replace the pending message, and when it fires every socket that was offered
the key gets the latest message once. Latency is bounded by the window.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .conf import setting

if TYPE_CHECKING:
    from .consumers import RealtimeConsumer


def debounce_key(event_type: str, payload: dict[str, Any]) -> str | None:
    """The coalescing key of an event, or None when its type is never debounced."""
    field = setting("DEBOUNCE_TYPES").get(event_type)
    if field is None or setting("DEBOUNCE_WINDOW") <= 0:
        return None
    return f"{event_type}:{payload.get(field)}"


class Debouncer:
    def __init__(self) -> None:
        self.pending: dict[str, tuple[dict[str, Any], set[RealtimeConsumer]]] = {}

    def offer(self, consumer: RealtimeConsumer, message: dict[str, Any]) -> None:
        key = message["debounce"]
        entry = self.pending.get(key)
        if entry is None:
            self.pending[key] = (message, {consumer})
            asyncio.get_running_loop().call_later(setting("DEBOUNCE_WINDOW") / 1000,
                                                  self._fire, key)
            return
        latest, consumers = entry
        consumers.add(consumer)
        if message["id"] > latest["id"]:
            self.pending[key] = (message, consumers)

    def _fire(self, key: str) -> None:
        message, consumers = self.pending.pop(key)
        for consumer in consumers:
            asyncio.ensure_future(consumer.deliver(message))


debouncer = Debouncer()

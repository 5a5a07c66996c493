"""What the fan-out carries: one typed message per event, from publisher to sockets.

A message is built once per event (``publish.event_message``), crosses the channel
layer as a plain dict (``to_layer``/``from_layer``: the layer serializes dicts), and
is handed by the follower to the hub, which hands the same object to every member
socket of its groups. Its ``send`` (the ASGI ``websocket.send`` message, with the
frame's wire bytes) is built the first time a socket needs it, then shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .frames import FRAMES, batch_message, frames_message, send_message

EVENT = "rt.event"
CONTROL = "rt.control"
_LAYER_FIELDS = ("id", "groups", "ns", "targeted", "at", "text", "debounce", "action",
                 "credential")


@dataclass(slots=True, eq=False)
class Message:
    """An event (``kind`` EVENT) or a control message to a user's sockets (CONTROL)."""

    kind: str
    id: int
    groups: tuple[str, ...]
    ns: str = ""
    targeted: bool = False
    # The event's creation time (epoch seconds): delivery latency is measured from it.
    at: float | None = None
    text: str = ""
    # The coalescing key of a debounced event (realtime.debounce), if it is one.
    debounce: str | None = None
    # CONTROL only: what happened, and the credential (session or token fingerprint)
    # it is about.
    action: str = ""
    credential: str = ""
    _send: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def send(self) -> dict[str, Any]:
        if self._send is None:
            self._send = send_message(self.text)
        return self._send

    def without_debounce(self) -> Message:
        return replace(self, debounce=None)

    def to_layer(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        for name in _LAYER_FIELDS:
            out[name] = getattr(self, name)
        out["groups"] = list(self.groups)
        return out

    @classmethod
    def from_layer(cls, data: dict[str, Any]) -> Message:
        values = {name: data[name] for name in _LAYER_FIELDS if name in data}
        values["groups"] = tuple(values.get("groups", ()))
        return cls(kind=data["type"], **values)


def joined(messages: list[Message], *, batch: bool) -> dict[str, Any]:
    """The send of these events to one socket: a lone one's own frame, else one
    ``batch`` frame or (``batch`` False: ``BATCH_MAX`` 1) their own frames together."""
    if len(messages) == 1:
        return messages[0].send
    if batch:
        return batch_message(message.text for message in messages)
    return frames_message([message.send for message in messages])


def is_batch(send: dict[str, Any]) -> bool:
    """Whether a send of several events is one ``batch`` frame (not frames together)."""
    return FRAMES not in send


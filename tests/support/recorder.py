"""A hub member that keeps what it is handed, in place of a socket."""

from __future__ import annotations

from typing import Any


class Recorder:
    # Handed events through ``deliver`` (an ASGI send), as a socket on any server.
    send_now = None

    def __init__(self) -> None:
        self.messages: list[Any] = []
        # The ``websocket.send`` message of each delivery (a frame or a batch).
        self.sends: list[dict[str, Any]] = []

    async def deliver(self, messages: list[Any], send: dict[str, Any]) -> None:
        self.messages.extend(messages)
        self.sends.append(send)

    @property
    def ids(self) -> list[int]:
        return [message.id for message in self.messages]


class NowRecorder(Recorder):
    """A member whose server writes synchronously (realtime.server's): handed events
    through ``deliver_now``, never through the coroutine."""

    send_now = object()

    async def deliver(self, messages: list[Any], send: dict[str, Any]) -> None:
        raise AssertionError("the fan-out awaited deliver for a member that writes now")

    def deliver_now(self, messages: list[Any], send: dict[str, Any]) -> bool:
        """Takes them all, as a subscribed socket does: the hub counts the delivery."""
        self.messages.extend(messages)
        self.sends.append(send)
        return True

"""A hub member that keeps what it is handed, in place of a socket."""

from __future__ import annotations

from typing import Any


class Recorder:
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

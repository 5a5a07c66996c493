"""The newest events this process handed to its sockets, kept encoded for resumes.

After a deploy or a network blip every socket comes back at once and asks for the
few events it missed with ``since``. Read from the log, that is one query and one
frame encoding per socket for the same handful of rows: in a storm of 5,000 the
resumes' log reads were a third of the surviving server's CPU (docs/performance.md).
The follower hands every event in position order, so the last ``REPLAY_MEMORY``
of them, with their frames already encoded, answer almost every resume without
the database.

Only what the log would return is kept: events of a namespace, not those
addressed to a user, a role or everyone. A resume is served from here only when
every such event after its ``since`` is still here (``complete_after``); older
positions are read from the log as before (realtime/replay.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from .conf import setting
from .messages import EVENT, Message


class Recent:
    """Events in position order, complete after ``complete_after`` (None: not started)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.complete_after: int | None = None

    def start(self, complete_after: int, newest: Iterable[Message] = ()) -> None:
        """Start with the log's newest events, which hold every event the log has after
        ``complete_after`` (the follower's first cursor when there are none)."""
        self.messages = [message for message in newest if keeps(message)]
        self.complete_after = complete_after
        self._trim()

    def stop(self) -> None:
        self.messages, self.complete_after = [], None

    def record(self, message: Message) -> None:
        """A message the follower handed, at the next position."""
        if self.complete_after is None or not keeps(message):
            return
        if not setting("REPLAY_MEMORY"):
            self.complete_after = message.id
            return
        self.messages.append(message)
        if len(self.messages) > 2 * setting("REPLAY_MEMORY"):
            self._trim()

    def after(self, since: int, namespace: str, group: str) -> list[Message] | None:
        """The events of ``namespace`` for ``group`` after ``since``, or None when some
        of them may be older than what is kept.

        A socket's group is the one it joined for the namespace, so this is the
        same filter as the live fan-out's and as the log's read for the role
        (all of the namespace, or one owner's events).
        """
        if (not setting("REPLAY_MEMORY") or self.complete_after is None
                or since < self.complete_after):
            return None
        start = bisect_right(self.messages, since, key=message_id)
        return [message for message in self.messages[start:]
                if message.ns == namespace and group in message.groups]

    def _trim(self) -> None:
        excess = len(self.messages) - setting("REPLAY_MEMORY")
        if excess > 0:
            self.complete_after = self.messages[excess - 1].id
            del self.messages[:excess]


def message_id(message: Message) -> int:
    return message.id


def keeps(message: Message) -> bool:
    return message.kind == EVENT and not message.targeted


recent = Recent()

"""Back-pressure on what a client sends, under Twisted (``python -m realtime.server`` and
stock Daphne): frames are counted as they arrive, before Daphne queues them for the app.

Daphne puts every frame a client sends on an unbounded queue, and the app's rate limit
(realtime/limits.py) only sees a frame once it is taken off it: eight clients sending
10,000 frames each filled memory and held everyone's frames behind theirs. Here each
socket has an arrival budget — twice what the app's rate limit lets through before it
closes (burst plus strikes, refilled at twice the rate), so a client the app would
still serve never meets it — and a bound on frames waiting for the app
(``INBOUND_QUEUE``). Past either, the server stops reading from that socket (Twisted's
``pauseProducing``: the rest stays in the kernel's buffers and the client's), mutes it,
and closes it with 4008. WebSocket ping frames, which autobahn answers itself, count
against the same budget. Under uvicorn the same bound is websockets' ``max_queue``
(``--ws-max-queue``, 32 frames): it stops reading while the queue is full.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from . import stats
from .conf import setting
from .protocol import CloseCode

logger = logging.getLogger("realtime.inbound")

# Seconds a stopped flooder has to read its 4008 before the connection is dropped.
CLOSE_WAIT = 5.0


class InboundBudget:
    __slots__ = ("rate", "capacity", "tokens", "stamp", "queue_limit")

    def __init__(self) -> None:
        rate = setting("RATE_LIMIT") / 60.0
        close_after = setting("RATE_LIMIT_CLOSE_AFTER") or setting("RATE_LIMIT")
        self.rate = 2 * rate
        self.capacity = 2.0 * (setting("RATE_LIMIT_BURST") + close_after)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.queue_limit = setting("INBOUND_QUEUE")

    def admit(self, queued: int) -> bool:
        """Whether a frame that just arrived may join the ``queued`` ones."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1 or queued >= self.queue_limit:
            return False
        self.tokens -= 1
        return True


def arrived(protocol: Any) -> bool:
    """Call for each frame a Daphne WebSocket protocol receives (pings too): True to
    pass it on, False once the socket has been stopped."""
    if getattr(protocol, "realtime_stopped", False):
        return False
    budget = getattr(protocol, "inbound_budget", None)
    if budget is None:
        budget = protocol.inbound_budget = InboundBudget()
    if budget.admit(protocol.application_queue.qsize()):
        return True
    stop(protocol)
    return False


def stop(protocol: Any) -> None:
    # A flag of our own, not Daphne's ``muted``: a muted protocol never tells the app it
    # disconnected, and the consumer would stay in its groups and the caps.
    protocol.realtime_stopped = True
    transport = protocol.transport
    if transport is not None:
        transport.pauseProducing()
    stats.incr("dropped.flooder")
    logger.warning("flooding client stopped client=%s queued=%s", protocol.client_addr,
                   protocol.application_queue.qsize())
    if protocol.state == protocol.STATE_OPEN:
        # Not read any more, the client's close reply never arrives: the connection is
        # dropped when this wait ends, and what is still unread makes that drop a TCP
        # reset, which also discards the close frame if the client has not read it yet.
        # A flooding client is busy sending: give it time to read the 4008.
        protocol.closeHandshakeTimeout = CLOSE_WAIT
        protocol.sendClose(code=CloseCode.POLICY, reason="rate limit exceeded")

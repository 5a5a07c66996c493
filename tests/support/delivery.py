"""Counting what clients received against the event log: the delivery tests and the soak."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from tests.support.servers import DaphneServer
from tests.support.wsclient import WS


def order_ids(socket: WS) -> list[int]:
    return [frame["id"] for frame in socket.events("order:")]


@dataclass
class Resumer:
    """What a reconnecting client saw: event ids in arrival order, and each subscribe's reply."""

    seen: list[int] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)

    @property
    def resets(self) -> int:
        return sum(not reply["data"]["recovered"] for reply in self.replies)


async def reconnecting_client(servers: list[DaphneServer], token: str, since: int,
                              done: asyncio.Event, seed: int) -> Resumer:
    """Reconnect every 0.2-1 s, alternating servers, resuming from the last id seen, until
    ``done``; then once more, to collect the tail. A refused connect is tried again."""
    rng, result, attempt = random.Random(seed), Resumer(), 0
    while True:
        finishing = done.is_set()
        server = servers[attempt % len(servers)]
        attempt += 1
        try:
            socket = await WS.open(f"{server.ws}/api/ws", token=token)
        except OSError:
            await asyncio.sleep(0.5)  # the client's backoff before its next attempt
            continue
        result.replies.append(await socket.subscribe("orders", since=since))
        if not finishing:
            # The client's own rhythm: how long it stays before its next reconnect.
            await asyncio.sleep(rng.uniform(0.2, 1.0))
        await socket.roundtrip()
        ids = order_ids(socket)
        result.seen.extend(ids)
        since = max([since, *ids])
        await socket.close()
        if finishing:
            return result


def describe(ids: list[int], expected: list[int]) -> dict[str, int]:
    """Delivered of expected, duplicates and frames out of order."""
    return {"delivered": len(set(ids) & set(expected)), "expected": len(expected),
            "duplicates": len(ids) - len(set(ids)),
            "out_of_order": sum(a > b for a, b in zip(ids, ids[1:], strict=False))}

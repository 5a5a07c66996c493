"""Yardstick: a plain Python ``websockets`` server doing the same job minimally.

``python -m bench.yardstick_websockets --port P`` listens on 127.0.0.1 only. A socket
gets ``connected``; ``auth`` is answered with ``authenticated`` (the token is not
checked), ``subscribe`` adds the socket to the one group and answers ``subscribed``;
a client ``ping`` gets ``pong``.
``GET /trigger?k=K`` broadcasts K event frames to the group with
``websockets.broadcast``: each frame is encoded once (with its ``ts``, as the project
does per publish) and written to every subscriber. ``GET /health`` answers ``ok``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from bench.yardstick_frames import dumps, next_event_frame, ts_now

subscribers: set[ServerConnection] = set()


async def broadcast_events(count: int, ts: str) -> None:
    for _ in range(count):
        broadcast(subscribers, next_event_frame(ts=ts))
        await asyncio.sleep(0)


def process_request(connection: ServerConnection, request: Any) -> Any:
    url = urlsplit(request.path)
    if url.path == "/trigger":
        count = int(parse_qs(url.query).get("k", ["1"])[0])
        asyncio.get_running_loop().create_task(broadcast_events(count, ts_now()))
        return connection.respond(HTTPStatus.OK, f"{count}\n")
    if url.path == "/health":
        return connection.respond(HTTPStatus.OK, "ok\n")
    if url.path == "/stats":
        return connection.respond(HTTPStatus.OK, f"{len(subscribers)}\n")
    return None


async def handler(ws: ServerConnection) -> None:
    await ws.send(dumps({"type": "connected", "data": {"role": "guest", "protocol": 1}}))
    try:
        async for message in ws:
            frame = json.loads(message)
            kind = frame.get("type")
            ref = frame.get("ref")
            if kind == "auth":
                await ws.send(dumps({"type": "authenticated", "ref": ref,
                                     "data": {"userId": 1, "role": "staff",
                                              "namespaces": ["orders"]}}))
            elif kind == "ping":
                await ws.send(dumps({"type": "pong", "ref": ref, "data": {}}))
            elif kind == "subscribe":
                subscribers.add(ws)
                await ws.send(dumps({"type": "subscribed", "ref": ref,
                                     "data": {"namespace": "orders", "lastEventId": 0,
                                              "recovered": False}}))
    except ConnectionClosed:
        pass
    finally:
        subscribers.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, process_request=process_request,
                     compression=None, max_size=2**20) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(args.port))

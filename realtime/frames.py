"""Every server frame is built here: its JSON text, its wire bytes, its ASGI message.

An event's frame is built once per publish and written as is to every socket;
``realtime.server`` writes even the WebSocket framing (``text_frame``) once. A
``batch`` frame is joined from its events' already-encoded texts.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from datetime import datetime
from typing import Any

# The pre-built WebSocket frame of a message, for servers that write it as is.
WIRE = "realtime.wire"
# The messages of several frames sent together (``frames_message``), in order.
FRAMES = "realtime.frames"
# On a ``websocket.accept``: the application sends a frame (or a close) next, without
# waiting for the client; realtime.server then writes the handshake's response and that
# frame in one send. Other servers ignore it.
FRAME_FOLLOWS = "realtime.frame_follows"


def accept_message() -> dict[str, Any]:
    """The ``websocket.accept`` of a socket whose ``connected`` frame (or refusal) follows."""
    return {"type": "websocket.accept", "subprotocol": None, FRAME_FOLLOWS: True}


def dumps(obj: Any) -> str:
    """Compact JSON, ASCII-escaped: a lone surrogate echoed from a client stays sendable."""
    return json.dumps(obj, separators=(",", ":"), default=str, allow_nan=False)


def frame(frame_type: str, data: Any = None, ref: Any = None) -> str:
    out: dict[str, Any] = {"type": frame_type, "data": {} if data is None else data}
    if ref is not None:
        out["ref"] = ref
    return dumps(out)


def error_frame(code: str, message: str, ref: Any = None, **extra: Any) -> str:
    return frame("error", {"code": code, "message": message, **extra}, ref)


def event_frame(event_id: int, event_type: str, namespace: str, ts: datetime | str,
                payload: dict[str, Any]) -> str:
    """The text of one event frame; built once per publish, sent as is to every socket."""
    if isinstance(ts, datetime):
        ts = ts.isoformat().replace("+00:00", "Z")
    return dumps({"type": event_type, "id": event_id, "namespace": namespace,
                  "ts": ts, "data": payload})


def text_frame(text: str) -> bytes:
    """The WebSocket wire bytes of a server text frame (RFC 6455: FIN, opcode 1, unmasked).

    Built once per event and written as is to every socket by ``realtime.server``,
    instead of each socket encoding and framing the same text again.
    """
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def send_message(text: str) -> dict[str, Any]:
    """The ``websocket.send`` message of a frame, with its wire bytes for realtime.server."""
    return {"type": "websocket.send", "text": text, WIRE: text_frame(text)}


def frames_message(sends: list[dict[str, Any]]) -> dict[str, Any]:
    """Several frames, each its own, sent together: realtime.server writes their wire
    bytes in one system call instead of one each (``BATCH_MAX`` 1, where events that
    wait are not joined into a ``batch`` frame); any other server is handed each
    ``websocket.send`` in turn (realtime.consumers). Never an ASGI message by itself."""
    return {"type": "websocket.send", FRAMES: sends, WIRE: b"".join(s[WIRE] for s in sends)}


def batch_message(texts: Iterable[str]) -> dict[str, Any]:
    """One ``batch`` frame of events, in order, from their already-encoded texts."""
    return send_message(f'{{"type":"batch","data":[{",".join(texts)}]}}')

"""Frames of docs/protocol.md: parsing client frames, the codes (building: frames.py).

``realtime/static/realtime/js/constants.js`` mirrors the tables here; a test keeps the
two equal.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1


class ErrorCode:
    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_NAMESPACE = "unknown_namespace"
    FORBIDDEN = "forbidden"
    AUTH_FAILED = "auth_failed"
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"


ERROR_CODES = tuple(v for k, v in vars(ErrorCode).items() if k.isupper())


class AuthFailure:
    """``data.reason`` of an ``auth_failed`` error: what the client does next."""

    EXPIRED = "expired"  # fetch a new token and send ``auth`` again
    REVOKED = "revoked"  # logged out, password changed, deactivated or revoked: sign in
    INVALID = "invalid"  # not a token of this server


AUTH_FAILURES = tuple(v for k, v in vars(AuthFailure).items() if k.isupper())


class CloseCode:
    GOING_AWAY = 1001
    # The server's frame guard refused a frame from its header (realtime.server).
    TOO_LARGE = 1009
    HEARTBEAT_TIMEOUT = 4000
    SCOPE_CHANGED = 4001
    # Policy closes use application codes: every ASGI server lets an application send
    # them, where Daphne's autobahn refuses 1008 and 1013 (a proxy may still send those).
    POLICY = 4008
    MESSAGE_TOO_LARGE = 4009
    TRY_AGAIN_LATER = 4013
    SESSION_ENDED = 4500
    ORIGIN_REFUSED = 4503


CLOSE_CODES = {k: v for k, v in vars(CloseCode).items() if k.isupper()}

# The rule clients follow without matching strings: which codes mean "reconnect".
RECONNECT_RANGE = range(4000, 4500)
TERMINAL_RANGE = range(4500, 5000)
RECONNECT_STANDARD = frozenset({1000, 1001, 1006, 1008, 1009, 1011, 1012, 1013})
# Close codes after which a client waits long before reconnecting: the rate limit and a
# full server, and the standard codes a proxy sends for them.
LONG_BACKOFF = frozenset({1008, 1013, CloseCode.POLICY, CloseCode.TRY_AGAIN_LATER})


def should_reconnect(code: int) -> bool:
    if code in TERMINAL_RANGE:
        return False
    return code in RECONNECT_RANGE or code in RECONNECT_STANDARD


class FrameError(Exception):
    """A client frame that cannot be served; becomes an ``error`` frame."""

    def __init__(self, code: str, message: str, ref: Any = None, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref
        self.extra = extra


@dataclass(frozen=True, slots=True)
class ClientFrame:
    type: str
    data: dict[str, Any]
    ref: Any


def _valid_ref(ref: Any) -> bool:
    return ref is None or (isinstance(ref, (str, int, float)) and not isinstance(ref, bool))


# Integers a JavaScript client can hold exactly; larger ones are refused as fields.
MAX_SAFE_INTEGER = 2**53 - 1


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse(text: str) -> ClientFrame:
    """Decode one client frame, or raise FrameError with the protocol's code.

    Strict JSON: NaN, Infinity and numbers that overflow are ``bad_json``, like
    nesting too deep to decode.
    """
    try:
        raw = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise FrameError(ErrorCode.BAD_JSON, "Frame is not valid JSON") from None
    if not isinstance(raw, dict):
        raise FrameError(ErrorCode.BAD_MESSAGE, "Frame must be a JSON object")
    ref = raw.get("ref")
    if not _valid_ref(ref):
        raise FrameError(ErrorCode.BAD_MESSAGE, "'ref' must be a string or a number")
    frame_type = raw.get("type")
    if not isinstance(frame_type, str) or not frame_type:
        raise FrameError(ErrorCode.BAD_MESSAGE, "'type' must be a non-empty string", ref)
    data = raw.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrameError(ErrorCode.BAD_MESSAGE, "'data' must be an object", ref)
    return ClientFrame(frame_type, data, ref)


def require(data: dict[str, Any], key: str, kind: type | tuple[type, ...], ref: Any,
            *, optional: bool = False) -> Any:
    """A field of ``data`` of the given type, or FrameError bad_message naming it."""
    if key not in data or data[key] is None:
        if optional:
            return None
        raise FrameError(ErrorCode.BAD_MESSAGE, f"'data.{key}' is required", ref)
    value = data[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise FrameError(ErrorCode.BAD_MESSAGE, f"'data.{key}' has the wrong type", ref)
    if not isinstance(value, kind):
        raise FrameError(ErrorCode.BAD_MESSAGE, f"'data.{key}' has the wrong type", ref)
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        raise FrameError(ErrorCode.BAD_MESSAGE, f"'data.{key}' is out of range", ref)
    return value

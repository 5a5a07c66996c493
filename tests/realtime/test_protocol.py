"""realtime.protocol: frame parsing, frame building, error and close codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from realtime.frames import error_frame, event_frame, frame
from realtime.protocol import (
    CLOSE_CODES,
    ERROR_CODES,
    PROTOCOL_VERSION,
    FrameError,
    parse,
    require,
    should_reconnect,
)

from . import spec


def test_protocol_version_is_one() -> None:
    assert PROTOCOL_VERSION == 1


def test_error_codes_are_those_of_the_protocol() -> None:
    assert sorted(ERROR_CODES) == sorted(spec.ERROR_CODES)


def test_close_codes_are_those_of_the_protocol() -> None:
    assert sorted(CLOSE_CODES.values()) == sorted(spec.CLOSE_CODES)


@pytest.mark.parametrize(("code", "reconnect"), sorted(spec.CLOSE_CODES.items()))
def test_should_reconnect_follows_the_close_table(code: int, reconnect: bool) -> None:
    assert should_reconnect(code) is reconnect


def test_should_reconnect_follows_the_range_rule() -> None:
    assert all(should_reconnect(code) for code in range(4000, 4500))
    assert not any(should_reconnect(code) for code in range(4500, 5000))


def test_close_table_codes_obey_the_range_rule() -> None:
    for code, reconnect in spec.CLOSE_CODES.items():
        if 4000 <= code < 5000:
            assert reconnect is (code < 4500), code


# Parsing client frames


@pytest.mark.parametrize(("text", "expected"), [
    ('{"type": "ping"}', ("ping", {}, None)),
    ('{"type": "ping", "data": null}', ("ping", {}, None)),
    ('{"type": "subscribe", "data": {"namespace": "orders"}, "ref": "r1"}',
     ("subscribe", {"namespace": "orders"}, "r1")),
    ('{"type": "ping", "data": {"ts": 1}, "ref": 7}', ("ping", {"ts": 1}, 7)),
    ('{"type": "ping", "ref": 2.5}', ("ping", {}, 2.5)),
    ('{"type": "ping", "extra": true}', ("ping", {}, None)),
])
def test_parse_valid_frames(text: str, expected: tuple) -> None:
    parsed = parse(text)
    assert (parsed.type, parsed.data, parsed.ref) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("", "bad_json"),
    ("{", "bad_json"),
    ("{'type': 'ping'}", "bad_json"),
    ("[" * 100_000, "bad_json"),
    ('{"type": "ping", "ref": NaN}', "bad_json"),  # not JSON, and not echoable
    ('{"type": "ping", "ref": Infinity}', "bad_json"),
    ("[]", "bad_message"),
    ('"ping"', "bad_message"),
    ("42", "bad_message"),
    ("null", "bad_message"),
    ("{}", "bad_message"),
    ('{"type": ""}', "bad_message"),
    ('{"type": 5}', "bad_message"),
    ('{"type": null}', "bad_message"),
    ('{"type": "ping", "data": []}', "bad_message"),
    ('{"type": "ping", "data": "x"}', "bad_message"),
    ('{"type": "ping", "ref": true}', "bad_message"),
    ('{"type": "ping", "ref": [1]}', "bad_message"),
    ('{"type": "ping", "ref": {"a": 1}}', "bad_message"),
])
def test_parse_bad_frames(text: str, code: str) -> None:
    with pytest.raises(FrameError) as caught:
        parse(text)
    assert caught.value.code == code
    assert caught.value.code in spec.ERROR_CODES


def test_parse_keeps_a_valid_ref_on_a_bad_frame() -> None:
    with pytest.raises(FrameError) as caught:
        parse('{"type": "ping", "data": [], "ref": "r9"}')
    assert caught.value.ref == "r9"


def test_require() -> None:
    data = {"s": "x", "n": 3, "b": True, "none": None}
    assert require(data, "s", str, None) == "x"
    assert require(data, "n", int, None) == 3
    assert require(data, "missing", int, None, optional=True) is None
    assert require(data, "none", int, None, optional=True) is None
    for key, kind in (("s", int), ("n", str), ("b", int), ("missing", str), ("none", str)):
        with pytest.raises(FrameError) as caught:
            require(data, key, kind, "ref")
        assert (caught.value.code, caught.value.ref) == ("bad_message", "ref")
        assert f"data.{key}" in caught.value.message


# Building server frames


def test_frame_and_error_frame() -> None:
    assert json.loads(frame("pong", {"ts": 1}, "r")) == {
        "type": "pong", "data": {"ts": 1}, "ref": "r"}
    assert json.loads(frame("pong")) == {"type": "pong", "data": {}}
    assert json.loads(error_frame("rate_limited", "slow down", 0, retryAfter=500)) == {
        "type": "error", "data": {"code": "rate_limited", "message": "slow down",
                                  "retryAfter": 500}, "ref": 0}


def test_event_frame_has_id_namespace_and_utc_ts() -> None:
    ts = datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=UTC)
    text = event_frame(42, "order:created", "orders", ts, {"total": "149.90", "name": "Zoë"})
    assert json.loads(text) == {
        "type": "order:created", "id": 42, "namespace": "orders",
        "ts": "2024-05-01T12:30:15.250000Z", "data": {"total": "149.90", "name": "Zoë"}}


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_text_frame_is_the_rfc6455_encoding_a_client_decodes(size):
    from websockets.frames import Frame, Opcode
    from websockets.streams import StreamReader

    from realtime.frames import text_frame

    text = "é" * (size // 2) + "x" * (size % 2)
    reader = StreamReader()
    reader.feed_data(text_frame(text))
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data.decode() == text

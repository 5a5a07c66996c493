"""Property-based fuzzing of the consumer: random and mutated frames never crash it,
are answered with docs/protocol.md's codes, and never open a path for an event to a socket
whose role may not see it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime.auth import websocket_stack
from realtime.events import NAMESPACES, Access
from realtime.protocol import ERROR_CODES
from realtime.publish import emit
from realtime.routing import websocket_urlpatterns
from realtime.tokens import issue as make_token

REALTIME = {"PROFILE_RESOLVER": "orders.realtime.customer_profile", "EVENT_LOG_BRIDGE": False,
            "RATE_LIMIT": 10_000, "RATE_LIMIT_BURST": 10_000}
REPLIES = {"connected", "authenticated", "subscribed", "unsubscribed", "pong", "error", "reset"}
FRAME_TYPES = ["auth", "subscribe", "unsubscribe", "ping", "pong", "activity", "batch",
               "connected", "order:created", "", "AUTH"]
FIELDS = ["type", "data", "ref", "namespace", "since", "token", "action", "productId",
          "quantity", "userId", "role", "ts"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**53, max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
    | st.sampled_from(list(NAMESPACES) + ["admin", "customer", "../orders", "orders\x00"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS),
                                                                inner, max_size=4),
    max_leaves=12)

valid_frames = st.fixed_dictionaries(
    {"type": st.sampled_from(FRAME_TYPES)},
    optional={"data": st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
              "ref": json_values})

mutated = valid_frames.map(json.dumps)
raw_text = st.one_of(
    st.text(max_size=200),
    st.just("[" * 5000 + "]" * 5000),
    st.just('{"type": "ping", "data": {"n": 1e999}}'),
    st.just('{"type": "ping", "data": {"n": NaN}}'),
    st.just('{"type": "ping", "data": {"n": ' + "9" * 5000 + "}}"),
    st.just('{"type": "ping", "data": {"s": "\\ud800"}, "ref": "\\udfff"}'),
    st.just('{"type": "subscribe", "data": {"namespace": "orders", "since": 1e300}}'),
    st.just('{"type": "subscribe", "data": {"namespace": "orders", "since": '
            + str(2**70) + "}}"),
)
binary = st.binary(max_size=64).map(lambda b: ("bytes", b))
frames = st.lists(st.one_of(mutated, raw_text, binary), min_size=1, max_size=6)


def _allowed(role: str, owner: int | None, frame: dict[str, Any]) -> bool:
    """May a socket of ``role`` (customer profile ``owner``) see this event frame?"""
    access = NAMESPACES[frame["namespace"]].access(role)
    if access is Access.ALL:
        return True
    return access is Access.OWN and frame["data"].get("customerId") == owner


async def _run(frames_: list[Any], user: Any, profile_id: int | None, other_id: int,
               role: str) -> None:
    app = websocket_stack(URLRouter(websocket_urlpatterns))
    communicator = WebsocketCommunicator(app, "/api/ws")
    connected, _ = await communicator.connect()
    assert connected
    assert json.loads(await communicator.receive_from())["type"] == "connected"
    if user is not None:
        token = await database_sync_to_async(make_token)(user)
        await communicator.send_json_to({"type": "auth", "data": {"token": token}})
        assert json.loads(await communicator.receive_from())["type"] == "authenticated"
    for namespace in NAMESPACES:  # everything the role may see, so leaks would show
        await communicator.send_json_to({"type": "subscribe", "data": {"namespace": namespace}})
        await communicator.receive_from()
    for frame in frames_:
        if isinstance(frame, tuple):
            await communicator.send_input({"type": "websocket.receive", "bytes": frame[1]})
        else:
            await communicator.send_input({"type": "websocket.receive", "text": frame})
    # One event per namespace, scoped to another customer where it can be, then a
    # sentinel for this socket alone: everything before it has been delivered.
    for namespace in NAMESPACES.values():
        await database_sync_to_async(emit)(
            namespace.types[0], {"customerId": other_id, "id": 1}, owner=other_id)
    sentinel_user = user.pk if user is not None else None
    if sentinel_user is not None:
        await database_sync_to_async(emit)("system:notification",
                                           {"title": "sentinel"}, user=sentinel_user)
    else:
        await communicator.send_json_to({"type": "ping", "ref": "sentinel"})
    while True:
        output = await communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.send", output
        frame = json.loads(output["text"])
        assert isinstance(frame, dict) and isinstance(frame.get("type"), str)
        if frame.get("ref") == "sentinel" or frame.get("data", {}).get("title") == "sentinel":
            break
        if "id" in frame and "namespace" in frame:
            assert _allowed(role, profile_id, frame), (role, frame)
        else:
            assert frame["type"] in REPLIES, frame
            if frame["type"] == "error":
                assert frame["data"]["code"] in ERROR_CODES
                assert isinstance(frame["data"]["message"], str)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["guest", "customer", "staff"])
@override_settings(REALTIME=REALTIME)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(frames=frames)
def test_random_frames_never_crash_and_never_leak(who, frames, alice, bob, staff_user):
    user = {"guest": None, "customer": alice, "staff": staff_user}[who]
    profile_id = alice.customer.pk if who == "customer" else None
    async_to_sync(_run)(frames, user, profile_id, bob.customer.pk, who)

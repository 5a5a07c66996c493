"""realtime.consumers: docs/protocol.md spoken over the real ASGI stack (origin check,
session middleware, router), one WebsocketCommunicator per socket."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.utils import timezone

from realtime import stats, tokens
from realtime.conf import setting
from realtime.models import Event, PendingEvent
from realtime.publish import PROCESS_ORIGIN, apublish
from realtime.sequencer import sequence
from tests.conftest import USER_PASSWORD

from . import spec
from .conftest import TIMEOUT, expired_token, login_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def order_payload(order_id: int, customer: Any) -> dict[str, Any]:
    return {"id": order_id, "customerId": customer.pk, "customerName": customer.name,
            "total": "10.00", "status": "pending", "channel": "online"}


@database_sync_to_async
def log_unpublished(namespace: str, event_type: str, payload: dict) -> Event:
    """A committed, numbered event the layer has not carried yet (its publish pending)."""
    PendingEvent.objects.create(namespace=namespace, type=event_type, payload=payload,
                                origin=PROCESS_ORIGIN, created_at=timezone.now())
    (event,) = sequence()
    return event


@database_sync_to_async
def prune_through(event: Event) -> None:
    """Age the log up to ``event`` past the retention, then run the pruning command."""
    Event.objects.filter(pk__lte=event.pk).update(
        created_at=timezone.now() - timedelta(days=setting("EVENT_RETENTION_DAYS") + 1))
    call_command("prune_events", stdout=StringIO())
    assert not Event.objects.filter(pk__lte=event.pk).exists()


@database_sync_to_async
def deactivate(user: Any) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


async def frames_until(socket: Any, frame_type: str) -> list[dict[str, Any]]:
    """Every frame up to and including the first of ``frame_type``."""
    frames = [await socket.recv()]
    while frames[-1]["type"] != frame_type:
        frames.append(await socket.recv())
    return frames


# The connected frame


async def test_connected_frame_for_a_guest(connect: Any, realtime_settings: Any) -> None:
    realtime_settings(PING_INTERVAL=45_000, PONG_TIMEOUT=7_000)
    socket = await connect()
    assert set(socket.hello) == {"type", "data"}
    data = socket.hello["data"]
    assert set(data) == {"connectionId", "role", "userId", "namespaces", "heartbeat",
                         "protocol"}
    assert data["role"] == "guest"
    assert data["userId"] is None
    assert data["namespaces"] == ["products"]
    assert data["heartbeat"] == {"interval": 45_000, "timeout": 7_000}
    assert data["protocol"] == 1
    assert isinstance(data["connectionId"], str) and data["connectionId"]
    other = await connect()
    assert other.hello["data"]["connectionId"] != data["connectionId"]


async def test_connected_frame_for_a_session_user(connect: Any, staff_user: Any) -> None:
    """A browser logged in with its password: the session cookie decides the identity."""
    cookie = await database_sync_to_async(login_cookie)(staff_user, USER_PASSWORD)
    socket = await connect(cookie=cookie, origin="http://localhost")
    data = socket.hello["data"]
    assert (data["role"], data["userId"]) == ("staff", staff_user.pk)
    assert data["namespaces"] == spec.allowed("staff")


@pytest.mark.parametrize("role", spec.ROLES)
async def test_connected_frame_per_role(role_socket: Any, users: dict, role: str) -> None:
    data = (await role_socket(role)).hello["data"]
    assert data["role"] == role
    assert data["userId"] == (None if role == "guest" else users[role].pk)
    assert data["namespaces"] == spec.allowed(role)


async def test_user_without_a_role_is_a_guest_with_an_id(connect: Any, cookie_for: Any,
                                                         guest_user: Any) -> None:
    data = (await connect(cookie=await cookie_for(guest_user))).hello["data"]
    assert (data["role"], data["userId"], data["namespaces"]) == (
        "guest", guest_user.pk, ["products"])


async def test_session_of_a_deactivated_user_is_a_guest(connect: Any, cookie_for: Any,
                                                        staff_user: Any) -> None:
    cookie = await cookie_for(staff_user)
    await deactivate(staff_user)
    data = (await connect(cookie=cookie)).hello["data"]
    assert (data["role"], data["userId"]) == ("guest", None)


async def test_a_forged_session_cookie_is_a_guest(connect: Any) -> None:
    data = (await connect(cookie="sessionid=not-a-session")).hello["data"]
    assert (data["role"], data["userId"]) == ("guest", None)


# Token authentication


async def test_auth_with_a_token(connect: Any, token_for: Any, manager_user: Any) -> None:
    socket = await connect()
    reply = await socket.request("auth", {"token": await token_for(manager_user)}, ref="a1")
    assert reply == {"type": "authenticated", "ref": "a1", "data": {
        "userId": manager_user.pk, "role": "manager",
        "namespaces": spec.allowed("manager")}}
    assert (await socket.subscribe("payments"))["data"]["namespace"] == "payments"


async def test_connect_frames_and_disconnect_make_no_database_cleanup_hop(
        connect: Any, monkeypatch: Any) -> None:
    """Channels' dispatch sends every message through a hop to the database thread
    first; a guest's socket never needs the database."""
    import channels.consumer

    hops: list[None] = []

    async def counted() -> None:
        hops.append(None)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    guest = await connect()
    await guest.subscribe("products")
    await guest.close()
    assert hops == []


def test_a_batch_resolves_each_users_identity_once(
        users: dict[str, Any], monkeypatch: Any) -> None:
    """Tokens of one user in a batch (a user's tabs) share the identity resolved once;
    each socket still gets its own credential."""
    from realtime import consumers

    issued = [tokens.issue(users[role]) for role in ("staff", "alice", "staff", "staff")]
    resolved: list[Any] = []
    identify = consumers.identify
    monkeypatch.setattr(consumers, "identify",
                        lambda user: resolved.append(user.pk) or identify(user))
    results = consumers._identify_tokens.func(issued)
    assert sorted(resolved) == sorted([users["staff"].pk, users["alice"].pk])
    assert [identity.role for identity, _ in results] == ["staff", "customer", "staff", "staff"]
    assert len({credential.token_id for _, credential in results}) == 4


async def test_the_accept_promises_the_connected_frame_that_follows_it() -> None:
    """realtime.server holds the 101 for the frame an accept promises (``FRAME_FOLLOWS``):
    the consumer's accept promises it, and that frame is the next thing it sends."""
    from asgiref.testing import ApplicationCommunicator

    from realtime.frames import FRAME_FOLLOWS

    from .conftest import APP, HOST

    scope = {"type": "websocket", "path": "/api/ws", "query_string": b"", "subprotocols": [],
             "headers": [(b"host", HOST.encode()), (b"origin", f"http://{HOST}".encode())],
             "client": ["127.0.0.1", 5000], "server": ["127.0.0.1", 8000]}
    socket = ApplicationCommunicator(APP, scope)
    await socket.send_input({"type": "websocket.connect"})
    accept = await socket.receive_output(TIMEOUT)
    assert accept["type"] == "websocket.accept" and accept[FRAME_FOLLOWS] is True
    following = await socket.receive_output(TIMEOUT)
    assert following["type"] == "websocket.send"
    assert json.loads(following["text"])["type"] == "connected"
    await socket.send_input({"type": "websocket.disconnect", "code": 1000})
    await socket.wait(TIMEOUT)


async def test_auths_arriving_together_share_database_calls_and_keep_their_answers(
        connect: Any, token_for: Any, users: dict[str, Any], monkeypatch: Any) -> None:
    """A reconnect storm's ``auth``s: those waiting while one batch is on the database
    thread go in the next. Each socket still gets its own identity or refusal."""
    calls: list[int] = []
    verify_many = tokens.verify_many

    def counted(batch: list[str]) -> Any:
        calls.append(len(batch))
        return verify_many(batch)

    monkeypatch.setattr(tokens, "verify_many", counted)
    roles = ["admin", "manager", "staff", "alice", "bob"] * 6
    issued = [await token_for(users[role]) for role in roles]
    issued[7] = issued[7][:-3] + "xyz"
    sockets = [await connect() for _ in roles]
    for socket, token in zip(sockets, issued, strict=True):
        await socket.send("auth", {"token": token})
    replies = [await socket.recv() for socket in sockets]
    assert sum(calls) == len(roles) and len(calls) < len(roles) / 2, calls
    assert replies[7]["type"] == "error" and replies[7]["data"]["reason"] == "invalid"
    expected = {"admin": "admin", "manager": "manager", "staff": "staff", "alice": "customer",
                "bob": "customer"}
    for index, (reply, role) in enumerate(zip(replies, roles, strict=True)):
        if index != 7:
            assert reply["type"] == "authenticated", reply
            assert reply["data"]["userId"] == users[role].pk
            assert reply["data"]["role"] == expected[role]


@pytest.mark.parametrize("case", ["forged_fields", "forged_fields_with_token", "bad_token",
                                  "number_token", "empty_token", "no_data", "expired",
                                  "deactivated"])
async def test_failed_auth_keeps_the_identity(connect: Any, admin_user: Any,
                                              token_for: Any, case: str) -> None:
    forged = {"userId": admin_user.pk, "role": "admin", "sessionId": "s",
              "expiresAt": "2999-01-01T00:00:00Z"}
    if case == "forged_fields":
        data: Any = forged
    elif case == "forged_fields_with_token":
        data = {**forged, "token": "eyJ1IjoxfQ:forged:signature"}
    elif case == "bad_token":
        data = {"token": (await token_for(admin_user))[:-3] + "xyz"}
    elif case == "number_token":
        data = {"token": admin_user.pk}
    elif case == "empty_token":
        data = {"token": ""}
    elif case == "no_data":
        data = None
    elif case == "expired":
        data = {"token": await database_sync_to_async(expired_token)(admin_user)}
    else:
        data = {"token": await token_for(admin_user)}
        await deactivate(admin_user)
    socket = await connect()
    reply = await socket.error("auth", data, ref=case)
    assert reply["data"]["code"] == "auth_failed"
    assert reply["data"]["reason"] == {"expired": "expired", "deactivated": "revoked"}.get(
        case, "invalid")
    assert reply["ref"] == case
    refused = await socket.error("subscribe", {"namespace": "system"})
    assert refused["data"]["code"] == "forbidden"
    assert (await socket.subscribe("products"))["type"] == "subscribed"


async def test_failed_auth_keeps_a_session_identity(role_socket: Any, admin_user: Any) -> None:
    staff = await role_socket("staff")
    reply = await staff.error("auth", {"userId": admin_user.pk, "role": "admin"})
    assert reply["data"]["code"] == "auth_failed"
    assert (await staff.error("subscribe", {"namespace": "system"}))["data"]["code"] == \
        "forbidden"
    await staff.subscribe("orders")


async def test_auth_to_a_wider_role_allows_more(connect: Any, token_for: Any,
                                                staff_user: Any, emit_now: Any) -> None:
    socket = await connect()
    await socket.subscribe("products")
    assert (await socket.error("subscribe", {"namespace": "orders"}))["data"]["code"] == \
        "forbidden"
    reply = await socket.request("auth", {"token": await token_for(staff_user)})
    assert reply["type"] == "authenticated"  # and nothing was unsubscribed before it
    await socket.subscribe("orders")
    product = await emit_now("product:updated", {"id": 1})
    order = await emit_now("order:updated", {"id": 2})
    assert [(await socket.recv())["id"] for _ in range(2)] == [product.pk, order.pk]


async def test_auth_to_a_narrower_role_rescopes_subscriptions(
        role_socket: Any, token_for: Any, alice: Any, bob: Any, emit_now: Any) -> None:
    socket = await role_socket("staff")
    for namespace in ("orders", "inventory", "products"):
        await socket.subscribe(namespace)
    await socket.send("auth", {"token": await token_for(alice)}, ref="to-alice")
    frames = await frames_until(socket, "authenticated")
    assert frames[:-1] == [{"type": "unsubscribed", "data": {"namespace": "inventory"}}]
    assert frames[-1]["data"]["role"] == "customer"
    assert frames[-1]["ref"] == "to-alice"
    # orders is now owner-scoped: bob's order is not hers.
    await emit_now("order:created", order_payload(1, bob.customer), owner=bob.customer.pk)
    await emit_now("inventory:updated", {"productId": 1})
    own = await emit_now("order:created", order_payload(2, alice.customer),
                         owner=alice.customer.pk)
    product = await emit_now("product:updated", {"id": 3})
    assert [(await socket.recv())["id"] for _ in range(2)] == [own.pk, product.pk]
    await socket.sync()


async def test_auth_moves_the_personal_group(role_socket: Any, token_for: Any, alice: Any,
                                             bob: Any, emit_now: Any) -> None:
    socket = await role_socket("bob")
    await socket.request("auth", {"token": await token_for(alice)})
    await emit_now("system:notification", {"title": "for bob"}, user=bob.pk)
    for_alice = await emit_now("system:notification", {"title": "for alice"}, user=alice.pk)
    assert (await socket.recv())["id"] == for_alice.pk


# Subscriptions and the role matrix


@pytest.mark.parametrize("role", spec.ROLES)
async def test_role_matrix(role_socket: Any, role: str) -> None:
    socket = await role_socket(role)
    for ref, namespace in enumerate(spec.NAMESPACE_ORDER):
        reply = await socket.request("subscribe", {"namespace": namespace}, ref=ref)
        assert reply["ref"] == ref
        if spec.ROLE_MATRIX[role][namespace] == "no":
            assert reply["type"] == "error", (role, namespace, reply)
            assert reply["data"]["code"] == "forbidden"
        else:
            assert reply["type"] == "subscribed", (role, namespace, reply)
            assert reply["data"]["namespace"] == namespace


async def test_subscribe_and_unsubscribe_echo_ref(role_socket: Any, emit_now: Any) -> None:
    latest = await emit_now("order:created", {"id": 1})
    staff = await role_socket("staff")
    reply = await staff.request("subscribe", {"namespace": "orders"}, ref="s-1")
    assert reply == {"type": "subscribed", "ref": "s-1", "data": {
        "namespace": "orders", "lastEventId": latest.pk, "recovered": False}}
    reply = await staff.request("unsubscribe", {"namespace": "orders"}, ref=2)
    assert reply == {"type": "unsubscribed", "data": {"namespace": "orders"}, "ref": 2}
    await emit_now("order:updated", {"id": 1})
    await staff.sync()  # the update was not delivered


async def test_unsubscribe_from_a_namespace_never_subscribed(connect: Any) -> None:
    socket = await connect()
    reply = await socket.request("unsubscribe", {"namespace": "orders"}, ref=0)
    assert reply == {"type": "unsubscribed", "data": {"namespace": "orders"}, "ref": 0}


async def test_ping_is_answered_with_the_same_data(connect: Any) -> None:
    socket = await connect()
    assert await socket.request("ping", {"ts": 1714550400000}, ref="p") == {
        "type": "pong", "data": {"ts": 1714550400000}, "ref": "p"}
    assert await socket.request("ping") == {"type": "pong", "data": {}}


async def test_pong_gets_no_reply(connect: Any) -> None:
    socket = await connect()
    await socket.send("pong", {"ts": 1})
    await socket.sync()


async def test_the_sockets_own_frames_carry_their_wire_bytes(connect: Any) -> None:
    """realtime.server writes a frame's pre-built WebSocket bytes as they are, so a reply
    and an error must carry exactly their own text's frame."""
    from realtime.frames import WIRE, text_frame

    socket = await connect()
    await socket.send("ping", {"ts": 1}, ref="p")
    await socket.send_raw("{not json")
    replies = [await socket.communicator.receive_output(timeout=TIMEOUT) for _ in range(2)]
    assert [json.loads(reply["text"])["type"] for reply in replies] == ["pong", "error"]
    assert [reply[WIRE] for reply in replies] == [text_frame(reply["text"]) for reply in replies]


# Delivery


@pytest.mark.parametrize(("batch_max", "batches"), [(100, 1), (1, 0)])
async def test_a_burst_is_one_batch_frame_or_with_batch_max_1_frames_of_their_own(
        role_socket: Any, realtime_settings: Any, batch_max: int, batches: int) -> None:
    """Five events committed together wait for the fan-out as one: by default one
    ``batch`` frame; with ``BATCH_MAX`` 1 five frames, each handed to the server as a
    send of its own (a server other than realtime.server never sees frames together)."""
    from django.db import transaction

    from realtime.publish import emit

    realtime_settings(BATCH_MAX=batch_max)
    staff = await role_socket("staff")
    await staff.subscribe("orders")

    def burst() -> list[int]:
        with transaction.atomic():
            pending = [emit("order:status_changed", {"id": n, "status": "shipped"})
                       for n in range(5)]
        return [row.position for row in pending]

    positions = await database_sync_to_async(burst)()
    received = [await staff.recv() for _ in positions]
    assert [frame["id"] for frame in received] == positions
    assert staff.batches == batches


async def test_event_delivered_after_emit(role_socket: Any, emit_now: Any, alice: Any) -> None:
    staff = await role_socket("staff")
    await staff.subscribe("orders")
    payload = order_payload(5, alice.customer)
    event = await emit_now("order:created", payload, owner=alice.customer.pk)
    received = await staff.recv()
    assert set(received) == {"type", "id", "namespace", "ts", "data"}
    assert (received["type"], received["id"], received["namespace"]) == (
        "order:created", event.pk, "orders")
    assert received["data"] == payload
    assert received["ts"].endswith("Z")
    ts = datetime.fromisoformat(received["ts"].replace("Z", "+00:00"))
    assert abs(ts - event.created_at) < timedelta(seconds=1)


async def test_event_ids_increase(role_socket: Any, emit_now: Any) -> None:
    staff = await role_socket("staff")
    await staff.subscribe("inventory")
    for quantity in (3, 2, 1):  # distinct products: one product's burst is debounced
        await emit_now("inventory:updated", {"productId": quantity, "quantity": quantity})
    received = [await staff.recv() for _ in range(3)]
    assert [frame["data"]["quantity"] for frame in received] == [3, 2, 1]
    ids = [frame["id"] for frame in received]
    assert ids == sorted(ids) and len(set(ids)) == 3


async def test_a_saved_order_reaches_the_socket(role_socket: Any, alice: Any) -> None:
    from orders.models import Order

    staff = await role_socket("staff")
    await staff.subscribe("orders")
    order = await database_sync_to_async(Order.objects.create)(customer=alice.customer,
                                                               total="149.90")
    received = await staff.expect("order:created")
    assert received["data"]["id"] == order.pk
    assert {"id", "customerId", "customerName", "total", "status", "channel", "createdAt",
            "updatedAt"} <= set(received["data"])
    assert received["data"]["total"] == "149.90"


async def test_customer_gets_only_own_order_events(role_socket: Any, emit_now: Any,
                                                   alice: Any, bob: Any) -> None:
    alice_socket, bob_socket = await role_socket("alice"), await role_socket("bob")
    staff, manager = await role_socket("staff"), await role_socket("manager")
    for socket in (alice_socket, bob_socket, staff, manager):
        await socket.subscribe("orders")
    hers = await emit_now("order:created", order_payload(1, alice.customer),
                          owner=alice.customer.pk)
    unowned = await emit_now("order:created", {"id": 2})  # no customer's
    his = await emit_now("order:status_changed", order_payload(3, bob.customer),
                         owner=bob.customer.pk)
    assert (await alice_socket.recv())["id"] == hers.pk
    assert (await bob_socket.recv())["id"] == his.pk
    for socket in (alice_socket, bob_socket):
        await socket.sync()
    for socket in (staff, manager):
        assert [(await socket.recv())["id"] for _ in range(3)] == [
            hers.pk, unowned.pk, his.pk]


async def test_customer_gets_only_own_payment_events(role_socket: Any, emit_now: Any,
                                                     alice: Any, bob: Any) -> None:
    alice_socket, bob_socket = await role_socket("alice"), await role_socket("bob")
    admin = await role_socket("admin")
    for socket in (alice_socket, bob_socket, admin):
        await socket.subscribe("payments")
    his = await emit_now("payment:received", {"id": 1, "customerId": bob.customer.pk},
                         owner=bob.customer.pk)
    hers = await emit_now("payment:failed", {"id": 2, "customerId": alice.customer.pk},
                          owner=alice.customer.pk)
    assert (await alice_socket.recv())["id"] == hers.pk
    assert (await bob_socket.recv())["id"] == his.pk
    await alice_socket.sync()
    assert [(await admin.recv())["id"] for _ in range(2)] == [his.pk, hers.pk]


async def test_event_for_one_user(role_socket: Any, connect: Any, cookie_for: Any,
                                  emit_now: Any, alice: Any, bob: Any,
                                  guest_user: Any) -> None:
    alice_socket, bob_socket = await role_socket("alice"), await role_socket("bob")
    roleless = await connect(cookie=await cookie_for(guest_user))
    for_alice = await emit_now("system:notification", {"title": "Hi Alice"}, user=alice.pk)
    received = await alice_socket.recv()
    assert (received["type"], received["id"], received["namespace"]) == (
        "system:notification", for_alice.pk, "system")
    assert received["data"] == {"title": "Hi Alice"}
    for_bob = await emit_now("system:notification", {"title": "Hi Bob"}, user=bob.pk)
    assert (await bob_socket.recv())["id"] == for_bob.pk  # not alice's first
    for_roleless = await emit_now("system:alert", {"title": "Hi"}, user=guest_user.pk)
    assert (await roleless.recv())["id"] == for_roleless.pk
    await alice_socket.sync()


async def test_event_for_one_role(role_socket: Any, emit_now: Any) -> None:
    staff, manager = await role_socket("staff"), await role_socket("manager")
    for_staff = await emit_now("system:alert", {"title": "Staff"}, role="staff")
    for_managers = await emit_now("system:alert", {"title": "Managers"}, role="manager")
    assert (await staff.recv())["id"] == for_staff.pk
    assert (await manager.recv())["id"] == for_managers.pk
    await staff.sync()


async def test_event_for_everyone(role_socket: Any, emit_now: Any) -> None:
    sockets = [await role_socket(role) for role in spec.ROLES]
    event = await emit_now("system:maintenance", {"title": "Tonight"}, everyone=True)
    for socket in sockets:
        received = await socket.recv()
        assert (received["type"], received["id"]) == ("system:maintenance", event.pk)
        await socket.sync()


async def test_system_namespace_event_reaches_subscribed_admins_only(
        role_socket: Any, emit_now: Any) -> None:
    admin, manager = await role_socket("admin"), await role_socket("manager")
    await admin.subscribe("system")
    event = await emit_now("system:notification", {"title": "Admins"})
    assert (await admin.recv())["id"] == event.pk
    await manager.sync()


# Resume with since


async def emit_history(emit_now: Any, alice: Any, bob: Any) -> list[Event]:
    """Orders of alice, bob, alice, with a product event between."""
    return [
        await emit_now("order:created", order_payload(1, alice.customer),
                       owner=alice.customer.pk),
        await emit_now("product:updated", {"id": 9}),
        await emit_now("order:created", order_payload(2, bob.customer),
                       owner=bob.customer.pk),
        await emit_now("order:updated", order_payload(1, alice.customer),
                       owner=alice.customer.pk),
    ]


async def test_since_replays_in_order_then_goes_live(role_socket: Any, emit_now: Any,
                                                     alice: Any, bob: Any) -> None:
    first, _, second, third = await emit_history(emit_now, alice, bob)
    staff = await role_socket("staff")
    reply = await staff.subscribe("orders", since=first.pk - 1, ref="resume")
    assert reply["ref"] == "resume"
    assert reply["data"] == {"namespace": "orders", "lastEventId": third.pk,
                             "recovered": True}
    replayed = [await staff.recv() for _ in range(3)]
    assert [frame["id"] for frame in replayed] == [first.pk, second.pk, third.pk]
    assert replayed[0] == {"type": "order:created", "id": first.pk, "namespace": "orders",
                           "ts": replayed[0]["ts"], "data": first.payload}
    live = await emit_now("order:deleted", {"id": 1})
    assert (await staff.recv())["id"] == live.pk


async def test_since_replays_only_own_events_to_a_customer(
        role_socket: Any, emit_now: Any, alice: Any, bob: Any) -> None:
    first, _, _, third = await emit_history(emit_now, alice, bob)
    socket = await role_socket("alice")
    reply = await socket.subscribe("orders", since=first.pk - 1)
    assert reply["data"]["recovered"] is True
    assert [(await socket.recv())["id"] for _ in range(2)] == [first.pk, third.pk]
    await socket.sync()


async def test_since_does_not_replay_other_peoples_personal_events(
        role_socket: Any, emit_now: Any, bob: Any) -> None:
    start = await emit_now("system:alert", {"title": "for admins"})
    await emit_now("system:notification", {"title": "for bob"}, user=bob.pk)
    await emit_now("system:notification", {"title": "for staff"}, role="staff")
    last = await emit_now("system:alert", {"title": "for admins too"})
    admin = await role_socket("admin")
    await admin.subscribe("system", since=start.pk)
    assert (await admin.recv())["id"] == last.pk
    await admin.sync()


async def test_since_equal_to_the_last_id_is_recovered_with_nothing(
        role_socket: Any, emit_now: Any) -> None:
    last = await emit_now("product:created", {"id": 1})
    guest = await role_socket("guest")
    reply = await guest.subscribe("products", since=last.pk)
    assert reply["data"] == {"namespace": "products", "lastEventId": last.pk,
                             "recovered": True}
    await guest.sync()


async def test_since_beyond_the_log_resets(role_socket: Any, emit_now: Any) -> None:
    last = await emit_now("product:created", {"id": 1})
    guest = await role_socket("guest")
    reply = await guest.subscribe("products", since=last.pk + 50, ref=1)
    assert reply["data"] == {"namespace": "products", "lastEventId": last.pk,
                             "recovered": False}
    reset = await guest.expect("reset")
    assert reset["data"]["namespace"] == "products"
    assert isinstance(reset["data"]["reason"], str) and reset["data"]["reason"]
    await guest.sync()


async def test_since_older_than_the_oldest_kept_event_resets(
        role_socket: Any, emit_now: Any) -> None:
    events = [await emit_now("product:updated", {"id": n}) for n in range(3)]
    await prune_through(events[0])
    guest = await role_socket("guest")
    reply = await guest.subscribe("products", since=events[0].pk - 1)
    assert reply["data"]["recovered"] is False
    assert (await guest.expect("reset"))["data"]["namespace"] == "products"
    await guest.sync()
    # From the first event still kept, nothing is missing: a full replay.
    reply = await guest.subscribe("products", since=events[0].pk)
    assert reply["data"]["recovered"] is True
    assert [(await guest.recv())["id"] for _ in range(2)] == [events[1].pk, events[2].pk]


async def test_more_than_max_replay_resets(role_socket: Any, emit_now: Any,
                                           realtime_settings: Any) -> None:
    realtime_settings(MAX_REPLAY=2)
    events = [await emit_now("product:updated", {"id": n}) for n in range(3)]
    guest = await role_socket("guest")
    assert (await guest.subscribe("products", since=events[0].pk - 1))["data"][
        "recovered"] is False
    await guest.expect("reset")
    assert (await guest.subscribe("products", since=events[0].pk))["data"][
        "recovered"] is True
    assert [(await guest.recv())["id"] for _ in range(2)] == [events[1].pk, events[2].pk]


async def test_replayed_event_also_delivered_live_appears_once(
        role_socket: Any, emit_now: Any, realtime_settings: Any) -> None:
    """An event committed between joining the group and reading the log is both
    replayed and sent live; the socket shows it once. (A resume reads the log when
    memory does not hold its events: here, none is kept.)"""
    realtime_settings(REPLAY_MEMORY=0)
    guest = await role_socket("guest")  # the server runs: its follower is at the log's end
    start = await emit_now("product:created", {"id": 1})
    late = await log_unpublished("products", "product:updated", {"id": 1, "late": True})
    await guest.subscribe("products", since=start.pk)
    assert (await guest.recv())["id"] == late.pk  # replayed
    assert await apublish(late) is True  # its on_commit publish, now
    after = await emit_now("product:updated", {"id": 1})
    assert (await guest.recv())["id"] == after.pk


async def test_events_published_together_arrive_as_one_batch_without_what_was_replayed(
        role_socket: Any, emit_now: Any, realtime_settings: Any) -> None:
    """Events that wait for the fan-out go out as one ``batch`` frame; a socket that
    already has one of them (replayed from the log) gets the rest, in a frame rebuilt
    for it."""
    realtime_settings(REPLAY_MEMORY=0)
    staff, guest = await role_socket("staff"), await role_socket("guest")
    start = await emit_now("product:created", {"id": 1})
    late = await log_unpublished("products", "product:updated", {"id": 1, "late": True})
    later = await log_unpublished("products", "product:updated", {"id": 1, "later": True})
    await staff.subscribe("products")
    await guest.subscribe("products", since=start.pk)
    # Both were committed before the replay read the log; their live copies come later.
    assert [(await guest.recv())["id"] for _ in range(2)] == [late.pk, later.pk]
    newest = await log_unpublished("products", "product:deleted", {"id": 1})
    batch_frames = stats.counters["frames.batch"]
    for event in (late, later, newest):  # no yield between: one backlog
        assert await apublish(event) is True
    assert [(await staff.recv())["id"] for _ in range(3)] == [late.pk, later.pk, newest.pk]
    assert staff.batches == 1
    assert (await guest.recv())["id"] == newest.pk
    assert guest.batches == 0
    assert stats.counters["frames.batch"] == batch_frames + 1
    await guest.sync()
    await staff.sync()


async def test_resubscribing_without_since_forgets_the_replay(
        role_socket: Any, emit_now: Any, realtime_settings: Any) -> None:
    realtime_settings(REPLAY_MEMORY=0)
    guest = await role_socket("guest")
    start = await emit_now("product:created", {"id": 1})
    late = await log_unpublished("products", "product:updated", {"id": 1})
    await guest.subscribe("products", since=start.pk)
    assert (await guest.recv())["id"] == late.pk
    await guest.subscribe("products")
    await apublish(late)
    assert (await guest.recv())["id"] == late.pk


# Bad frames: the code, the ref, and the socket keeps working

BAD_FRAMES = [
    # text, code, ref echoed
    ("not json", "bad_json", None),
    ('{"type": "subscribe", "data": {"namespace": "products"}, "ref": 1', "bad_json", None),
    ("[1, 2]", "bad_message", None),
    ('"subscribe"', "bad_message", None),
    ("null", "bad_message", None),
    ('{"data": {"namespace": "products"}, "ref": "r"}', "bad_message", "r"),
    ('{"type": 7, "ref": "r"}', "bad_message", "r"),
    ('{"type": "ping", "data": [1], "ref": "r"}', "bad_message", "r"),
    ('{"type": "ping", "ref": true}', "bad_message", None),
    ('{"type": "ping", "ref": {"id": 1}}', "bad_message", None),
    ('{"type": "subscribe", "data": {}, "ref": "r"}', "bad_message", "r"),
    ('{"type": "subscribe", "data": {"namespace": 5}, "ref": "r"}', "bad_message", "r"),
    ('{"type": "subscribe", "data": {"namespace": "products", "since": "3"}, "ref": 1}',
     "bad_message", 1),
    ('{"type": "subscribe", "data": {"namespace": "products", "since": true}, "ref": 1}',
     "bad_message", 1),
    ('{"type": "subscribe", "data": {"namespace": "products", "since": 1.5}, "ref": 1}',
     "bad_message", 1),
    ('{"type": "subscribe", "data": {"namespace": "products", "since": -1}, "ref": 1}',
     "bad_message", 1),
    ('{"type": "unsubscribe", "data": {"namespace": ["products"]}, "ref": 0}',
     "bad_message", 0),
    ('{"type": "publish", "data": {}, "ref": "u"}', "unknown_type", "u"),
    ('{"type": "SUBSCRIBE", "data": {"namespace": "products"}}', "unknown_type", None),
    ('{"type": "subscribe", "data": {"namespace": "shipping"}, "ref": 3}',
     "unknown_namespace", 3),
    ('{"type": "unsubscribe", "data": {"namespace": "shipping"}, "ref": 3}',
     "unknown_namespace", 3),
    ('{"type": "subscribe", "data": {"namespace": "orders"}, "ref": 4}', "forbidden", 4),
]


@pytest.mark.parametrize(("text", "code", "ref"), BAD_FRAMES)
async def test_bad_frame_gets_its_code_and_the_socket_keeps_working(
        connect: Any, emit_now: Any, text: str, code: str, ref: Any) -> None:
    socket = await connect()
    await socket.subscribe("products")
    await socket.send_raw(text)
    reply = await socket.expect("error")
    assert reply["data"]["code"] == code
    assert isinstance(reply["data"]["message"], str) and reply["data"]["message"]
    assert reply.get("ref") == ref
    assert ("ref" in reply) is (ref is not None)
    await socket.sync()
    event = await emit_now("product:updated", {"id": 1})
    assert (await socket.recv())["id"] == event.pk


async def test_binary_frame_is_a_bad_message(connect: Any) -> None:
    socket = await connect()
    await socket.communicator.send_to(bytes_data=b'{"type": "ping"}')
    assert (await socket.expect("error"))["data"]["code"] == "bad_message"
    await socket.sync()


async def test_a_bad_frame_does_not_affect_other_sockets(connect: Any,
                                                         emit_now: Any) -> None:
    noisy, quiet = await connect(), await connect()
    for socket in (noisy, quiet):
        await socket.subscribe("products")
    await noisy.send_raw("{{{")
    await noisy.expect("error")
    event = await emit_now("product:created", {"id": 1})
    assert (await quiet.recv())["id"] == event.pk
    assert (await noisy.recv())["id"] == event.pk


# Customer activity


@pytest.mark.parametrize(("data", "event_type"), [
    ({"action": "viewing_product", "productId": 7}, "customer:viewing_product"),
    ({"action": "added_to_cart", "productId": 7, "quantity": 2}, "customer:added_to_cart"),
    ({"action": "activity"}, "customer:activity"),
])
async def test_customer_activity_reaches_staff(role_socket: Any, alice: Any, data: dict,
                                               event_type: str) -> None:
    customer = await role_socket("alice")
    staff = await role_socket("staff")
    await staff.subscribe("customers")
    # Claims about who is acting are ignored: the socket's identity decides.
    await customer.send("activity", {**data, "customerId": 999, "customerName": "Mallory"},
                        ref="act")
    await customer.sync()  # no reply to an activity frame
    received = await staff.expect(event_type)
    assert received["namespace"] == "customers"
    assert received["data"]["customerId"] == alice.customer.pk
    assert received["data"]["customerName"] == "Alice Martin"
    assert received["data"]["action"] == data["action"]
    for key in ("productId", "quantity"):
        if key in data:
            assert received["data"][key] == data[key]


@pytest.mark.parametrize("role", ["guest", "staff", "manager", "admin"])
async def test_activity_from_a_non_customer_is_forbidden(role_socket: Any,
                                                         role: str) -> None:
    socket = await role_socket(role)
    reply = await socket.error("activity", {"action": "activity"}, ref="x")
    assert (reply["data"]["code"], reply["ref"]) == ("forbidden", "x")
    await socket.sync()


@pytest.mark.parametrize("data", [
    {"action": "bought"},
    {},
    {"action": 5},
    {"action": "viewing_product", "productId": "7"},
    {"action": "added_to_cart", "productId": 7, "quantity": True},
    {"action": "added_to_cart", "productId": 7, "quantity": 1.5},
])
async def test_bad_activity_is_a_bad_message(role_socket: Any, data: dict) -> None:
    customer = await role_socket("alice")
    staff = await role_socket("staff")
    await staff.subscribe("customers")
    reply = await customer.error("activity", data, ref="bad")
    assert (reply["data"]["code"], reply["ref"]) == ("bad_message", "bad")
    await customer.sync()
    await staff.sync()  # no customer:* event came of it


# The per-namespace endpoint /ws/<namespace>/


async def test_namespace_endpoint_subscribes_automatically(role_socket: Any,
                                                           emit_now: Any) -> None:
    last = await emit_now("order:created", {"id": 1})
    staff = await role_socket("staff", "/ws/orders/")
    reply = await staff.expect("subscribed")
    assert reply["data"] == {"namespace": "orders", "lastEventId": last.pk,
                             "recovered": False}
    await emit_now("product:created", {"id": 1})  # another namespace
    event = await emit_now("order:updated", {"id": 1})
    assert (await staff.recv())["id"] == event.pk


async def test_namespace_endpoint_resumes_with_since(role_socket: Any, emit_now: Any) -> None:
    first = await emit_now("inventory:updated", {"productId": 1})
    second = await emit_now("inventory:low_stock", {"productId": 1})
    staff = await role_socket("staff", f"/ws/inventory/?since={first.pk}")
    reply = await staff.expect("subscribed")
    assert reply["data"]["recovered"] is True
    assert (await staff.recv())["id"] == second.pk
    await staff.sync()


async def test_namespace_endpoint_answers_subscribe_frames_bad_message(
        connect: Any, emit_now: Any) -> None:
    socket = await connect("/ws/products/")
    await socket.expect("subscribed")
    for frame_type, namespace in (("subscribe", "orders"), ("subscribe", "products"),
                                  ("unsubscribe", "products")):
        reply = await socket.error(frame_type, {"namespace": namespace}, ref=frame_type)
        assert (reply["data"]["code"], reply["ref"]) == ("bad_message", frame_type)
    event = await emit_now("product:created", {"id": 1})  # still subscribed
    assert (await socket.recv())["id"] == event.pk


async def test_namespace_endpoint_unknown_namespace(connect: Any) -> None:
    socket = await connect("/ws/shipping/")
    assert (await socket.expect("error"))["data"]["code"] == "unknown_namespace"
    await socket.sync()


async def test_namespace_endpoint_subscribes_once_auth_allows(
        connect: Any, token_for: Any, staff_user: Any, emit_now: Any) -> None:
    socket = await connect("/ws/orders/")
    assert (await socket.expect("error"))["data"]["code"] == "forbidden"
    await emit_now("order:created", {"id": 1})
    await socket.send("auth", {"token": await token_for(staff_user)})
    await socket.expect("authenticated")
    await socket.expect("subscribed")
    event = await emit_now("order:updated", {"id": 1})
    assert (await socket.recv())["id"] == event.pk


# Presence


async def test_presence_counts_a_customer_once(role_socket: Any, alice: Any) -> None:
    staff = await role_socket("staff")
    await staff.subscribe("customers")
    first_tab = await role_socket("alice")
    online = await staff.expect("customer:online")
    assert online["data"]["customerId"] == alice.customer.pk
    assert online["data"]["customerName"] == "Alice Martin"
    second_tab = await role_socket("alice")
    await staff.sync()  # no second customer:online
    await first_tab.close()
    await staff.sync()  # still online in the second tab
    await second_tab.close()
    offline = await staff.expect("customer:offline")
    assert offline["data"]["customerId"] == alice.customer.pk


async def test_presence_per_customer(role_socket: Any, alice: Any, bob: Any) -> None:
    staff = await role_socket("staff")
    await staff.subscribe("customers")
    await role_socket("alice")
    bob_socket = await role_socket("bob")
    ids = [(await staff.expect("customer:online"))["data"]["customerId"] for _ in range(2)]
    assert ids == [alice.customer.pk, bob.customer.pk]
    await bob_socket.close()
    assert (await staff.expect("customer:offline"))["data"]["customerId"] == bob.customer.pk
    await staff.sync()


async def test_auth_as_a_customer_brings_them_online(connect: Any, role_socket: Any,
                                                     token_for: Any, alice: Any) -> None:
    staff = await role_socket("staff")
    await staff.subscribe("customers")
    socket = await connect()
    await socket.request("auth", {"token": await token_for(alice)})
    assert (await staff.expect("customer:online"))["data"]["customerId"] == alice.customer.pk
    await socket.close()
    assert (await staff.expect("customer:offline"))["data"]["customerId"] == \
        alice.customer.pk


# Connection statistics


async def test_open_connections_are_counted_back_down(connect: Any, token_for: Any,
                                                      staff_user: Any) -> None:
    before = stats.snapshot()["connections"]
    socket = await connect()
    assert stats.snapshot()["connections"]["total"] == before["total"] + 1
    await socket.request("auth", {"token": await token_for(staff_user)})
    await socket.close()
    assert stats.snapshot()["connections"] == before



async def test_a_page_change_within_the_grace_is_not_offline(
        role_socket: Any, alice: Any, realtime_settings: Any) -> None:
    realtime_settings(PRESENCE_GRACE=300)
    staff = await role_socket("staff")
    await staff.subscribe("customers")
    page = await role_socket("alice")
    await staff.expect("customer:online")
    await page.close()
    next_page = await role_socket("alice")  # the next page's socket, within the grace
    await staff.sync()  # neither offline nor a second online came before this pong
    await next_page.close()
    offline = await staff.expect("customer:offline")  # after the grace, once
    assert offline["data"]["customerId"] == alice.customer.pk
    await staff.sync()


async def test_frames_sent_one_by_one_are_each_asked_for_again() -> None:
    """A server that is handed frames one by one may wait on each send, and meanwhile
    the socket's own frames are handled: an event the socket unsubscribed from during
    the first send is not sent, one held back by a subscribe joins the held ones."""
    from realtime.consumers import RealtimeConsumer
    from realtime.frames import frames_message
    from realtime.messages import EVENT, Message

    consumer = RealtimeConsumer()
    consumer.closed, consumer.send_timeout = False, None
    consumer.subscriptions = {"orders": "rt.orders", "payments": "rt.payments",
                              "products": "rt.products"}
    consumer.floors, consumer.holding = {}, {}
    sent: list[str] = []

    async def wire_send(message: dict) -> None:
        sent.append(message["text"])
        if len(sent) == 1:  # while the first frame waits for the client
            del consumer.subscriptions["payments"]
            consumer.holding["products"] = []

    consumer.wire_send = wire_send
    events = [Message(EVENT, n, (), ns=ns, at=0.0, text=f'{{"id":{n}}}')
              for n, ns in ((1, "orders"), (2, "payments"), (3, "products"), (4, "orders"))]
    await consumer.deliver(events, frames_message([event.send for event in events]))
    assert sent == ['{"id":1}', '{"id":4}']
    assert [event.id for event in consumer.holding["products"]] == [3]


def test_a_socket_written_now_that_takes_part_of_the_frames_counts_its_own() -> None:
    """``deliver_now`` tells the hub when the socket took every event it was handed (the
    hub counts those 16 sockets at a time); when it took only some, it counts them itself,
    and when it took none, nothing is counted or sent."""
    import time

    from realtime import stats
    from realtime.consumers import RealtimeConsumer
    from realtime.frames import FRAMES, frames_message
    from realtime.messages import EVENT, Message

    consumer = RealtimeConsumer()
    consumer.closed = False
    consumer.subscriptions = {"orders": "rt.orders"}
    consumer.floors, consumer.holding = {}, {}
    sent: list[dict] = []
    consumer.send_now = sent.append
    events = [Message(EVENT, n, (), ns=ns, at=time.time(), text=f'{{"id":{n}}}')
              for n, ns in ((1, "orders"), (2, "payments"), (3, "orders"))]
    before = stats.counters["deliveries"]

    assert consumer.deliver_now(events[:1], events[0].send) is True
    assert stats.counters["deliveries"] == before  # the hub's to count

    assert consumer.deliver_now(events, frames_message([e.send for e in events])) is False
    assert [frame["text"] for frame in sent[1][FRAMES]] == ['{"id":1}', '{"id":3}']
    assert stats.counters["deliveries"] == before + 2

    assert consumer.deliver_now(events[1:2], events[1].send) is False
    assert len(sent) == 2 and stats.counters["deliveries"] == before + 2

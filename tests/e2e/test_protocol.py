"""docs/protocol.md end to end: a real Daphne, real sockets, changes made in other processes.

Expectations are written from docs/protocol.md, not read from the catalogue, so a
mistake in the catalogue fails here.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.servers import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

ROLE_USERS = {"admin": "admin", "manager": "manager", "staff": "staff", "customer": "alice",
              "guest": None}
NAMESPACES = ["orders", "customers", "products", "inventory", "payments", "system"]
# docs/protocol.md, "Identity and roles": True where the role may subscribe.
MATRIX = {
    "admin": [True, True, True, True, True, True],
    "manager": [True, True, True, True, True, False],
    "staff": [True, True, True, True, False, False],
    "customer": [True, False, True, False, True, False],
    "guest": [False, False, True, False, False, False],
}
PAYLOAD_KEYS = {
    "orders": {"id", "customerId", "customerName", "total", "status", "channel", "createdAt",
               "updatedAt"},
    "customers": {"customerId", "customerName"},
    "products": {"id", "sku", "name", "price", "isActive"},
    "inventory": {"productId", "sku", "name", "quantity", "previousQuantity", "threshold"},
    "payments": {"id", "orderId", "customerId", "amount", "method", "status"},
    "system": {"title", "message", "level"},
}
EXTRA_KEYS = {
    "order:status_changed": {"previousStatus"},
    "product:price_changed": {"previousPrice"},
    "payment:failed": {"reason"},
    "system:maintenance": {"startsAt", "endsAt"},
    "customer:viewing_product": {"action", "productId"},
    "customer:added_to_cart": {"action", "productId", "quantity"},
    "customer:activity": {"action"},
}
ALL_TYPES = [
    "order:created", "order:updated", "order:status_changed", "order:deleted",
    "customer:activity", "customer:viewing_product", "customer:added_to_cart",
    "customer:online", "customer:offline",
    "product:created", "product:updated", "product:price_changed", "product:deleted",
    "inventory:updated", "inventory:low_stock", "inventory:out_of_stock", "inventory:restocked",
    "payment:received", "payment:failed", "payment:refunded",
    "system:notification", "system:alert", "system:maintenance",
]

NEW_ORDER = """
from orders.models import Customer, Order
order = Order.objects.create(customer=Customer.objects.get(user__username={user!r}),
                             total="{total}", channel="phone")
print("ORDER", order.pk)
"""


def _unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.mark.parametrize("role", list(MATRIX))
async def test_every_cell_of_the_role_matrix(deployment, role):
    ws = await deployment.connect(ROLE_USERS[role])
    assert ws.identity["role"] == role
    try:
        for namespace, allowed in zip(NAMESPACES, MATRIX[role], strict=True):
            reply = await ws.subscribe(namespace)
            if allowed:
                assert reply["type"] == "subscribed", (role, namespace, reply)
                assert reply["data"]["namespace"] == namespace
            else:
                assert reply["type"] == "error", (role, namespace, reply)
                assert reply["data"]["code"] == "forbidden"
        assert ws.identity["namespaces"] == [
            ns for ns, allowed in zip(NAMESPACES, MATRIX[role], strict=True) if allowed]
    finally:
        await ws.close()


@pytest.mark.parametrize("endpoint", ["multiplexed", "namespace"])
@pytest.mark.parametrize("via", ["token", "session"])
async def test_a_customer_sees_only_their_own_orders_and_payments(deployment, endpoint, via):
    if endpoint == "multiplexed":
        alice = await deployment.connect("alice", via=via)
        await alice.subscribe("orders")
        await alice.subscribe("payments")
        alice_payments = alice
    else:
        alice = await deployment.connect("alice", deployment.namespace_url("orders"), via=via)
        await alice.expect("subscribed")
        alice_payments = await deployment.connect("alice", deployment.namespace_url("payments"),
                                                  via=via)
        await alice_payments.expect("subscribed")
    staff = await deployment.connect("staff")
    await staff.subscribe("orders")
    # Bob's changes first, then Alice's: once Alice's arrive, Bob's would have too.
    out = await deployment.shell("""
from orders.models import Customer, Order, Payment
for name in ("bob", "alice"):
    customer = Customer.objects.get(user__username=name)
    order = Order.objects.create(customer=customer, total="10.00", channel="online")
    order.status = "confirmed"
    order.save()
    Payment.objects.create(order=order, amount="10.00", method="card", status="completed")
    print("IDS", customer.pk, order.pk)
""")
    (bob_id, _), (alice_id, alice_order) = [map(int, line.split()[1:]) for line in out.splitlines()
                                            if line.startswith("IDS ")]
    try:
        await alice.expect(lambda f: f["type"] == "order:status_changed"
                           and f["data"]["id"] == alice_order, timeout=10)
        await alice_payments.expect(lambda f: f["type"] == "payment:received"
                                    and f["data"]["orderId"] == alice_order, timeout=10)
        assert alice.events("order:") and alice_payments.events("payment:")
        for ws in (alice, alice_payments):
            assert {f["data"]["customerId"] for f in ws.events()} == {alice_id}
        # Staff got both customers' orders: Bob's events did go out.
        await staff.expect(lambda f: f["type"] == "order:created"
                           and f["data"]["customerId"] == bob_id, timeout=10)
    finally:
        for ws in {alice, alice_payments, staff}:
            await ws.close()


async def test_each_event_type_arrives_with_its_payload_keys(deployment):
    admin = await deployment.connect("admin")
    for namespace in NAMESPACES:
        assert (await admin.subscribe(namespace))["type"] == "subscribed"
    tag = _unique()
    username = f"shopper-{tag}"
    await deployment.shell(f"""
from django.contrib.auth import get_user_model
from orders.models import Customer
user = get_user_model().objects.create_user({username!r}, password={DEMO_PASSWORD!r})
Customer.objects.create(user=user, name="Shopper {tag}", email="s@example.com")
""")
    shopper = await deployment.connect(username)
    await admin.expect(lambda f: f["type"] == "customer:online"
                       and f["data"]["customerName"] == f"Shopper {tag}", timeout=10)
    await shopper.send("activity", {"action": "viewing_product", "productId": 1})
    await shopper.send("activity", {"action": "added_to_cart", "productId": 1, "quantity": 2})
    await shopper.send("activity", {"action": "activity"})
    await shopper.roundtrip()
    await shopper.close()
    await deployment.shell(f"""
from decimal import Decimal
from orders.models import Customer, Order, Payment
from inventory.models import Inventory, Product
product = Product.objects.create(sku="SKU-{tag}", name="Lamp {tag}", price=Decimal("20.00"))
product.price = Decimal("25.50")
product.save()
stock = Inventory.objects.create(product=product, quantity=50, low_stock_threshold=10)
stock.quantity = 5
stock.save()
stock.quantity = 0
stock.save()
stock.quantity = 40
stock.save()
order = Order.objects.create(customer=Customer.objects.get(user__username="alice"),
                             total=Decimal("51.00"))
order.status = "confirmed"
order.save()
Payment.objects.create(order=order, amount=Decimal("51.00"), method="card", status="completed")
failed = Payment.objects.create(order=order, amount=Decimal("1.00"), method="wallet")
failed.status = "failed"
failed.reason = "card declined"
failed.save()
refund = Payment.objects.create(order=order, amount=Decimal("51.00"), method="card",
                                status="completed")
refund.status = "refunded"
refund.save()
order.delete()
product.delete()
""")
    deployment.project.manage("notify", "Hello", "--title", "Note")
    deployment.project.manage("notify", "Disk", "--kind", "alert", "--level", "warning")
    deployment.project.manage("notify", "Upgrade", "--kind", "maintenance",
                              "--starts-at", "2030-01-01T00:00:00Z",
                              "--ends-at", "2030-01-01T01:00:00Z")
    try:
        for event_type in ALL_TYPES:
            frame = await admin.expect(event_type, timeout=10)
            namespace = event_type.split(":")[0]
            namespace = {"order": "orders", "customer": "customers", "product": "products",
                         "payment": "payments"}.get(namespace, namespace)
            assert frame["namespace"] == namespace
            assert isinstance(frame["id"], int)
            assert frame["ts"].endswith("Z") or "+00:00" in frame["ts"]
            expected = PAYLOAD_KEYS[namespace] | EXTRA_KEYS.get(event_type, set())
            assert expected <= set(frame["data"]), (event_type, frame["data"])
            admin._cursor = 0  # each type is looked up from the start of the stream
        # In id order, except a debounced inventory:updated, which comes after its window.
        ids = [f["id"] for f in admin.events() if f["type"] != "inventory:updated"]
        assert ids == sorted(ids) and len(ids) == len(set(ids))
        price = next(f for f in admin.events("product:price_changed"))["data"]
        assert (price["previousPrice"], price["price"]) == ("20.00", "25.50")
        status = next(f for f in admin.events("order:status_changed"))["data"]
        assert (status["previousStatus"], status["status"]) == ("pending", "confirmed")
    finally:
        await admin.close()


async def test_a_rolled_back_change_sends_nothing(deployment):
    staff = await deployment.connect("staff")
    await staff.subscribe("orders")
    await deployment.shell("""
from django.db import transaction
from orders.models import Customer, Order
customer = Customer.objects.get(user__username="bob")
try:
    with transaction.atomic():
        Order.objects.create(customer=customer, total="666.00")
        raise RuntimeError("roll back")
except RuntimeError:
    pass
Order.objects.create(customer=customer, total="7.77")
""")
    try:
        await staff.expect(lambda f: f["type"] == "order:created"
                           and f["data"]["total"] == "7.77", timeout=10)
        assert [f["data"]["total"] for f in staff.events("order:")] == ["7.77"]
    finally:
        await staff.close()


async def test_forged_identity_fields_leave_the_socket_a_guest(deployment):
    ws = await deployment.connect()
    try:
        await ws.send("auth", {"userId": 1, "role": "admin", "sessionId": "x",
                               "expiresAt": "2099-01-01T00:00:00Z"}, ref="forge")
        reply = await ws.expect(lambda f: f.get("ref") == "forge")
        assert reply["type"] == "error" and reply["data"]["code"] == "auth_failed"
        await ws.send("auth", {"token": "not-a-token", "role": "admin"}, ref="bad")
        assert (await ws.expect(lambda f: f.get("ref") == "bad"))["data"]["code"] == "auth_failed"
        for namespace in ("orders", "system", "payments"):
            reply = await ws.subscribe(namespace)
            assert reply["data"]["code"] == "forbidden"
        assert (await ws.subscribe("products"))["type"] == "subscribed"
    finally:
        await ws.close()


async def test_resume_with_since_gets_exactly_the_missed_events_in_order(deployment):
    first = await deployment.connect("manager")
    subscribed = await first.subscribe("orders")
    since = subscribed["data"]["lastEventId"]
    await deployment.shell(NEW_ORDER.format(user="alice", total="1.00"))
    seen = await first.expect("order:created", timeout=10)
    await first.close()
    out = await deployment.shell(
        NEW_ORDER.format(user="bob", total="2.00")
        + "order.status = 'shipped'\norder.save()\n"
        + NEW_ORDER.format(user="alice", total="3.00"))
    missed_orders = [int(line.split()[1]) for line in out.splitlines()
                     if line.startswith("ORDER ")]
    second = await deployment.connect("manager")
    try:
        reply = await second.subscribe("orders", since=seen["id"])
        assert reply["type"] == "subscribed" and reply["data"]["recovered"] is True
        await second.expect(lambda f: f["type"] == "order:created"
                            and f["data"]["id"] == missed_orders[-1], timeout=10)
        await second.roundtrip()
        replayed = second.events("order:")
        assert [(f["type"], f["data"]["id"]) for f in replayed] == [
            ("order:created", missed_orders[0]), ("order:updated", missed_orders[0]),
            ("order:status_changed", missed_orders[0]), ("order:created", missed_orders[1])]
        assert [f["id"] for f in replayed] == sorted(f["id"] for f in replayed)
        assert all(f["id"] > since and f["id"] > seen["id"] for f in replayed)
        # Live events continue after the replay.
        await deployment.shell(NEW_ORDER.format(user="bob", total="4.00"))
        live = await second.expect("order:created", timeout=10)
        assert live["data"]["total"] == "4.00" and live["id"] > replayed[-1]["id"]
    finally:
        await second.close()


async def test_resume_from_before_the_log_is_a_reset(deployment):
    ws = await deployment.connect("staff")
    try:
        reply = await ws.subscribe("orders", since=10**9)
        assert reply["data"]["recovered"] is False
        reset = await ws.expect("reset")
        assert reset["data"]["namespace"] == "orders" and reset["data"]["reason"]
    finally:
        await ws.close()


@pytest.mark.parametrize("payload,code", [
    ("{not json", "bad_json"),
    ("[1, 2, 3]", "bad_message"),
    ('"just a string"', "bad_message"),
    ('{"data": {}}', "bad_message"),
    ('{"type": 42}', "bad_message"),
    ('{"type": "subscribe", "data": []}', "bad_message"),
    ('{"type": "subscribe", "data": {"namespace": 7}}', "bad_message"),
    ('{"type": "subscribe", "data": {"namespace": "orders", "since": "x"}}', "bad_message"),
    ('{"type": "teleport", "data": {}}', "unknown_type"),
    ('{"type": "subscribe", "data": {"namespace": "secrets"}}', "unknown_namespace"),
])
async def test_bad_frames_get_their_error_code_and_the_socket_keeps_working(deployment, payload,
                                                                          code):
    ws = await deployment.connect("staff")
    try:
        await ws.send_raw(payload)
        error = await ws.expect("error")
        assert error["data"]["code"] == code and error["data"]["message"]
        assert (await ws.subscribe("orders"))["type"] == "subscribed"
        await ws.roundtrip()
    finally:
        await ws.close()


async def test_ref_is_echoed_and_ping_answers_pong(deployment):
    ws = await deployment.connect()
    try:
        await ws.send("ping", {"ts": 123}, ref=99)
        pong = await ws.expect("pong")
        assert pong == {"type": "pong", "data": {"ts": 123}, "ref": 99}
        await ws.send_raw(json.dumps({"type": "nope", "ref": "r1"}))
        assert (await ws.expect("error"))["ref"] == "r1"
        # A lone surrogate escaped in JSON is echoed escaped, not sent as invalid UTF-8.
        await ws.send_raw('{"type": "ping", "data": {"s": "\\ud800"}, "ref": "s"}')
        assert (await ws.expect("pong"))["data"] == {"s": "\ud800"}
        await ws.send_raw(b"\x00\x01binary")
        assert (await ws.expect("error"))["data"]["code"] == "bad_message"
    finally:
        await ws.close()


async def test_namespace_endpoint_subscribes_itself_and_refuses_subscribe(deployment):
    ws = await deployment.connect("staff", deployment.namespace_url("inventory"))
    try:
        assert (await ws.expect("subscribed"))["data"]["namespace"] == "inventory"
        await ws.send("subscribe", {"namespace": "orders"}, ref="s")
        assert (await ws.expect("error"))["data"]["code"] == "bad_message"
    finally:
        await ws.close()
    guest = await deployment.connect(None, deployment.namespace_url("orders"))
    try:
        assert (await guest.expect("error"))["data"]["code"] == "forbidden"
        await guest.send("auth", {"token": deployment.token("staff")})
        await guest.expect("authenticated")
        assert (await guest.expect("subscribed"))["data"]["namespace"] == "orders"
    finally:
        await guest.close()
    unknown = await deployment.connect(None, deployment.namespace_url("nowhere"))
    try:
        assert (await unknown.expect("error"))["data"]["code"] == "unknown_namespace"
        await unknown.roundtrip()
    finally:
        await unknown.close()


async def test_a_notification_to_one_user_reaches_only_them(deployment):
    bob = await deployment.connect("bob")
    alice = await deployment.connect("alice")
    try:
        deployment.project.manage("notify", "for bob", "--user", "bob")
        deployment.project.manage("notify", "for alice", "--user", "alice")
        note = await alice.expect("system:notification", timeout=10)
        assert note["data"]["message"] == "for alice"
        assert [f["data"]["message"] for f in alice.events("system:")] == ["for alice"]
        assert (await bob.expect("system:notification", timeout=10))["data"]["message"] == "for bob"
    finally:
        await alice.close()
        await bob.close()


async def test_a_burst_of_stock_updates_arrives_as_the_latest_value(deployment):
    staff = await deployment.connect("staff")
    await staff.subscribe("inventory")
    tag = _unique()
    try:
        await deployment.shell(f"""
from inventory.models import Inventory, Product
product = Product.objects.create(sku="BURST-{tag}", name="Burst", price="1.00")
stock = Inventory.objects.create(product=product, quantity=100, low_stock_threshold=5)
for quantity in range(99, 89, -1):
    stock.quantity = quantity
    stock.save()
stock.quantity = 3
stock.save()
""")
        low = await staff.expect(lambda f: f["type"] == "inventory:low_stock"
                                 and f["data"]["sku"] == f"BURST-{tag}", timeout=10)
        assert low["data"]["quantity"] == 3
        final = await staff.expect(lambda f: f["type"] == "inventory:updated"
                                   and f["data"]["sku"] == f"BURST-{tag}"
                                   and f["data"]["quantity"] == 3, timeout=10)
        updates = [f for f in staff.events("inventory:updated")
                   if f["data"]["sku"] == f"BURST-{tag}"]
        assert updates[-1] is final
        # 12 saves in a burst: without the debounce every one would arrive.
        assert len(updates) <= 3, [u["data"]["quantity"] for u in updates]
    finally:
        await staff.close()

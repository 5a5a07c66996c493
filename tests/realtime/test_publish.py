"""realtime.publish: log in the caller's transaction, publish after commit, never raise."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import transaction

import realtime.publish
from inventory.models import Inventory, Product
from orders.models import Order, Payment
from realtime import stats
from realtime.events import UnknownEventType
from realtime.follower import follower
from realtime.groups import namespace_group, owner_group
from realtime.hub import hub
from realtime.messages import EVENT
from realtime.models import Event, PendingEvent
from realtime.publish import emit, event_message, publish
from tests.support.recorder import Recorder
from tests.support.servers import free_port

from . import spec


class Rollback(Exception):
    pass


def test_emit_logs_the_event_in_the_callers_transaction(db: Any, alice: Any) -> None:
    event = emit("order:created", {"id": 1, "total": Decimal("9.50")}, owner=alice.customer.pk)
    # In the outbox until the transaction commits (a ``db`` test's never does).
    assert event.position is None and not Event.objects.exists()
    row = PendingEvent.objects.get(pk=event.pk)
    assert (row.namespace, row.type, row.owner_id) == ("orders", "order:created",
                                                       alice.customer.pk)
    assert row.payload == {"id": 1, "total": "9.50"}
    assert row.user_id is None and row.target_role == "" and row.everyone is False
    assert not row.is_targeted


def test_emit_records_targets(db: Any, staff_user: Any) -> None:
    by_user = emit("system:notification", {"title": "t"}, user=staff_user.pk)
    by_role = emit("system:alert", {"title": "t"}, role="manager")
    to_all = emit("system:maintenance", {"title": "t"}, everyone=True)
    assert (by_user.user_id, by_role.target_role, to_all.everyone) == (
        staff_user.pk, "manager", True)
    assert all(event.is_targeted for event in (by_user, by_role, to_all))


@pytest.fixture
async def running_follower() -> None:
    """This process's follower, started as a server's first socket starts it."""
    follower.ensure_running()
    await follower.ready()


@pytest.mark.django_db(transaction=True)
async def test_emit_publishes_only_on_commit(running_follower: None) -> None:
    recorder = Recorder()
    await hub.join(namespace_group("products"), recorder)

    def work() -> Any:
        with transaction.atomic():
            pending = emit("product:updated", {"id": 3})
            assert recorder.messages == []  # deferred, not sent yet
            assert not Event.objects.exists()  # not numbered either
        assert not PendingEvent.objects.exists()  # moved into the log on commit
        return Event.objects.get(pk=pending.position)

    event = await database_sync_to_async(work)()
    [message] = recorder.messages
    assert message.to_layer() == event_message(event).to_layer()
    assert message.kind == EVENT


@pytest.mark.django_db(transaction=True)
async def test_owner_scoped_event_reaches_namespace_and_owner_groups(
        running_follower: None) -> None:
    everyone, owner = Recorder(), Recorder()
    await hub.join(namespace_group("payments"), everyone)
    await hub.join(owner_group("payments", 77), owner)
    event = await database_sync_to_async(emit)("payment:received", {"id": 1}, owner=77)
    assert [m.id for m in everyone.messages] == [event.position]
    assert [m.id for m in owner.messages] == [event.position]


@pytest.mark.django_db(transaction=True)
async def test_rolled_back_emit_logs_and_sends_nothing(role_socket: Any, emit_now: Any) -> None:
    staff = await role_socket("staff")
    await staff.subscribe("products")

    def rolled_back() -> None:
        with pytest.raises(Rollback), transaction.atomic():
            emit("product:deleted", {"id": 99})
            raise Rollback

    await database_sync_to_async(rolled_back)()
    logged = await database_sync_to_async(Event.objects.filter(type="product:deleted").count)()
    assert logged == 0
    sentinel = await emit_now("product:created", {"id": 100})
    received = await staff.recv()
    assert (received["type"], received["id"]) == ("product:created", sentinel.pk)


@pytest.mark.django_db(transaction=True)
async def test_emit_inside_an_open_transaction_waits_for_its_commit(
        role_socket: Any) -> None:
    """Nothing is sent while the transaction is open, even after emit returned."""
    staff = await role_socket("staff")
    await staff.subscribe("products")

    def emit_then_check(socket_quiet: Any) -> int:
        with transaction.atomic():
            event = emit("product:updated", {"id": 5})
            assert async_to_sync(socket_quiet)()
        return event.position

    async def quiet() -> bool:
        return await staff.communicator.receive_nothing(timeout=0.2)

    event_id = await database_sync_to_async(emit_then_check)(quiet)
    received = await staff.recv()
    assert (received["type"], received["id"]) == ("product:updated", event_id)


def test_emit_unknown_type_raises_and_logs_nothing(db: Any) -> None:
    with pytest.raises(UnknownEventType, match="order:exploded"):
        emit("order:exploded", {})
    assert not Event.objects.exists() and not PendingEvent.objects.exists()


# A channel layer that cannot be reached never fails the save.


@pytest.fixture
def broken_layer(settings: Any) -> None:
    """The Redis pubsub layer pointed at a closed port: every publish is refused."""
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{free_port()}/0",
                              "socket_connect_timeout": 2}]},
    }}


@pytest.mark.django_db(transaction=True)
def test_broken_layer_never_fails_the_save(broken_layer: None, alice: Any) -> None:
    failures = stats.counters["publish.failures"]
    with transaction.atomic():
        order = Order.objects.create(customer=alice.customer, total=Decimal("12.00"))
    assert Order.objects.filter(pk=order.pk).exists()
    logged = Event.objects.get(type="order:created")
    assert logged.payload["id"] == order.pk
    assert logged.owner_id == alice.customer.pk
    assert stats.counters["publish.failures"] == failures + 1


@pytest.mark.django_db(transaction=True)
def test_broken_layer_publish_returns_false(broken_layer: None) -> None:
    event = Event.objects.create(id=1, namespace="products", type="product:updated",
                                 payload={}, origin="test", created_at="2024-01-01T00:00:00Z")
    failures = stats.counters["publish.failures"]
    assert publish(event) is False
    assert stats.counters["publish.failures"] == failures + 1


# A publish from outside a server (a command, the shell, a worker)


@pytest.fixture
def own_redis(settings: Any, tmp_path: Any) -> Any:
    """A redis-server of this test's own (it is killed), as the channel layer."""
    from tests.support.servers import RedisServer

    redis = RedisServer.start(tmp_path)
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": redis.url, "socket_connect_timeout": 2}]},
    }}
    yield redis
    redis.stop()


def connections_received(redis: Any) -> int:
    import redis as redis_py

    client = redis_py.Redis.from_url(redis.url)
    try:
        return client.info("stats")["total_connections_received"] - 1  # this one
    finally:
        client.close()


@pytest.mark.django_db(transaction=True)
def test_saves_outside_a_server_share_one_redis_connection_and_outlive_a_restart(
        own_redis: Any, tmp_path: Any) -> None:
    """asgiref alone would connect to Redis for every publish; the background loop keeps
    its connection, and after Redis is killed and back, the next publish gets through."""
    from django.utils import timezone

    from realtime.follower import follower

    assert not follower.active()  # not a server: the follower runs nowhere here
    event = Event.objects.create(id=1, namespace="products", type="product:updated",
                                 payload={}, origin="test", created_at=timezone.now())
    before = connections_received(own_redis)
    assert [publish(event) for _ in range(10)] == [True] * 10
    assert connections_received(own_redis) - before <= 2  # the layer's own, not ten
    own_redis.kill()
    assert publish(event) is False  # counted and logged; the log still has it
    own_redis.restart(tmp_path)
    assert publish(event) is True


# The helpers of the old API, derived from the catalogue.


@pytest.mark.parametrize(("name", "namespace"), sorted(spec.HELPERS.items()))
def test_helper_exists_and_takes_a_dict(db: Any, name: str, namespace: str) -> None:
    helper = getattr(realtime.publish, name)
    assert name in realtime.publish.__all__
    assert helper.__name__ == name
    event_type = spec.EVENT_TYPES[namespace][0]
    action = event_type.split(":", 1)[1]
    event = helper(action, {"a": 1}, b=2)
    assert (event.type, event.namespace, event.payload) == (event_type, namespace,
                                                            {"a": 1, "b": 2})
    with pytest.raises(UnknownEventType):
        helper("no_such_action", {})


def test_helpers_pass_targets_through(db: Any, staff_user: Any) -> None:
    event = realtime.publish.emit_system_notification(
        "notification", {"title": "Hi", "message": "m", "level": "info"}, user=staff_user.pk)
    assert event.user_id == staff_user.pk and event.is_targeted


def test_order_helper_takes_an_order(db: Any, alice: Any) -> None:
    order = Order.objects.create(customer=alice.customer, total=Decimal("149.9"))
    event = realtime.publish.emit_order_event("updated", order)
    assert event.type == "order:updated"
    assert event.owner_id == alice.customer.pk
    assert event.payload["id"] == order.pk
    assert event.payload["customerName"] == "Alice Martin"
    assert event.payload["total"] == "149.90"


def test_payment_helper_takes_a_payment(db: Any, bob: Any) -> None:
    order = Order.objects.create(customer=bob.customer, total=Decimal("20"))
    payment = Payment.objects.create(order=order, amount=Decimal("20"), reason="declined")
    event = realtime.publish.emit_payment_event("failed", payment, reason="declined")
    assert event.owner_id == bob.customer.pk
    assert event.payload["orderId"] == order.pk
    assert event.payload["reason"] == "declined"


def test_product_and_inventory_helpers_take_instances(db: Any) -> None:
    product = Product.objects.create(sku="SKU-1", name="Lamp", price=Decimal("30"))
    stock = Inventory.objects.create(product=product, quantity=4)
    product_event = realtime.publish.emit_product_event("updated", product)
    stock_event = realtime.publish.emit_inventory_event("low_stock", stock)
    assert product_event.payload["sku"] == "SKU-1"
    assert product_event.payload["price"] == "30.00"
    assert stock_event.payload["productId"] == product.pk
    assert stock_event.payload["quantity"] == 4
    assert product_event.owner_id is None and stock_event.owner_id is None


@pytest.mark.parametrize("name", ["emit_customer_activity", "emit_system_notification"])
def test_helper_without_a_source_refuses_an_instance(db: Any, alice: Any, name: str) -> None:
    with pytest.raises(TypeError, match="customers|system"):
        getattr(realtime.publish, name)(
            "online" if "customer" in name else "alert", alice.customer)
    assert not PendingEvent.objects.filter(namespace__in=["customers", "system"]).exists()

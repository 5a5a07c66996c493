"""The ``notify`` management command: system events to a namespace or to people."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.management import CommandError, call_command

from realtime.models import Event


def system_events() -> Any:
    return Event.objects.filter(namespace="system").order_by("id")


def notify(*args: str) -> str:
    out = StringIO()
    call_command("notify", *args, stdout=out)
    return out.getvalue()


anotify = database_sync_to_async(notify)


def test_notification_is_logged_with_defaults(transactional_db: Any) -> None:
    output = notify("Stock count at 18:00")
    event = system_events().get()
    assert output.strip() == f"sent system:notification as event {event.pk}"
    assert (event.namespace, event.type) == ("system", "system:notification")
    assert event.payload == {"title": "Omni Sales", "message": "Stock count at 18:00",
                             "level": "info"}
    assert not event.is_targeted


def test_alert_with_title_and_level(transactional_db: Any) -> None:
    notify("Payments are failing", "--kind", "alert", "--title", "Payments",
           "--level", "critical")
    event = system_events().get()
    assert event.type == "system:alert"
    assert event.payload == {"title": "Payments", "message": "Payments are failing",
                             "level": "critical"}


def test_maintenance_carries_its_window(transactional_db: Any) -> None:
    notify("Upgrade", "--kind", "maintenance", "--starts-at", "2030-01-01T02:00:00Z",
           "--ends-at", "2030-01-01T03:00:00Z")
    payload = system_events().get().payload
    assert payload["startsAt"] == "2030-01-01T02:00:00Z"
    assert payload["endsAt"] == "2030-01-01T03:00:00Z"
    assert {"title", "message", "level"} <= set(payload)


def test_maintenance_with_a_bad_time_is_refused(transactional_db: Any) -> None:
    with pytest.raises(CommandError, match="--starts-at"):
        notify("Upgrade", "--kind", "maintenance", "--starts-at", "tomorrow-ish")
    assert not system_events().exists()


def test_unknown_user_is_refused(transactional_db: Any) -> None:
    with pytest.raises(CommandError, match="nobody"):
        notify("Hello", "--user", "nobody")
    assert not system_events().exists()


@pytest.mark.parametrize("args", [
    ("--user", "alice", "--role", "staff"),
    ("--role", "staff", "--everyone"),
    ("--role", "superhero"),
    ("--kind", "gossip"),
    ("--level", "loud"),
])
def test_bad_arguments_are_refused(transactional_db: Any, alice: Any, args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        notify("Hello", *args)
    assert not system_events().exists()


def test_targets_are_recorded(transactional_db: Any, alice: Any) -> None:
    notify("For alice", "--user", "alice")
    notify("For staff", "--role", "staff")
    notify("For all", "--everyone")
    by_user, by_role, to_all = system_events()
    assert by_user.user_id == alice.pk
    assert by_role.target_role == "staff"
    assert to_all.everyone is True


# Delivery to sockets

transactional = pytest.mark.django_db(transaction=True)


@transactional
async def test_untargeted_notification_reaches_admins_subscribed_to_system(
        role_socket: Any) -> None:
    admin, manager = await role_socket("admin"), await role_socket("manager")
    await admin.subscribe("system")
    await anotify("Backup done")
    received = await admin.expect("system:notification")
    assert received["namespace"] == "system"
    assert received["data"]["message"] == "Backup done"
    await manager.sync()


@transactional
async def test_notification_to_one_user(role_socket: Any) -> None:
    alice, bob = await role_socket("alice"), await role_socket("bob")
    await anotify("Your order shipped", "--user", "alice")
    assert (await alice.expect("system:notification"))["data"]["message"] == \
        "Your order shipped"
    await bob.sync()


@transactional
async def test_notification_to_one_role(role_socket: Any) -> None:
    staff, manager = await role_socket("staff"), await role_socket("manager")
    await anotify("Shift change", "--role", "staff", "--kind", "alert")
    assert (await staff.expect("system:alert"))["data"]["message"] == "Shift change"
    await manager.sync()


@transactional
async def test_notification_to_everyone(role_socket: Any) -> None:
    sockets = [await role_socket(role) for role in ("guest", "alice", "admin")]
    await anotify("Closing early", "--everyone", "--kind", "maintenance",
                  "--starts-at", "2030-01-01T18:00:00Z")
    for socket in sockets:
        received = await socket.expect("system:maintenance")
        assert received["data"]["startsAt"] == "2030-01-01T18:00:00Z"

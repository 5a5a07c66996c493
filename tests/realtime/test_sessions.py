"""realtime.sessions: a logout, a deactivation or a role change reaches open sockets."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)


def browser(user: Any) -> tuple[Client, str]:
    """A logged-in browser and its session cookie header."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return client, f"{name}={client.cookies[name].value}"


abrowser = database_sync_to_async(browser)


@database_sync_to_async
def update_user(user: Any, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()


@database_sync_to_async
def join_group(user: Any, name: str) -> None:
    user.groups.add(Group.objects.get_or_create(name=name)[0])


async def test_logout_closes_that_sessions_sockets_with_4500(connect: Any, token_for: Any,
                                                            staff_user: Any) -> None:
    client, cookie = await abrowser(staff_user)
    _, other_cookie = await abrowser(staff_user)
    tab_one, tab_two = await connect(cookie=cookie), await connect(cookie=cookie)
    other_browser = await connect(cookie=other_cookie)
    script = await connect(token=await token_for(staff_user))
    await database_sync_to_async(client.logout)()
    assert await tab_one.expect_close() == 4500
    assert await tab_two.expect_close() == 4500
    await other_browser.sync()
    await script.sync()


async def test_deactivation_closes_every_socket_of_the_user_with_4500(
        connect: Any, token_for: Any, staff_user: Any, manager_user: Any) -> None:
    _, cookie = await abrowser(staff_user)
    by_cookie = await connect(cookie=cookie)
    by_token = await connect(token=await token_for(staff_user))
    bystander = await connect(token=await token_for(manager_user))
    await update_user(staff_user, is_active=False)
    assert await by_cookie.expect_close() == 4500
    assert await by_token.expect_close() == 4500
    await bystander.sync()


async def test_a_role_change_closes_with_4001(role_socket: Any, alice: Any) -> None:
    customer = await role_socket("alice")
    await join_group(alice, "staff")
    assert await customer.expect_close() == 4001


async def test_losing_staff_flag_closes_with_4001(role_socket: Any,
                                                  staff_user: Any) -> None:
    staff = await role_socket("staff")
    await update_user(staff_user, is_staff=False)
    assert await staff.expect_close() == 4001


async def test_changes_that_keep_the_role_keep_the_socket(role_socket: Any, staff_user: Any,
                                                          emit_now: Any) -> None:
    staff = await role_socket("staff")
    await staff.subscribe("orders")
    await update_user(staff_user, email="new@example.com")
    await join_group(staff_user, "newsletter")  # re-checked, same role
    await join_group(staff_user, "staff")  # staff already by the flag
    event = await emit_now("order:created", {"id": 1})
    assert (await staff.recv())["id"] == event.pk
    await staff.sync()


async def test_control_messages_are_not_frames(role_socket: Any, staff_user: Any) -> None:
    """A re-check that changes nothing sends the client nothing."""
    staff = await role_socket("staff")
    await join_group(staff_user, "newsletter")
    await staff.sync()

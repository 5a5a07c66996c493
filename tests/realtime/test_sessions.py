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


@database_sync_to_async
def token_from_session(client: Client) -> str:
    """``POST /api/ws/token`` as the page's script does it: with the session cookie."""
    response = client.post("/api/ws/token")
    assert response.status_code == 200, response.content
    return response.json()["token"]


async def test_logout_closes_the_sockets_of_tokens_issued_from_that_session(
        connect: Any, token_for: Any, staff_user: Any) -> None:
    client, _ = await abrowser(staff_user)
    token = await token_from_session(client)
    from_session = await connect(token=token)
    from_basic = await connect(token=await token_for(staff_user))  # no session behind it
    await database_sync_to_async(client.logout)()
    assert await from_session.expect_close() == 4500
    await from_basic.sync()
    again = await connect()
    refused = await again.error("auth", {"token": token})
    assert refused["data"]["code"] == "auth_failed"
    assert refused["data"]["reason"] == "revoked"


@database_sync_to_async
def change_password(user: Any, password: str) -> None:
    user.set_password(password)
    user.save()


async def test_a_password_change_closes_cookie_and_token_sockets_with_4500(
        connect: Any, token_for: Any, staff_user: Any, manager_user: Any) -> None:
    """Django rotates the session auth hash with the password; HTTP then answers 401 with
    that session, and the sockets it (or a token from before) opened must end too."""
    _, cookie = await abrowser(staff_user)
    token = await token_for(staff_user)
    by_cookie, by_token = await connect(cookie=cookie), await connect(token=token)
    bystander = await connect(token=await token_for(manager_user))
    await change_password(staff_user, "a-new-password-42")
    assert await by_cookie.expect_close() == 4500
    assert await by_token.expect_close() == 4500
    await bystander.sync()
    again = await connect()
    assert (await again.error("auth", {"token": token}))["data"]["reason"] == "revoked"


async def test_a_revoked_token_closes_its_sockets_and_no_others(connect: Any, token_for: Any,
                                                                staff_user: Any) -> None:
    from realtime.tokens import claims_of, revoke

    token, other = await token_for(staff_user), await token_for(staff_user)
    revoked_socket, kept = await connect(token=token), await connect(token=other)
    await database_sync_to_async(revoke)([claims_of(token)])
    assert await revoked_socket.expect_close() == 4500
    await kept.sync()
    again = await connect()
    assert (await again.error("auth", {"token": token}))["data"]["reason"] == "revoked"


async def test_the_revoke_endpoint_revokes_only_the_callers_own_tokens(
        connect: Any, token_for: Any, staff_user: Any, manager_user: Any) -> None:
    token = await token_for(staff_user)
    socket = await connect(token=token)
    manager, _ = await abrowser(manager_user)
    staff, _ = await abrowser(staff_user)

    def revoke_as(client: Client, value: Any) -> int:
        return client.post("/api/ws/token/revoke", {"token": value},
                           content_type="application/json").status_code

    assert await database_sync_to_async(revoke_as)(manager, token) == 403
    assert await database_sync_to_async(revoke_as)(staff, "not-a-token") == 400
    await socket.sync()
    assert await database_sync_to_async(revoke_as)(staff, token) == 204
    assert await socket.expect_close() == 4500


@database_sync_to_async
def unsignalled(user: Any, **fields: Any) -> None:
    """A change no signal sees, as a data migration or a bulk admin action makes it."""
    type(user).objects.filter(pk=user.pk).update(**fields)


@database_sync_to_async
def delete_sessions() -> None:
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


@pytest.mark.parametrize("change", ["deactivate", "password", "session"])
async def test_the_sweep_closes_sockets_whose_credential_ended_unseen(
        connect: Any, token_for: Any, staff_user: Any, manager_user: Any, change: str) -> None:
    from realtime.limits import registry

    _, cookie = await abrowser(staff_user)
    by_cookie = await connect(cookie=cookie)
    by_token = await connect(token=await token_for(staff_user))
    bystander = await connect(token=await token_for(manager_user))
    if change == "deactivate":
        await unsignalled(staff_user, is_active=False)
    elif change == "password":
        await unsignalled(staff_user, password="pbkdf2_sha256$1$salt$bm90LXRoZS1zYW1l")
    else:
        await delete_sessions()
    await by_cookie.sync()  # nothing seen yet: no signal fired
    await registry.revalidate()
    assert await by_cookie.expect_close() == 4500
    if change == "session":
        await by_token.sync()  # its token was not issued from that session
    else:
        assert await by_token.expect_close() == 4500
    await bystander.sync()


async def test_revoking_a_token_whose_row_was_pruned_still_closes_its_socket(
        connect: Any, token_for: Any, staff_user: Any) -> None:
    """A socket outlives its token's expiry and the row's pruning: revocation must not
    depend on the row."""
    from realtime.models import IssuedToken
    from realtime.tokens import claims_of, revoke

    token = await token_for(staff_user)
    socket = await connect(token=token)
    await database_sync_to_async(IssuedToken.objects.all().delete)()
    await database_sync_to_async(revoke)([claims_of(token)])
    assert await socket.expect_close() == 4500


async def test_revoking_a_users_tokens_closes_every_token_socket_of_theirs(
        connect: Any, token_for: Any, staff_user: Any, manager_user: Any) -> None:
    from realtime.tokens import revoke_user

    first = await connect(token=await token_for(staff_user))
    second = await connect(token=await token_for(staff_user))
    _, cookie = await abrowser(staff_user)
    by_cookie = await connect(cookie=cookie)
    other = await connect(token=await token_for(manager_user))
    await database_sync_to_async(revoke_user)(staff_user)
    assert await first.expect_close() == 4500
    assert await second.expect_close() == 4500
    await by_cookie.sync()  # a session, not a token
    await other.sync()


async def test_a_token_socket_ends_when_its_session_ends_without_a_logout(
        connect: Any, staff_user: Any) -> None:
    """Another login in that browser, expiry, or the session rows deleted: no logout
    signal, and the sweep finds the session gone."""
    from realtime.limits import registry

    client, _ = await abrowser(staff_user)
    socket = await connect(token=await token_from_session(client))
    await delete_sessions()
    await socket.sync()
    await registry.revalidate()
    assert await socket.expect_close() == 4500

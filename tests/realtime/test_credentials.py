"""realtime.credentials: what a socket's identity rests on, checked in batches."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test.utils import CaptureQueriesContext

from realtime import credentials, tokens

pytestmark = pytest.mark.django_db


def session_of(user: Any) -> str:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    return store.session_key


def test_a_whole_process_is_checked_in_three_queries(users: dict[str, Any]) -> None:
    """The heartbeat sweep's cost: users, revoked tokens, live sessions — whatever the
    number of sockets."""
    bound = []
    for user in users.values():
        bound.append(credentials.for_session(user, session_of(user)))
        bound.append(tokens.verify(tokens.issue(user))[1])
    with CaptureQueriesContext(connection) as queries:
        assert credentials.broken(bound) == {}
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_each_ended_credential_says_why(staff_user: Any, manager_user: Any, alice: Any) -> None:
    session = credentials.for_session(staff_user, session_of(staff_user))
    token = tokens.verify(tokens.issue(manager_user))[1]
    stale = credentials.for_session(alice, session_of(alice))
    kept = credentials.for_session(alice, session_of(alice))
    type(staff_user).objects.filter(pk=staff_user.pk).update(is_active=False)
    tokens.revoke([(token.user_id, token.token_id)])
    SessionStore(stale.session_key).delete()
    assert credentials.broken([session, token, stale, kept]) == {
        session: credentials.DEACTIVATED, token: credentials.TOKEN_REVOKED,
        stale: credentials.SESSION_ENDED}
    alice.set_password("changed-password-1")
    alice.save()
    assert credentials.broken([kept]) == {kept: credentials.PASSWORD_CHANGED}


def test_a_token_socket_outlives_the_tokens_expiry_and_row(staff_user: Any) -> None:
    """A token only opens a socket: its expiry and pruning do not end the socket."""
    from realtime.models import IssuedToken

    credential = tokens.verify(tokens.issue(staff_user))[1]
    IssuedToken.objects.all().delete()
    assert credentials.broken([credential]) == {}


def test_signed_cookie_sessions_are_not_second_guessed(settings: Any, staff_user: Any) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    credential = credentials.for_session(staff_user, "a-key-only-the-browser-holds")
    assert credentials.broken([credential]) == {}

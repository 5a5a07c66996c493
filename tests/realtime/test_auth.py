"""realtime.auth: signed tokens and the origin check at the handshake."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext

from realtime.auth import SessionWhenCookie, own_origin
from realtime.conf import setting
from realtime.roles import identify
from realtime.tokens import TokenRefused, user_for_token, verify_many
from realtime.tokens import issue as make_token

from .conftest import expired_token

# Tokens


def test_token_round_trip(db: Any, staff_user: Any) -> None:
    token = make_token(staff_user)
    assert isinstance(token, str)
    assert user_for_token(token) == staff_user


def test_a_batch_of_tokens_is_resolved_to_identities_in_two_queries(
        db: Any, admin_user: Any, manager_user: Any, staff_user: Any, alice: Any) -> None:
    """What a crowd of connecting sockets queues behind on the database thread: their
    users with their profiles joined, then their groups, for any number of tokens."""
    users = [admin_user, manager_user, staff_user, alice, staff_user]
    batch = [make_token(user) for user in users]
    batch.insert(2, "not-a-token")
    with CaptureQueriesContext(connection) as queries:
        results = verify_many(batch)
        identities = [identify(result[0]) for result in results
                      if not isinstance(result, TokenRefused)]
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert isinstance(results[2], TokenRefused) and results[2].reason == "invalid"
    assert identities == [identify(type(user).objects.get(pk=user.pk)) for user in users]
    assert [identity.role for identity in identities] == [
        "admin", "manager", "staff", "customer", "staff"]


def counted(monkeypatch: Any, module: Any, name: str) -> list[Any]:
    """The calls of ``module.name`` from here on, by their first argument."""
    calls: list[Any] = []
    original = getattr(module, name)

    def wrapper(first: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(first)
        return original(first, *args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_a_batch_answers_each_copy_of_a_repeated_token(
        db: Any, staff_user: Any, monkeypatch: Any) -> None:
    """Sockets of one page share a token: unsigned once in a batch, answered once each,
    and each refusal its own exception (one object raised in many tasks would collect
    all of their tracebacks)."""
    from realtime import tokens

    token = make_token(staff_user)
    unsigned = counted(monkeypatch, tokens.signing, "loads")
    results = verify_many([token, "garbage", token, "garbage"])
    assert sorted(unsigned) == sorted([token, "garbage"])
    assert [result[0] for result in (results[0], results[2])] == [staff_user, staff_user]
    assert results[0][1] == results[2][1]
    refusals = [results[1], results[3]]
    assert all(isinstance(r, TokenRefused) and r.reason == "invalid" for r in refusals)
    assert refusals[0] is not refusals[1]


def test_a_users_tokens_in_one_batch_are_each_held_to_its_password_now(
        db: Any, staff_user: Any, manager_user: Any, monkeypatch: Any) -> None:
    """The auth hash is computed once per user in a batch: a token signed before a
    password change is refused beside one signed after it, and another user's is not
    held to this user's hash."""
    from realtime import tokens

    before = make_token(staff_user)
    staff_user.set_password("another-pass-2024")
    staff_user.save()
    after = make_token(staff_user)
    other = make_token(manager_user)
    hashed = counted(monkeypatch, tokens, "auth_fingerprint")
    results = verify_many([before, after, other, before])
    assert sorted(user.pk for user in hashed) == sorted([staff_user.pk, manager_user.pk])
    assert isinstance(results[0], TokenRefused) and results[0].reason == "revoked"
    assert isinstance(results[3], TokenRefused) and results[3].reason == "revoked"
    assert results[1][0] == staff_user and results[2][0] == manager_user
    assert results[1][1].auth != results[2][1].auth



def test_token_carries_no_role_or_password_material(db: Any, staff_user: Any) -> None:
    claims = signing.loads(make_token(staff_user), salt=setting("TOKEN_SALT"))
    assert set(claims) == {"u", "f", "j", "s"}  # user, auth hash fingerprint, token id, session
    assert claims["u"] == staff_user.pk
    assert staff_user.password not in str(claims)


def test_expired_token_is_refused(db: Any, staff_user: Any) -> None:
    token = expired_token(staff_user)
    assert user_for_token(token) is None


@pytest.mark.parametrize(("token", "reason"), [
    ("expired", "expired"), ("garbage", "invalid"), ("other-salt", "invalid"),
    ("revoked", "revoked"), ("no-row", "revoked")])
def test_a_refused_token_says_why(db: Any, staff_user: Any, token: str, reason: str) -> None:
    """What tells a client to fetch a new token (expired) or to sign in again."""
    from realtime.models import IssuedToken
    from realtime.tokens import TokenRefused, claims_of, revoke, verify

    value = {"expired": lambda: expired_token(staff_user),
             "garbage": lambda: "not.a.token",
             "other-salt": lambda: signing.dumps({"u": staff_user.pk, "j": "x"}, salt="other"),
             "revoked": lambda: make_token(staff_user),
             "no-row": lambda: make_token(staff_user)}[token]()
    if token == "revoked":
        revoke([claims_of(value)])
    if token == "no-row":
        IssuedToken.objects.all().delete()
    with pytest.raises(TokenRefused) as refused:
        verify(value)
    assert refused.value.reason == reason


def test_token_ttl_setting_is_used(db: Any, staff_user: Any, realtime_settings: Any) -> None:
    """The token above is refused for its age alone: a longer TTL accepts it."""
    token = expired_token(staff_user)  # TOKEN_TTL + 60 seconds old
    realtime_settings(TOKEN_TTL=3600)
    assert user_for_token(token) == staff_user


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
    lambda token: "x" + token,
    lambda token: token.split(":", 1)[1],
    lambda token: "",
    lambda token: "not-a-token",
])
def test_forged_token_is_refused(db: Any, staff_user: Any, mangle: Any) -> None:
    assert user_for_token(mangle(make_token(staff_user))) is None


def test_token_signed_for_another_purpose_is_refused(db: Any, staff_user: Any) -> None:
    other = signing.dumps({"u": staff_user.pk, "f": "x"}, compress=True)
    assert user_for_token(other) is None


def test_token_signed_with_the_salt_but_without_fingerprint_is_refused(
        db: Any, staff_user: Any) -> None:
    forged = signing.dumps({"u": staff_user.pk}, salt=setting("TOKEN_SALT"), compress=True)
    assert user_for_token(forged) is None
    not_a_dict = signing.dumps([staff_user.pk], salt=setting("TOKEN_SALT"))
    assert user_for_token(not_a_dict) is None


def test_token_of_a_deactivated_user_is_refused(db: Any, staff_user: Any) -> None:
    token = make_token(staff_user)
    staff_user.is_active = False
    staff_user.save()
    assert user_for_token(token) is None


def test_token_dies_with_a_password_change(db: Any, staff_user: Any) -> None:
    token = make_token(staff_user)
    staff_user.set_password("another-pass-2024")
    staff_user.save()
    assert user_for_token(token) is None


def test_token_of_a_deleted_user_is_refused(db: Any, staff_user: Any) -> None:
    token = make_token(staff_user)
    staff_user.delete()
    assert user_for_token(token) is None


# Origin check at the handshake (docs/protocol.md: close 4503 / HTTP 403)

transactional = pytest.mark.django_db(transaction=True)


@transactional
@pytest.mark.parametrize("path", ["/api/ws", "/ws/products/"])
async def test_no_origin_is_allowed_by_default(handshake: Any, path: str) -> None:
    assert (await handshake(path))[0] is True


@transactional
@pytest.mark.parametrize(("host", "origin"), [
    ("localhost", "http://localhost"), ("localhost", "http://localhost:80"),
    ("localhost:8000", "http://localhost:8000"), ("127.0.0.1:8000", "http://localhost:8000"),
    ("localhost:8000", "http://127.0.0.1:8000"), ("[::1]:8000", "http://[::1]:8000")])
async def test_origin_of_an_allowed_host_on_the_servers_scheme_and_port_is_accepted(
        handshake: Any, host: str, origin: str) -> None:
    """The default patterns are the ALLOWED_HOSTS: any of those names, on the scheme and
    port the handshake itself came in on (its Host header)."""
    assert (await handshake(origin=origin, host=host))[0] is True


@transactional
@pytest.mark.parametrize("origin", [
    "http://localhost:9999", "http://127.0.0.1:9999", "http://127.0.0.1",
    "https://127.0.0.1", "https://127.0.0.1:8000", "https://localhost:8443"])
async def test_an_allowed_host_on_another_port_or_scheme_is_refused(
        handshake: Any, origin: str) -> None:
    """Another port or scheme of an allowed host is another site to the browser, whose
    requests carry the same session cookie (cookies ignore ports)."""
    assert (await handshake(origin=origin, host="127.0.0.1:8000"))[0] is False


@transactional
async def test_the_servers_scheme_is_the_one_it_reports(handshake: Any) -> None:
    """``scope["scheme"]`` (wss: TLS, or X-Forwarded-Proto under --proxy-headers); without
    one (stock Daphne) the proxy's X-Forwarded-Proto; else ws. Default ports follow it."""
    https = "https://localhost"
    assert (await handshake(origin=https, host="localhost", scheme="wss"))[0] is True
    assert (await handshake(origin="https://localhost:443", host="localhost",
                            scheme="wss"))[0] is True
    assert (await handshake(origin="http://localhost", host="localhost",
                            scheme="wss"))[0] is False
    assert (await handshake(origin=https, host="localhost"))[0] is False
    proxied = ((b"x-forwarded-proto", b"https"),)
    assert (await handshake(origin=https, host="localhost", headers=proxied))[0] is True
    # A server that reports its scheme is believed over the header.
    assert (await handshake(origin=https, host="localhost", headers=proxied,
                            scheme="ws"))[0] is False


@transactional
async def test_without_the_handshakes_own_port_host_patterns_match_nothing(
        handshake: Any, realtime_settings: Any) -> None:
    assert (await handshake(origin="http://localhost", host=None))[0] is False
    assert (await handshake(origin="http://localhost", host="localhost:port"))[0] is False
    # The server's address stands in for a missing Host header (HTTP/1.0).
    assert (await handshake(origin="http://localhost:8000", host=None,
                            server=("127.0.0.1", 8000)))[0] is True
    realtime_settings(ALLOWED_ORIGINS=["http://localhost:8000"])
    assert (await handshake(origin="http://localhost:8000", host=None))[0] is True


@transactional
async def test_full_origins_match_exactly_wherever_the_server_is(
        handshake: Any, realtime_settings: Any) -> None:
    """How a deployment allows pages of other ports or schemes: their full origins."""
    realtime_settings(ALLOWED_ORIGINS=["http://localhost:9999", "https://shop.example.com"])
    for origin in ("http://localhost:9999", "https://shop.example.com",
                   "https://shop.example.com:443"):
        assert (await handshake(origin=origin, host="127.0.0.1:8000"))[0] is True, origin
    for origin in ("http://localhost:8000", "http://localhost", "https://localhost:9999",
                   "http://shop.example.com", "https://shop.example.com:8443",
                   "http://localhost:x"):
        assert (await handshake(origin=origin, host="localhost:8000"))[0] is False, origin


@transactional
async def test_a_star_allows_any_origin(handshake: Any, realtime_settings: Any) -> None:
    realtime_settings(ALLOWED_ORIGINS=["*"])
    assert (await handshake(origin="https://evil.example.com:1", host="localhost"))[0] is True
    assert (await handshake(origin="http://localhost:9999", host=None))[0] is True


def _scope(host: str | None = None, *headers: tuple[bytes, bytes], **scope: Any) -> dict:
    names = [(b"host", host.encode())] if host is not None else []
    return {"type": "websocket", "headers": [*names, *headers], **scope}


@pytest.mark.parametrize(("scope", "expected"), [
    (_scope("localhost"), ("http", 80)),
    (_scope("localhost:8000"), ("http", 8000)),
    (_scope("[::1]:8000"), ("http", 8000)),
    (_scope("example.com", scheme="wss"), ("https", 443)),
    (_scope("example.com:8443", scheme="wss"), ("https", 8443)),
    (_scope("example.com", (b"x-forwarded-proto", b"https")), ("https", 443)),
    (_scope("example.com", (b"x-forwarded-proto", b"https, http")), ("https", 443)),
    (_scope("example.com", (b"x-forwarded-proto", b"https"), scheme="ws"), ("http", 80)),
    (_scope(None, server=("127.0.0.1", 8000)), ("http", 8000)),
    (_scope(None), None),
    (_scope("localhost:http"), None),
    (_scope("localhost", scheme="gopher"), None),
])
def test_own_origin_is_the_handshake_requests_scheme_and_port(scope: dict, expected: Any
                                                               ) -> None:
    assert own_origin(scope) == expected


@transactional
@pytest.mark.parametrize("path", ["/api/ws", "/ws/products/"])
@pytest.mark.parametrize("origin", ["http://evil.example.com", "https://localhost.evil.com",
                                    "http://localhost.evil.com", "null", "file://"])
async def test_disallowed_origin_is_refused(handshake: Any, path: str, origin: str) -> None:
    assert (await handshake(path, origin=origin))[0] is False


@transactional
async def test_missing_origin_refused_when_not_allowed(handshake: Any,
                                                       realtime_settings: Any) -> None:
    realtime_settings(ALLOW_MISSING_ORIGIN=False)
    assert (await handshake())[0] is False
    assert (await handshake(origin="http://localhost"))[0] is True


@transactional
async def test_allowed_origins_setting_patterns(handshake: Any,
                                                realtime_settings: Any) -> None:
    realtime_settings(ALLOWED_ORIGINS=["https://shop.example.com:8443", ".example.org"])
    assert (await handshake(origin="https://shop.example.com:8443"))[0] is True
    assert (await handshake(origin="https://shop.example.com"))[0] is False
    assert (await handshake(origin="http://shop.example.com:8443"))[0] is False
    assert (await handshake(origin="http://a.example.org"))[0] is True
    assert (await handshake(origin="http://localhost"))[0] is False  # hosts no longer apply
    # A host pattern: that host (and below), on the server's own scheme and port.
    assert (await handshake(origin="http://a.example.org:8000", host="x:8000"))[0] is True
    assert (await handshake(origin="https://a.example.org", host="x:8000"))[0] is False


@transactional
async def test_refused_origin_does_not_reach_the_session(handshake: Any, cookie_for: Any,
                                                         staff_user: Any) -> None:
    cookie = await cookie_for(staff_user)
    assert (await handshake(origin="http://evil.example.com", cookie=cookie))[0] is False
    assert (await handshake(origin="http://localhost:9999", cookie=cookie))[0] is False
    assert (await handshake(origin="https://localhost", cookie=cookie))[0] is False
    assert (await handshake(origin="http://localhost", cookie=cookie))[0] is True


# Session authentication only for handshakes with a cookie


class ScopeRecorder:
    """An inner application that keeps the scope it was called with."""

    scope: dict[str, Any] | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.scope = scope


WS_SCOPE = {"type": "websocket", "path": "/api/ws", "query_string": b"", "subprotocols": []}


@transactional
async def test_a_handshake_without_a_cookie_is_anonymous_without_a_session() -> None:
    inner = ScopeRecorder()
    await SessionWhenCookie(inner)({**WS_SCOPE, "headers": [(b"origin", b"http://x")]},
                                   None, None)
    assert inner.scope is not None
    assert inner.scope["user"].is_authenticated is False
    assert "session" not in inner.scope and "cookies" not in inner.scope


@transactional
async def test_a_handshake_with_a_cookie_gets_channels_session_authentication(
        cookie_for: Any, staff_user: Any) -> None:
    inner = ScopeRecorder()
    headers = [(b"cookie", (await cookie_for(staff_user)).encode())]
    await SessionWhenCookie(inner)({**WS_SCOPE, "headers": headers}, None, None)
    assert inner.scope is not None
    assert inner.scope["user"].pk == staff_user.pk
    assert inner.scope["session"].session_key

"""Tokens for the socket's ``auth`` frame: signed with ``django.core.signing``, each one a
row (``IssuedToken``) so that it can be revoked, and tied to the session it came from.

A token that cannot authenticate says why, as ``auth_failed``'s ``reason``: ``expired``
(fetch a new one), ``revoked`` (logged out, password changed, user deactivated, or
revoked by hand: a new one needs a new login) or ``invalid`` (not a token of ours).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.core import signing
from django.utils import timezone

from . import credentials
from .conf import setting
from .credentials import Credential, auth_fingerprint, session_fingerprint
from .protocol import AuthFailure
from .roles import with_profile


class TokenRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def issue(user: Any, session_key: str | None = None) -> str:
    """A token for ``user``, valid for ``TOKEN_TTL`` seconds; ``session_key`` is the
    session it is issued from, whose logout revokes it."""
    from .models import IssuedToken

    token_id = secrets.token_urlsafe(16)
    session = session_fingerprint(session_key)
    IssuedToken.objects.create(id=token_id, user=user, session=session,
                               session_key=session_key or "",
                               expires_at=timezone.now() + timedelta(seconds=setting("TOKEN_TTL")))
    return signing.dumps({"u": user.pk, "f": auth_fingerprint(user), "j": token_id,
                          "s": session}, salt=setting("TOKEN_SALT"), compress=True)


def verify(token: str) -> tuple[Any, Credential]:
    """The active user a token was issued to and the credential a socket binds to, or
    ``TokenRefused`` with its reason."""
    (result,) = verify_many([token])
    if isinstance(result, TokenRefused):
        raise result
    return result


def verify_many(tokens: list[str]) -> list[tuple[Any, Credential] | TokenRefused]:
    """``verify`` for each token, in order, in one query whatever their number: the
    tokens' rows with their users and the users' profile relations joined in, and
    the role resolver's prefetched relations (realtime.roles.with_profile).

    A reconnect storm's batch repeats itself: a token is unsigned once however many
    sockets present it, and a user's auth hash is computed once however many of its
    tokens are in the batch (two HMACs each, a fifth of a batch's CPU otherwise)."""
    from .models import IssuedToken

    claimed = {token: _claims(token) for token in dict.fromkeys(tokens)}
    wanted = {claims["j"] for claims in claimed.values() if isinstance(claims, dict)}
    rows = {row.pk: row for row in with_profile(IssuedToken.objects.filter(pk__in=wanted),
                                                "user__")} if wanted else {}
    fingerprints: dict[int, str] = {}
    checked = {token: claims if isinstance(claims, TokenRefused)
               else _check(claims, rows.get(claims["j"]), fingerprints)
               for token, claims in claimed.items()}
    # A refusal each: one exception object raised in several sockets' tasks would
    # gather all of their tracebacks.
    return [TokenRefused(result.reason) if isinstance(result, TokenRefused) else result
            for result in map(checked.__getitem__, tokens)]


def _claims(token: str) -> dict[str, Any] | TokenRefused:
    try:
        claims = signing.loads(token, salt=setting("TOKEN_SALT"), max_age=setting("TOKEN_TTL"))
    except signing.SignatureExpired:
        return TokenRefused(AuthFailure.EXPIRED)
    except (signing.BadSignature, ValueError, TypeError):
        return TokenRefused(AuthFailure.INVALID)
    if not isinstance(claims, dict) or not isinstance(claims.get("j"), str):
        return TokenRefused(AuthFailure.INVALID)
    return claims


def _check(claims: dict[str, Any], row: Any,
           fingerprints: dict[int, str]) -> tuple[Any, Credential] | TokenRefused:
    """``fingerprints``: the batch's auth hashes so far, by user (all read in one query,
    so one user's rows agree)."""
    if row is None or row.user_id != claims.get("u") or row.session != claims.get("s"):
        return TokenRefused(AuthFailure.REVOKED if row is None else AuthFailure.INVALID)
    user = row.user
    if row.revoked_at is not None or not user.is_active:
        return TokenRefused(AuthFailure.REVOKED)
    if user.pk not in fingerprints:
        fingerprints[user.pk] = auth_fingerprint(user)
    if claims.get("f") != fingerprints[user.pk]:
        return TokenRefused(AuthFailure.REVOKED)
    return user, credentials.for_token(user, row.pk, row.session, row.session_key,
                                       auth=fingerprints[user.pk])


def user_for_token(token: str) -> Any | None:
    """The user a token authenticates, or None (for callers that need no reason)."""
    try:
        return verify(token)[0]
    except TokenRefused:
        return None


def claims_of(token: str) -> tuple[int, str] | None:
    """The user id and token id a token of ours names, expired or not (to revoke it)."""
    try:
        claims = signing.loads(token, salt=setting("TOKEN_SALT"))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("j"), str):
        return None
    return claims.get("u"), claims["j"]


def revoke(tokens: list[tuple[int, str]]) -> None:
    """Revoke these ``(user id, token id)`` pairs and close the sockets they opened, on
    every process — also for tokens whose rows were pruned, whose sockets live on."""
    from .models import IssuedToken
    from .sessions import end_credential

    IssuedToken.objects.filter(pk__in=[token_id for _, token_id in tokens],
                               revoked_at__isnull=True).update(revoked_at=timezone.now())
    for user_id, token_id in tokens:
        end_credential(user_id, credentials.token_fingerprint(token_id))


def revoke_session(session_key: str) -> int:
    """At logout: the tokens issued from that session stop authenticating (the logout's
    own control message closes their sockets)."""
    from .models import IssuedToken

    return IssuedToken.objects.filter(session=session_fingerprint(session_key),
                                      revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_user(user: Any) -> int:
    """Every token of a user and every socket one opened, e.g. from a shell when an
    account is compromised. How many unrevoked rows there were."""
    from .models import IssuedToken
    from .sessions import end_credential

    revoked = IssuedToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    end_credential(user.pk, credentials.user_tokens_fingerprint(user.pk))
    return revoked


def prune_expired() -> int:
    """Delete the rows of tokens that expired over an hour ago: such a token can no longer
    authenticate, and a socket it opened is closed by its logout or revocation anyway."""
    from .models import IssuedToken

    deleted, _ = IssuedToken.objects.filter(
        expires_at__lt=timezone.now() - timedelta(hours=1)).delete()
    return deleted

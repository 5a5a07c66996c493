"""What a socket's identity rests on, and whether it still holds.

A socket is bound to the credential it was opened with: a Django session (its key,
and the user's session auth hash, which Django rotates on a password change) or an
issued token (its id, the auth hash it was signed with, and the session it came
from). Signals close the socket within a second when the credential ends
(realtime/sessions.py); what no signal sees (``QuerySet.update``, SQL) is found by
``broken``, which the heartbeat sweep runs every ``REVALIDATE_INTERVAL`` for all of a
process's sockets in a few batched queries, not one per socket.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.cache import SessionStore as CacheStore
from django.contrib.sessions.backends.db import SessionStore as DbStore
from django.utils import timezone
from django.utils.crypto import salted_hmac

# Why a socket is closed (4500) when its credential no longer holds.
DEACTIVATED = "user deactivated"
PASSWORD_CHANGED = "password changed"
SESSION_ENDED = "session ended"
TOKEN_REVOKED = "token revoked"


def session_fingerprint(session_key: str | None) -> str:
    """What the log and the token rows keep of a session key: never the key itself."""
    return hashlib.sha256((session_key or "").encode()).hexdigest()[:32] if session_key else ""


def token_fingerprint(token_id: str) -> str:
    return f"t:{token_id}"


def user_tokens_fingerprint(user_id: int) -> str:
    """Ends every token socket of a user at once (``tokens.revoke_user``), rows or not."""
    return f"tu:{user_id}"


def end_reason(fingerprint: str) -> str:
    """Why a socket closes when this fingerprint's credential ends."""
    return TOKEN_REVOKED if fingerprint.startswith(("t:", "tu:")) else SESSION_ENDED


def auth_fingerprint(user: Any) -> str:
    """Changes when the password does (Django's session auth hash), never reveals it."""
    return salted_hmac("realtime.token", user.get_session_auth_hash()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Credential:
    user_id: int
    auth: str
    # Cookie sockets: the session, which must still exist.
    session_key: str | None = None
    # Token sockets: the issued token's id, which must not be revoked.
    token_id: str | None = None
    # The fingerprints whose end (a logout, a revocation) closes the socket.
    ends_with: frozenset[str] = frozenset()


def for_session(user: Any, session_key: str | None) -> Credential:
    fingerprint = session_fingerprint(session_key)
    return Credential(user.pk, auth_fingerprint(user), session_key=session_key or None,
                      ends_with=frozenset({fingerprint} if fingerprint else ()))


def for_token(user: Any, token_id: str, session: str,
              session_key: str | None = None, auth: str | None = None) -> Credential:
    """A token socket ends with the token, with all of the user's tokens, and with the
    session it was fetched from (``session_key``, checked by the sweep too). ``auth``:
    the user's ``auth_fingerprint``, when the caller has it already."""
    ends = {token_fingerprint(token_id), user_tokens_fingerprint(user.pk)}
    if session:
        ends.add(session)
    return Credential(user.pk, auth or auth_fingerprint(user), session_key=session_key or None,
                      token_id=token_id, ends_with=frozenset(ends))


def broken(credentials: Iterable[Credential]) -> dict[Credential, str]:
    """The credentials that no longer hold, each with why. Touches the database: one
    query for the users, one for the tokens, one for the sessions (database-backed
    session engines; a cache engine is asked per key, a signed-cookie one not at all).
    """
    credentials = list(credentials)
    if not credentials:
        return {}
    users = {user.pk: user for user in get_user_model()._default_manager.filter(
        pk__in={c.user_id for c in credentials}).only("pk", "password", "is_active")}
    out: dict[Credential, str] = {}
    for credential in credentials:
        user = users.get(credential.user_id)
        if user is None or not user.is_active:
            out[credential] = DEACTIVATED
        elif auth_fingerprint(user) != credential.auth:
            out[credential] = PASSWORD_CHANGED
    tokens = {c.token_id for c in credentials if c.token_id and c not in out}
    if tokens:
        from .models import IssuedToken

        # A token only opens a socket; the socket outlives its expiry, and the row its
        # pruning: only a revocation ends it.
        revoked = set(IssuedToken.objects.filter(
            pk__in=tokens, revoked_at__isnull=False).values_list("pk", flat=True))
        for credential in credentials:
            if credential.token_id in revoked and credential not in out:
                out[credential] = TOKEN_REVOKED
    keys = {c.session_key for c in credentials if c.session_key and c not in out}
    if keys:
        alive = live_sessions(keys)
        for credential in credentials:
            if credential.session_key and credential not in out and \
                    credential.session_key not in alive:
                out[credential] = SESSION_ENDED
    return out


def live_sessions(keys: set[str]) -> set[str]:
    """Of these session keys, those whose session still exists (all of them when the
    engine cannot say: signed cookies live in the browser only)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if issubclass(store, DbStore):
        return set(store.get_model_class().objects.filter(
            session_key__in=keys, expire_date__gt=timezone.now(),
        ).values_list("session_key", flat=True))
    if issubclass(store, CacheStore):
        probe = store()
        names = {probe.cache_key_prefix + key: key for key in keys}
        return {names[name] for name in probe._cache.get_many(list(names))}
    return keys

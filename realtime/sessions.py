"""Credentials that end and roles that change reach the open sockets, in every process.

A logout closes the sockets of that session, and of the tokens issued from it, with
4500; so does revoking a token (realtime/tokens.py). Deactivating a user or changing
their password makes each of their sockets check its credential (realtime/credentials.py)
and close with 4500; a change that may alter a user's role (staff or superuser flags,
groups, a customer profile) makes them re-check their identity and close with 4001 if
the role changed. The message travels like an event — a row in the event log,
published on commit to the user's group — so it reaches other processes in both modes.
What no signal sees is caught by the heartbeat sweep (``REVALIDATE_INTERVAL``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_save, pre_save

from .credentials import session_fingerprint

CONTROL_NAMESPACE = "_control"
CREDENTIAL_ENDED = "control:credential_ended"
RECHECK = "control:recheck"
# A change to any of these makes the user's sockets re-check credential and role.
WATCHED_FIELDS = ("is_active", "is_staff", "is_superuser", "password")


def send_control(action: str, user_id: int, credential: str = "") -> None:
    """Log a control message for one user's sockets and publish it on commit;
    ``credential`` is the fingerprint (session or token) it is about."""
    from .publish import log_event

    log_event(CONTROL_NAMESPACE, action, {"credential": credential}, user=user_id)


def end_credential(user_id: int, fingerprint: str) -> None:
    """Close the user's sockets that rest on this session or token fingerprint."""
    send_control(CREDENTIAL_ENDED, user_id, fingerprint)


def identity_changed(user_id: int) -> None:
    """Tell the user's sockets to re-check their role (4001 if it changed, 4500 if inactive)."""
    send_control(RECHECK, user_id)


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if user is None or session is None or not session.session_key:
        return
    from .tokens import revoke_session

    revoke_session(session.session_key)
    end_credential(user.pk, session_fingerprint(session.session_key))


def _before_user_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    old = sender._default_manager.filter(pk=instance.pk).values(*WATCHED_FIELDS).first()
    instance._realtime_role_fields = old


def _after_user_save(sender: Any, instance: Any, created: bool, raw: bool = False,
                     **kwargs: Any) -> None:
    old = getattr(instance, "_realtime_role_fields", None)
    if raw or created or old is None:
        return
    if any(old[field] != getattr(instance, field) for field in WATCHED_FIELDS):
        identity_changed(instance.pk)
    instance._realtime_role_fields = {f: getattr(instance, f) for f in WATCHED_FIELDS}


def _groups_changed(sender: Any, instance: Any, action: str, reverse: bool,
                    pk_set: set | None, **kwargs: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        identity_changed(instance.pk)
    else:
        users = pk_set if pk_set is not None else []
        for user_id in users:
            identity_changed(user_id)


def connect_signals() -> None:
    user_model = get_user_model()
    user_logged_out.connect(_logged_out, dispatch_uid="realtime.sessions.logged_out")
    pre_save.connect(_before_user_save, sender=user_model,
                     dispatch_uid="realtime.sessions.before_user_save")
    post_save.connect(_after_user_save, sender=user_model,
                      dispatch_uid="realtime.sessions.after_user_save")
    m2m_changed.connect(_groups_changed, sender=user_model.groups.through,
                        dispatch_uid="realtime.sessions.groups_changed")

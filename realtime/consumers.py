"""The WebSocket consumers that speak docs/protocol.md.

``RealtimeConsumer`` holds the whole protocol: client frames are dispatched by
name through ``CLIENT_FRAMES``, subscriptions become group memberships, and
events arrive from the channel layer already encoded. The multiplexed
``/api/ws`` endpoint and the per-namespace ``/ws/<namespace>/`` endpoints are
thin subclasses.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from . import credentials, daphne_sockets, presence, process, replay, stats, tokens
from .auth import RAW_SEND
from .batching import Batched
from .conf import setting
from .events import NAMESPACES, Access, namespaces_for
from .events import registry as declared
from .follower import follower
from .frames import FRAMES, accept_message, error_frame, frame, send_message
from .groups import everyone_group, role_group, subscription_group, user_group
from .hub import hub
from .limits import new_bucket, registry
from .messages import Message, is_batch, joined
from .protocol import (
    PROTOCOL_VERSION,
    AuthFailure,
    ClientFrame,
    CloseCode,
    ErrorCode,
    FrameError,
    parse,
    require,
)
from .publish import emit
from .roles import Identity, anonymous, identify, with_profile
from .sessions import CREDENTIAL_ENDED
from .shared import ip_sockets
from .tokens import TokenRefused

logger = logging.getLogger("realtime.consumers")

# Client frame type -> handler method. Anything else is ``unknown_type``.
CLIENT_FRAMES = {
    "auth": "on_auth",
    "subscribe": "on_subscribe",
    "unsubscribe": "on_unsubscribe",
    "ping": "on_ping",
    "pong": "on_pong",
    "activity": "on_activity",
}


@database_sync_to_async
def _identify(user: Any) -> Identity:
    return identify(user)


@database_sync_to_async
def _recheck(credential: credentials.Credential) -> tuple[str | None, Identity | None]:
    """Why the credential no longer holds, or else the user's identity now: one hop to
    the database thread for a control message, not three."""
    from django.contrib.auth import get_user_model

    reason = credentials.broken([credential]).get(credential)
    if reason is not None:
        return reason, None
    users = with_profile(get_user_model()._default_manager.all())
    return None, identify(users.filter(pk=credential.user_id).first())


@database_sync_to_async
def _identify_tokens(
        batch: list[str]) -> list[tuple[Identity, credentials.Credential] | TokenRefused]:
    """A user's identity is resolved once however many of the batch's tokens are its:
    they were all read in the same query."""
    identities: dict[int, Identity] = {}
    out: list[tuple[Identity, credentials.Credential] | TokenRefused] = []
    for result in tokens.verify_many(batch):
        if isinstance(result, TokenRefused):
            out.append(result)
            continue
        user, credential = result
        if user.pk not in identities:
            identities[user.pk] = identify(user)
        out.append((identities[user.pk], credential))
    return out


# The ``auth``s that arrive while one batch is on the database thread go in the next:
# a reconnect storm's thousands of tokens take a few dozen queries, not two each.
_identify_token: Batched[str, tuple[Identity, credentials.Credential]] = Batched(
    _identify_tokens, most=200)

# ``auth_failed``'s message per reason; the reason itself is ``data.reason``.
AUTH_FAILED_MESSAGES = {
    AuthFailure.EXPIRED: "The token has expired: fetch a new one from POST /api/ws/token; "
                    "the identity is unchanged",
    AuthFailure.REVOKED: "The token was revoked (logout, password change or by hand): sign in "
                    "again; the identity is unchanged",
    AuthFailure.INVALID: "A valid token from POST /api/ws/token is required; the identity is "
                    "unchanged",
}


@database_sync_to_async
def _emit(event_type: str, payload: dict[str, Any]) -> None:
    emit(event_type, payload)


def too_large(text: str | None, data: bytes | None) -> bool:
    """Whether a message is over MAX_PAYLOAD bytes (UTF-8 for text), cheaply: a text's
    length in characters bounds its bytes from below, and four times it from above."""
    limit = setting("MAX_PAYLOAD")
    if data is not None:
        return len(data) > limit
    if text is None or len(text) * 4 <= limit:
        return False
    return len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit


class RealtimeConsumer(AsyncWebsocketConsumer):
    """One socket: an identity, its subscriptions (namespace -> group), its frames.

    Sockets have no channel-layer channel of their own: the process's hub
    (realtime/hub.py) receives each event once and calls ``deliver`` here.
    """

    # The server's synchronous write, where it has one (realtime.server's ``ServerSend``).
    send_now: Callable[[dict[str, Any]], None] | None = None

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.connection_id = uuid.uuid4().hex[:16]
        self.identity = anonymous()
        self.subscriptions: dict[str, str] = {}
        self.personal_groups: list[str] = []
        # Per namespace, the position up to which the socket has every event already
        # (from its ``since`` or a replay): live events at or below it are dropped.
        self.floors: dict[str, int] = {}
        # Live events held back while a subscribe sends ``subscribed`` and replays.
        self.holding: dict[str, list[Message]] = {}
        self.accepted = False
        self.closed = False
        # What the identity rests on (realtime/credentials.py); None for anonymous.
        self.credential: credentials.Credential | None = None
        self.awaiting_pong = False
        self.client_ip = (self.scope.get("client") or ["unknown"])[0]
        # The server's own send, below the session middleware, for the fan-out.
        self.wire_send = self.scope.get(RAW_SEND) or self.base_send
        # realtime.server's send also writes without a coroutine (``deliver_now``).
        self.send_now = getattr(self.wire_send, "now", None)
        # A slow reader is bounded by the Daphne protocol, realtime.server's or stock
        # Daphne's once adopted (realtime/daphne_sockets.py): the bytes Twisted holds for
        # the socket. Elsewhere a send that waits longer than SEND_TIMEOUT for the client
        # is one.
        bounded = process.server_bounds_sends or daphne_sockets.adopt(self.wire_send)
        self.send_timeout = None if bounded else setting("SEND_TIMEOUT") / 1000
        # A frame follows without waiting for the client (``connected`` after the admission
        # check and the identity, or admit's close): realtime.server sends the handshake's
        # response with it.
        await self.base_send(accept_message())
        if not await self.admit():
            return
        self.accepted = True
        stats.connection_opened(self.identity.role)
        self.bucket = new_bucket()
        registry.add(self)
        follower.ensure_running()
        user = self.scope.get("user")
        # Anonymous needs no database: skip the hop to the database thread.
        no_user = user is None or not getattr(user, "is_authenticated", False)
        if not no_user:
            session = self.scope.get("session")
            self.credential = credentials.for_session(user, getattr(session, "session_key",
                                                                    None))
        await self.set_identity(anonymous() if no_user else await _identify(user))
        logger.info("connect conn=%s user=%s role=%s ip=%s", self.connection_id,
                    self.identity.user_id, self.identity.role, self.client_ip)
        await self.send_frame("connected", {
            "connectionId": self.connection_id,
            "role": self.identity.role,
            "userId": self.identity.user_id,
            "namespaces": namespaces_for(self.identity.role),
            "heartbeat": {"interval": setting("PING_INTERVAL"),
                          "timeout": setting("PONG_TIMEOUT")},
            "protocol": PROTOCOL_VERSION,
        })
        await self.after_connect()

    async def admit(self) -> bool:
        """Connection caps: over the process's or the IP's, close with 4013 (counted)."""
        if len(registry) >= setting("MAX_CONNECTIONS"):
            return await self.refuse("max_connections")
        count = await ip_sockets.add(self.client_ip, self.connection_id)
        if count > setting("MAX_CONNECTIONS_PER_IP"):
            await ip_sockets.remove(self.client_ip, self.connection_id)
            return await self.refuse("max_connections_per_ip")
        return True

    async def refuse(self, reason: str) -> bool:
        stats.incr(f"refused.{reason}")
        logger.warning("refused conn=%s ip=%s reason=%s", self.connection_id, self.client_ip,
                       reason)
        self.closed = True
        await self.close(CloseCode.TRY_AGAIN_LATER)
        return False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Channels' consumer loop without its machinery for a channel-layer channel,
        which these sockets never have (events come from the hub): Channels waits on
        every source with ``asyncio.wait`` and a new task per message, which costs
        2.6 KB of every idle socket's memory (docs/performance.md) and a task per frame."""
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch first closes old database connections, a hop to the
        # database thread for every message: for a connect and a disconnect too, 3% of
        # the main thread's CPU in a connect storm. Every handler here that touches the
        # database goes through database_sync_to_async, which manages its connections.
        if message["type"] == "websocket.receive":
            await self.websocket_receive(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def after_connect(self) -> None:
        """Hook for subclasses: runs once the ``connected`` frame is sent."""

    async def after_auth(self) -> None:
        """Hook for subclasses: runs after an ``auth`` frame changed the identity."""

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        await self.cleanup(message.get("code"))
        await super().websocket_disconnect(message)

    async def cleanup(self, code: int | None) -> None:
        """Leave groups, presence, stats and the registry; once, however the socket ends."""
        if not self.accepted or getattr(self, "cleaned", False):
            return
        self.cleaned = True
        registry.discard(self)
        logger.info("disconnect conn=%s user=%s role=%s code=%s", self.connection_id,
                    self.identity.user_id, self.identity.role, code)
        await ip_sockets.remove(self.client_ip, self.connection_id)
        await self.leave_all()
        await self.update_presence(self.identity, None)
        # Last, so a closed socket shows in the stats only once it is fully gone.
        stats.connection_closed(self.identity.role, code)

    async def terminate(self, code: int, reason: str = "") -> None:
        """Close from the server side and clean up now, without waiting for the peer."""
        if self.closed:
            return
        self.closed = True
        await self.close_now(code, reason)

    async def close_now(self, code: int, reason: str = "") -> None:
        try:
            await self.close(code, reason or None)
        finally:
            await self.cleanup(code)

    async def close_idle(self) -> None:
        """No successful ``auth`` or ``subscribe`` within IDLE_TIMEOUT (the registry's
        idle sweep): 4008 ``idle``, reconnect after a long backoff."""
        stats.incr("dropped.idle")
        logger.info("idle close conn=%s ip=%s", self.connection_id, self.client_ip)
        await self.terminate(CloseCode.POLICY, "idle")

    async def send_ping(self, stamp: int) -> None:
        """The heartbeat: the client owes a ``pong`` within the timeout."""
        if self.closed:
            return
        self.awaiting_pong = True
        await self.send_frame("ping", {"ts": stamp})

    def outgoing(self, messages: list[Message], send: dict[str, Any]
                 ) -> tuple[list[Message], dict[str, Any]] | None:
        """What of the fan-out's ``messages`` this socket gets now, and its frame: the
        events it must not get now left out and the frame rebuilt for the rest; None for
        nothing."""
        if self.closed:
            return None
        if len(messages) == 1:
            # The common case (an idle hub's lone event): no list to build per socket.
            return (messages, send) if self.wants(messages[0]) else None
        wanted = [message for message in messages if self.wants(message)]
        if len(wanted) == len(messages):
            return messages, send
        if not wanted:
            return None
        return wanted, joined(wanted, batch=is_batch(send))

    def delivered(self, wanted: list[Message], send: dict[str, Any]) -> None:
        stats.record_deliveries(wanted, 1, batched=len(wanted) > 1 and is_batch(send))

    def deliver_now(self, messages: list[Message], send: dict[str, Any]) -> bool:
        """``deliver`` without a coroutine, through the server's synchronous write
        (``send_now``, realtime.server's): the hub's fan-out calls it for every socket
        of every event, and with one frame per event the coroutines were a fifth of the
        server's CPU (docs/performance.md). The server bounds the socket's backlog.

        True when the socket was sent all of ``messages`` as ``send``: the hub counts
        those deliveries 16 sockets at a time. A socket that got only some of them
        counts its own."""
        picked = self.outgoing(messages, send)
        if picked is None:
            return False
        wanted, send = picked
        try:
            self.send_now(send)
        except Exception:
            self.closed = True  # as in deliver
            return False
        if wanted is messages:
            return True
        self.delivered(wanted, send)
        return False

    async def deliver(self, messages: list[Message], send: dict[str, Any]) -> None:
        """Events for this socket's groups, already encoded as ``send`` (one frame or a
        batch), through the ASGI send; the hub's fan-out calls it (``deliver_now`` where
        the server has a synchronous write)."""
        picked = self.outgoing(messages, send)
        if picked is None:
            return
        wanted, send = picked
        frames = send.get(FRAMES)
        try:
            if self.send_timeout is None and frames is None:
                await self.wire_send(send)  # the common case: no timer per socket
            else:
                async with asyncio.timeout(self.send_timeout):
                    if frames is None:
                        await self.wire_send(send)
                    else:
                        wanted = await self.send_each(wanted, frames)
        except TimeoutError:
            self.drop_slow_reader()
            return
        except Exception:
            # The transport went away under us (dropped, reset): the disconnect that
            # follows cleans up; other sockets of the fan-out must not notice.
            self.closed = True
            return
        self.delivered(wanted, send)

    async def send_each(self, wanted: list[Message], frames: list[dict[str, Any]]
                        ) -> list[Message]:
        """Frames sent together, to a server that does not write them as one: each a send
        of its own. A send may wait for the client, and meanwhile this socket's own
        frames are handled (an ``unsubscribe``, a ``subscribe`` that holds events back):
        each frame after the first is asked for again, as it would be on its own."""
        sent = []
        for index, (message, one) in enumerate(zip(wanted, frames, strict=True)):
            if index and (self.closed or not self.wants(message)):
                continue
            await self.wire_send(one)
            sent.append(message)
        return sent

    def drop_slow_reader(self) -> None:
        """A send that waited SEND_TIMEOUT for a client that does not read (a server whose
        send waits for its buffer to drain, as uvicorn's): the fan-out moves on, and the
        socket is closed with 4008 from a task of its own, since the close waits too."""
        self.closed = True
        stats.incr("dropped.slow_reader")
        logger.warning("slow reader dropped conn=%s user=%s role=%s", self.connection_id,
                       self.identity.user_id, self.identity.role)
        asyncio.get_running_loop().create_task(
            self.close_now(CloseCode.POLICY, "slow reader"), context=contextvars.Context())

    def wants(self, message: Message) -> bool:
        """Whether a live event goes out now: subscribed, not replayed already, and not
        held back by a subscribe in progress (it then joins the held ones)."""
        if message.targeted:
            return True
        namespace = message.ns
        held = self.holding.get(namespace)
        if held is not None:
            held.append(message)
            return False
        if namespace not in self.subscriptions:
            return False
        floor = self.floors.get(namespace)
        return floor is None or message.id > floor

    async def control(self, message: Message) -> None:
        """A credential ended, or the user changed: close or keep the socket."""
        if message.action == CREDENTIAL_ENDED:
            if self.credential is not None and message.credential in self.credential.ends_with:
                await self.credential_ended(credentials.end_reason(message.credential))
            return
        if self.credential is None:
            return
        reason, identity = await _recheck(self.credential)
        if reason is not None:
            await self.credential_ended(reason)
            return
        if identity.role != self.identity.role or identity.profile != self.identity.profile:
            await self.terminate(CloseCode.SCOPE_CHANGED, "role changed")

    async def credential_ended(self, reason: str) -> None:
        stats.incr("closed.credential_ended")
        logger.info("credential ended conn=%s user=%s reason=%s", self.connection_id,
                    self.identity.user_id, reason)
        await self.terminate(CloseCode.SESSION_ENDED, reason)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        stats.incr("frames.in")
        if not self.bucket.take():
            await self.rate_limited()
            return
        if too_large(text_data, bytes_data):
            await self.refuse_message()
            return
        ref = None
        try:
            if text_data is None:
                raise FrameError(ErrorCode.BAD_MESSAGE, "Frames must be UTF-8 text")
            client_frame = parse(text_data)
            ref = client_frame.ref
            handler_name = CLIENT_FRAMES.get(client_frame.type)
            if handler_name is None:
                raise FrameError(ErrorCode.UNKNOWN_TYPE,
                                 f"Unknown frame type {client_frame.type!r}", ref)
            await getattr(self, handler_name)(client_frame)
        except FrameError as exc:
            stats.incr(f"errors.{exc.code}")
            await self.send_text(error_frame(exc.code, exc.message,
                                             exc.ref if exc.ref is not None else ref,
                                             **exc.extra))

    async def refuse_message(self) -> None:
        """A message over MAX_PAYLOAD that no frame guard stopped (a server without
        one): ``too_large``, then close with 4009; it is never parsed."""
        stats.incr(f"errors.{ErrorCode.TOO_LARGE}")
        logger.warning("message too large conn=%s user=%s role=%s", self.connection_id,
                       self.identity.user_id, self.identity.role)
        await self.send_text(error_frame(
            ErrorCode.TOO_LARGE, f"Messages are limited to {setting('MAX_PAYLOAD')} bytes"))
        await self.terminate(CloseCode.MESSAGE_TOO_LARGE, "message too large")

    async def rate_limited(self) -> None:
        stats.incr("frames.rate_limited")
        if self.bucket.exhausted:
            logger.warning("rate limit close conn=%s user=%s role=%s", self.connection_id,
                           self.identity.user_id, self.identity.role)
            await self.terminate(CloseCode.POLICY, "rate limit exceeded")
            return
        await self.send_text(error_frame(
            ErrorCode.RATE_LIMITED, "Too many frames; slow down",
            retryAfter=self.bucket.retry_after_ms()))

    async def send_frame(self, frame_type: str, data: Any = None, ref: Any = None) -> None:
        await self.send_text(frame(frame_type, data, ref))

    async def send_text(self, text: str) -> None:
        """A frame of this socket's own (``connected``, ``subscribed``, an error) with its
        wire bytes, through the server's send as events go: realtime.server writes them
        as is instead of autobahn framing each in Python, a tenth of the main thread's
        CPU in a connect storm (docs/performance.md)."""
        await self.wire_send(send_message(text))

    # Identity and groups

    async def set_identity(self, identity: Identity) -> None:
        """Adopt an identity: personal groups, presence, and re-scoped subscriptions."""
        previous = self.identity
        for group in self.personal_groups:
            await hub.leave(group, self)
        self.identity = identity
        self.personal_groups = [everyone_group(), role_group(identity.role)]
        if identity.user_id is not None:
            self.personal_groups.append(user_group(identity.user_id))
        for group in self.personal_groups:
            await hub.join(group, self)
        for namespace, group in list(self.subscriptions.items()):
            new_group = self.group_for(namespace)
            if new_group == group:
                continue
            await hub.leave(group, self)
            if new_group is None:
                del self.subscriptions[namespace]
                await self.send_frame("unsubscribed", {"namespace": namespace})
            else:
                self.subscriptions[namespace] = new_group
                await hub.join(new_group, self)
        if self.accepted and previous.role != identity.role:
            stats.connection_moved(previous.role, identity.role)
        await self.update_presence(previous, identity)

    async def update_presence(self, previous: Identity | None, current: Identity | None) -> None:
        """Owners (identities with a profile) count online while a socket of theirs is open,
        when an app declared a namespace that announces it."""
        if declared.presence() is None:
            return
        old = previous.profile if previous else None
        new = current.profile if current else None
        if old == new:
            return
        if old is not None:
            await presence.leave(old, self.connection_id)
        if new is not None:
            await presence.join(new, self.connection_id)

    def group_for(self, namespace: str) -> str | None:
        access = NAMESPACES[namespace].access(self.identity.role)
        owner = self.identity.profile.id if self.identity.profile else None
        return subscription_group(namespace, access, owner)

    async def leave_all(self) -> None:
        for group in [*self.personal_groups, *self.subscriptions.values()]:
            await hub.leave(group, self)
        self.subscriptions.clear()

    # Subscriptions

    async def subscribe(self, namespace: str, since: int | None, ref: Any = None) -> None:
        if namespace not in NAMESPACES:
            raise FrameError(ErrorCode.UNKNOWN_NAMESPACE,
                             f"Unknown namespace {namespace!r}", ref)
        group = self.group_for(namespace)
        if group is None:
            raise FrameError(ErrorCode.FORBIDDEN,
                             f"Role {self.identity.role!r} may not subscribe to {namespace!r}",
                             ref)
        old_group = self.subscriptions.get(namespace)
        if old_group not in (None, group):
            await hub.leave(old_group, self)
        await follower.ready()
        # Join before reading the log, holding live events back: an event the follower
        # hands over meanwhile is replayed or held, and the floor drops the duplicates.
        self.holding[namespace] = []
        try:
            await hub.join(group, self)
            self.subscriptions[namespace] = group
            self.floors.pop(namespace, None)
            await self.send_subscribed(namespace, since, ref)
            registry.engaged(self)
        finally:
            for message in self.holding.pop(namespace, ()):
                await self.deliver([message], message.send)

    async def send_subscribed(self, namespace: str, since: int | None, ref: Any) -> None:
        """``subscribed``, then (with ``since``) the replay or a ``reset``.

        Joined already, so every event after the follower's cursor reaches the socket
        live; a resume reads the log for what lies between ``since`` and there.
        ``lastEventId`` is the position after which the live stream continues.
        """
        cursor = follower.cursor
        if since is None:
            await self.send_frame("subscribed", {"namespace": namespace, "lastEventId": cursor,
                                                 "recovered": False}, ref)
            return
        owner = None
        if NAMESPACES[namespace].access(self.identity.role) is Access.OWN:
            owner = self.identity.profile.id
        # Memory holds what the follower handed up to ``cursor``: read it before any await.
        events = await replay.events_after(namespace, since, owner, cursor,
                                           self.subscriptions[namespace])
        if events is None:
            await self.send_frame("subscribed", {"namespace": namespace, "lastEventId": cursor,
                                                 "recovered": False}, ref)
            await self.send_frame("reset", {"namespace": namespace,
                                            "reason": "events after 'since' are no longer kept"})
            return
        floor = max(since, events[-1].id) if events else since
        self.floors[namespace] = floor
        await self.send_frame("subscribed", {"namespace": namespace,
                                             "lastEventId": max(cursor, floor),
                                             "recovered": True}, ref)
        for message in events:
            await self.wire_send(message.send)

    async def unsubscribe(self, namespace: str, ref: Any = None) -> None:
        if namespace not in NAMESPACES:
            raise FrameError(ErrorCode.UNKNOWN_NAMESPACE,
                             f"Unknown namespace {namespace!r}", ref)
        group = self.subscriptions.pop(namespace, None)
        self.floors.pop(namespace, None)
        if group is not None:
            await hub.leave(group, self)
        await self.send_frame("unsubscribed", {"namespace": namespace}, ref)

    # Client frames (CLIENT_FRAMES)

    async def on_auth(self, client_frame: ClientFrame) -> None:
        token = client_frame.data.get("token")
        try:
            if not isinstance(token, str) or not token:
                raise TokenRefused(AuthFailure.INVALID)
            identity, credential = await _identify_token(token)
        except TokenRefused as refused:
            stats.incr("auth.failures")
            stats.incr(f"auth.refused.{refused.reason}")
            logger.warning("auth failed conn=%s user=%s role=%s reason=%s", self.connection_id,
                           self.identity.user_id, self.identity.role, refused.reason)
            raise FrameError(ErrorCode.AUTH_FAILED, AUTH_FAILED_MESSAGES[refused.reason],
                             client_frame.ref, reason=refused.reason) from None
        self.credential = credential
        await self.set_identity(identity)
        registry.engaged(self)
        await self.send_frame("authenticated", {
            "userId": identity.user_id, "role": identity.role,
            "namespaces": namespaces_for(identity.role)}, client_frame.ref)
        await self.after_auth()

    async def on_subscribe(self, client_frame: ClientFrame) -> None:
        data, ref = client_frame.data, client_frame.ref
        namespace = require(data, "namespace", str, ref)
        since = require(data, "since", int, ref, optional=True)
        if since is not None and since < 0:
            raise FrameError(ErrorCode.BAD_MESSAGE, "'data.since' must not be negative", ref)
        await self.subscribe(namespace, since, ref)

    async def on_unsubscribe(self, client_frame: ClientFrame) -> None:
        namespace = require(client_frame.data, "namespace", str, client_frame.ref)
        await self.unsubscribe(namespace, client_frame.ref)

    async def on_ping(self, client_frame: ClientFrame) -> None:
        await self.send_frame("pong", client_frame.data, client_frame.ref)

    async def on_pong(self, client_frame: ClientFrame) -> None:
        """The answer to the server's heartbeat ping."""
        self.awaiting_pong = False

    async def on_activity(self, client_frame: ClientFrame) -> None:
        """An owner's client reports what its user does; it becomes an event of the
        namespace that declared the action (``client_actions``)."""
        data, ref = client_frame.data, client_frame.ref
        profile = self.identity.profile
        if profile is None:
            raise FrameError(ErrorCode.FORBIDDEN, "Only owners (users with a profile) "
                             "report activity", ref)
        action = require(data, "action", str, ref)
        namespace = declared.activity(action)
        if namespace is None or namespace.client_payload is None:
            raise FrameError(ErrorCode.BAD_MESSAGE, "'data.action' must be one of "
                             f"{', '.join(declared.client_actions())}", ref)
        product_id = require(data, "productId", int, ref, optional=True)
        quantity = require(data, "quantity", int, ref, optional=True)
        payload = namespace.client_payload(profile, {"action": action, "productId": product_id,
                                                      "quantity": quantity})
        await _emit(f"{namespace.prefix}:{action}", payload)


class MultiplexConsumer(RealtimeConsumer):
    """``/api/ws``: any namespace, chosen with ``subscribe``."""


class NamespaceConsumer(RealtimeConsumer):
    """``/ws/<namespace>/``: one namespace, subscribed as soon as the identity allows.

    A resuming client passes ``?since=<id>``. ``subscribe``/``unsubscribe``
    frames are ``bad_message`` here.
    """

    async def after_connect(self) -> None:
        self.namespace = self.scope["url_route"]["kwargs"]["namespace"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        since = query.get("since", [""])[0]
        self.since = int(since) if since.isdigit() else None
        await self.auto_subscribe()

    async def after_auth(self) -> None:
        if self.namespace not in self.subscriptions:
            await self.auto_subscribe()

    async def auto_subscribe(self) -> None:
        try:
            await self.subscribe(self.namespace, self.since)
        except FrameError as exc:
            await self.send_text(error_frame(exc.code, exc.message))

    async def on_subscribe(self, client_frame: ClientFrame) -> None:
        raise FrameError(ErrorCode.BAD_MESSAGE,
                         "This endpoint serves one namespace; use /api/ws to choose",
                         client_frame.ref)

    on_unsubscribe = on_subscribe

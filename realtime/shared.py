"""Sets of open sockets shared by every server process: per-IP counts and presence.

With Redis, a member counts only while the process that added it is alive. Each
process beats every ``PROCESS_HEARTBEAT`` seconds into one sorted set,
``<GROUP_PREFIX>:procs`` (origin → the Redis server's time of its last beat, so the
hosts' clocks do not matter); one silent for ``PROCESS_TTL`` seconds is dead, and
its members stop counting at once, everywhere — the per-IP cap frees its slots
within seconds of a ``kill -9`` instead of after a per-entry expiry. ``reap`` then
deletes a dead process's members and returns the sets that lost their last member
that way (presence announces those customers offline).

Keys of one kind (``ip``, ``presence``), under ``<GROUP_PREFIX>:<kind>:``:

- ``<name>/<origin>``: the connection ids that process holds in set ``name``;
- ``<name>``: the origins holding members of ``name`` (counting is one ``SCARD``
  per live origin, not a walk over every member);
- ``names``: every name with members; ``@<origin>``: the names an origin holds
  members of (what ``reap`` deletes); ``origins``: the origins with members.

Every change is idempotent (``SADD``/``SREM`` of a connection id under this
process's origin), so this process's own record, ``local``, can always be written
again: when Redis lost it (a restart, or the process was silent long enough to be
reaped) or when a command's outcome is unknown (it failed or was cancelled), the
next beat re-adds ``local`` and repeats the removals that may not have reached Redis.
While Redis is unreachable the sets count this process's members only. Without
Redis there is one process, and the sets are its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings

from .conf import setting

logger = logging.getLogger("realtime.shared")

_clients: dict[asyncio.AbstractEventLoop, Any] = {}
# A connection of its own for the liveness beat: a pool busy with a burst of
# handshakes must not delay it past PROCESS_TTL and get this process taken for dead.
_beat_clients: dict[asyncio.AbstractEventLoop, Any] = {}
_scripts: dict[asyncio.AbstractEventLoop, Any] = {}

# Origins whose liveness record a command found missing or stale: Redis lost their
# members, or another process reaped them; their next beat re-adds every set's.
_unsynced: set[str] = set()

# Members per script call: Lua's ``unpack`` takes a few thousand at most.
CHUNK = 500
# Queued adds and removals per ``many`` call (three arguments each).
QUEUED_PER_CALL = 1000

# Every operation in one script, so each is atomic and reads Redis's own clock.
# ARGV: the kind's key prefix, the procs key, the caller's origin, PROCESS_TTL,
# the operation, then its arguments. The caller's own origin always counts as alive:
# it is running, even before its first beat lands. The keys are built in the script
# from the prefix, so it needs one Redis, not a Redis Cluster.
_LUA = """
local base, procs, self, ttl, op = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cutoff = now - ttl

local function alive(origin)
  if origin == self then return true end
  local beat = redis.call('ZSCORE', procs, origin)
  return beat ~= false and tonumber(beat) >= cutoff
end

local function count(name)
  local total = 0
  for _, origin in ipairs(redis.call('SMEMBERS', base .. ':' .. name)) do
    if alive(origin) then
      total = total + redis.call('SCARD', base .. ':' .. name .. '/' .. origin)
    end
  end
  return total
end

-- Drop the index entries of an origin that holds no member of ``name`` any more.
local function unindex(name, origin)
  local key = base .. ':' .. name
  redis.call('SREM', key, origin)
  redis.call('SREM', base .. ':@' .. origin, name)
  if redis.call('SCARD', key) == 0 then redis.call('SREM', base .. ':names', name) end
end

local function add_members(name, ...)
  local key = base .. ':' .. name
  redis.call('SADD', key .. '/' .. self, ...)
  redis.call('SADD', key, self)
  redis.call('SADD', base .. ':names', name)
  redis.call('SADD', base .. ':@' .. self, name)
  redis.call('SADD', base .. ':origins', self)
end

local function remove_members(name, ...)
  local mine = base .. ':' .. name .. '/' .. self
  redis.call('SREM', mine, ...)
  if redis.call('SCARD', mine) == 0 then unindex(name, self) end
end

-- Members of an origin with no live record would be reaped by the others: write it.
-- 1 when it was missing or stale (the caller's record must be written again).
local function mark_alive()
  local last = redis.call('ZSCORE', procs, self)
  if last == false or tonumber(last) < cutoff then
    redis.call('ZADD', procs, now, self)
    return 1
  end
  return 0
end

if op == 'beat' then
  local last = redis.call('ZSCORE', procs, self)
  redis.call('ZADD', procs, now, self)
  redis.call('ZREMRANGEBYSCORE', procs, '-inf', '(' .. cutoff)
  if last == false or tonumber(last) < cutoff then return 1 end
  return 0
elseif op == 'add' then
  local name = ARGV[6]
  add_members(name, unpack(ARGV, 7))
  return {count(name), mark_alive()}
elseif op == 'many' then
  -- Queued adds and removals in their order: triples of ('a' or 'r', name, member).
  -- Each gets the size of its set right after it, as if it had been a call of its own.
  local sizes = {}
  for i = 6, #ARGV, 3 do
    local name, member = ARGV[i + 1], ARGV[i + 2]
    if ARGV[i] == 'a' then add_members(name, member) else remove_members(name, member) end
    table.insert(sizes, count(name))
  end
  table.insert(sizes, mark_alive())
  return sizes
elseif op == 'remove' then
  local name = ARGV[6]
  remove_members(name, unpack(ARGV, 7))
  return count(name)
elseif op == 'size' then
  return count(ARGV[6])
elseif op == 'names' then
  local live = {}
  for _, name in ipairs(redis.call('SMEMBERS', base .. ':names')) do
    if count(name) > 0 then table.insert(live, name) end
  end
  return live
elseif op == 'reap' then
  -- At most ARGV[6] names per dead origin per call; SPOP hands each to one reaper.
  local emptied, more = {}, 0
  for _, origin in ipairs(redis.call('SMEMBERS', base .. ':origins')) do
    if not alive(origin) then
      local index = base .. ':@' .. origin
      for _, name in ipairs(redis.call('SPOP', index, tonumber(ARGV[6]))) do
        local members = base .. ':' .. name .. '/' .. origin
        local had = redis.call('SCARD', members)
        redis.call('DEL', members)
        unindex(name, origin)
        if had > 0 and count(name) == 0 then table.insert(emptied, name) end
      end
      if redis.call('SCARD', index) == 0 then
        redis.call('SREM', base .. ':origins', origin)
      else
        more = 1
      end
    end
  end
  return {emptied, more}
end
return redis.error_reply('unknown shared-set operation ' .. op)
"""


class _Queue:
    """Changes of one set kind waiting for the next script call, and the task sending them."""

    __slots__ = ("items", "task")

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str, asyncio.Future[int]]] = []
        self.task: asyncio.Task[None] | None = None


def redis_client() -> Any:
    """This loop's asyncio Redis client, or None in the embedded mode."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        import redis.asyncio as aioredis

        # A bounded pool that waits for a free connection rather than opening more.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=setting("REDIS_POOL_SIZE"), timeout=5,
            socket_connect_timeout=2, socket_timeout=2)
        client = aioredis.Redis(connection_pool=pool)
        _clients[loop] = client
        _beat_clients[loop] = aioredis.Redis.from_url(
            url, max_connections=1, socket_connect_timeout=2, socket_timeout=2)
        # Sent by hash; reloaded by redis-py when a restarted Redis no longer knows it.
        _scripts[loop] = client.register_script(_LUA)
    return client


def process_origin() -> str:
    """This process's origin, the id its liveness record and members are filed under."""
    from .publish import PROCESS_ORIGIN

    return PROCESS_ORIGIN


def _procs_key() -> str:
    return f"{setting('GROUP_PREFIX')}:procs"


def _decode(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _chunks(members: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for member in members:
        batch.append(member)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


class SharedSets:
    """Named sets of connection ids, e.g. ``ip`` → {"127.0.0.1": {conn ids}}.

    ``origin`` names the process the members belong to: this process's
    ``PROCESS_ORIGIN`` unless given (tests play several processes in one).
    """

    def __init__(self, kind: str, origin: str | None = None) -> None:
        self.kind = kind
        self._origin = origin
        self.local: defaultdict[str, set[str]] = defaultdict(set)
        # Removed here, but Redis may still hold them (the removal failed or was
        # cancelled): removed again by the next beat, or by ``forget_local``.
        self._leaving: defaultdict[str, set[str]] = defaultdict(set)
        # Removals waiting for Redis' answer: a shutdown that cancels them after
        # ``forget_local`` ran would otherwise leave their members behind.
        self._removing: defaultdict[str, set[str]] = defaultdict(set)
        # While ``refresh`` re-adds ``local``: the members removed meanwhile, whose
        # removal may have reached Redis before the re-add did.
        self._removed_during_refresh: defaultdict[str, set[str]] | None = None
        # Some of ``local`` may be missing from Redis: the next beat re-adds it.
        self.unsynced = False
        # Per event loop, the handshakes' and closes' changes waiting for a script call.
        self._queues: dict[asyncio.AbstractEventLoop, _Queue] = {}

    @property
    def origin(self) -> str:
        return self._origin or process_origin()

    def _key(self, name: str) -> str:
        return f"{setting('GROUP_PREFIX')}:{self.kind}:{name}"

    async def _run(self, client: Any, op: str, *args: Any) -> Any:
        script = _scripts[asyncio.get_running_loop()]
        base = f"{setting('GROUP_PREFIX')}:{self.kind}"
        return await script(args=[base, _procs_key(), self.origin,
                                  setting("PROCESS_TTL"), op, *args], client=client)

    async def _queued(self, code: str, name: str, member: str) -> int:
        """An add (``a``) or removal (``r``) sent with every other one waiting meanwhile.

        A reconnect storm brings thousands of handshakes at once: one round trip each
        held a pooled connection across a turn of the busy loop, so they queued for the
        pool for seconds. While one call is in flight the next ones gather, and go in
        one script call, in order, each answered with its own set's size.
        """
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        future: asyncio.Future[int] = loop.create_future()
        queue.items.append((code, name, member, future))
        if queue.task is None:
            queue.task = loop.create_task(self._drain(queue))
        return await future

    async def _drain(self, queue: _Queue) -> None:
        try:
            while queue.items:
                batch = queue.items[:QUEUED_PER_CALL]
                del queue.items[:QUEUED_PER_CALL]
                args = [part for code, name, member, _ in batch for part in (code, name, member)]
                try:
                    *sizes, lost = await self._run(redis_client(), "many", *args)
                except Exception as exc:
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                except BaseException:
                    for *_, future in batch:
                        future.cancel()
                    raise
                if lost:
                    _unsynced.add(self.origin)
                for (*_, future), size in zip(batch, sizes, strict=True):
                    if not future.done():
                        future.set_result(int(size))
        finally:
            for *_, future in queue.items:
                future.cancel()
            queue.items.clear()
            queue.task = None

    def _unknown(self, name: str, member: str) -> None:
        """A removal whose outcome is unknown: it is repeated until Redis confirms it."""
        self._leaving[name].add(member)
        self.unsynced = True

    async def add(self, name: str, member: str) -> int:
        """Add a member; the set's size afterwards, across processes."""
        self.local[name].add(member)
        client = redis_client()
        if client is None:
            return len(self.local[name])
        try:
            size = await self._queued("a", name, member)
        except asyncio.CancelledError:
            # The handshake that was adding it is gone: the member must not stay.
            self._drop_local(name, member)
            self._note_removed(name, member)
            self._unknown(name, member)
            raise
        except Exception:
            self.unsynced = True
            logger.warning("shared %s set unavailable in Redis; counting this process only",
                           self.kind, exc_info=True)
            return len(self.local[name])
        return size

    async def remove(self, name: str, member: str) -> int:
        """Remove a member; the set's size afterwards, across processes.

        A removal that fails or is cut short (Daphne cancels the application at
        shutdown) is remembered and repeated by the next beat or by ``forget_local``,
        so the member does not stay counted while this process lives.
        """
        self._drop_local(name, member)
        self._note_removed(name, member)
        client = redis_client()
        if client is None:
            return len(self.local.get(name, ()))
        self._removing[name].add(member)
        try:
            size = await self._queued("r", name, member)
        except asyncio.CancelledError:
            self._unknown(name, member)
            raise
        except Exception:
            self._unknown(name, member)
            logger.warning("shared %s set release failed in Redis", self.kind, exc_info=True)
            return len(self.local.get(name, ()))
        finally:
            removing = self._removing.get(name)
            if removing is not None:
                removing.discard(member)
                if not removing:
                    del self._removing[name]
        return size

    def _drop_local(self, name: str, member: str) -> None:
        members = self.local.get(name)
        if members is not None:
            members.discard(member)
            if not members:
                del self.local[name]

    def _note_removed(self, name: str, member: str) -> None:
        if self._removed_during_refresh is not None:
            self._removed_during_refresh[name].add(member)

    async def size(self, name: str) -> int:
        """Members of one set held by live processes."""
        client = redis_client()
        if client is None:
            return len(self.local.get(name, ()))
        try:
            return int(await self._run(client, "size", name))
        except Exception:
            logger.warning("shared %s size unavailable in Redis", self.kind, exc_info=True)
            return len(self.local.get(name, ()))

    async def refresh(self) -> None:
        """Write this process's record again: re-add ``local``, repeat unconfirmed removals.

        The beat calls it when Redis may have lost members (it restarted, a command
        failed, this process was taken for dead). Adds are never undone by it: a
        member removed while it runs is removed again after the re-adds.
        """
        client = redis_client()
        if client is None:
            self.unsynced = False
            return
        self.unsynced = False  # a failure from here on sets it again
        raced = self._removed_during_refresh = defaultdict(set)
        try:
            for name, members in list(self.local.items()):
                for batch in _chunks(list(members)):
                    await self._run(client, "add", name, *batch)
        except Exception:
            self.unsynced = True
            logger.warning("shared %s refresh failed in Redis", self.kind, exc_info=True)
        finally:
            self._removed_during_refresh = None
            for name, members in raced.items():
                self._leaving[name] |= members
        await self._flush_leaving(client)

    async def _flush_leaving(self, client: Any) -> None:
        """Remove the members whose removal is unconfirmed; keep those Redis did not take."""
        while self._leaving:
            name, members = self._leaving.popitem()
            try:
                for batch in _chunks(list(members)):
                    await self._run(client, "remove", name, *batch)
            except BaseException as exc:
                self._leaving[name] |= members  # all again: a removal is idempotent
                self.unsynced = True
                if not isinstance(exc, Exception):
                    raise
                logger.warning("shared %s release failed in Redis", self.kind, exc_info=True)
                return

    async def forget_local(self) -> None:
        """Remove every member this process added (it is shutting down)."""
        local, self.local = self.local, defaultdict(set)
        for name, members in [*local.items(), *self._removing.items()]:
            self._leaving[name] |= members
        client = redis_client()
        if client is None:
            self._leaving.clear()
            return
        await self._flush_leaving(client)

    async def reap(self) -> list[str]:
        """Delete the members of dead processes; the names that lost their last one so."""
        client = redis_client()
        if client is None:
            return []
        emptied: list[str] = []
        try:
            more = True
            while more:
                names, more = await self._run(client, "reap", CHUNK)
                emptied.extend(_decode(name) for name in names)
        except Exception:
            logger.warning("shared %s reap failed in Redis", self.kind, exc_info=True)
        return emptied

    async def names(self) -> list[str]:
        """Every name with at least one member held by a live process."""
        client = redis_client()
        if client is None:
            return list(self.local)
        try:
            return [_decode(name) for name in await self._run(client, "names")]
        except Exception:
            logger.warning("shared %s names unavailable in Redis", self.kind, exc_info=True)
            return list(self.local)


async def beat(sets: Sequence[SharedSets] | None = None) -> bool:
    """One liveness beat for the origin of each set; False if Redis did not take it.

    A beat that finds its record missing or stale (Redis restarted, or the process
    was silent past ``PROCESS_TTL`` and may have been reaped), or that follows a
    failed command, re-adds the sets' local members, so the counts heal by themselves.
    """
    sets = (ip_sockets, customer_sockets) if sets is None else sets
    client = redis_client()
    if client is None:
        return False
    own = _beat_clients[asyncio.get_running_loop()]
    by_origin: dict[str, list[SharedSets]] = defaultdict(list)
    for shared in sets:
        by_origin[shared.origin].append(shared)
    beaten = True
    for origin, group in by_origin.items():
        try:
            lost = await group[0]._run(own, "beat")
        except Exception:
            logger.warning("liveness beat of %s failed in Redis", origin, exc_info=True)
            for shared in group:
                shared.unsynced = True
            beaten = False
            continue
        if lost or origin in _unsynced:
            _unsynced.discard(origin)
            for shared in group:
                shared.unsynced = True
        for shared in group:
            if shared.unsynced:
                await shared.refresh()
    return beaten


ip_sockets = SharedSets("ip")
customer_sockets = SharedSets("presence")

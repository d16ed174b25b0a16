"""Rasa's lock store, chosen by the environment: Redis when `REDIS_URL` is set, else in-process.

Rasa handles one message of a conversation at a time: it takes a ticket for the conversation,
waits until its ticket is served, handles the message and gives the ticket back. One Rasa process
can keep those tickets in memory; several replicas behind a proxy must share them, or two
messages from one user could be handled at once by two replicas, and their events would be
interleaved or lost in the tracker store.

Rasa's own `RedisLockStore` keeps each conversation's tickets as one JSON value that it reads,
changes and writes back in separate commands. Two replicas issuing tickets at the same moment can
both read the same value and both get ticket 0, and then both handle a message at once. The
Redis lock store here does every step in a Lua script, which Redis runs atomically:

- ``safeshare:lockseq:<conversation>`` numbers the tickets (INCR);
- ``safeshare:lock:<conversation>`` is a sorted set of the tickets still held or waited for,
  scored by when each expires (Redis's clock, so the replicas' clocks do not matter);
- a ticket is served when it is the lowest number left in the set. A ticket that outlives its
  lifetime (a replica died while holding it) drops out of the set, so the next one is served.
  Both keys expire by themselves too, and go when the last ticket is given back.

If Redis cannot be reached, Rasa's store raises and the message is dropped (the user gets no
reply). `ResilientRedisLockStore` instead serialises that conversation with an in-process lock
until Redis answers again, and logs the outage once. What that gives up while Redis is down: two
messages of one conversation sent at the same moment to two different replicas could be handled
together; one user rarely does that, and a lost message is the worse failure.

The Redis store talks to Redis with redis-py's asyncio client: a Redis that is slow or does not
answer holds up the message waiting for it (up to the 3 s time-out), not Rasa's event loop and
every other conversation with it, as Rasa's store (synchronous calls) would.

Both stores look for their turn every 20 ms, not every second as Rasa's default does: a second
message sent before the first is answered should not wait a second longer than it must.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

import redis
import redis.asyncio
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore

from safeshare.settings import get_settings

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.02

# KEYS: tickets (sorted set), sequence (counter). ARGV: lifetime in ms. Returns the ticket number.
_ISSUE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local lifetime = tonumber(ARGV[1])
local ticket = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], now_ms + lifetime, ticket)
redis.call('PEXPIRE', KEYS[1], lifetime)
redis.call('PEXPIRE', KEYS[2], lifetime)
return ticket
"""

# KEYS: tickets. ARGV: ticket. Returns 1 if it is this ticket's turn, 0 if not yet, -1 if the
# ticket has expired (it can never be served).
_TURN = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return -1
end
local mine = tonumber(ARGV[1])
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if tonumber(member) < mine then
    return 0
  end
end
return 1
"""

# KEYS: tickets, sequence. ARGV: ticket. Gives the ticket back; the last one out deletes both keys.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
end
return 1
"""


class LocalLockStore(InMemoryLockStore):
    """Rasa's in-process lock store, looking for its turn every `POLL_SECONDS`."""

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        async with super().lock(
            conversation_id, lock_lifetime, min(wait_time_in_seconds, POLL_SECONDS)
        ) as lock:
            yield lock


class ResilientRedisLockStore(LockStore):
    """Ticket locks shared by all replicas through Redis, each step one atomic Lua script; while
    Redis is unreachable, in-process locks instead."""

    def __init__(
        self,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        password: str | None = None,
        use_ssl: bool = False,
        key_prefix: str = "safeshare",
        socket_timeout: float = 3,
    ) -> None:
        super().__init__()
        # The asyncio client: a slow or unreachable Redis delays this message, not the event loop
        # that serves every other conversation (Rasa's own lock store blocks it).
        self.red = redis.asyncio.Redis(
            host=host,
            port=int(port),
            db=int(db),
            password=password,
            ssl=use_ssl,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
        )
        self.key_prefix = f"{key_prefix}:lock:"
        self.sequence_prefix = f"{key_prefix}:lockseq:"
        self._issue = self.red.register_script(_ISSUE)
        self._turn = self.red.register_script(_TURN)
        self._release = self.red.register_script(_RELEASE)
        self._local = LocalLockStore()
        self._down_since: float | None = None

    def _keys(self, conversation_id: str) -> list[str]:
        return [self.key_prefix + conversation_id, self.sequence_prefix + conversation_id]

    async def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:  # type: ignore[override]
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        return int(await self._issue(keys=self._keys(conversation_id), args=[lifetime_ms]))

    async def wait_for_turn(self, conversation_id: str, ticket: int, poll_seconds: float) -> None:
        """Returns when `ticket` is served; `LockError` if it expired first."""
        key = self._keys(conversation_id)[:1]
        while True:
            state = int(await self._turn(keys=key, args=[ticket]))
            if state == 1:
                return
            if state == -1:
                raise LockError(f"Lock ticket {ticket} for conversation_id '{conversation_id}' expired.")
            await asyncio.sleep(poll_seconds)

    async def release(self, conversation_id: str, ticket: int) -> None:
        await self._release(keys=self._keys(conversation_id), args=[ticket])

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        poll = min(wait_time_in_seconds, POLL_SECONDS)
        ticket: int | None = None
        outage: redis.exceptions.RedisError | None = None
        try:
            ticket = await self.issue_ticket(conversation_id, lock_lifetime)
            await self.wait_for_turn(conversation_id, ticket, poll)
        except redis.exceptions.RedisError as error:
            outage = error
        except BaseException:
            # An expired ticket, or the request cancelled while waiting.
            await self._give_back(conversation_id, ticket)
            raise
        try:
            if outage is not None:
                self._went_down(outage)
                async with self._local.lock(conversation_id, lock_lifetime, poll) as lock:
                    yield lock
            else:
                self._came_back()
                yield TicketLock(conversation_id)
        finally:
            await self._give_back(conversation_id, ticket)

    # Rasa's base class reads and writes whole `TicketLock` values; this store never does.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        raise NotImplementedError("this store keeps tickets, not TicketLock values")

    def delete_lock(self, conversation_id: str) -> None:
        raise NotImplementedError("this store keeps tickets, not TicketLock values")

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("this store keeps tickets, not TicketLock values")

    async def _give_back(self, conversation_id: str, ticket: int | None) -> None:
        if ticket is None:
            return
        try:
            await self.release(conversation_id, ticket)
        except (redis.exceptions.RedisError, OSError):
            # The ticket expires by itself (its lifetime); the message was handled.
            logger.warning("could not give a conversation lock back to Redis (it will expire)")

    def _went_down(self, error: Exception) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            logger.error(
                "Redis lock store unreachable (%s): using in-process locks until it is back",
                type(error).__name__,
            )

    def _came_back(self) -> None:
        if self._down_since is not None:
            logger.warning(
                "Redis lock store reachable again after %.0f s", time.monotonic() - self._down_since
            )
            self._down_since = None


class EnvLockStore:
    """Factory that Rasa instantiates from `endpoints.yml`; returns the concrete lock store."""

    def __new__(cls, endpoint_config: Any = None, **_: Any) -> LockStore:  # type: ignore[misc]
        url = get_settings().redis_url
        if not url:
            return LocalLockStore()
        parsed = urlparse(url)
        return ResilientRedisLockStore(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            db=int((parsed.path or "/0").lstrip("/") or 0),
            password=parsed.password,
            use_ssl=parsed.scheme == "rediss",
            key_prefix="safeshare",
            socket_timeout=3,
        )

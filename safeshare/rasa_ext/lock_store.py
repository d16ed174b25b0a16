"""Rasa's lock store, chosen by the environment: lock files when `SAFESHARE_LOCK_DIR` is set,
Redis when `REDIS_URL` is, else in-process.

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

Rasa processes on one machine (`make run`) need not go through Redis for this: `FileLockStore`
keeps the same tickets in small lock files under `SAFESHARE_LOCK_DIR`, changed under an exclusive
`flock`, which the kernel gives to one process at a time and takes back if the process
dies. Each step is a few system calls on a file in the page cache, where each Redis step is a round
trip through the event loop and a Lua script.

All the stores look for their turn every 20 ms, not every second as Rasa's default does: a second
message sent before the first is answered should not wait a second longer than it must.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import AsyncGenerator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
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


class TicketLockStore(LockStore):
    """A lock store that keeps numbered tickets per conversation (in Redis or in lock files):
    served lowest first, each with a lifetime."""

    async def _turn(self, conversation_id: str, ticket: int) -> int:
        """1 if it is this ticket's turn, 0 if not yet, -1 if it has expired."""
        raise NotImplementedError

    async def wait_for_turn(self, conversation_id: str, ticket: int, poll_seconds: float) -> None:
        """Returns when `ticket` is served; `LockError` if it expired first."""
        while True:
            state = await self._turn(conversation_id, ticket)
            if state == 1:
                return
            if state == -1:
                raise LockError(f"Lock ticket {ticket} for conversation_id '{conversation_id}' expired.")
            await asyncio.sleep(poll_seconds)

    # Rasa's base class reads and writes whole `TicketLock` values; this store never does.
    def get_lock(self, conversation_id: str) -> TicketLock | None:
        raise NotImplementedError("this store keeps tickets, not TicketLock values")

    def delete_lock(self, conversation_id: str) -> None:
        raise NotImplementedError("this store keeps tickets, not TicketLock values")

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("this store keeps tickets, not TicketLock values")


class ResilientRedisLockStore(TicketLockStore):
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
        self._turn_script = self.red.register_script(_TURN)
        self._release = self.red.register_script(_RELEASE)
        self._local = LocalLockStore()
        self._down_since: float | None = None

    def _keys(self, conversation_id: str) -> list[str]:
        return [self.key_prefix + conversation_id, self.sequence_prefix + conversation_id]

    async def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:  # type: ignore[override]
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        return int(await self._issue(keys=self._keys(conversation_id), args=[lifetime_ms]))

    async def _turn(self, conversation_id: str, ticket: int) -> int:
        return int(await self._turn_script(keys=self._keys(conversation_id)[:1], args=[ticket]))

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


STRIPES = 256


def _unexpired(tickets: dict[str, float], now: float) -> dict[str, float]:
    return {ticket: until for ticket, until in tickets.items() if until > now}


def _read_stripe(fd: int) -> dict[str, Any]:
    raw = os.pread(fd, 1 << 24, 0)
    try:
        stripe = json.loads(raw) if raw.strip() else {}
    except ValueError:
        stripe = None
    if not isinstance(stripe, dict):
        logger.warning("unreadable conversation lock file: starting it again")
        return {}
    return stripe


class FileLockStore(TicketLockStore):
    """Ticket locks shared by the processes of one machine, in lock files.

    A conversation's tickets live in one of `STRIPES` files, chosen by a hash of its id, as
    {hash: {"next": the next ticket, "tickets": {ticket: when it expires}}}; a file is read and
    changed only under an exclusive `flock`, as the Redis store's Lua scripts are run by Redis. A
    ticket is served when it is the lowest one of its conversation left; expired tickets are
    dropped (a process died holding one), and a conversation with no ticket left leaves its file.
    The files are never deleted (so a process never locks a file another has replaced) and hold
    only the conversations being answered, named by a hash, so they name no one and stay small.
    Rewritten in place (no truncation: on ext4 a truncate cost 20 times the write)."""

    def __init__(self, folder: Path | str) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @staticmethod
    def _key(conversation_id: str) -> str:
        return hashlib.sha256(conversation_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def path(self, conversation_id: str) -> Path:
        """The lock file that holds this conversation's tickets."""
        return self.folder / f"{int(self._key(conversation_id)[:8], 16) % STRIPES:02x}.lock"

    @contextmanager
    def _tickets(self, conversation_id: str) -> Iterator[dict[str, Any]]:
        """The conversation's unexpired tickets, under its file's lock; what the block leaves is
        written back, with the expired tickets of every conversation in the file dropped."""
        key = self._key(conversation_id)
        fd = os.open(self.path(conversation_id), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held for a read and a write: microseconds
            stripe = _read_stripe(fd)
            stored = stripe.get(key)
            if not isinstance(stored, dict) or not isinstance(stored.get("tickets"), dict):
                stored = {"next": 0, "tickets": {}}
            now = time.time()
            entry = {"next": stored.get("next", 0), "tickets": _unexpired(stored["tickets"], now)}
            yield entry
            if entry == stored and key in stripe:
                return  # nothing changed
            kept = {}
            for other, value in stripe.items():
                if other != key and isinstance(value, dict):
                    tickets = _unexpired(value.get("tickets") or {}, now)
                    if tickets:
                        kept[other] = {**value, "tickets": tickets}
            if entry["tickets"]:
                kept[key] = entry
            if kept == stripe:
                return
            data = json.dumps(kept, separators=(",", ":")).encode()
            size = os.fstat(fd).st_size
            if len(data) < size:
                data = data.ljust(size)  # JSON ignores the trailing spaces
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)  # and with it the lock

    def held(self) -> list[str]:
        """The (hashed) conversations that hold or wait for a ticket, expired or not."""
        held: list[str] = []
        for path in sorted(self.folder.glob("*.lock")):
            fd = os.open(path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
                held += [key for key, value in _read_stripe(fd).items() if value.get("tickets")]
            finally:
                os.close(fd)
        return held

    async def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:  # type: ignore[override]
        with self._tickets(conversation_id) as state:
            ticket = int(state["next"])
            state["next"] = ticket + 1
            state["tickets"][str(ticket)] = time.time() + lock_lifetime
        return ticket

    async def _turn(self, conversation_id: str, ticket: int) -> int:
        with self._tickets(conversation_id) as state:
            tickets = state["tickets"]
            if str(ticket) not in tickets:
                return -1
            return 1 if min(int(t) for t in tickets) == ticket else 0

    async def release(self, conversation_id: str, ticket: int) -> None:
        with self._tickets(conversation_id) as state:
            state["tickets"].pop(str(ticket), None)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        ticket = await self.issue_ticket(conversation_id, lock_lifetime)
        try:
            await self.wait_for_turn(conversation_id, ticket, min(wait_time_in_seconds, POLL_SECONDS))
            yield TicketLock(conversation_id)
        finally:
            await self.release(conversation_id, ticket)


class EnvLockStore:
    """Factory that Rasa instantiates from `endpoints.yml`; returns the concrete lock store:
    lock files if `SAFESHARE_LOCK_DIR` is set (processes on one machine), else Redis if
    `REDIS_URL` is, else in-process."""

    def __new__(cls, endpoint_config: Any = None, **_: Any) -> LockStore:  # type: ignore[misc]
        settings = get_settings()
        if settings.lock_dir is not None:
            return FileLockStore(settings.lock_dir)
        url = settings.redis_url
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

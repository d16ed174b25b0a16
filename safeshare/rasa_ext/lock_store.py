"""Rasa's lock store, chosen by the environment: Redis when `REDIS_URL` is set, else in-process.

One Rasa process can keep its locks in memory; several replicas behind a proxy must share them,
or two messages from one user could be processed at once by two replicas.

If Redis cannot be reached, Rasa's own Redis lock store raises and the message is dropped (the user
gets no reply). `ResilientRedisLockStore` instead serialises that conversation with an in-process
lock until Redis answers again, and logs the outage once. What that gives up while Redis is down:
two messages of one conversation sent at the same moment to two different replicas could be
processed together; one user rarely does that, and a lost message is the worse failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore

from safeshare.settings import get_settings

logger = logging.getLogger(__name__)


class ResilientRedisLockStore(RedisLockStore):
    """Redis lock store that falls back to in-process locks while Redis is unreachable."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = InMemoryLockStore()
        self._down_since: float | None = None

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        try:
            ticket = self.issue_ticket(conversation_id, lock_lifetime)
        except LockError as error:
            if not isinstance(error.__cause__ or error.__context__, redis.exceptions.RedisError):
                raise
            self._went_down(error)
            async with self._local.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as lock:
                yield lock
            return
        self._came_back()
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            try:
                self.cleanup(conversation_id, ticket)
            except redis.exceptions.RedisError:
                # The ticket expires by itself (lock_lifetime); the message was handled.
                logger.warning("could not release a conversation lock in Redis (it will expire)")

    def _went_down(self, error: Exception) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            logger.error(
                "Redis lock store unreachable (%s): using in-process locks until it is back",
                type(error.__cause__ or error.__context__).__name__,
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
            return InMemoryLockStore()
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

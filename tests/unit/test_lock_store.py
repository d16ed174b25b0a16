"""The Redis lock store keeps answering while Redis is down (in-process locks meanwhile)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from urllib.parse import urlparse

import pytest
import redis

from safeshare.rasa_ext.lock_store import ResilientRedisLockStore


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_redis_falls_back_to_in_process_locks() -> None:
    store = ResilientRedisLockStore(host="127.0.0.1", port=closed_port(), socket_timeout=1)
    order: list[str] = []

    async def handle(name: str, hold: float) -> None:
        async with store.lock("conversation-1", wait_time_in_seconds=0.01):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    await asyncio.gather(handle("first", 0.1), handle("second", 0))
    # Still one message of a conversation at a time.
    assert order == ["first in", "first out", "second in", "second out"]
    assert store._down_since is not None


async def test_other_lock_errors_are_not_hidden() -> None:
    store = ResilientRedisLockStore(host="127.0.0.1", port=closed_port(), socket_timeout=1)

    def broken(*_: object, **__: object) -> None:
        raise ValueError("not a Redis problem")

    store.get_or_create_lock = broken  # type: ignore[method-assign]
    from rasa.core.lock_store import LockError

    with pytest.raises(LockError):
        async with store.lock("conversation-2"):
            pass


@pytest.mark.redis
async def test_with_redis_up_the_locks_are_in_redis(redis_url: str) -> None:
    parsed = urlparse(redis_url)
    prefix = f"safesharetest{uuid.uuid4().hex[:8]}"
    store = ResilientRedisLockStore(
        host=parsed.hostname,
        port=parsed.port or 6379,
        db=int(parsed.path.lstrip("/") or 0),
        key_prefix=prefix,
    )
    client = redis.Redis(host=parsed.hostname, port=parsed.port or 6379, db=int(parsed.path.lstrip("/") or 0))
    async with store.lock("conversation-3"):
        assert client.keys(f"{prefix}:lock:*") == [f"{prefix}:lock:conversation-3".encode()]
    assert client.keys(f"{prefix}:lock:*") == []
    assert store._down_since is None

"""Rasa's lock store, chosen by the environment: Redis when `REDIS_URL` is set, else in-process.

One Rasa process can keep its locks in memory; several replicas behind a proxy must share them,
or two messages from one user could be processed at once by two replicas.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore

from safeshare.settings import get_settings


class EnvLockStore:
    """Factory that Rasa instantiates from `endpoints.yml`; returns the concrete lock store."""

    def __new__(cls, endpoint_config: Any = None, **_: Any) -> LockStore:  # type: ignore[misc]
        url = get_settings().redis_url
        if not url:
            return InMemoryLockStore()
        parsed = urlparse(url)
        return RedisLockStore(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            db=int((parsed.path or "/0").lstrip("/") or 0),
            password=parsed.password,
            use_ssl=parsed.scheme == "rediss",
            key_prefix="safeshare",
        )

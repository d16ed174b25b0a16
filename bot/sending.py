"""Call the Bot API through python-telegram-bot with bounded retries.

Telegram asks a bot that sends too fast to wait (`RetryAfter`, HTTP 429): we wait exactly that
long and try again. Network failures and Telegram's own 5xx (`NetworkError`) are retried with
exponential backoff. A refusal (`BadRequest`, `Forbidden`: blocked by the user, chat gone) is
final and re-raised at once. Everything is bounded so a handler never hangs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, NetworkError, RetryAfter

logger = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 4
BACKOFF = 0.5  # seconds before the first retry after a network error; doubles each time
MAX_RETRY_AFTER = 60.0  # a longer flood wait is not worth holding a chat's queue for


def seconds(value: int | float | dt.timedelta) -> float:
    """RetryAfter.retry_after is an int today and a timedelta in later python-telegram-bot."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def with_retry(
    call: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS, backoff: float = BACKOFF
) -> T:
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = seconds(exc.retry_after)
            if attempt == attempts or wait > MAX_RETRY_AFTER:
                raise
            logger.info("Telegram rate limit: retrying in %.1fs", wait)
            await asyncio.sleep(wait)
        except BadRequest:
            raise
        except NetworkError as exc:
            if attempt == attempts:
                raise
            delay = backoff * 2 ** (attempt - 1)
            logger.info("Telegram network error (%s): retrying in %.1fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover

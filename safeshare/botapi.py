"""Telegram's Bot API through python-telegram-bot: the rules every sender of Telegram messages
follows, whether the Telegram relay (`bot/`) answering a chat or the staff console sending a staff
answer (`safeshare.delivery`).

- Length: Telegram counts a message in UTF-16 code units and takes at most `TEXT_LIMIT`;
  `split_text` cuts a longer text at a paragraph, line or word boundary.
- Retries, one policy (`with_retry`): Telegram asks a bot that sends too fast to wait
  (`RetryAfter`, HTTP 429): we wait exactly that long and try again, unless the wait is longer than
  the caller can hold on (`max_wait`). Network failures and Telegram's own 5xx (`NetworkError`,
  `TimedOut`) are retried with exponential backoff. A refusal (`BadRequest`, `Forbidden`: the user
  blocked the bot, the chat is gone; `InvalidToken`) is final and re-raised at once. At most
  `ATTEMPTS` tries, so a caller never hangs.
- `short_lived_bot`: a `Bot` for one job in a process that is not the relay (the console), with
  its HTTP client closed afterwards and without the `getMe` call of `Bot.initialize()`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

logger = logging.getLogger(__name__)
T = TypeVar("T")

TEXT_LIMIT = 4096  # Telegram's limit for one message, counted in UTF-16 code units
ATTEMPTS = 4
BACKOFF = 0.5  # seconds before the first retry after a network error; doubles each time
MAX_RETRY_AFTER = 60.0  # a longer flood wait is not worth holding a chat's queue for


# --- length ---------------------------------------------------------------------------------------


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """The largest index i with telegram_length(text[:i]) <= limit."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` units, cut at the last paragraph break that fits, else the last
    line break, else the last space, else (one enormous word) at the limit itself.

    Cuts consume the separator, so no piece starts or ends with the whitespace it was cut at.
    """
    text = text.strip()
    pieces: list[str] = []
    while telegram_length(text) > limit:
        hard = _cut(text, limit)
        window = text[:hard]
        at = -1
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            # A cut in the first fifth would leave a uselessly short piece: try a finer separator.
            if at > hard // 5:
                break
            at = -1
        if at == -1:
            pieces.append(window)
            text = text[hard:].lstrip()
        else:
            pieces.append(window[:at].rstrip())
            text = text[at:].lstrip()
    if text:
        pieces.append(text)
    return pieces


# --- retries --------------------------------------------------------------------------------------


def seconds(value: int | float | dt.timedelta) -> float:
    """RetryAfter.retry_after is an int today and a timedelta in later python-telegram-bot."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def with_retry(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int | None = None,
    backoff: float | None = None,
    max_wait: float = MAX_RETRY_AFTER,
) -> T:
    """`await call()`, retried as the module docstring says; the last error is re-raised."""
    attempts = ATTEMPTS if attempts is None else attempts
    backoff = BACKOFF if backoff is None else backoff
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = seconds(exc.retry_after)
            if attempt == attempts or wait > max_wait:
                raise
            logger.info("Telegram rate limit: retrying in %.1fs", wait)
            await asyncio.sleep(wait)
        except BadRequest:  # a NetworkError in python-telegram-bot's tree, but final
            raise
        except NetworkError as exc:
            if attempt == attempts:
                raise
            delay = backoff * 2 ** (attempt - 1)
            logger.info("Telegram network error (%s): retrying in %.1fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def description(error: TelegramError) -> str:
    """Telegram's own words for an error ("Bad Request: chat not found"): python-telegram-bot drops
    the "Bad Request: " prefix and capitalises what is left."""
    if isinstance(error, BadRequest):
        return f"Bad Request: {error.message[:1].lower()}{error.message[1:]}"
    return error.message


# --- a bot for one job ----------------------------------------------------------------------------


def file_url(api_url: str) -> str:
    """Telegram's file URL next to its API URL (…/bot → …/file/bot)."""
    base, _, tail = api_url.rpartition("/")
    return f"{base}/file/{tail}" if base else api_url


@asynccontextmanager
async def short_lived_bot(
    token: str, api_url: str, *, connect_timeout: float = 5.0, read_timeout: float = 15.0
) -> AsyncIterator[Bot]:
    """A `Bot` whose HTTP client lives as long as the `async with` block.

    `Bot.initialize()` would call `getMe` first (one more request that can fail, and whose
    InvalidToken message repeats the token); sending needs neither, so only the request objects
    are opened and closed here."""
    request = HTTPXRequest(connect_timeout=connect_timeout, read_timeout=read_timeout)
    updates = HTTPXRequest(connect_timeout=connect_timeout, read_timeout=read_timeout)
    bot = Bot(
        token,
        base_url=api_url,
        base_file_url=file_url(api_url),
        request=request,
        get_updates_request=updates,
    )
    async with request, updates:
        yield bot

"""Deliver a staff answer to a Telegram chat (the staff console calls this).

Usage (synchronous, from Flask):

    from bot.delivery import deliver_staff_answer
    deliver_staff_answer(inquiry.reply_address, inquiry.reference, answer, inquiry.language)

The console runs outside the relay process, so this talks to the Bot API directly with httpx
(settings.telegram_api_url + the token), with the same text the assistant uses
(`utter_staff_answer`), split under Telegram's limit. It waits out a 429 for the `retry_after`
Telegram gives and retries network failures and Telegram's 5xx a few times, then raises:

    DeliveryError          Telegram refused (the user blocked the bot, chat not found, no token)
    └── ChannelUnreachable the Bot API could not be reached or kept failing

Neither the token nor the answer ever appears in an exception or a log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bot.rendering import split_text
from safeshare import responses
from safeshare.errors import ChannelUnreachable, DeliveryError
from safeshare.settings import get_settings

logger = logging.getLogger(__name__)

ATTEMPTS = 4
BACKOFF = 0.5
MAX_RETRY_AFTER = 30.0  # the console waits for us; a longer flood wait is reported instead
TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True)
class _Retry:
    """Try again after `delay` seconds; `error` is raised if no attempt is left."""

    delay: float
    error: DeliveryError


def staff_answer_text(reference: str, answer: str, language: str) -> str:
    return responses.text("utter_staff_answer", language, reference=reference, answer=answer)


def _requests(chat_id: str, text: str) -> list[dict[str, Any]]:
    return [
        {"chat_id": chat_id, "text": piece, "link_preview_options": {"is_disabled": True}}
        for piece in split_text(text)
    ]


def _endpoint() -> str:
    settings = get_settings()
    if not settings.telegram_bot_token:
        raise DeliveryError("Telegram is not configured (TELEGRAM_BOT_TOKEN is empty)")
    return f"{settings.telegram_api_url}{settings.telegram_bot_token}/sendMessage"


def _verdict(response: httpx.Response, attempt: int) -> _Retry | None:
    """None when Telegram accepted the message; a _Retry for 429/5xx; raise on a refusal."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code == 200 and body.get("ok"):
        return None
    description = str(body.get("description") or f"HTTP {response.status_code}")
    if response.status_code == 429 or body.get("error_code") == 429:
        wait = float((body.get("parameters") or {}).get("retry_after") or 1)
        error = DeliveryError(f"Telegram rate limit: {description}")
        return _Retry(wait if wait <= MAX_RETRY_AFTER else -1, error)
    if response.status_code >= 500:
        return _Retry(BACKOFF * 2 ** (attempt - 1), ChannelUnreachable(f"Telegram: {description}"))
    raise DeliveryError(f"Telegram refused the message: {description}")


def _network_retry(exc: httpx.HTTPError, attempt: int) -> _Retry:
    return _Retry(
        BACKOFF * 2 ** (attempt - 1),
        ChannelUnreachable(f"Telegram Bot API unreachable ({type(exc).__name__})"),
    )


def _send(client: httpx.Client, url: str, body: dict[str, Any]) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            retry = _verdict(client.post(url, json=body), attempt)
        except httpx.HTTPError as exc:
            retry = _network_retry(exc, attempt)
        if retry is None:
            return
        if attempt == ATTEMPTS or retry.delay < 0:
            raise retry.error
        time.sleep(retry.delay)


async def _send_async(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            retry = _verdict(await client.post(url, json=body), attempt)
        except httpx.HTTPError as exc:
            retry = _network_retry(exc, attempt)
        if retry is None:
            return
        if attempt == ATTEMPTS or retry.delay < 0:
            raise retry.error
        await asyncio.sleep(retry.delay)


def deliver_staff_answer(chat_id: str, reference: str, answer: str, language: str) -> None:
    """Send the staff answer to the chat; raise DeliveryError (see the module docstring)."""
    url = _endpoint()
    bodies = _requests(str(chat_id), staff_answer_text(reference, answer, language))
    with httpx.Client(timeout=TIMEOUT) as client:
        for body in bodies:
            _send(client, url, body)
    logger.info("delivered the staff answer for %s on Telegram", reference)


async def deliver_staff_answer_async(chat_id: str, reference: str, answer: str, language: str) -> None:
    """The same, for async callers."""
    url = _endpoint()
    bodies = _requests(str(chat_id), staff_answer_text(reference, answer, language))
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        for body in bodies:
            await _send_async(client, url, body)
    logger.info("delivered the staff answer for %s on Telegram", reference)

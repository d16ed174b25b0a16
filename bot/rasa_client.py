"""Talk to Rasa's REST channel on behalf of a Telegram chat.

Rasa only ever sees a pseudonymous sender ("tg-" + an HMAC of the chat id, see
`safeshare.identity.sender_key`); the chat id travels in metadata as `reply_to`, which the
escalation action stores so a staff answer can be delivered to the same chat later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from safeshare.errors import ChannelUnreachable
from safeshare.identity import sender_key

logger = logging.getLogger(__name__)

REST_PATH = "/webhooks/rest/webhook"


def chat_pseudonym(chat_id: int | str) -> str:
    """A chat's pseudonymous key (HMAC of the chat id with the project secret)."""
    return sender_key(f"telegram:{chat_id}")


def telegram_sender(chat_id: int | str) -> str:
    """Rasa's sender id for a chat: stable, and never the chat id itself."""
    return "tg-" + chat_pseudonym(chat_id)


def telegram_metadata(chat_id: int | str) -> dict[str, str]:
    return {"channel": "telegram", "reply_to": str(chat_id)}


class RasaClient:
    """POST one message, get Rasa's replies; every failure is `ChannelUnreachable`.

    Only a refused connection is retried (with a short backoff): the message never reached Rasa,
    so sending it again cannot make Rasa answer it twice. A timeout or a 5xx is not retried for
    that reason.
    """

    def __init__(
        self, http: httpx.AsyncClient, rasa_url: str, *, attempts: int = 3, backoff: float = 0.5
    ) -> None:
        self.http = http
        self.url = rasa_url.rstrip("/") + REST_PATH
        self.attempts = attempts
        self.backoff = backoff

    async def send(self, chat_id: int | str, message: str) -> list[dict[str, Any]]:
        body = {
            "sender": telegram_sender(chat_id),
            "message": message,
            "metadata": telegram_metadata(chat_id),
        }
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self.http.post(self.url, json=body)
            except httpx.ConnectError as exc:
                if attempt == self.attempts:
                    raise ChannelUnreachable("Rasa refused the connection") from exc
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            except httpx.TimeoutException as exc:
                raise ChannelUnreachable("Rasa did not answer in time") from exc
            except httpx.HTTPError as exc:
                raise ChannelUnreachable(f"Rasa request failed: {type(exc).__name__}") from exc
            if response.status_code != 200:
                raise ChannelUnreachable(f"Rasa answered HTTP {response.status_code}")
            try:
                replies = response.json()
            except ValueError as exc:
                raise ChannelUnreachable("Rasa's answer was not JSON") from exc
            if not isinstance(replies, list):
                raise ChannelUnreachable("Rasa's answer was not a list of messages")
            return [reply for reply in replies if isinstance(reply, dict)]
        raise ChannelUnreachable("Rasa did not answer")  # pragma: no cover - loop always returns

"""Deliver a staff answer on the channel the user asked on.

- telegram: sent to the user's chat through the Bot API (python-telegram-bot's `Bot`, with the
  retry policy of `safeshare.botapi`), in the words the assistant uses (`utter_staff_answer`),
  split under Telegram's limit. The console runs outside the relay process and waits for the
  answer to go out, so it holds on for a flood wait of at most `TELEGRAM_MAX_WAIT` seconds.
- socketio (the website widget): the Rasa server is asked to trigger `staff_answer_ready` in the
  user's conversation; `action_deliver_staff_answer` then says the answer in the widget. The
  inquiry is marked delivered when an open widget confirms it showed the answer
  (`WidgetSocketIOInput`, event `staff_answer_seen`); a user who is not connected gets it when
  their next session starts, and their widget confirms it then.
- any other channel (REST clients): nothing can be pushed; the user reads the answer with
  "status SS-XXXXX", so the answer stays pending.

`deliver_answer` returns the delivery status to record (`DeliveryStatus.delivered` or `.pending`;
the states and their rules are in `safeshare.inquiries`) and raises `DeliveryError` (or its
`ChannelUnreachable`) when the answer could not be handed over; the console records the error and
shows it, and staff can retry:

    DeliveryError          the channel refused (Telegram: the user blocked the bot, chat not found,
    │                      a rejected or missing token; Rasa: an error status)
    └── ChannelUnreachable the channel's server could not be reached or kept failing

Neither the bot token nor the answer ever appears in an exception or a log line.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
from telegram import LinkPreviewOptions
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from safeshare import botapi, responses
from safeshare.errors import ChannelUnreachable, DeliveryError
from safeshare.inquiries import TELEGRAM, WIDGET, DeliveryStatus
from safeshare.settings import Settings, get_settings

logger = logging.getLogger(__name__)

# Short names kept for callers of this module.
DELIVERED = DeliveryStatus.delivered
PENDING = DeliveryStatus.pending
FAILED = DeliveryStatus.failed
TRIGGER_INTENT = "staff_answer_ready"
TELEGRAM_MAX_WAIT = 30.0  # seconds of Telegram flood wait the console holds on for


@dataclass(frozen=True)
class StaffAnswer:
    """What delivery needs to know about an answered inquiry (no ORM object across I/O)."""

    reference: str
    channel: str
    reply_address: str | None
    language: str
    text: str


def deliver_answer(answer: StaffAnswer, settings: Settings | None = None) -> DeliveryStatus:
    settings = settings or get_settings()
    if answer.channel == TELEGRAM:
        asyncio.run(deliver_telegram(answer, settings))
        return DELIVERED
    if answer.channel == WIDGET:
        return _deliver_socketio(answer, settings)
    return PENDING


def staff_answer_text(answer: StaffAnswer) -> str:
    return responses.text(
        "utter_staff_answer", answer.language, reference=answer.reference, answer=answer.text
    )


async def deliver_telegram(answer: StaffAnswer, settings: Settings | None = None) -> None:
    """Send the staff answer to the inquiry's Telegram chat; raise DeliveryError (see above)."""
    settings = settings or get_settings()
    if not answer.reply_address:
        raise DeliveryError("this Telegram inquiry has no chat to reply to")
    if not settings.telegram_bot_token:
        raise DeliveryError("Telegram is not configured (TELEGRAM_BOT_TOKEN is empty)")
    chat_id = answer.reply_address
    no_preview = LinkPreviewOptions(is_disabled=True)
    try:
        async with botapi.short_lived_bot(settings.telegram_bot_token, settings.telegram_api_url) as bot:
            for piece in botapi.split_text(staff_answer_text(answer)):
                await botapi.with_retry(
                    lambda piece=piece: bot.send_message(chat_id, piece, link_preview_options=no_preview),
                    max_wait=TELEGRAM_MAX_WAIT,
                )
    except RetryAfter as error:
        wait = botapi.seconds(error.retry_after)
        raise DeliveryError(f"Telegram rate limit: retry after {wait:.0f}s") from None
    except BadRequest as error:
        raise DeliveryError(_said(error, "Telegram refused the message", settings)) from None
    except NetworkError as error:
        raise ChannelUnreachable(_said(error, "Telegram Bot API unreachable", settings)) from None
    except TelegramError as error:
        raise DeliveryError(_said(error, "Telegram refused the message", settings)) from None
    logger.info("delivered the staff answer for %s on Telegram", answer.reference)


def _said(error: TelegramError, what: str, settings: Settings) -> str:
    """What went wrong, for the console and the audit log: never the token."""
    said = botapi.description(error).replace(settings.telegram_bot_token, "<token>")[:300]
    return f"{what}: {said}"


def _deliver_socketio(answer: StaffAnswer, settings: Settings) -> DeliveryStatus:
    if not answer.reply_address:
        raise DeliveryError("this widget inquiry has no conversation to reply to")
    url = f"{settings.rasa_url}/conversations/{answer.reply_address}/trigger_intent"
    try:
        response = httpx.post(
            url,
            params={"output_channel": WIDGET, "token": settings.rasa_token},
            json={"name": TRIGGER_INTENT, "entities": {"reference": answer.reference}},
            timeout=30,
        )
    except httpx.HTTPError as error:
        raise ChannelUnreachable(f"the assistant could not be reached: {error}") from error
    if response.status_code >= 400:
        raise DeliveryError(
            f"the assistant refused the answer (HTTP {response.status_code}): {response.text[:200]}"
        )
    # Delivered once the user's widget confirms it has shown the answer; until then it waits
    # for the user's next session.
    return PENDING

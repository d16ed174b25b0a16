"""Deliver a staff answer on the channel the user asked on.

- telegram: sent to the user's chat by the Telegram relay's `bot.delivery.deliver_staff_answer`.
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
shows it, and staff can retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from safeshare.errors import ChannelUnreachable, DeliveryError
from safeshare.inquiries import TELEGRAM, WIDGET, DeliveryStatus
from safeshare.settings import Settings, get_settings

logger = logging.getLogger(__name__)

# Short names kept for callers of this module.
DELIVERED = DeliveryStatus.delivered
PENDING = DeliveryStatus.pending
FAILED = DeliveryStatus.failed
TRIGGER_INTENT = "staff_answer_ready"


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
        return _deliver_telegram(answer)
    if answer.channel == WIDGET:
        return _deliver_socketio(answer, settings)
    return PENDING


def _deliver_telegram(answer: StaffAnswer) -> DeliveryStatus:
    if not answer.reply_address:
        raise DeliveryError("this Telegram inquiry has no chat to reply to")
    try:
        from bot.delivery import deliver_staff_answer
    except ImportError as error:
        raise DeliveryError(f"the Telegram relay is not installed ({error})") from error
    deliver_staff_answer(answer.reply_address, answer.reference, answer.text, answer.language)
    return DELIVERED


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

"""An inquiry's life: the states it can be in, who moves it, and what a status check may show.

Every other module asks this one: the models map the enums below, the console's views call the
staff transitions, the actions ask what a status check shows and whether a staff answer has
reached the user. Nothing here opens a session or does I/O: functions change the row they are
given and the caller commits.

Inquiry status (`InquiryStatus`), moved by staff in the console::

    new ──assign──▶ in_progress ──answer──▶ answered ──close──▶ closed
     │                   │                  ▲    │                 │
     └──────answer───────┴──────────────────┘    └──answer again   │
    new, in_progress, answered ──close──▶ closed ──reopen──▶ in_progress

    The assistant only creates inquiries (status new); it never moves one. A closed inquiry is
    not answered (reopen it first).

Delivery of staff's answer (`DeliveryStatus`, None until the first answer)::

    answer ──▶ pending ──the channel took it / the widget confirmed──▶ delivered
                  │  ▲
                  ▼  └──retry── failed (the channel refused or was down; staff retry)

    delivered stays delivered until staff send a new answer (which starts at pending again).
    Telegram: delivered when the Bot API accepts it. Widget: delivered only when the user's
    browser confirms it showed it. REST and other channels: pending until the user asks
    "status SS-…" in the conversation that asked.

What a status check shows (`status_reply`): anyone with the reference learns how far the inquiry
has got; staff's answer itself only in the conversation that asked (a five-character reference
can be guessed, and an answer can be about someone's own case).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from safeshare.errors import SafeShareError

if TYPE_CHECKING:  # the ORM model imports this module's enums
    from safeshare.db.models import Inquiry

REFERENCE = re.compile(r"\b(SS-[2-9A-HJ-NP-Z]{5})\b", re.IGNORECASE)

# Channels whose delivery differs (everything else is read with "status SS-…").
TELEGRAM = "telegram"
WIDGET = "socketio"


class StrEnum(str, enum.Enum):
    """A str enum that prints as its value (in templates, logs and f-strings), as 3.11's does."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class InquiryStatus(StrEnum):
    new = "new"
    in_progress = "in_progress"
    answered = "answered"
    closed = "closed"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class EscalationReason(StrEnum):
    """Why the assistant passed the conversation to staff."""

    human_handoff = "human_handoff"
    repeated_fallback = "repeated_fallback"
    negative_feedback = "negative_feedback"
    report_followup = "report_followup"


OPEN = (InquiryStatus.new, InquiryStatus.in_progress)


def sql_enum(enum_class: type[enum.Enum], length: int) -> Any:
    """The column type for one of these enums: a plain VARCHAR of `length` holding the value (no
    database enum type, so adding a state needs no DDL on PostgreSQL), refusing unknown strings."""
    import sqlalchemy as sa

    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class TransitionRefused(SafeShareError):
    """A staff action that the inquiry's state does not allow; the message says why."""


# --- staff transitions (the console calls these) -----------------------------------------------


def assign(inquiry: Inquiry, user_id: int) -> None:
    """Staff take an inquiry: a new one is then in progress."""
    inquiry.assigned_to_id = user_id
    if inquiry.status == InquiryStatus.new:
        inquiry.status = InquiryStatus.in_progress


def answer(inquiry: Inquiry, text: str, user_id: int, moment: datetime) -> None:
    """Record staff's answer; its delivery starts pending. The first answer dates the response
    time; a later answer replaces the text and is delivered again."""
    if inquiry.status == InquiryStatus.closed:
        raise TransitionRefused("This inquiry is closed: reopen it before answering.")
    inquiry.staff_answer = text
    inquiry.status = InquiryStatus.answered
    inquiry.answered_at = inquiry.answered_at or moment
    inquiry.answered_by_id = user_id
    inquiry.assigned_to_id = inquiry.assigned_to_id or user_id
    inquiry.delivery_status = DeliveryStatus.pending
    inquiry.delivery_error = None


def close(inquiry: Inquiry, moment: datetime) -> None:
    inquiry.status = InquiryStatus.closed
    inquiry.closed_at = moment


def reopen(inquiry: Inquiry) -> None:
    inquiry.status = InquiryStatus.in_progress
    inquiry.closed_at = None


def can_redeliver(inquiry: Inquiry) -> bool:
    return bool(inquiry.staff_answer) and inquiry.status == InquiryStatus.answered


# --- delivery of staff's answer -----------------------------------------------------------------


def record_delivery(inquiry: Inquiry, status: DeliveryStatus, error: str | None = None) -> None:
    """What a delivery attempt found; never undoes a delivery already confirmed meanwhile."""
    if inquiry.delivery_status == DeliveryStatus.delivered:
        return
    inquiry.delivery_status = status
    inquiry.delivery_error = error


def mark_delivered(inquiry: Inquiry) -> None:
    inquiry.delivery_status = DeliveryStatus.delivered
    inquiry.delivery_error = None


def awaits_delivery(inquiry: Inquiry) -> bool:
    return inquiry.status == InquiryStatus.answered and inquiry.delivery_status != DeliveryStatus.delivered


def may_confirm_seen(inquiry: Inquiry, sender_key: str) -> bool:
    """The user's own client may confirm it showed the answer: an answered inquiry of theirs."""
    return inquiry.sender_key == sender_key and inquiry.status == InquiryStatus.answered


def confirmed_by_widget(channel: str) -> bool:
    """Saying an answer in the widget is not delivering it: the browser confirms it showed it."""
    return channel == WIDGET


def delivered_by_relay(channel: str) -> bool:
    """Telegram answers go to the chat from the console (through the Bot API), not in a session."""
    return channel == TELEGRAM


def staff_answer_marker(reference: str) -> dict[str, Any]:
    """The custom payload a widget message carries so the widget confirms it (`staff_answer_seen`)."""
    return {"data": {"staff_answer": reference}}


# --- status checks ("status SS-XXXXX") ----------------------------------------------------------

STATUS_RESPONSES = {
    InquiryStatus.new: "utter_status_new",
    InquiryStatus.in_progress: "utter_status_in_progress",
    InquiryStatus.answered: "utter_status_answered",
    InquiryStatus.closed: "utter_status_closed",
}
ANSWERED_ELSEWHERE = "utter_status_answered_elsewhere"


@dataclass(frozen=True)
class StatusReply:
    """What to say to a status check: the response, staff's answer if this sender may see it, and
    whether the message must carry the widget's confirmation marker."""

    response: str
    answer: str = ""
    confirm: bool = False


def status_reply(status: str, staff_answer: str | None, *, own: bool, channel: str) -> StatusReply:
    """`own`: the asking conversation is the one that made the inquiry."""
    state = InquiryStatus(status)
    if state == InquiryStatus.answered and not own:
        return StatusReply(ANSWERED_ELSEWHERE)
    shown = (staff_answer or "") if own else ""
    confirm = own and state == InquiryStatus.answered and bool(shown) and confirmed_by_widget(channel)
    return StatusReply(STATUS_RESPONSES[state], answer=shown, confirm=confirm)


def values(members: Iterable[enum.Enum]) -> list[str]:
    return [str(member.value) for member in members]

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

How urgent it is (`triage`), set when the inquiry is made from what the conversation showed: the
crisis signals of the user's messages (`safeshare.crisis`) and the deepfake report's answers (who
is affected, what kind of content). Staff may change it (audited). The reason stored is a list of
categories ("sexual content; child affected"), never the user's words.

    urgent  self-harm or danger; sexual content with a child affected; sexual content with
            threats or money demands (sextortion)
    high    any other crisis signal (sexual content, threats, money demanded from a child), or
            the report flow said a child is affected or the content is sexual, threatening or
            about money
    normal  everything else

When it is due (`due_on`): the reply target of its priority (settings: urgent 0 = the same
working day, high 1, normal 2), counted in Hong Kong working days (`safeshare.workdays`) from
the day it was made. Overdue: still open after its due day (Hong Kong time).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from safeshare import crisis, workdays
from safeshare.errors import SafeShareError

if TYPE_CHECKING:  # the ORM model imports this module's enums
    from safeshare.db.models import Inquiry
    from safeshare.settings import Settings

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


class Priority(StrEnum):
    urgent = "urgent"
    high = "high"
    normal = "normal"

    @property
    def rank(self) -> int:
        """Queue order: urgent first."""
        return PRIORITY_ORDER.index(self)


PRIORITY_ORDER = (Priority.urgent, Priority.high, Priority.normal)
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


def delivered_from_console(channel: str) -> bool:
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


# --- priority -----------------------------------------------------------------------------------

# Category → how staff read it; also the order in which a reason lists them (gravest first).
REASON_LABELS = {
    crisis.SELF_HARM: "self-harm risk",
    crisis.DANGER: "danger to safety",
    crisis.SEXUAL: "sexual content",
    crisis.CHILD: "child affected",
    crisis.THREAT: "threats",
    crisis.MONEY: "money demanded",
}
# The report flow's answers (slots `affected`, `content_kind`) as categories.
REPORTED_AFFECTED = {"child": crisis.CHILD, "student": crisis.CHILD}
REPORTED_CONTENT = {"sexual": crisis.SEXUAL, "threat": crisis.THREAT, "money": crisis.MONEY}
MAX_REASON = 200


@dataclass(frozen=True)
class Triage:
    priority: Priority
    categories: frozenset[str]

    @property
    def reason(self) -> str | None:
        """The categories in words, gravest first ("sexual content; child affected")."""
        labels = [label for key, label in REASON_LABELS.items() if key in self.categories]
        return "; ".join(labels)[:MAX_REASON] or None


def reported_categories(affected: str | None, content_kind: str | None) -> frozenset[str]:
    found = {REPORTED_AFFECTED.get(affected or ""), REPORTED_CONTENT.get(content_kind or "")}
    return frozenset(c for c in found if c)


def triage(
    messages: Iterable[str], *, affected: str | None = None, content_kind: str | None = None
) -> Triage:
    """Priority and reason from the user's messages and the report flow's answers.

    A child or money named in a message is not urgent on its own (a school asking about photo
    consent names students); a report that says a child is affected is at least high."""
    said: set[str] = set()
    for text in messages:
        said |= crisis.signals(text)
    reported = reported_categories(affected, content_kind)
    found = frozenset(said | reported)
    sexual = crisis.SEXUAL in found
    if found & {crisis.SELF_HARM, crisis.DANGER} or (
        sexual and found & {crisis.CHILD, crisis.THREAT, crisis.MONEY}
    ):
        return Triage(Priority.urgent, found)
    if reported or crisis.is_crisis(found):
        return Triage(Priority.high, found)
    return Triage(Priority.normal, found)


def reply_days(settings: Settings, priority: Priority | str) -> int:
    """The reply target of a priority, in Hong Kong working days (0: the same working day)."""
    return {
        Priority.urgent: settings.staff_reply_days_urgent,
        Priority.high: settings.staff_reply_days_high,
        Priority.normal: settings.staff_reply_days,
    }[Priority(priority)]


def due_on(created_at: datetime, priority: Priority | str, settings: Settings) -> date:
    return workdays.add_working_days(workdays.hk_date(created_at), reply_days(settings, priority))


def is_overdue(inquiry: Inquiry, moment: datetime) -> bool:
    return inquiry.status in OPEN and inquiry.due_on is not None and workdays.hk_date(moment) > inquiry.due_on


def set_priority(
    inquiry: Inquiry, priority: Priority | str, settings: Settings, moment: datetime
) -> Priority:
    """Staff change the priority: the due date follows the new target. Returns the old one.

    Raising an inquiry to urgent does not alert the other staff (whoever raised it is on it), so
    it counts as alerted from now on."""
    old = Priority(inquiry.priority)
    inquiry.priority = Priority(priority)
    inquiry.due_on = due_on(inquiry.created_at, inquiry.priority, settings)
    if inquiry.alerted_at is None:
        inquiry.alerted_at = moment
    return old

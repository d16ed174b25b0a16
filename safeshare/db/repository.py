"""Repository functions: each takes a session; the caller owns the transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from safeshare import inquiries
from safeshare.db.models import Feedback, Inquiry, StaffNotification, utcnow
from safeshare.inquiries import DeliveryStatus, InquiryStatus, Priority
from safeshare.redaction import redact, redact_value
from safeshare.settings import get_settings

# SQL order of priorities (urgent first), for queues and digests.
PRIORITY_RANK = sa.case({p.value: p.rank for p in Priority}, value=Inquiry.priority, else_=len(Priority))


@dataclass
class NewInquiry:
    """An inquiry as the assistant records it; also the spool's file format."""

    reference: str
    channel: str
    sender_key: str
    language: str
    question: str
    reason: str
    reply_address: str | None = None
    transcript: list[dict[str, Any]] = field(default_factory=list)
    nlu_guesses: list[dict[str, Any]] = field(default_factory=list)
    contact_consent: bool = False
    contact: str | None = None
    created_at: str = field(default_factory=lambda: utcnow().isoformat())
    # Triage (safeshare.inquiries.triage): categories only, never the user's words.
    priority: str = Priority.normal.value
    priority_reason: str | None = None

    def redacted(self) -> NewInquiry:
        """Question and transcript redacted; the contact is kept only with consent."""
        data = asdict(self)
        data["question"] = redact(self.question)
        data["transcript"] = redact_value(self.transcript)
        data["contact"] = self.contact if self.contact_consent else None
        return NewInquiry(**data)


def create_inquiry(session: Session, new: NewInquiry) -> tuple[Inquiry, bool]:
    """Insert the inquiry unless its reference is already stored; returns (row, created)."""
    existing = get_inquiry(session, new.reference)
    if existing is not None:
        return existing, False
    new = new.redacted()
    created_at = datetime.fromisoformat(new.created_at)
    priority = Priority(new.priority)
    row = Inquiry(
        reference=new.reference,
        channel=new.channel,
        sender_key=new.sender_key,
        reply_address=new.reply_address,
        language=new.language,
        question=new.question,
        transcript=new.transcript,
        nlu_guesses=new.nlu_guesses,
        reason=new.reason,
        status=InquiryStatus.new,
        contact_consent=new.contact_consent,
        contact=new.contact,
        created_at=created_at,
        priority=priority,
        priority_reason=new.priority_reason,
        due_on=inquiries.due_on(created_at, priority, get_settings()),
    )
    session.add(row)
    session.flush()
    return row, True


def get_inquiry(session: Session, reference: str) -> Inquiry | None:
    return session.execute(
        sa.select(Inquiry).where(Inquiry.reference == reference.upper())
    ).scalar_one_or_none()


def record_feedback(
    session: Session,
    *,
    topic: str,
    helpful: bool,
    language: str,
    channel: str,
    sender: str,
    spool_id: str | None = None,
    created_at: datetime | None = None,
) -> Feedback:
    """Store one vote; a spooled vote (with `spool_id`) already stored is not stored again."""
    if spool_id is not None:
        existing = session.execute(
            sa.select(Feedback).where(Feedback.spool_id == spool_id)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    row = Feedback(
        topic=topic,
        helpful=helpful,
        language=language,
        channel=channel,
        sender_key=sender,
        spool_id=spool_id,
        created_at=created_at or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def undelivered_answers(session: Session, sender: str) -> list[Inquiry]:
    """Answered inquiries of this sender whose answer has not reached them yet."""
    return list(
        session.execute(
            sa.select(Inquiry)
            .where(
                Inquiry.sender_key == sender,
                Inquiry.status == InquiryStatus.answered,
                sa.or_(
                    Inquiry.delivery_status.is_(None), Inquiry.delivery_status != DeliveryStatus.delivered
                ),
            )
            .order_by(Inquiry.answered_at)
        ).scalars()
    )


def mark_delivered(session: Session, inquiry: Inquiry) -> None:
    inquiries.mark_delivered(inquiry)


def confirm_seen(session: Session, sender: str, reference: str) -> bool:
    """The user's own client showed the staff answer to `reference`: mark it delivered.

    Only for an answered inquiry of this sender; False (and nothing changed) otherwise."""
    inquiry = get_inquiry(session, reference)
    if inquiry is None or not inquiries.may_confirm_seen(inquiry, sender):
        return False
    if inquiries.awaits_delivery(inquiry):
        inquiries.mark_delivered(inquiry)
    return True


def erase_sender(session: Session, sender: str) -> dict[str, int]:
    """Delete everything stored about one sender: inquiries (with notes), staff notifications
    about them, and feedback."""
    references = sa.select(Inquiry.reference).where(Inquiry.sender_key == sender).scalar_subquery()
    session.execute(
        sa.delete(StaffNotification)
        .where(StaffNotification.reference.in_(references))
        .execution_options(synchronize_session=False)
    )
    deleted = session.execute(
        sa.delete(Inquiry).where(Inquiry.sender_key == sender).execution_options(synchronize_session=False)
    ).rowcount
    feedback = session.execute(
        sa.delete(Feedback).where(Feedback.sender_key == sender).execution_options(synchronize_session=False)
    ).rowcount
    return {"inquiries": int(deleted or 0), "feedback": int(feedback or 0)}


def purge_expired(session: Session, days: int, now: datetime | None = None) -> dict[str, int]:
    """Retention: delete closed inquiries, feedback and staff notifications older than `days`."""
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    session.execute(
        sa.delete(StaffNotification)
        .where(StaffNotification.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    deleted = session.execute(
        sa.delete(Inquiry)
        .where(Inquiry.status == InquiryStatus.closed, Inquiry.closed_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    feedback = session.execute(
        sa.delete(Feedback).where(Feedback.created_at < cutoff).execution_options(synchronize_session=False)
    ).rowcount
    return {"inquiries": int(deleted or 0), "feedback": int(feedback or 0)}

"""SQLAlchemy models of SafeShare's own data (Rasa's tracker store keeps conversations).

Every text a user typed is stored redacted (`safeshare.redaction`). The sender is stored as a
pseudonymous key; the address needed to answer on the user's channel is kept only on the inquiry
that needs it, and contact details only with consent. Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

from safeshare.inquiries import DeliveryStatus, EscalationReason, InquiryStatus, Priority, StrEnum, sql_enum

# Their home is safeshare.inquiries (and safeshare.notify for notifications).
__all__ = ["DeliveryStatus", "EscalationReason", "InquiryStatus", "Priority"]

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Role(str, enum.Enum):
    reviewer = "reviewer"
    admin = "admin"


class Inquiry(Base):
    __tablename__ = "inquiries"

    id = sa.Column(sa.Integer, primary_key=True)
    reference = sa.Column(sa.String(16), nullable=False, unique=True, index=True)
    channel = sa.Column(sa.String(32), nullable=False)
    sender_key = sa.Column(sa.String(64), nullable=False, index=True)
    reply_address = sa.Column(sa.String(255))
    language = sa.Column(sa.String(8), nullable=False, default="en")
    question = sa.Column(sa.Text, nullable=False)
    transcript = sa.Column(sa.JSON, nullable=False, default=list)
    nlu_guesses = sa.Column(sa.JSON, nullable=False, default=list)
    reason = sa.Column(sa.String(32), nullable=False)
    # The same VARCHAR columns as before (values, no database enum type): safeshare.inquiries says
    # which values exist and how they change.
    status = sa.Column(sql_enum(InquiryStatus, 16), nullable=False, default=InquiryStatus.new, index=True)
    contact_consent = sa.Column(sa.Boolean, nullable=False, default=False)
    contact = sa.Column(sa.String(255))
    staff_answer = sa.Column(sa.Text)
    answered_by_id = sa.Column(sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    assigned_to_id = sa.Column(sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    delivery_status = sa.Column(sql_enum(DeliveryStatus, 32))
    delivery_error = sa.Column(sa.Text)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    updated_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    answered_at = sa.Column(sa.DateTime(timezone=True))
    closed_at = sa.Column(sa.DateTime(timezone=True))
    # Triage (safeshare.inquiries): how urgent, why (categories only, never the user's words), and
    # the Hong Kong working day staff should reply by.
    priority = sa.Column(
        sql_enum(Priority, 8), nullable=False, default=Priority.normal, server_default="normal", index=True
    )
    priority_reason = sa.Column(sa.String(200))
    due_on = sa.Column(sa.Date, index=True)
    # When staff were alerted to it (urgent inquiries; safeshare.notify); None: not yet.
    alerted_at = sa.Column(sa.DateTime(timezone=True))

    notes = relationship("InquiryNote", cascade="all, delete-orphan", back_populates="inquiry")
    assigned_to = relationship("StaffUser", foreign_keys=[assigned_to_id])
    answered_by = relationship("StaffUser", foreign_keys=[answered_by_id])


class InquiryNote(Base):
    __tablename__ = "inquiry_notes"

    id = sa.Column(sa.Integer, primary_key=True)
    inquiry_id = sa.Column(
        sa.Integer, sa.ForeignKey("inquiries.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id = sa.Column(sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    body = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)

    inquiry = relationship("Inquiry", back_populates="notes")
    author = relationship("StaffUser")


class Feedback(Base):
    __tablename__ = "feedback"

    id = sa.Column(sa.Integer, primary_key=True)
    topic = sa.Column(sa.String(64), nullable=False, index=True)
    helpful = sa.Column(sa.Boolean, nullable=False)
    language = sa.Column(sa.String(8), nullable=False, default="en")
    channel = sa.Column(sa.String(32), nullable=False)
    sender_key = sa.Column(sa.String(64), nullable=False, index=True)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    # Set only for feedback that went through the spool (database down): makes its insert idempotent.
    spool_id = sa.Column(sa.String(36), nullable=True, unique=True, index=True)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(64), nullable=False, unique=True)
    password_hash = sa.Column(sa.String(255), nullable=False)
    role = sa.Column(sa.String(16), nullable=False, default=Role.reviewer.value)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    failed_logins = sa.Column(sa.Integer, nullable=False, default=0)
    locked_until = sa.Column(sa.DateTime(timezone=True))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    username = sa.Column(sa.String(64))
    action = sa.Column(sa.String(64), nullable=False)
    target = sa.Column(sa.String(64))
    detail = sa.Column(sa.Text)
    ip = sa.Column(sa.String(45), index=True)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class StaffSession(Base):
    """A console login, kept server-side so logout, deactivation and idle expiry really end it.

    The browser holds only a random token (in the signed session cookie); the row stores its
    SHA-256, so a leaked database does not yield usable sessions.
    """

    __tablename__ = "staff_sessions"

    id = sa.Column(sa.String(64), primary_key=True)
    user_id = sa.Column(
        sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    ip = sa.Column(sa.String(45))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)

    user = relationship("StaffUser")


class TrainingExample(Base):
    __tablename__ = "training_examples"

    id = sa.Column(sa.Integer, primary_key=True)
    inquiry_id = sa.Column(sa.Integer, sa.ForeignKey("inquiries.id", ondelete="SET NULL"))
    topic = sa.Column(sa.String(64), nullable=False)
    text = sa.Column(sa.Text, nullable=False)
    language = sa.Column(sa.String(8), nullable=False, default="en")
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class TopicSuggestion(Base):
    __tablename__ = "topic_suggestions"

    id = sa.Column(sa.Integer, primary_key=True)
    inquiry_id = sa.Column(sa.Integer, sa.ForeignKey("inquiries.id", ondelete="SET NULL"))
    title = sa.Column(sa.String(200), nullable=False)
    question = sa.Column(sa.Text, nullable=False)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class NotificationStatus(StrEnum):
    """pending → sent, or → pending again (retry later) → ... → failed (attempts used up; staff
    can retry from the dashboard). skipped: a digest day with nothing due (nothing sent)."""

    pending = "pending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"


class StaffNotification(Base):
    """One message to staff on one channel (email or the staff Telegram chat), with its retries.

    The text is made from the inquiry's reference, priority, reason categories and due date only:
    never the user's words or contact details. `safeshare.notify` explains the life of a row."""

    __tablename__ = "staff_notifications"

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(16), nullable=False)
    channel = sa.Column(sa.String(16), nullable=False)
    # e.g. "urgent:SS-7K3Q9:email", "digest:2025-01-06:telegram": one notification per event.
    dedupe_key = sa.Column(sa.String(120), nullable=False, unique=True)
    reference = sa.Column(sa.String(16), index=True)
    subject = sa.Column(sa.String(200), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    status = sa.Column(sql_enum(NotificationStatus, 16), nullable=False, index=True)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    next_attempt_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    claimed_until = sa.Column(sa.DateTime(timezone=True))
    last_error = sa.Column(sa.Text)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    sent_at = sa.Column(sa.DateTime(timezone=True))

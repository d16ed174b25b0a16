"""Read models for the console's pages: the queue and its counts, and the dashboard's numbers.

Filtering and paging run in SQL; day buckets and medians are computed in Python over the last
30 days' rows so the same code serves SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, joinedload

from safeshare import inquiries, tracker_events
from safeshare.catalogue import is_answer_topic
from safeshare.db.models import Feedback, Inquiry, NotificationStatus, StaffNotification
from safeshare.db.repository import PRIORITY_RANK
from safeshare.db.session import engine_for, store_errors
from safeshare.errors import StoreUnavailable
from safeshare.inquiries import PRIORITY_ORDER, InquiryStatus
from safeshare.web.console.context import HKT, aware

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
OPEN = inquiries.values(inquiries.OPEN)
STATUSES = inquiries.values(InquiryStatus)
PRIORITIES = inquiries.values(PRIORITY_ORDER)
SORTS = {
    # Most urgent first, then the earliest due (inquiries without a due date last), then oldest.
    "priority": (
        PRIORITY_RANK.asc(),
        Inquiry.due_on.is_(None).asc(),
        Inquiry.due_on.asc(),
        Inquiry.created_at.asc(),
    ),
    "due": (
        Inquiry.due_on.is_(None).asc(),
        Inquiry.due_on.asc(),
        PRIORITY_RANK.asc(),
        Inquiry.created_at.asc(),
    ),
    "oldest": (Inquiry.created_at.asc(),),
    "newest": (Inquiry.created_at.desc(),),
    "updated": (Inquiry.updated_at.desc(),),
    "status": (Inquiry.status.asc(), Inquiry.created_at.asc()),
}
FALLBACK_INTENT = "nlu_fallback"


@dataclass
class QueueFilters:
    status: str = "open"
    priority: str = ""
    language: str = ""
    channel: str = ""
    reason: str = ""
    q: str = ""
    sort: str = "priority"
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> QueueFilters:
        status = args.get("status", "open")
        priority = args.get("priority", "")
        sort = args.get("sort", "priority")
        try:
            page = max(1, int(args.get("page", 1)))
        except ValueError:
            page = 1
        return cls(
            status=status if status in STATUSES or status in {"open", "all"} else "open",
            priority=priority if priority in PRIORITIES else "",
            language=args.get("language", "")[:8],
            channel=args.get("channel", "")[:32],
            reason=args.get("reason", "")[:32],
            q=args.get("q", "").strip()[:200],
            sort=sort if sort in SORTS else "priority",
            page=page,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for a link that keeps the other filters."""
        values = {
            "status": self.status,
            "priority": self.priority,
            "language": self.language,
            "channel": self.channel,
            "reason": self.reason,
            "q": self.q,
            "sort": self.sort,
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass
class QueuePage:
    rows: list[Inquiry]
    total: int
    page: int
    pages: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def queue(session: Session, filters: QueueFilters) -> QueuePage:
    query = sa.select(Inquiry)
    if filters.status == "open":
        query = query.where(Inquiry.status.in_(OPEN))
    elif filters.status != "all":
        query = query.where(Inquiry.status == filters.status)
    if filters.priority:
        query = query.where(Inquiry.priority == filters.priority)
    if filters.language:
        query = query.where(Inquiry.language == filters.language)
    if filters.channel:
        query = query.where(Inquiry.channel == filters.channel)
    if filters.reason:
        query = query.where(Inquiry.reason == filters.reason)
    if filters.q:
        pattern = _like(filters.q)
        query = query.where(
            sa.or_(
                Inquiry.reference.ilike(pattern, escape="\\"),
                Inquiry.question.ilike(pattern, escape="\\"),
            )
        )
    total = int(session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    rows = (
        session.execute(
            query.options(joinedload(Inquiry.assigned_to))
            .order_by(*SORTS[filters.sort], Inquiry.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
        .scalars()
        .all()
    )
    return QueuePage(rows=list(rows), total=total, page=page, pages=pages)


def status_counts(session: Session) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    for status, count in session.execute(sa.select(Inquiry.status, sa.func.count()).group_by(Inquiry.status)):
        counts[status] = int(count)
    counts["open"] = sum(counts[s] for s in OPEN)
    counts["all"] = sum(counts[s] for s in STATUSES)
    return counts


def overdue_count(session: Session, today: date) -> int:
    """Open inquiries whose due day (Hong Kong) has passed."""
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(Inquiry)
            .where(Inquiry.status.in_(OPEN), Inquiry.due_on < today)
        ).scalar_one()
    )


def distinct_values(session: Session, column: Any) -> list[str]:
    return [v for (v,) in session.execute(sa.select(column).distinct().order_by(column)) if v]


def top_guess(inquiry: Inquiry) -> dict[str, Any] | None:
    guesses = inquiry.nlu_guesses or []
    return guesses[0] if guesses and isinstance(guesses[0], dict) else None


# --- dashboard ---------------------------------------------------------------------------------


@dataclass
class TopicUsage:
    total_messages: int
    fallbacks: int
    top: list[tuple[str, int]]

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.total_messages if self.total_messages else 0.0


@dataclass
class PriorityTimes:
    """Time to the first staff answer, for inquiries of one priority made in the period."""

    priority: str
    total: int
    answered: int
    median: timedelta | None
    within_target: int  # answered on or before the due day


@dataclass
class Notifications:
    sent: int
    failed: int
    waiting: int  # pending, including those waiting to be retried
    problems: list[StaffNotification]  # failed, or failing and being retried; newest first


@dataclass
class Dashboard:
    days: list[tuple[date, int]]
    reasons: list[tuple[str, int]]
    feedback: list[tuple[str, int, int]]
    median_answer: timedelta | None
    answered: int
    total: int
    usage: TopicUsage | None
    by_priority: list[PriorityTimes] = field(default_factory=list)
    overdue: int = 0
    notifications: Notifications | None = None
    notes: list[str] = field(default_factory=list)


def inquiries_per_day(created: list[datetime], today: date, days: int = 30) -> list[tuple[date, int]]:
    counts = Counter(aware(moment).astimezone(HKT).date() for moment in created)
    first = today - timedelta(days=days - 1)
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)]


def median_time_to_answer(pairs: list[tuple[datetime, datetime]]) -> timedelta | None:
    seconds = [(aware(answered) - aware(created)).total_seconds() for created, answered in pairs]
    seconds = [s for s in seconds if s >= 0]
    return timedelta(seconds=statistics.median(seconds)) if seconds else None


def topic_usage(tracker_db_url: str, since: datetime, limit: int = 10) -> TopicUsage | None:
    """User messages per intent in Rasa's tracker store (`events` rows of type 'user').

    None when the tracker store is not there yet (no conversation so far) or cannot be read.
    """
    url = make_url(tracker_db_url)
    if url.drivername.startswith("sqlite") and (not url.database or not Path(url.database).exists()):
        return None
    events = tracker_events.events
    query = (
        sa.select(events.c.intent_name, sa.func.count())
        .where(events.c.type_name == "user", events.c.timestamp >= since.timestamp())
        .group_by(events.c.intent_name)
    )
    engine = engine_for(tracker_db_url)
    try:
        with store_errors("the tracker store"):
            if not sa.inspect(engine).has_table(tracker_events.NAME):
                return None
            with engine.connect() as conn:
                rows = conn.execute(query).all()
    except StoreUnavailable as error:
        logger.warning("dashboard: %s", error)
        return None
    per_intent = {str(name): int(count) for name, count in rows if name}
    total = sum(int(count) for _, count in rows)
    top = sorted(
        ((name, count) for name, count in per_intent.items() if is_answer_topic(name)),
        key=lambda item: (-item[1], item[0]),
    )[:limit]
    return TopicUsage(total_messages=total, fallbacks=per_intent.get(FALLBACK_INTENT, 0), top=top)


def answer_times_by_priority(
    rows: list[tuple[datetime, datetime | None, str, date | None]],
) -> list[PriorityTimes]:
    """(created_at, answered_at, priority, due_on) rows → one line per priority, urgent first."""
    out = []
    for priority in PRIORITY_ORDER:
        mine = [row for row in rows if row[2] == priority]
        answered = [(created, answered_at, due) for created, answered_at, _, due in mine if answered_at]
        within = sum(
            1
            for _, answered_at, due in answered
            if due is None or aware(answered_at).astimezone(HKT).date() <= due
        )
        out.append(
            PriorityTimes(
                priority=str(priority),
                total=len(mine),
                answered=len(answered),
                median=median_time_to_answer(
                    [(created, answered_at) for created, answered_at, _ in answered]
                ),
                within_target=within,
            )
        )
    return out


def notification_summary(session: Session, since: datetime, limit: int = 10) -> Notifications:
    counts = dict(
        session.execute(
            sa.select(StaffNotification.status, sa.func.count())
            .where(StaffNotification.created_at >= since)
            .group_by(StaffNotification.status)
        ).all()
    )
    problems = (
        session.execute(
            sa.select(StaffNotification)
            .where(
                sa.or_(
                    StaffNotification.status == NotificationStatus.failed,
                    sa.and_(
                        StaffNotification.status == NotificationStatus.pending, StaffNotification.attempts > 0
                    ),
                )
            )
            .order_by(StaffNotification.created_at.desc(), StaffNotification.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return Notifications(
        sent=int(counts.get(NotificationStatus.sent, 0)),
        failed=int(counts.get(NotificationStatus.failed, 0)),
        waiting=int(counts.get(NotificationStatus.pending, 0)),
        problems=list(problems),
    )


def dashboard(session: Session, tracker_db_url: str, moment: datetime, days: int = 30) -> Dashboard:
    since = moment - timedelta(days=days)
    recent = session.execute(
        sa.select(
            Inquiry.created_at, Inquiry.answered_at, Inquiry.reason, Inquiry.priority, Inquiry.due_on
        ).where(Inquiry.created_at >= since)
    ).all()
    reasons = Counter(row.reason for row in recent)
    feedback_rows = session.execute(
        sa.select(Feedback.topic, Feedback.helpful, sa.func.count())
        .where(Feedback.created_at >= since)
        .group_by(Feedback.topic, Feedback.helpful)
    ).all()
    per_topic: dict[str, list[int]] = {}
    for topic, helpful, count in feedback_rows:
        per_topic.setdefault(topic, [0, 0])[0 if helpful else 1] += int(count)
    feedback = sorted(
        ((t, up, down) for t, (up, down) in per_topic.items()),
        key=lambda item: (-(item[1] + item[2]), item[0]),
    )
    answered = [(row.created_at, row.answered_at) for row in recent if row.answered_at]
    return Dashboard(
        days=inquiries_per_day([row.created_at for row in recent], moment.astimezone(HKT).date(), days),
        reasons=sorted(reasons.items(), key=lambda item: (-item[1], item[0])),
        feedback=feedback,
        median_answer=median_time_to_answer(answered),
        answered=len(answered),
        total=len(recent),
        usage=topic_usage(tracker_db_url, since),
        by_priority=answer_times_by_priority(
            [(row.created_at, row.answered_at, row.priority, row.due_on) for row in recent]
        ),
        overdue=overdue_count(session, moment.astimezone(HKT).date()),
        notifications=notification_summary(session, since),
    )

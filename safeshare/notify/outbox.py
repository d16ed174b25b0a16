"""The notification outbox: write what staff must be told, claim it, send it, retry it.

See the package docstring (safeshare/notify/__init__.py) for why the database and the web app.
Every function takes the engine or session to use and the current moment, so tests can run a pass
"on" any day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeshare import workdays
from safeshare.db.models import Inquiry, NotificationStatus, StaffNotification
from safeshare.db.repository import PRIORITY_RANK
from safeshare.db.session import engine_for, session_scope
from safeshare.errors import NotificationError
from safeshare.inquiries import OPEN, Priority
from safeshare.notify import messages
from safeshare.notify.channels import Channel, configured_channels
from safeshare.settings import Settings, get_settings

logger = logging.getLogger(__name__)

URGENT = "urgent"
DIGEST = "digest"
ALERT_WINDOW = timedelta(days=1)  # older urgent inquiries are not alerted (e.g. when turned on)
LEASE = timedelta(minutes=2)  # a claimed row is someone's to send for this long
MAX_ATTEMPTS = 10
FIRST_RETRY = 30.0  # seconds; doubles after each failure
LONGEST_RETRY = 3600.0
BATCH = 20


@dataclass
class PassResult:
    alerts: int = 0  # notification rows written for urgent inquiries
    digests: int = 0  # digest rows written (sent or skipped)
    sent: int = 0
    failed: int = 0  # attempts that failed (retried later, or given up)
    errors: list[str] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY))


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    found = session.execute(
        sa.select(StaffNotification.dedupe_key).where(StaffNotification.dedupe_key.in_(keys))
    ).scalars()
    return set(found)


def _add(
    session: Session,
    *,
    kind: str,
    channel: str,
    key: str,
    message: messages.Message,
    now: datetime,
    reference: str | None = None,
    status: NotificationStatus = NotificationStatus.pending,
) -> None:
    session.add(
        StaffNotification(
            kind=kind,
            channel=channel,
            dedupe_key=key,
            reference=reference,
            subject=message.subject[:200],
            body=message.body,
            status=status,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def write_alerts(session: Session, channels: list[Channel], settings: Settings, now: datetime) -> int:
    """One row per channel for each urgent inquiry nobody was alerted to; marks them alerted."""
    if not channels:
        return 0
    rows = (
        session.execute(
            sa.select(Inquiry)
            .where(
                Inquiry.priority == Priority.urgent,
                Inquiry.alerted_at.is_(None),
                Inquiry.created_at >= now - ALERT_WINDOW,
            )
            .order_by(Inquiry.created_at)
        )
        .scalars()
        .all()
    )
    written = 0
    for inquiry in rows:
        keys = {channel.name: f"{URGENT}:{inquiry.reference}:{channel.name}" for channel in channels}
        done = _existing_keys(session, list(keys.values()))
        for channel in channels:
            if keys[channel.name] in done:
                continue
            message = messages.urgent(inquiry, channel.name, settings)
            _add(
                session,
                kind=URGENT,
                channel=channel.name,
                key=keys[channel.name],
                message=message,
                now=now,
                reference=inquiry.reference,
            )
            written += 1
        inquiry.alerted_at = now
    return written


def digest_items(session: Session, day: date) -> list[Inquiry]:
    """Open inquiries due on `day` or before, most urgent first, then the earliest due."""
    return list(
        session.execute(
            sa.select(Inquiry)
            .where(Inquiry.status.in_(OPEN), Inquiry.due_on.is_not(None), Inquiry.due_on <= day)
            .order_by(PRIORITY_RANK, Inquiry.due_on, Inquiry.created_at)
        )
        .scalars()
        .all()
    )


def write_digest(session: Session, channels: list[Channel], settings: Settings, now: datetime) -> int:
    """Today's (Hong Kong) digest, once per channel; `skipped` rows when nothing is due."""
    day = workdays.hk_date(now)
    keys = {channel.name: f"{DIGEST}:{day.isoformat()}:{channel.name}" for channel in channels}
    done = _existing_keys(session, list(keys.values()))
    missing = [channel for channel in channels if keys[channel.name] not in done]
    if not missing:
        return 0
    items = digest_items(session, day)
    for channel in missing:
        message = messages.digest(day, items, channel.name, settings)
        status = NotificationStatus.pending if items else NotificationStatus.skipped
        _add(
            session,
            kind=DIGEST,
            channel=channel.name,
            key=keys[channel.name],
            message=message,
            now=now,
            status=status,
        )
    return len(missing)


def digest_time(settings: Settings) -> time | None:
    """SAFESHARE_DIGEST_TIME as a time of day (Hong Kong), or None when it is off."""
    if settings.digest_time in {"off", "none", "no"}:
        return None
    try:
        hours, minutes = settings.digest_time.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(
            f"SAFESHARE_DIGEST_TIME must be HH:MM or off, not {settings.digest_time!r}"
        ) from None


def digest_is_due(settings: Settings, now: datetime) -> bool:
    at = digest_time(settings)
    return at is not None and now.astimezone(workdays.HKT).time() >= at


@dataclass(frozen=True)
class Outgoing:
    id: int
    channel: str
    subject: str
    body: str


def claim(engine: Engine, now: datetime, limit: int = BATCH) -> list[Outgoing]:
    """Rows whose turn has come, each claimed for LEASE by a conditional UPDATE (the same row
    cannot be claimed twice, by this process or another replica)."""
    free = sa.or_(StaffNotification.claimed_until.is_(None), StaffNotification.claimed_until < now)
    with session_scope(engine) as session:
        ids = (
            session.execute(
                sa.select(StaffNotification.id)
                .where(
                    StaffNotification.status == NotificationStatus.pending,
                    StaffNotification.next_attempt_at <= now,
                    free,
                )
                .order_by(StaffNotification.next_attempt_at, StaffNotification.id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
    claimed: list[Outgoing] = []
    for row_id in ids:
        with session_scope(engine) as session:
            taken = session.execute(
                sa.update(StaffNotification)
                .where(
                    StaffNotification.id == row_id,
                    StaffNotification.status == NotificationStatus.pending,
                    free,
                )
                .values(claimed_until=now + LEASE)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken == 1:
                row = session.get(StaffNotification, row_id)
                if row is not None:
                    claimed.append(Outgoing(row.id, row.channel, row.subject, row.body))
    return claimed


def record(engine: Engine, row_id: int, error: str | None, now: datetime) -> None:
    with session_scope(engine) as session:
        row = session.get(StaffNotification, row_id)
        if row is None:  # erased meanwhile (the user asked to delete their data)
            return
        row.attempts = (row.attempts or 0) + 1
        row.claimed_until = None
        if error is None:
            row.status = NotificationStatus.sent
            row.sent_at = now
            row.last_error = None
            return
        row.last_error = error[:1000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = NotificationStatus.failed
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)


def retry(session: Session, row_id: int, now: datetime) -> StaffNotification | None:
    """Staff send a failed notification again: a fresh set of attempts, starting now."""
    row = session.get(StaffNotification, row_id)
    if row is None or row.status != NotificationStatus.failed:
        return None
    row.status = NotificationStatus.pending
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_until = None
    return row


def send_due(engine: Engine, channels: list[Channel], now: datetime, result: PassResult) -> None:
    by_name = {channel.name: channel for channel in channels}
    for outgoing in claim(engine, now):
        channel = by_name.get(outgoing.channel)
        error: str | None = None
        if channel is None:
            error = f"{outgoing.channel} notifications are not configured any more"
        else:
            try:
                channel.send(outgoing.subject, outgoing.body)
            except NotificationError as failure:
                error = str(failure)
        record(engine, outgoing.id, error, now)
        if error is None:
            result.sent += 1
            logger.info("staff notification %d sent by %s", outgoing.id, outgoing.channel)
        else:
            result.failed += 1
            result.errors.append(error)
            logger.warning("staff notification %d by %s failed: %s", outgoing.id, outgoing.channel, error)


def run_once(
    engine: Engine | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
    *,
    digest: bool | None = None,
) -> PassResult:
    """One pass: write alerts, write today's digest if its time has come (or if `digest`), send.
    Nothing at all when no channel is configured."""
    settings = settings or get_settings()
    engine = engine or engine_for(settings.database_url)
    now = now or datetime.now(timezone.utc)
    result = PassResult()
    channels = configured_channels(settings)
    if not channels:
        return result
    try:
        with session_scope(engine) as session:
            result.alerts = write_alerts(session, channels, settings, now)
    except IntegrityError:
        logger.info("another process wrote these alerts first")
    if digest if digest is not None else digest_is_due(settings, now):
        try:
            with session_scope(engine) as session:
                result.digests = write_digest(session, channels, settings, now)
        except IntegrityError:
            logger.info("another process wrote today's digest first")
    send_due(engine, channels, now, result)
    return result

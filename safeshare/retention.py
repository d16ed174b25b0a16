"""Keep data no longer than needed: delete closed inquiries, old feedback and idle conversations.

Schedule it daily, e.g. cron: `17 3 * * * cd /srv/safeshare && .venv/bin/python -m safeshare retention`
(docker-compose.yml runs the same command in its `retention` service).
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from safeshare import tracker_events
from safeshare.db.repository import purge_expired
from safeshare.db.session import engine_for, session_scope
from safeshare.settings import get_settings


def purge_conversations(tracker_db_url: str, days: int, now: float | None = None) -> int:
    """Delete every event of conversations whose latest event is older than `days`."""
    cutoff = (now or time.time()) - days * 86400
    engine = engine_for(tracker_db_url)
    if not sa.inspect(engine).has_table(tracker_events.NAME):
        return 0
    events = tracker_events.events
    idle = (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < cutoff)
    )
    with engine.begin() as conn:
        result = conn.execute(sa.delete(events).where(events.c.sender_id.in_(idle)))
    return int(result.rowcount or 0)


def run_retention(days: int | None = None) -> dict[str, int]:
    settings = get_settings()
    days = settings.retention_days if days is None else days
    with session_scope() as session:
        counts = purge_expired(session, days)
    counts["conversation_events"] = purge_conversations(settings.tracker_db_url, days)
    return counts

"""Retention (safeshare/retention.py) deletes idle conversations from Rasa's `events` table,
whole, and nothing else."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from safeshare import tracker_events
from safeshare.retention import purge_conversations
from tests.helpers import rasa_events_table

DAY = 86_400


def test_retention_deletes_idle_conversations_whole_and_keeps_the_others(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    rasa_events_table(url)
    now = time.time()
    events = tracker_events.events
    engine = sa.create_engine(url, future=True)
    with engine.begin() as conn:
        for sender, ages in {"idle": (200, 190), "active": (300, 1), "fresh": (2,)}.items():
            for age in ages:
                conn.execute(
                    sa.insert(events).values(
                        sender_id=sender, type_name="user", timestamp=now - age * DAY, data="{}"
                    )
                )
    assert purge_conversations(url, days=180, now=now) == 2
    with engine.connect() as conn:
        left = conn.execute(sa.select(events.c.sender_id, sa.func.count()).group_by(events.c.sender_id)).all()
    engine.dispose()
    assert dict(left) == {"active": 2, "fresh": 1}  # an old event of a live conversation stays


def test_retention_without_a_tracker_store_deletes_nothing(tmp_path: Path) -> None:
    assert purge_conversations(f"sqlite:///{tmp_path / 'none.db'}", days=1) == 0

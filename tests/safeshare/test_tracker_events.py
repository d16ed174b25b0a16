"""safeshare/tracker_events.py names Rasa's `events` table as Rasa makes it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from safeshare import tracker_events
from tests.helpers import rasa_events_table


def test_the_columns_named_are_rasas(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    rasa_events_table(url)
    engine = sa.create_engine(url, future=True)
    try:
        columns = {c["name"] for c in sa.inspect(engine).get_columns(tracker_events.NAME)}
    finally:
        engine.dispose()
    assert set(tracker_events.events.c.keys()) <= columns
    assert tracker_events.events.name == tracker_events.NAME == "events"

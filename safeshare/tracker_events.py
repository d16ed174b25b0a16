"""Rasa's `events` table (its SQL tracker store: one row per conversation event), as SafeShare's
own code reads it: retention deletes idle conversations from it (safeshare/retention.py), the
dashboard counts messages per topic (safeshare/web/console/queries.py), and the tracker store
adds an index to it (safeshare/rasa_ext/tracker_store.py).

Rasa creates the table and owns its schema; this module names it and the columns SafeShare uses,
as a lightweight `sa.table` that belongs to no metadata (neither Rasa's nor SafeShare's, so no
migration or `create_all` ever touches it) and needs no Rasa import.
"""

from __future__ import annotations

import sqlalchemy as sa

NAME = "events"

events = sa.table(
    NAME,
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)

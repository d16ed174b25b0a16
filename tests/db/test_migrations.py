"""The migrations build exactly the schema the models describe, and 0004 gives existing
inquiries a priority and a due date without touching their notes."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from safeshare.db.migrate import downgrade, upgrade
from safeshare.db.models import Base
from safeshare.db.session import create_engine


def test_models_and_migrations_agree(store_url):
    engine = create_engine(store_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_0004_backfills_existing_inquiries_and_keeps_their_notes(store_url):
    downgrade(store_url, "0003")
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO inquiries (id, reference, channel, sender_key, language, question, transcript,"
                " nlu_guesses, reason, status, contact_consent, created_at, updated_at) VALUES (7,"
                " 'SS-OLD22', 'rest', 'k', 'en', 'q', '[]', '[]', 'human_handoff', 'new', false,"
                " :created, :created)"
            ),
            # Thursday 17 April 2025, 10:00 in Hong Kong; Good Friday, the day following it, the
            # weekend and Easter Monday come next.
            {"created": "2025-04-17 02:00:00"},
        )
        conn.execute(
            sa.text("INSERT INTO inquiry_notes (inquiry_id, body, created_at) VALUES (7, 'n', :c)"),
            {"c": "2025-04-17 03:00:00"},
        )
    engine.dispose()
    upgrade(store_url)
    engine = create_engine(store_url)
    with engine.connect() as conn:
        priority, due = conn.execute(sa.text("SELECT priority, due_on FROM inquiries WHERE id = 7")).one()
        notes = conn.execute(sa.text("SELECT COUNT(*) FROM inquiry_notes")).scalar_one()
    engine.dispose()
    assert priority == "normal"
    assert str(due) == str(date(2025, 4, 23))  # Tuesday 22nd is one working day, Wednesday two
    assert notes == 1

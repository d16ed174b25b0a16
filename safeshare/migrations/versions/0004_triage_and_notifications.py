"""triage and staff notifications

Inquiries get a priority (urgent / high / normal), the reason for it (categories only), the Hong
Kong working day they are due, and when staff were alerted. Existing inquiries become normal and
are due by the normal reply target. A new table holds staff notifications and their retries.

Columns are only added (no table is rebuilt): on SQLite, rebuilding `inquiries` with foreign keys
on would cascade-delete its notes.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "inquiries", sa.Column("priority", sa.String(length=8), nullable=False, server_default="normal")
    )
    op.add_column("inquiries", sa.Column("priority_reason", sa.String(length=200), nullable=True))
    op.add_column("inquiries", sa.Column("due_on", sa.Date(), nullable=True))
    op.add_column("inquiries", sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_inquiries_priority"), "inquiries", ["priority"], unique=False)
    op.create_index(op.f("ix_inquiries_due_on"), "inquiries", ["due_on"], unique=False)
    _backfill_due_dates()

    op.create_table(
        "staff_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    for column in ("reference", "status", "next_attempt_at", "created_at"):
        op.create_index(
            op.f(f"ix_staff_notifications_{column}"), "staff_notifications", [column], unique=False
        )


def _backfill_due_dates() -> None:
    """Existing inquiries: due by the normal reply target from the day they were made."""
    from datetime import datetime

    from safeshare.settings import get_settings
    from safeshare.workdays import add_working_days, hk_date

    days = get_settings().staff_reply_days
    conn = op.get_bind()
    inquiries = sa.table(
        "inquiries", sa.column("id", sa.Integer), sa.column("created_at"), sa.column("due_on", sa.Date)
    )
    for row_id, created_at in conn.execute(sa.select(inquiries.c.id, inquiries.c.created_at)).all():
        if isinstance(created_at, str):  # SQLite without type information
            created_at = datetime.fromisoformat(created_at)
        conn.execute(
            inquiries.update()
            .where(inquiries.c.id == row_id)
            .values(due_on=add_working_days(hk_date(created_at), days))
        )


def downgrade() -> None:
    for column in ("created_at", "next_attempt_at", "status", "reference"):
        op.drop_index(op.f(f"ix_staff_notifications_{column}"), table_name="staff_notifications")
    op.drop_table("staff_notifications")
    op.drop_index(op.f("ix_inquiries_due_on"), table_name="inquiries")
    op.drop_index(op.f("ix_inquiries_priority"), table_name="inquiries")
    with op.batch_alter_table("inquiries", recreate="never") as batch_op:
        for column in ("alerted_at", "due_on", "priority_reason", "priority"):
            batch_op.drop_column(column)

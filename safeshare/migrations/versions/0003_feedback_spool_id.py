"""feedback spool id

Feedback given while the database is down is spooled like inquiries; the spool id (unique) makes
a retried insert a no-op, so each vote arrives exactly once. Feedback recorded directly has none.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spool_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_feedback_spool_id"), ["spool_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_spool_id"))
        batch_op.drop_column("spool_id")

"""Feedback memory: who taught each entry (issue 24), so a writer's correction answers
its own requests and only the sources WRITER_SOURCES grants it.

Entries made before are given the client of their feedback row; one without a feedback
row keeps no author and then answers nobody until an admin teaches it again.

Revision ID: m002
Revises: m001, s001 (feedback.client, which the backfill reads)
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m002"
down_revision = ("m001", "s001")  # merges the memory and security branches
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_memory") as batch:
        batch.add_column(sa.Column("author", sa.String(128), nullable=True))
    op.execute("UPDATE feedback_memory SET author = (SELECT feedback.client FROM feedback "
               "WHERE feedback.id = feedback_memory.feedback_id)")


def downgrade() -> None:
    with op.batch_alter_table("feedback_memory") as batch:
        batch.drop_column("author")

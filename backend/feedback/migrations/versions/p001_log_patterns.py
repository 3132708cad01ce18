"""Pattern counts, their time buckets and per-source baselines (issues 26 and 23).

Revision ID: p001
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p001"
down_revision = "0001"
branch_labels = ("patterns",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_patterns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("template_key", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
        sa.Column("example", sa.Text, nullable=False),
        sa.Column("label", sa.String(256), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("problem", sa.Boolean, nullable=False),
        sa.Column("in_baseline", sa.Boolean, nullable=False),
        sa.UniqueConstraint("source", "key_hash", name="uq_log_patterns_source_key"),
    )
    op.create_table(
        "log_pattern_buckets",
        sa.Column("pattern_id", sa.Integer,
                  sa.ForeignKey("log_patterns.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("start", sa.Integer, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "log_baselines",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("target", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("completed_at", sa.Float, nullable=True),
        sa.Column("labels_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_baselines")
    op.drop_table("log_pattern_buckets")
    op.drop_table("log_patterns")

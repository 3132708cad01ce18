"""Feedback memory: corrections remembered per template key (issue 17).

A branch of its own off 0001 (the store upgrades to all heads), so it composes with
other schema changes made at the same time.

Revision ID: m001
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m001"
down_revision = "0001"
branch_labels = ("memory",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_memory",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("scope", sa.String(256), nullable=False),
        sa.Column("template_key", sa.Text, nullable=False),
        sa.Column("label", sa.String(256), nullable=False),
        sa.Column("feedback_id", sa.Integer, nullable=True),
        sa.Column("example", sa.Text, nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_feedback_memory_model", "feedback_memory", ["model", "id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_memory_model", "feedback_memory")
    op.drop_table("feedback_memory")

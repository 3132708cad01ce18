"""Feedback security (issue 19): who sent each verdict, labels held for approval.

A branch of its own off 0001 (the store upgrades to all heads), like the memory's.

Revision ID: s001
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s001"
down_revision = "0001"
branch_labels = ("security",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("client", sa.String(128), nullable=True))
        batch.add_column(sa.Column("status", sa.String(16), nullable=False,
                                   server_default="ok"))
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    op.create_index("ix_predictions_created_at", "predictions", ["created_at"])
    op.create_table(
        "label_approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("label", sa.String(256), nullable=False),
        sa.Column("approved_by", sa.String(128), nullable=False),
        sa.UniqueConstraint("model", "label", name="uq_label_approvals_model_label"),
    )


def downgrade() -> None:
    op.drop_table("label_approvals")
    op.drop_index("ix_predictions_created_at", "predictions")
    op.drop_index("ix_feedback_created_at", "feedback")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("status")
        batch.drop_column("client")

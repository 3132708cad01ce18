"""Predictions and feedback tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("variant", sa.String(16), nullable=True),
        sa.Column("input_json", sa.Text, nullable=False),
        sa.Column("input_key", sa.String(64), nullable=False),
        sa.Column("predicted", sa.String(256), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
    )
    op.create_index("ix_predictions_model", "predictions", ["model"])
    op.create_index("ix_predictions_input_key", "predictions", ["input_key"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prediction_id", sa.String(32), sa.ForeignKey("predictions.id"),
                  nullable=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("variant", sa.String(16), nullable=True),
        sa.Column("input_json", sa.Text, nullable=False),
        sa.Column("input_key", sa.String(64), nullable=False),
        sa.Column("predicted", sa.String(256), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("correct_label", sa.String(256), nullable=True),
    )
    op.create_index("ix_feedback_prediction_id", "feedback", ["prediction_id"])
    op.create_index("ix_feedback_model_key", "feedback", ["model", "input_key"])


def downgrade() -> None:
    op.drop_index("ix_feedback_model_key", "feedback")
    op.drop_index("ix_feedback_prediction_id", "feedback")
    op.drop_table("feedback")
    op.drop_index("ix_predictions_input_key", "predictions")
    op.drop_index("ix_predictions_model", "predictions")
    op.drop_table("predictions")

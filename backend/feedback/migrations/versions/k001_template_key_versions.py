"""Template-key versions per keyed table (issue 26): the marker that lets a changed key
re-derive the keys stored before it (backend.feedback.keyversions, backend.logs.rekey).

No row for a table means its keys are version 1 (the key before versioning), so the
feedback memory written until now is re-keyed on the next start.

Revision ID: k001
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "k001"
down_revision = "0001"
branch_labels = ("keyversions",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "template_key_versions",
        sa.Column("table_name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("template_key_versions")

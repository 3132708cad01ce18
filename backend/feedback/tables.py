"""SQLAlchemy 2 tables of the feedback store (schema changes go through Alembic)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class PredictionRow(Base):
    """One answer the API gave: which model and version, for which input, what it said."""

    __tablename__ = "predictions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    model: Mapped[str] = mapped_column(String(128), index=True)
    model_version: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str | None] = mapped_column(String(16), nullable=True)
    input_json: Mapped[str] = mapped_column(Text)
    input_key: Mapped[str] = mapped_column(String(64), index=True)
    predicted: Mapped[str] = mapped_column(String(256))
    confidence: Mapped[float] = mapped_column(Float)


class FeedbackRow(Base):
    """A verdict on a prediction (by id) or on an input the client sends again."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    prediction_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("predictions.id"), nullable=True, index=True)
    model: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    variant: Mapped[str | None] = mapped_column(String(16), nullable=True)
    input_json: Mapped[str] = mapped_column(Text)
    input_key: Mapped[str] = mapped_column(String(64))
    predicted: Mapped[str] = mapped_column(String(256))
    verdict: Mapped[str] = mapped_column(String(16))
    correct_label: Mapped[str | None] = mapped_column(String(256), nullable=True)
    client: Mapped[str | None] = mapped_column(String(128), nullable=True)  # who sent it
    # "pending": its label is new to the model and waits for an admin (no training use)
    status: Mapped[str] = mapped_column(String(16), default="ok", server_default="ok")

    __table_args__ = (Index("ix_feedback_model_key", "model", "input_key"),)


class LabelApprovalRow(Base):
    """An admin's approval of a label the model did not know: corrections to it train."""

    __tablename__ = "label_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    model: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(256))
    approved_by: Mapped[str] = mapped_column(String(128))

    __table_args__ = (UniqueConstraint("model", "label", name="uq_label_approvals_model_label"),)

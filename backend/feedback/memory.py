"""The feedback memory in the store: corrections remembered per (scope, template key).

The store is the one source of truth. Workers keep a snapshot and compare a cheap
fingerprint (highest id, number undone) at most every few seconds, so a correction
made on one worker is served by all of them within that time, and survives restarts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.feedback.store import FeedbackStore, safe_text
from backend.feedback.tables import Base, utcnow

GLOBAL_SCOPE = "*"
ADMIN_AUTHOR = "admin"  # the caller name of the admin API_TOKEN (backend.api.auth)


@dataclass(frozen=True)
class Grants:
    """Whose requests a correction answers (issue 24): its author's own, always; everyone's
    when the admin wrote it; everyone's on a source WRITER_SOURCES grants its writer.
    `sources` is keyed by caller name (`writer:<name>`); "*" is never in it (settings
    refuse it), so only the admin reaches every source."""

    sources: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def shares(self, author: str | None, source: str) -> bool:
        """Whether `author`'s correction answers other callers' lines from `source`."""
        return author == ADMIN_AUTHOR or source in self.sources.get(author or "", ())

    def applies(self, entry: MemoryEntry, source: str, caller: str | None) -> bool:
        """Whether `entry` answers `caller`'s line from `source`."""
        return entry.scope in (source, GLOBAL_SCOPE) and (
            (caller is not None and entry.author == caller) or self.shares(entry.author, source))


class MemoryRow(Base):
    """A correction remembered for its whole template key (the feedback memory tier).

    `scope` is the source the correction came from, or "*" when memory is global;
    `author` is the caller that taught it (`admin`, `writer:<name>`), see `Grants`.
    Undo sets `undone_at`; rows are kept so the history stays listable.
    """

    __tablename__ = "feedback_memory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    model: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    scope: Mapped[str] = mapped_column(String(256))
    template_key: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(256))
    feedback_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    example: Mapped[str] = mapped_column(Text)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    author: Mapped[str | None] = mapped_column(String(128), nullable=True)

    __table_args__ = (Index("ix_feedback_memory_model", "model", "id"),)


@dataclass(frozen=True)
class MemoryEntry:
    id: int
    scope: str
    key: str
    label: str
    model_version: str | None
    feedback_id: int | None
    example: str
    created_at: datetime | None
    undone_at: datetime | None = None
    author: str | None = None

    def public(self, example: bool = False) -> dict[str, Any]:
        """The entry as the API shows it: the masked template key, never the raw line
        (IPs, user names) unless `example` (the author's own answer to its correction)."""
        shown = {"id": self.id, "scope": self.scope, "template_key": self.key,
                 "label": self.label, "model_version": self.model_version,
                 "feedback_id": self.feedback_id, "author": self.author,
                 "created_at": self.created_at.isoformat() if self.created_at else None,
                 "undone_at": self.undone_at.isoformat() if self.undone_at else None,
                 "active": self.undone_at is None}
        if example:
            shown["example"] = self.example
        return shown


def _entry(row: MemoryRow) -> MemoryEntry:
    return MemoryEntry(row.id, row.scope, row.template_key, row.label, row.model_version,
                       row.feedback_id, row.example, row.created_at, row.undone_at,
                       row.author)


class MemoryStore:
    """Reads and writes the feedback_memory table through the feedback store's engine."""

    def __init__(self, store: FeedbackStore) -> None:
        self.store = store

    def remember(self, model: str, scope: str, key: str, label: str, *, example: str,
                 author: str, model_version: str | None = None,
                 feedback_id: int | None = None) -> int:
        """Keep one correction for its template key; the latest entry per key wins."""
        row = MemoryRow(model=safe_text(model), scope=safe_text(scope),
                        template_key=safe_text(key), label=safe_text(label),
                        model_version=safe_text(model_version), feedback_id=feedback_id,
                        example=safe_text(example[:1000]), author=safe_text(author))

        def work(session: Session) -> int:
            session.add(row)
            session.flush()
            return row.id

        return self.store._write(work)

    def get(self, model: str, entry_id: int) -> MemoryEntry | None:
        """One entry of `model`, undone or not; None when there is no such entry."""
        with self.store._session() as session:
            row = session.get(MemoryRow, entry_id)
            return _entry(row) if row is not None and row.model == model else None

    def undo(self, model: str, entry_id: int) -> MemoryEntry | None:
        """Mark an entry undone (kept for the history); None when there is no such entry."""
        def work(session: Session) -> MemoryEntry | None:
            row = session.get(MemoryRow, entry_id)
            if row is None or row.model != model:
                return None
            if row.undone_at is None:
                row.undone_at = utcnow()
            session.flush()
            return _entry(row)

        return self.store._write(work)

    def fingerprint(self, model: str) -> tuple[int, int]:
        """(highest id, entries undone): changes with every remember and undo."""
        query = select(func.max(MemoryRow.id), func.count(MemoryRow.undone_at)).where(
            MemoryRow.model == model)
        with self.store._session() as session:
            top, undone = session.execute(query).one()
        return int(top or 0), int(undone or 0)

    def entries(self, model: str, *, include_undone: bool = False,
                scope: str | None = None, author: str | None = None,
                limit: int | None = None) -> list[MemoryEntry]:
        """Entries oldest first (later ones win for the same key)."""
        query = select(MemoryRow).where(MemoryRow.model == model)
        if not include_undone:
            query = query.where(MemoryRow.undone_at.is_(None))
        if scope is not None:
            query = query.where(MemoryRow.scope == scope)
        if author is not None:
            query = query.where(MemoryRow.author == author)
        query = query.order_by(MemoryRow.id.desc() if limit else MemoryRow.id)
        if limit:
            query = query.limit(limit)
        with self.store._session() as session:
            rows = [_entry(r) for r in session.scalars(query)]
        return rows[::-1] if limit else rows

"""Pattern counts and per-source baselines in the feedback store, shared by every worker.

A *pattern* is a (source, template key) with its line count, first and last seen, counts
per time bucket, the latest answer (label, confidence, tier, problem flag) and one
masked example line. Each source keeps at most `max_per_source` patterns; the rest of its
lines are counted in its OTHER_KEY row, so the table is bounded by sources x (N + 1).
A source's *baseline* is its own first `target` lines (or what a user pinned): the
templates seen then are `in_baseline`, and their label mix is what drift compares with.

Workers add what they counted in batches (`add`); counts are additive, so any number of
workers can write. Times are epoch seconds.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.feedback.store import FeedbackStore, safe_text
from backend.feedback.tables import Base

OTHER_KEY = "<other>"  # a source's lines beyond its top patterns
LEARNING, COMPLETE, PINNED = "learning", "complete", "pinned"


def key_hash(key: str) -> str:
    """Index the key by its digest: keys can be longer than a btree entry allows."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


class PatternRow(Base):
    __tablename__ = "log_patterns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(64))
    template_key: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    example: Mapped[str] = mapped_column(Text, default="")
    label: Mapped[str] = mapped_column(String(256), default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    tier: Mapped[str] = mapped_column(String(32), default="")
    problem: Mapped[bool] = mapped_column(Boolean, default=False)
    in_baseline: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("source", "key_hash", name="uq_log_patterns_source_key"),)


class PatternBucketRow(Base):
    __tablename__ = "log_pattern_buckets"

    pattern_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("log_patterns.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


_PATTERNS: Table = PatternRow.__table__  # type: ignore[assignment]  # Core statements
_BUCKETS: Table = PatternBucketRow.__table__  # type: ignore[assignment]


# built once: statement construction costs more than running them (every PATTERNS_FLUSH_S)
_ADD_TO_PATTERN = update(_PATTERNS).where(_PATTERNS.c.id == bindparam("pid")).values(
    count=_PATTERNS.c.count + bindparam("n"),
    first_seen=case((_PATTERNS.c.first_seen > bindparam("first"), bindparam("first")),
                    else_=_PATTERNS.c.first_seen),
    last_seen=case((_PATTERNS.c.last_seen < bindparam("last"), bindparam("last")),
                   else_=_PATTERNS.c.last_seen),
    label=bindparam("label"), confidence=bindparam("conf"), tier=bindparam("tier"),
    problem=bindparam("problem"), in_baseline=bindparam("inb"))
_ADD_TO_BUCKET = update(_BUCKETS).where(
    _BUCKETS.c.pattern_id == bindparam("pid"), _BUCKETS.c.start == bindparam("bstart")
).values(count=_BUCKETS.c.count + bindparam("n"))


def _bucket_upserts() -> dict[str, Any]:
    """INSERT ... ON CONFLICT DO UPDATE for the dialects that have it (SQLite, PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    out: dict[str, Any] = {}
    for name, dialect_insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert)):
        stmt = dialect_insert(_BUCKETS)
        out[name] = stmt.on_conflict_do_update(
            index_elements=["pattern_id", "start"],
            set_={"count": _BUCKETS.c.count + stmt.excluded["count"]})
    return out


_BUCKET_UPSERTS = _bucket_upserts()


class BaselineRow(Base):
    __tablename__ = "log_baselines"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=LEARNING)
    records: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[float] = mapped_column(Float)
    completed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    labels_json: Mapped[str] = mapped_column(Text, default="{}")


@dataclass
class Tally:
    """What one worker counted for one (source, key) since its last write."""

    count: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    buckets: Counter[int] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    example: str = ""
    label: str = ""
    confidence: float = 0.0
    tier: str = ""
    problem: bool = False


@dataclass(frozen=True)
class Baseline:
    source: str
    state: str
    records: int
    target: int
    started_at: float
    completed_at: float | None
    labels: dict[str, int]
    keys: frozenset[str] = frozenset()

    @property
    def complete(self) -> bool:
        return self.state != LEARNING

    def public(self) -> dict[str, Any]:
        return {"source": self.source, "state": self.state, "records": self.records,
                "target": self.target, "started_at": _iso(self.started_at),
                "completed_at": _iso(self.completed_at), "labels": self.labels,
                "templates": len(self.keys)}


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _baseline(row: BaselineRow, keys: Iterable[str] = ()) -> Baseline:
    return Baseline(row.source, row.state, row.records, row.target, row.started_at,
                    row.completed_at, json.loads(row.labels_json or "{}"), frozenset(keys))


@dataclass
class AddResult:
    """What a write changed: patterns new since a complete baseline, per source."""

    new_patterns: Counter[str] = field(default_factory=Counter)


class PatternStore:
    """Reads and writes the pattern tables through the feedback store's engine."""

    def __init__(self, store: FeedbackStore, max_per_source: int, baseline_records: int,
                 bucket_s: int, retention_s: float) -> None:
        self.store = store
        self.max_per_source = max_per_source
        self.baseline_records = baseline_records
        self.bucket_s = bucket_s
        self.retention_s = retention_s

    def add(self, tallies: Mapping[str, Mapping[str, Tally]], now: float | None = None,
            attempts: int = 5) -> AddResult:
        """Add one worker's counts (source -> key -> Tally) in one transaction; retried when
        another worker inserted the same new pattern first."""
        now = time.time() if now is None else now
        for attempt in range(attempts):
            try:
                return self.store._write(lambda s: self._add(s, tallies, now))
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _add(self, session: Session, tallies: Mapping[str, Mapping[str, Tally]],
             now: float) -> AddResult:
        """Core statements, a few per source whatever its number of patterns (executemany):
        this runs every PATTERNS_FLUSH_S beside the requests."""
        result = AddResult()
        conn = session.connection()
        table = _PATTERNS
        for source, by_key in tallies.items():
            if not by_key:
                continue
            base = session.get(BaselineRow, source)
            if base is None:
                base = BaselineRow(source=source, state=LEARNING, records=0,
                                   target=self.baseline_records, started_at=now,
                                   labels_json="{}")
                session.add(base)
            learning = base.state == LEARNING
            hashes = {key_hash(k): k for k in by_key}
            existing = {h: (i, inb) for h, i, inb in conn.execute(
                select(PatternRow.key_hash, PatternRow.id, PatternRow.in_baseline)
                .where(PatternRow.source == source))}
            fresh = [h for h in hashes if h not in existing]
            if fresh:
                conn.execute(insert(table), [{
                    "source": source, "key_hash": h, "template_key": safe_text(hashes[h]),
                    "count": 0, "first_seen": by_key[hashes[h]].first_seen,
                    "last_seen": by_key[hashes[h]].last_seen,
                    "example": safe_text(by_key[hashes[h]].example) or "", "label": "",
                    "confidence": 0.0, "tier": "", "problem": False, "in_baseline": learning}
                    for h in fresh])
                existing.update({h: (i, inb) for h, i, inb in conn.execute(
                    select(PatternRow.key_hash, PatternRow.id, PatternRow.in_baseline)
                    .where(PatternRow.source == source, PatternRow.key_hash.in_(fresh)))})
            conn.execute(_ADD_TO_PATTERN, [
                {"pid": existing[h][0], "n": by_key[k].count, "first": by_key[k].first_seen,
                 "last": by_key[k].last_seen, "label": safe_text(by_key[k].label) or "",
                 "conf": by_key[k].confidence, "tier": by_key[k].tier,
                 "problem": by_key[k].problem, "inb": bool(existing[h][1]) or learning}
                for h, k in hashes.items()])
            named = len(existing) - (key_hash(OTHER_KEY) in existing)
            evicted = (self._keep_top(conn, source, now) if named > self.max_per_source
                       else set())
            self._add_buckets(conn, {existing[h][0]: by_key[k].buckets
                                     for h, k in hashes.items() if h not in evicted})
            if learning:
                mix = Counter(json.loads(base.labels_json or "{}"))
                for t in by_key.values():
                    mix.update(t.labels)
                base.labels_json = json.dumps(dict(mix))
                base.records += sum(t.count for t in by_key.values())
                if base.records >= base.target:
                    base.state, base.completed_at = COMPLETE, now
            else:
                result.new_patterns[source] += sum(
                    1 for h in fresh if h not in evicted and hashes[h] != OTHER_KEY)
        return result

    def _keep_top(self, conn: Connection, source: str, now: float) -> set[str]:
        """Fold the smallest patterns beyond max_per_source into the source's OTHER_KEY row
        (baseline patterns are kept first); returns the hashes folded away."""
        other_hash = key_hash(OTHER_KEY)
        named = conn.execute(
            select(PatternRow.id, PatternRow.key_hash, PatternRow.count, PatternRow.first_seen,
                   PatternRow.last_seen)
            .where(PatternRow.source == source, PatternRow.key_hash != other_hash)
            .order_by(PatternRow.in_baseline, PatternRow.count, PatternRow.last_seen)).all()
        excess = len(named) - self.max_per_source
        if excess <= 0:
            return set()
        gone = [(int(i), str(h), int(n), float(f), float(last))
                for i, h, n, f, last in named[:excess]]
        other = conn.execute(select(PatternRow.id).where(
            PatternRow.source == source, PatternRow.key_hash == other_hash)).scalar()
        if other is None:
            conn.execute(insert(_PATTERNS).values(
                source=source, key_hash=other_hash, template_key=OTHER_KEY, count=0,
                first_seen=now, last_seen=now, example="", label="", confidence=0.0, tier="",
                problem=False, in_baseline=True))
            other = conn.execute(select(PatternRow.id).where(
                PatternRow.source == source, PatternRow.key_hash == other_hash)).scalar_one()
        ids = [g[0] for g in gone]
        first, last = min(g[3] for g in gone), max(g[4] for g in gone)
        moved: Counter[int] = Counter()
        for start, n in conn.execute(select(PatternBucketRow.start, PatternBucketRow.count)
                                     .where(PatternBucketRow.pattern_id.in_(ids))):
            moved[start] += n
        table = _PATTERNS
        conn.execute(update(table).where(table.c.id == other).values(
            count=table.c.count + sum(g[2] for g in gone),
            first_seen=case((table.c.first_seen > first, first), else_=table.c.first_seen),
            last_seen=case((table.c.last_seen < last, last), else_=table.c.last_seen)))
        conn.execute(delete(PatternBucketRow).where(PatternBucketRow.pattern_id.in_(ids)))
        conn.execute(delete(PatternRow).where(PatternRow.id.in_(ids)))
        self._add_buckets(conn, {other: moved})
        return {g[1] for g in gone}

    def _add_buckets(self, conn: Connection, counts: Mapping[int, Counter[int]]) -> None:
        rows = [{"pattern_id": i, "start": b, "count": n}
                for i, by_start in counts.items() for b, n in by_start.items()]
        if not rows:
            return
        upsert = _BUCKET_UPSERTS.get(conn.dialect.name)
        if upsert is not None:  # one statement, no read first
            conn.execute(upsert, rows)
            return
        have: set[tuple[int, int]] = set()
        ids = list(counts)
        for start in range(0, len(ids), 500):
            have.update(conn.execute(select(PatternBucketRow.pattern_id, PatternBucketRow.start)
                                     .where(PatternBucketRow.pattern_id.in_(
                                         ids[start:start + 500]))).tuples())
        adds = [{"pid": r["pattern_id"], "bstart": r["start"], "n": r["count"]}
                for r in rows if (r["pattern_id"], r["start"]) in have]
        news = [r for r in rows if (r["pattern_id"], r["start"]) not in have]
        if adds:
            conn.execute(_ADD_TO_BUCKET, adds)
        if news:
            conn.execute(insert(_BUCKETS), news)

    def expire(self, now: float | None = None) -> int:
        """Drop buckets and patterns older than the retention; returns patterns dropped."""
        cutoff = (time.time() if now is None else now) - self.retention_s

        def work(session: Session) -> int:
            session.execute(delete(PatternBucketRow).where(PatternBucketRow.start < cutoff))
            old = list(session.scalars(select(PatternRow.id).where(
                PatternRow.last_seen < cutoff, PatternRow.template_key != OTHER_KEY)))
            if old:
                session.execute(delete(PatternBucketRow).where(
                    PatternBucketRow.pattern_id.in_(old)))
                session.execute(delete(PatternRow).where(PatternRow.id.in_(old)))
            return len(old)

        return self.store._write(work)

    # --- reading ---

    def baselines(self) -> dict[str, Baseline]:
        """Every source's baseline with the keys of its baseline patterns."""
        with self.store._session() as session:
            rows = list(session.scalars(select(BaselineRow)))
            keys: dict[str, list[str]] = {}
            for source, key in session.execute(
                    select(PatternRow.source, PatternRow.template_key).where(
                        PatternRow.in_baseline.is_(True))):
                keys.setdefault(source, []).append(key)
        return {r.source: _baseline(r, keys.get(r.source, ())) for r in rows}

    def patterns(self, source: str | None = None) -> tuple[list[PatternRow],
                                                          dict[int, list[tuple[int, int]]]]:
        """Pattern rows (of one source, or all) and their buckets oldest first."""
        with self.store._session() as session:
            query = select(PatternRow)
            if source is not None:
                query = query.where(PatternRow.source == source)
            rows = list(session.scalars(query))
            buckets: dict[int, list[tuple[int, int]]] = {}
            ids = [r.id for r in rows]
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for pattern_id, bstart, n in session.execute(
                        select(PatternBucketRow.pattern_id, PatternBucketRow.start,
                               PatternBucketRow.count)
                        .where(PatternBucketRow.pattern_id.in_(chunk))
                        .order_by(PatternBucketRow.start)):
                    buckets.setdefault(pattern_id, []).append((bstart, n))
        return rows, buckets

    def pin(self, source: str, now: float | None = None) -> Baseline | None:
        """Make what the source has now its baseline (its patterns and their label mix);
        None when the source has no patterns."""
        now = time.time() if now is None else now

        def work(session: Session) -> Baseline | None:
            rows = list(session.scalars(select(PatternRow).where(PatternRow.source == source)))
            if not rows:
                return None
            mix: Counter[str] = Counter()
            for r in rows:
                r.in_baseline = True
                if r.label and r.template_key != OTHER_KEY:
                    mix[r.label] += r.count
            base = session.get(BaselineRow, source)
            if base is None:
                base = BaselineRow(source=source, target=self.baseline_records,
                                   started_at=now)
                session.add(base)
            base.state, base.completed_at = PINNED, now
            base.records = sum(r.count for r in rows)
            base.labels_json = json.dumps(dict(mix))
            session.flush()
            return _baseline(base, [r.template_key for r in rows])

        return self.store._write(work)

    def reset(self, source: str) -> bool:
        """Forget the source's baseline: its next `target` lines form a new one."""
        def work(session: Session) -> bool:
            base = session.get(BaselineRow, source)
            if base is None:
                return False
            session.delete(base)
            for r in session.scalars(select(PatternRow).where(PatternRow.source == source)):
                r.in_baseline = False
            return True

        return self.store._write(work)

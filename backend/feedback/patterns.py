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

import functools
import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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


@functools.lru_cache(maxsize=4096)
def key_hash(key: str) -> str:
    """Index the key by its digest: keys can be longer than a btree entry allows. Cached:
    a worker hashes the same few hundred keys at every write."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


_OTHER_HASH = key_hash(OTHER_KEY)


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


class _Driver:
    """Statements run by the database driver itself (`executemany` over tuples), for the
    write every PATTERNS_FLUSH_S: SQLAlchemy's per-row parameter processing of Core
    statements cost more CPU than SQLite's own work (350 patterns of 5 sources: 9.4 ms
    of CPU through Core, 3.5 ms like this; docs/patterns.md). The SQL is written with `?`
    and is plain SQL that SQLite and PostgreSQL (psycopg, `%s`) both accept, ON CONFLICT
    included."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    def _sql(self, sql: str) -> str:
        return sql if self.mark == "?" else sql.replace("?", self.mark)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.exec_driver_sql(self._sql(sql), tuple(params)).fetchall())

    def many(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self.conn.exec_driver_sql(self._sql(sql), list(rows))


def _marks(n: int) -> str:
    """`?, ?, ?` for an IN list of `n` values."""
    return ", ".join("?" * n)


_INSERT_BASELINE = ("INSERT INTO log_baselines (source, state, records, target, started_at, "
                    "labels_json) VALUES (?, ?, ?, ?, ?, ?)")
_INSERT_PATTERN = (
    "INSERT INTO log_patterns (source, key_hash, template_key, count, first_seen, last_seen, "
    "example, label, confidence, tier, problem, in_baseline) "
    "VALUES (?, ?, ?, 0, ?, ?, ?, '', 0.0, '', ?, ?)")
_ADD_TO_PATTERN = (
    "UPDATE log_patterns SET count = count + ?, "
    "first_seen = CASE WHEN first_seen > ? THEN ? ELSE first_seen END, "
    "last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END, "
    "label = ?, confidence = ?, tier = ?, problem = ?, in_baseline = ? WHERE id = ?")
_ADD_TO_BUCKET = (
    "INSERT INTO log_pattern_buckets (pattern_id, start, count) VALUES (?, ?, ?) "
    "ON CONFLICT (pattern_id, start) DO UPDATE SET count = log_pattern_buckets.count + "
    "excluded.count")
_UPDATE_BASELINE = ("UPDATE log_baselines SET labels_json = ?, records = ?, state = ?, "
                    "completed_at = ? WHERE source = ?")
_BASELINE_COLUMNS = "source, state, records, target, started_at, completed_at, labels_json"


class BaselineRow(Base):
    __tablename__ = "log_baselines"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=LEARNING)
    records: Mapped[int] = mapped_column(Integer, default=0)
    target: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[float] = mapped_column(Float)
    completed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    labels_json: Mapped[str] = mapped_column(Text, default="{}")


@dataclass(slots=True)
class Tally:
    """What one worker counted for one (source, key) since its last write: bucket start ->
    lines and label -> lines. Slots and plain dicts, as a worker makes one per pattern
    after every write (a Counter's Python-level constructor made that 3x dearer)."""

    count: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    buckets: dict[int, int] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
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


def _baseline(values: Sequence[Any], keys: Iterable[str] = ()) -> Baseline:
    """A Baseline from the values of _BASELINE_COLUMNS."""
    source, state, records, target, started_at, completed_at, labels_json = values
    return Baseline(source, state, int(records), int(target), float(started_at),
                    None if completed_at is None else float(completed_at),
                    json.loads(labels_json or "{}"), frozenset(keys))


@dataclass
class AddResult:
    """What a write changed: patterns new since a complete baseline, per source, and
    whether a baseline was started or learnt more (then the workers read them again)."""

    new_patterns: Counter[str] = field(default_factory=Counter)
    baselines_changed: bool = False


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
        """Every source at once through the driver (_Driver): one read of the baselines and
        one of the pattern ids, an insert of the new patterns, one update of the patterns,
        one upsert of the buckets and one update of the baselines still learning. This runs
        every PATTERNS_FLUSH_S beside the requests, so it is kept to a few statements."""
        result = AddResult()
        db = _Driver(session.connection())
        sources = [source for source, by_key in tallies.items() if by_key]
        if not sources:
            return result
        bases = {row[0]: row for row in db.rows(
            f"SELECT {_BASELINE_COLUMNS} FROM log_baselines WHERE source IN "
            f"({_marks(len(sources))})", sources)}
        started = [s for s in sources if s not in bases]
        db.many(_INSERT_BASELINE, [(s, LEARNING, 0, self.baseline_records, now, "{}")
                                   for s in started])
        bases.update({s: (s, LEARNING, 0, self.baseline_records, now, None, "{}")
                      for s in started})
        learning = {s for s in sources if bases[s][1] == LEARNING}
        result.baselines_changed = bool(learning)
        hashes = {s: {key_hash(k): k for k in tallies[s]} for s in sources}
        existing = self._ids(db, sources)
        fresh = [(s, h) for s in sources for h in hashes[s] if (s, h) not in existing]
        if fresh:
            db.many(_INSERT_PATTERN, [
                (s, h, safe_text(hashes[s][h]), tally.first_seen, tally.last_seen,
                 safe_text(tally.example) or "", False, s in learning)
                for s, h in fresh for tally in (tallies[s][hashes[s][h]],)])
            existing = self._ids(db, sources)
        clean: dict[str, str] = {}  # labels are few: each made safe once
        updates = []
        for s in sources:
            for h, k in hashes[s].items():
                t = tallies[s][k]
                label = clean.get(t.label)
                if label is None:
                    label = clean[t.label] = safe_text(t.label) or ""
                pid, inb = existing[(s, h)]
                updates.append((t.count, t.first_seen, t.first_seen, t.last_seen, t.last_seen,
                                label, t.confidence, t.tier, t.problem, inb or s in learning,
                                pid))
        db.many(_ADD_TO_PATTERN, updates)
        # before folding: a pattern folded now takes this write's buckets with it
        self._add_buckets(db, {existing[(s, h)][0]: tallies[s][k].buckets
                               for s in sources for h, k in hashes[s].items()})
        named: Counter[str] = (Counter(s for s, h in existing if h != _OTHER_HASH)
                               if len(existing) > self.max_per_source else Counter())
        for source in sources:
            evicted = (self._keep_top(db, source, now)
                       if named[source] > self.max_per_source else set())
            if source not in learning:
                result.new_patterns[source] += sum(
                    1 for s, h in fresh
                    if s == source and h not in evicted and hashes[s][h] != OTHER_KEY)
        db.many(_UPDATE_BASELINE, [self._learnt(bases[s], tallies[s].values(), now)
                                   for s in sources if s in learning])
        return result

    def _learnt(self, base: Sequence[Any], tallies: Iterable[Tally],
                now: float) -> tuple[Any, ...]:
        """_UPDATE_BASELINE's values for a baseline still learning after adding `tallies`."""
        source, _, records, target, _, _, labels_json = base
        mix = Counter(json.loads(labels_json or "{}"))
        for t in tallies:
            mix.update(t.labels)
            records += t.count
        state, completed_at = (COMPLETE, now) if records >= target else (LEARNING, None)
        return json.dumps(dict(mix)), records, state, completed_at, source

    @staticmethod
    def _ids(db: _Driver, sources: Sequence[str]) -> dict[tuple[str, str], tuple[int, bool]]:
        """(source, key hash) -> (pattern id, in baseline) of every pattern of `sources`."""
        return {(s, h): (int(i), bool(inb)) for s, h, i, inb in db.rows(
            "SELECT source, key_hash, id, in_baseline FROM log_patterns WHERE source IN "
            f"({_marks(len(sources))})", sources)}

    def _keep_top(self, db: _Driver, source: str, now: float) -> set[str]:
        """Fold the smallest patterns beyond max_per_source into the source's OTHER_KEY row
        (baseline patterns are kept first); returns the hashes folded away."""
        conn = db.conn
        named = conn.execute(
            select(PatternRow.id, PatternRow.key_hash, PatternRow.count, PatternRow.first_seen,
                   PatternRow.last_seen)
            .where(PatternRow.source == source, PatternRow.key_hash != _OTHER_HASH)
            .order_by(PatternRow.in_baseline, PatternRow.count, PatternRow.last_seen)).all()
        excess = len(named) - self.max_per_source
        if excess <= 0:
            return set()
        gone = [(int(i), str(h), int(n), float(f), float(last))
                for i, h, n, f, last in named[:excess]]
        other = conn.execute(select(PatternRow.id).where(
            PatternRow.source == source, PatternRow.key_hash == _OTHER_HASH)).scalar()
        if other is None:
            conn.execute(insert(_PATTERNS).values(
                source=source, key_hash=_OTHER_HASH, template_key=OTHER_KEY, count=0,
                first_seen=now, last_seen=now, example="", label="", confidence=0.0, tier="",
                problem=False, in_baseline=True))
            other = conn.execute(select(PatternRow.id).where(
                PatternRow.source == source, PatternRow.key_hash == _OTHER_HASH)).scalar_one()
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
        self._add_buckets(db, {other: moved})
        return {g[1] for g in gone}

    @staticmethod
    def _add_buckets(db: _Driver, counts: Mapping[int, Mapping[int, int]]) -> None:
        db.many(_ADD_TO_BUCKET, [(i, b, n) for i, by_start in counts.items()
                                 for b, n in by_start.items()])

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
        with self.store.engine.connect() as conn:  # read every few seconds: no ORM objects
            db = _Driver(conn)
            rows = db.rows(f"SELECT {_BASELINE_COLUMNS} FROM log_baselines")
            keys: dict[str, list[str]] = {}
            for source, key in db.rows(
                    "SELECT source, template_key FROM log_patterns WHERE in_baseline = ?",
                    (True,)):
                keys.setdefault(source, []).append(key)
        return {r[0]: _baseline(r, keys.get(r[0], ())) for r in rows}

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
            return _baseline((base.source, base.state, base.records, base.target,
                              base.started_at, base.completed_at, base.labels_json),
                             [r.template_key for r in rows])

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

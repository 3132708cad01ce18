"""The feedback store: SQLite file by default, PostgreSQL by URL, same code.

Each write is one short transaction; SQLite runs in WAL mode with a busy
timeout and a retry, so concurrent writers wait instead of losing a write.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Table, create_engine, delete, event, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.feedback import migrate
from backend.feedback.stats import assemble_stats
from backend.feedback.tables import FeedbackRow, LabelApprovalRow, PredictionRow, utcnow

logger = logging.getLogger(__name__)
T = TypeVar("T")
VERDICTS = ("accept", "reject", "correct")
HELD = "held"  # status of one correction waiting for an admin (see backend.api.approval)
REJECTED = "rejected"  # an admin refused it: it never trains nor answers


class UnknownPredictionError(LookupError):
    """Feedback names a prediction id the store never issued."""


@dataclass(frozen=True)
class PredictionRecord:
    input: dict[str, Any]
    input_key: str
    predicted: str
    confidence: float


@dataclass(frozen=True)
class LabelledExample:
    input: dict[str, Any]
    input_key: str
    label: str
    verdict: str


def safe_text(value: str | None) -> str | None:
    """Text every database accepts: no lone surrogates (SQLite, UTF-8) and no NUL
    (PostgreSQL); such characters become U+FFFD rather than failing the write."""
    if value is None:
        return None
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


_PREDICTIONS = cast(Table, PredictionRow.__table__)  # Core inserts: no ORM object per row


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=True, default=str)


def _rowcount(result: Any) -> int:
    """Rows a DELETE removed (the cursor result of a bulk statement)."""
    return int(getattr(result, "rowcount", 0) or 0)


def capped(value: dict[str, Any], chars: int) -> dict[str, Any]:
    """`value` with every string cut to `chars`: what retraining needs is kept (the
    first characters decide the template), the bulk of a hostile body is not stored."""
    return {k: v[:chars] if isinstance(v, str) else v for k, v in value.items()}


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their folder, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class FeedbackStore:
    def __init__(self, url: str, run_migrations: bool = True, text_chars: int = 1000) -> None:
        self.url = url
        self.text_chars = text_chars
        self.engine = make_engine(url)
        if run_migrations:
            migrate.upgrade(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def _write(self, work: Callable[[Session], T], attempts: int = 8) -> T:
        """Run `work` in one transaction; retry when the database is busy."""
        for attempt in range(attempts):
            try:
                with self._session.begin() as session:
                    return work(session)
            except OperationalError as exc:
                if attempt == attempts - 1 or "locked" not in str(exc).lower():
                    raise
                time.sleep(0.05 * 2 ** attempt)
        raise AssertionError("unreachable")

    def record_predictions(self, model: str, version: str, records: list[PredictionRecord],
                           variant: str | None = None) -> list[str]:
        """Store a batch of served predictions; returns their ids, in order."""
        ids = [uuid.uuid4().hex for _ in records]
        self.record_batches([(model, version, variant, records, ids)])
        return ids

    def record_batches(self, batches: list[tuple[str, str, str | None,
                                                 list[PredictionRecord], list[str]]]) -> None:
        """Store several batches of predictions (ids already chosen) in one transaction."""
        now = utcnow()
        rows = [{"id": pid, "created_at": now, "model": safe_text(model),
                 "model_version": safe_text(version), "variant": variant,
                 "input_json": _json(capped(r.input, self.text_chars)),
                 "input_key": r.input_key, "predicted": safe_text(r.predicted),
                 "confidence": float(r.confidence)}
                for model, version, variant, records, ids in batches
                for pid, r in zip(ids, records, strict=True)]

        def work(session: Session) -> None:
            # one executemany, not 10,000 ORM objects: a 10,000-line upload cost 0.64 s of
            # the recorder thread's CPU (and the GIL the next request needed) as add_all
            if rows:
                session.execute(insert(_PREDICTIONS), rows)

        self._write(work)

    def get_prediction(self, prediction_id: str) -> PredictionRow | None:
        with self._session() as session:
            return session.get(PredictionRow, prediction_id)

    def add_feedback(self, verdict: str, *, prediction_id: str | None = None,
                     model: str | None = None, input: dict[str, Any] | None = None,
                     input_key: str | None = None, predicted: str | None = None,
                     correct_label: str | None = None,
                     model_version: str | None = None, client: str | None = None,
                     status: str = "ok") -> int:
        """Keep one verdict; by prediction id, or by (model, input, predicted). `client`
        is who sent it; status "pending" keeps it out of training until its label is
        approved (`approve_label`)."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
        variant = None
        if prediction_id is not None:
            row = self.get_prediction(prediction_id)
            if row is None:
                raise UnknownPredictionError(prediction_id)
            model, model_version, variant = row.model, row.model_version, row.variant
            input, input_key, predicted = json.loads(row.input_json), row.input_key, row.predicted
        if model is None or input is None or input_key is None or predicted is None:
            raise ValueError("feedback without prediction_id needs model, input and predicted")
        entry = FeedbackRow(prediction_id=prediction_id, model=safe_text(model),
                            model_version=safe_text(model_version), variant=variant,
                            input_json=_json(capped(input, self.text_chars)),
                            input_key=input_key, predicted=safe_text(predicted),
                            verdict=verdict, correct_label=safe_text(correct_label),
                            client=safe_text(client), status=status)

        def work(session: Session) -> int:
            session.add(entry)
            session.flush()
            return entry.id

        return self._write(work)

    def labelled_examples(self, model: str) -> list[LabelledExample]:
        """Inputs users labelled: corrections give their label, accepts confirm the
        prediction. The latest verdict per input wins; bare rejects teach nothing; a verdict
        held for approval counts only once an admin approved its label."""
        query = (select(FeedbackRow).where(FeedbackRow.model == model)
                 .order_by(FeedbackRow.created_at, FeedbackRow.id))
        latest: dict[str, LabelledExample] = {}
        approved = set(self.approved_labels(model))
        with self._session() as session:
            for row in session.scalars(query):
                label = row.correct_label or (row.predicted if row.verdict == "accept" else None)
                if row.status in (HELD, REJECTED):
                    continue
                if row.status == "pending" and label not in approved:
                    continue
                if label:
                    latest[row.input_key] = LabelledExample(
                        json.loads(row.input_json), row.input_key, label, row.verdict)
        return list(latest.values())

    def approved_labels(self, model: str) -> list[str]:
        """Labels an admin approved for `model`."""
        with self._session() as session:
            return list(session.scalars(select(LabelApprovalRow.label)
                                        .where(LabelApprovalRow.model == model)))

    def approve_label(self, model: str, label: str, approved_by: str) -> int:
        """Let corrections to `label` train `model`; returns how many were waiting."""
        def work(session: Session) -> int:
            exists = session.scalar(select(LabelApprovalRow.id).where(
                LabelApprovalRow.model == model, LabelApprovalRow.label == label))
            if exists is None:
                session.add(LabelApprovalRow(model=model, label=label, approved_by=approved_by))
            waiting = session.scalar(select(func.count()).select_from(FeedbackRow).where(
                FeedbackRow.model == model, FeedbackRow.status == "pending",
                func.coalesce(FeedbackRow.correct_label, FeedbackRow.predicted) == label))
            return int(waiting or 0)

        return self._write(work)

    def pending_labels(self) -> list[dict[str, Any]]:
        """Labels waiting for approval: model, label, corrections, distinct clients."""
        label = func.coalesce(FeedbackRow.correct_label, FeedbackRow.predicted)
        query = (select(FeedbackRow.model, label, func.count(),
                        func.count(func.distinct(FeedbackRow.client)))
                 .where(FeedbackRow.status == "pending")
                 .group_by(FeedbackRow.model, label))
        with self._session() as session:
            rows = [tuple(r) for r in session.execute(query)]
            approved = {(m, lab) for m, lab in session.execute(
                select(LabelApprovalRow.model, LabelApprovalRow.label))}
        return [{"model": m, "label": lab, "corrections": n, "clients": c}
                for m, lab, n, c in rows if (m, lab) not in approved]

    def held_feedback(self, limit: int = 500) -> list[dict[str, Any]]:
        """Single corrections waiting for an admin (status "held"), oldest first."""
        query = (select(FeedbackRow).where(FeedbackRow.status == HELD)
                 .order_by(FeedbackRow.id).limit(limit))
        with self._session() as session:
            return [{"feedback_id": r.id, "model": r.model, "model_version": r.model_version,
                     "client": r.client, "verdict": r.verdict, "predicted": r.predicted,
                     "correct_label": r.correct_label, "input": json.loads(r.input_json),
                     "label": r.correct_label or r.predicted,
                     "created_at": r.created_at.isoformat() if r.created_at else None}
                    for r in session.scalars(query)]

    def decide_held(self, feedback_id: int, status: str) -> FeedbackRow | None:
        """Set a held correction's status ("ok": approved, REJECTED); None when no
        correction with that id is held."""
        def work(session: Session) -> FeedbackRow | None:
            row = session.get(FeedbackRow, feedback_id)
            if row is None or row.status != HELD:
                return None
            row.status = status
            session.flush()
            return row

        return self._write(work)

    def purge(self, prediction_days: float, feedback_days: float) -> tuple[int, int]:
        """Delete feedback, then predictions no feedback points to, older than the
        retention (0 days: keep). Returns (predictions, feedback) deleted."""
        def work(session: Session) -> tuple[int, int]:
            n_fb = n_pred = 0
            if feedback_days > 0:
                cut = utcnow() - timedelta(days=feedback_days)
                n_fb = _rowcount(session.execute(delete(FeedbackRow).where(
                    FeedbackRow.created_at < cut)))
            if prediction_days > 0:
                cut = utcnow() - timedelta(days=prediction_days)
                referenced = select(FeedbackRow.prediction_id).where(
                    FeedbackRow.prediction_id.is_not(None))
                n_pred = _rowcount(session.execute(delete(PredictionRow).where(
                    PredictionRow.created_at < cut, PredictionRow.id.not_in(referenced))))
            return n_pred, n_fb

        return self._write(work)

    def counts(self) -> tuple[int, int]:
        with self._session() as session:
            n_pred = session.scalar(select(func.count()).select_from(PredictionRow)) or 0
            n_fb = session.scalar(select(func.count()).select_from(FeedbackRow)) or 0
        return n_pred, n_fb

    def stats(self, model: str | None = None) -> dict[str, Any]:
        """Accept rates per model, version (A/B variant) and predicted label."""
        fb = select(FeedbackRow.model, FeedbackRow.model_version, FeedbackRow.variant,
                    FeedbackRow.predicted, FeedbackRow.verdict, func.count())
        pred = select(PredictionRow.model, PredictionRow.model_version, PredictionRow.variant,
                      func.count())
        model = safe_text(model)
        if model:
            fb = fb.where(FeedbackRow.model == model)
            pred = pred.where(PredictionRow.model == model)
        fb = fb.group_by(FeedbackRow.model, FeedbackRow.model_version, FeedbackRow.variant,
                         FeedbackRow.predicted, FeedbackRow.verdict)
        pred = pred.group_by(PredictionRow.model, PredictionRow.model_version,
                             PredictionRow.variant)
        with self._session() as session:
            feedback_rows = [tuple(r) for r in session.execute(fb)]
            prediction_rows = [tuple(r) for r in session.execute(pred)]
        return assemble_stats(feedback_rows, prediction_rows)

    def close(self) -> None:
        self.engine.dispose()

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
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.feedback import migrate
from backend.feedback.stats import assemble_stats
from backend.feedback.tables import FeedbackRow, PredictionRow

logger = logging.getLogger(__name__)
T = TypeVar("T")
VERDICTS = ("accept", "reject", "correct")


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


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=True, default=str)


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
    def __init__(self, url: str, run_migrations: bool = True) -> None:
        self.url = url
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
        def work(session: Session) -> None:
            session.add_all([PredictionRow(
                id=pid, model=safe_text(model), model_version=safe_text(version),
                variant=variant, input_json=_json(r.input), input_key=r.input_key,
                predicted=safe_text(r.predicted), confidence=float(r.confidence))
                for model, version, variant, records, ids in batches
                for pid, r in zip(ids, records, strict=True)])

        self._write(work)

    def get_prediction(self, prediction_id: str) -> PredictionRow | None:
        with self._session() as session:
            return session.get(PredictionRow, prediction_id)

    def add_feedback(self, verdict: str, *, prediction_id: str | None = None,
                     model: str | None = None, input: dict[str, Any] | None = None,
                     input_key: str | None = None, predicted: str | None = None,
                     correct_label: str | None = None,
                     model_version: str | None = None) -> int:
        """Keep one verdict; by prediction id, or by (model, input, predicted)."""
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
                            input_json=_json(input), input_key=input_key,
                            predicted=safe_text(predicted), verdict=verdict,
                            correct_label=safe_text(correct_label))

        def work(session: Session) -> int:
            session.add(entry)
            session.flush()
            return entry.id

        return self._write(work)

    def labelled_examples(self, model: str) -> list[LabelledExample]:
        """Inputs users labelled: corrections give their label, accepts confirm the
        prediction. The latest verdict per input wins; bare rejects teach nothing."""
        query = (select(FeedbackRow).where(FeedbackRow.model == model)
                 .order_by(FeedbackRow.created_at, FeedbackRow.id))
        latest: dict[str, LabelledExample] = {}
        with self._session() as session:
            for row in session.scalars(query):
                label = row.correct_label or (row.predicted if row.verdict == "accept" else None)
                if label:
                    latest[row.input_key] = LabelledExample(
                        json.loads(row.input_json), row.input_key, label, row.verdict)
        return list(latest.values())

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

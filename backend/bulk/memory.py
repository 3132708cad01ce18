"""The feedback store and a bulk job: the memory read once by the driver and rebuilt in
every worker, and an optional sample of the predictions recorded.

`sift classify-file` with the same DATABASE_URL as the API answers a corrected line as
the API does (issue 25): the driver reads the active corrections from the store, and
each worker (a local process or a Ray actor, possibly on another machine) builds the
same snapshot from them, so workers need no database connection.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from sqlalchemy.engine import make_url

from backend.bulk.pipeline import ERROR
from backend.core.config import Settings
from backend.feedback.memory import Grants, MemoryEntry, MemoryStore
from backend.feedback.recorder import PredictionRecorder
from backend.feedback.store import FeedbackStore
from backend.logs.memory import MemorySnapshot, MemoryView
from backend.logs.recording import log_records, sampled

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobMemory:
    """Picklable: the entries, who shares what, and whose view the job classifies with."""

    entries: tuple[MemoryEntry, ...] = ()
    sources: Mapping[str, frozenset[str]] = field(default_factory=dict)
    caller: str | None = None
    neighbours: bool = True

    def view(self) -> MemoryView | None:
        """The caller's view, built once per worker; None when there is nothing to apply."""
        if not self.entries:
            return None
        top = max(e.id for e in self.entries)
        snapshot = MemorySnapshot(self.entries, (top, 0), self.neighbours, Grants(self.sources))
        return snapshot.view(self.caller) if len(snapshot) else None


def writer_sources(settings: Settings) -> dict[str, frozenset[str]]:
    """WRITER_SOURCES by caller name (`writer:<name>`), the API's `Grants`."""
    return {f"writer:{name}": frozenset(sources)
            for name, sources in settings.WRITER_SOURCES.items()}


def _no_sqlite_file(url: str) -> bool:
    """A SQLite store that does not exist yet (opening it would create an empty file)."""
    parsed = make_url(url)
    database = parsed.database or ""
    return (parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
            and not Path(database).exists())


def load_memory(settings: Settings, caller: str | None = None) -> tuple[JobMemory, str | None]:
    """The store's active corrections for the log model, and a note when none could be
    read (the job still runs, without them, as the API does when the store is down)."""
    if not settings.FEEDBACK_MEMORY or _no_sqlite_file(settings.DATABASE_URL):
        return JobMemory(caller=caller), None  # no store yet: no corrections, nothing created
    try:
        store = FeedbackStore(settings.DATABASE_URL, run_migrations=False)
        entries: Sequence[MemoryEntry] = MemoryStore(store).entries(settings.LOG_MODEL_NAME)
    except Exception as exc:  # no database yet, or unreachable: classify without memory
        logger.warning("feedback memory unavailable: %s", exc)
        note = (f"feedback memory not applied: the store at DATABASE_URL could not be read "
                f"({exc.__class__.__name__})")
        return JobMemory(caller=caller), note
    return JobMemory(tuple(entries), writer_sources(settings), caller,
                     settings.FEEDBACK_NEIGHBOURS), None


class JobRecorder:
    """Stores a sample of a bulk job's predictions (`--record-sample`) in the feedback store
    at DATABASE_URL, so lines of a large job can be corrected later; none by default."""

    def __init__(self, settings: Settings, rate: float, model: str, version: str,
                 source_column: str, message_column: str) -> None:
        self.rate, self.model, self.version = rate, model, version
        self.columns = (source_column, message_column)
        self.stored = 0
        self.recorder = PredictionRecorder(FeedbackStore(settings.DATABASE_URL))

    def write(self, table: pa.Table) -> None:
        """Record the sampled rows of one classified chunk (rows that were skipped: none)."""
        good = table.filter(table.column(ERROR).is_null())
        sources = good.column(self.columns[0]).to_pylist()
        messages = good.column(self.columns[1]).to_pylist()
        rows = sampled(sources, messages, self.rate)
        if not rows:
            return
        labels = good.column("target_label").to_pylist()
        confidences = good.column("confidence").to_pylist()
        self.recorder.submit(self.model, self.version, log_records(
            [sources[i] for i in rows], [messages[i] for i in rows],
            [labels[i] for i in rows], [confidences[i] for i in rows]))
        self.stored += len(rows)

    def close(self) -> None:
        self.recorder.close()

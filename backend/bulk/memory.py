"""The feedback memory of a bulk job: read once by the driver, rebuilt in every worker.

`sift classify-file` with the same DATABASE_URL as the API answers a corrected line as
the API does (issue 25): the driver reads the active corrections from the store, and
each worker (a local process or a Ray actor, possibly on another machine) builds the
same snapshot from them, so workers need no database connection.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from backend.core.config import Settings
from backend.feedback.memory import Grants, MemoryEntry, MemoryStore
from backend.feedback.store import FeedbackStore
from backend.logs.memory import MemorySnapshot, MemoryView

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


def load_memory(settings: Settings, caller: str | None = None) -> tuple[JobMemory, str | None]:
    """The store's active corrections for the log model, and a note when none could be
    read (the job still runs, without them, as the API does when the store is down)."""
    if not settings.FEEDBACK_MEMORY:
        return JobMemory(caller=caller), None
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

"""What the task, feedback and retrain routes share: the feedback store, the job
runner and the A/B variants, created once per app on first use."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from fastapi import Depends, Request

from backend.api.auth import Caller
from backend.api.deps import ManagerDep, SettingsDep, active_model
from backend.api.state import state_of
from backend.bulk.filejobs import FileJobs
from backend.bulk.memory import writer_sources
from backend.core.config import Settings
from backend.core.errors import ProblemError
from backend.core.labels import UNCLASSIFIED
from backend.core.quota import shared_row_quota
from backend.feedback.jobs import JobRunner
from backend.feedback.memory import GLOBAL_SCOPE, Grants, MemoryEntry, MemoryStore
from backend.feedback.recorder import PredictionRecorder
from backend.feedback.store import FeedbackStore
from backend.logs.memory import MemoryFeed, MemoryView
from backend.logs.recording import log_records
from backend.logs.rekey import rekey_store
from backend.registry.active import ModelManager
from backend.registry.local import ModelNotFoundError
from backend.tasks.ab import choose_variant
from backend.tasks.categorizer import TaskCategorizer
from backend.tasks.service import build_task_categorizer

logger = logging.getLogger(__name__)
CLIENT_KEY_HEADER = "x-client-key"
MAX_ENTRY_ID = 2**31 - 1  # a memory entry's id column is a 32-bit INTEGER in PostgreSQL


class Learning:
    """Per-app state of the feedback loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jobs = JobRunner()
        self._file_jobs: FileJobs | None = None
        self._store: FeedbackStore | None = None
        self._recorder: PredictionRecorder | None = None
        self._memory: MemoryFeed | None = None
        self._variants: dict[str, TaskCategorizer] = {}
        self._lock = threading.Lock()

    @property
    def store(self) -> FeedbackStore:
        """The feedback store, migrated to the latest schema on first use."""
        with self._lock:
            if self._store is None:
                self._store = FeedbackStore(self.settings.DATABASE_URL,
                                            text_chars=self.settings.STORE_TEXT_CHARS)
                rekey_store(self._store)  # keys stored under an older KEY_VERSION
            return self._store

    @property
    def recorder(self) -> PredictionRecorder:
        """Writes served predictions in the background (ids at once)."""
        store = self.store
        with self._lock:
            if self._recorder is None:
                self._recorder = PredictionRecorder(store)
            return self._recorder

    @property
    def memory(self) -> MemoryFeed:
        """This worker's view of the log feedback memory (kept in the store)."""
        store = self.store
        with self._lock:
            if self._memory is None:
                self._memory = MemoryFeed(MemoryStore(store), self.settings.LOG_MODEL_NAME,
                                          self.settings.FEEDBACK_MEMORY_REFRESH_S,
                                          self.settings.FEEDBACK_NEIGHBOURS,
                                          writer_grants(self.settings))
            return self._memory

    @property
    def file_jobs(self) -> FileJobs:
        """Whole-file jobs (POST /v1/logs/jobs, /v1/sessions/jobs), created on first use."""
        with self._lock:
            if self._file_jobs is None:
                s = self.settings
                self._file_jobs = FileJobs(None, s.JOB_RETENTION_S, s.JOB_MAX_PER_CLIENT,
                                           shared_row_quota(s.JOB_QUOTA, s.RATE_LIMIT_STORAGE,
                                                            "job-rows"))
            return self._file_jobs

    def log_memory(self, caller: str | None) -> MemoryView | None:
        """The memory to classify `caller`'s request with (a caller name, None when
        anonymous); None when off, empty or the store is unavailable (classification
        never fails because of the memory)."""
        if not self.settings.FEEDBACK_MEMORY:
            return None
        try:
            snapshot = self.memory.snapshot()
        except Exception as exc:  # the store is optional for log classification
            logger.error("feedback memory unavailable, served without it: %s", exc)
            return None
        return snapshot.view(caller) if snapshot is not None else None

    def close(self) -> None:
        """Write what is still queued (app shutdown)."""
        if self._recorder is not None:
            self._recorder.close()
        if self._file_jobs is not None:
            self._file_jobs.close()

    def variant_model(self, manager: ModelManager, version: str,
                      a_side: TaskCategorizer) -> TaskCategorizer:
        """The B side of the A/B test, loaded (verified) once and kept."""
        with self._lock:
            model = self._variants.get(version)
            if model is None:
                folder, manifest = manager.store.open(self.settings.TASK_MODEL_NAME, version)
                model = build_task_categorizer(self.settings, folder, manifest.version,
                                               a_side.embedder)
                self._variants[version] = model
            return model


def writer_grants(settings: Settings) -> Grants:
    """WRITER_SOURCES by caller name: where a writer's corrections answer everyone."""
    return Grants(writer_sources(settings))


def caller_name(request: Request) -> str | None:
    """The name of the credential this request carries (the guard identified it), None
    when anonymous: whose corrections answer it."""
    caller = request.scope.get("state", {}).get("caller")
    return caller.name if isinstance(caller, Caller) else None


def get_learning(request: Request) -> Learning:
    """The app's feedback loop (created with the app)."""
    return state_of(request).learning


async def _learning_dep(request: Request) -> Learning:
    """`get_learning` on the event loop (a plain `def` dependency costs a thread hop)."""
    return get_learning(request)


LearningDep = Annotated[Learning, Depends(_learning_dep)]


def client_key(request: Request, given: str | None) -> str:
    """Sticky A/B key: the body's client_key, else X-Client-Key, else the client address."""
    if given:
        return given
    header = request.headers.get(CLIENT_KEY_HEADER)
    if header:
        return header
    return request.client.host if request.client else "anonymous"


def pick_task_model(request: Request, manager: ManagerDep, settings: SettingsDep,
                    learning: LearningDep, given_key: str | None) -> tuple[TaskCategorizer,
                                                                           str | None]:
    """The model that answers this client: A (served version) or B per the split."""
    if settings.TASK_MODEL_NAME not in manager.loaders:
        raise ProblemError(503, f"No {settings.TASK_MODEL_NAME} in the registry at start-up. "
                                "Run `python -m training ensure-default-models` (or "
                                "`python -m training train-tasks`) and restart.",
                           title="Model not ready")
    a_side: TaskCategorizer = active_model(manager, settings.TASK_MODEL_NAME)
    if not settings.TASK_AB_VERSION or settings.TASK_AB_SPLIT <= 0:
        return a_side, None
    if choose_variant(client_key(request, given_key), settings.TASK_AB_SPLIT) == "A":
        return a_side, "A"
    try:
        return learning.variant_model(manager, settings.TASK_AB_VERSION, a_side), "B"
    except ModelNotFoundError as exc:
        raise ProblemError(503, f"A/B side B is misconfigured: {exc}. Fix TASK_AB_VERSION "
                                "or set TASK_AB_SPLIT=0.", title="Model not ready") from exc


def model_labels(manager: ModelManager, name: str) -> list[str] | None:
    """Labels of the served version of `name`, or None when it is not loaded."""
    entry: Any = manager.active().get(name)
    return list(entry.manifest.labels) if entry is not None else None


LOG_RECORD_LIMIT = 10_000  # larger JSON batches are classified but not given ids


def record_log_predictions(learning: Learning, model: str, version: str,
                           predictions: list[Any]) -> list[str] | None:
    """Give each log prediction an id for POST /v1/feedback; None when the batch is too
    large or the store is unavailable (classification itself never fails on this)."""
    if not predictions or len(predictions) > LOG_RECORD_LIMIT:
        return None
    quota = shared_row_quota(learning.settings.RECORD_QUOTA, learning.settings.RATE_LIMIT_STORAGE)
    if quota is not None and not quota.allow(len(predictions)):
        logger.warning("RECORD_QUOTA reached for this client: %d predictions not stored",
                       len(predictions))
        return None
    records = log_records([p.source for p in predictions], [p.log_message for p in predictions],
                          [p.label for p in predictions], [p.confidence for p in predictions])
    try:
        return learning.recorder.submit(model, version, records)
    except Exception as exc:  # the store is optional for log classification
        logger.error("feedback store unavailable, log predictions not recorded: %s", exc)
        return None


def remember_log_feedback(settings: Settings, manager: ModelManager, learning: Learning,
                          model: str, version: str | None, given: dict[str, Any],
                          label: str | None, feedback_id: int, author: str
                          ) -> MemoryEntry | None:
    """Keep a log line's label for its whole template key (in its source's scope, or
    globally), taught by `author`, so the next request already answers them: the author's
    own requests, and everyone's where `Grants` shares it. Labels the served model does not
    know are not remembered (they wait for approval and a retrain)."""
    if model != settings.LOG_MODEL_NAME or not settings.FEEDBACK_MEMORY:
        return None
    message = str(given.get("log_message") or "")
    entry = manager.active().get(model)
    if not label or label == UNCLASSIFIED or not message.strip() or entry is None:
        return None
    classifier = entry.model
    if label not in classifier.labels:
        return None
    source = str(given.get("source") or "").strip()
    scope = source if settings.FEEDBACK_MEMORY_SCOPE == "source" else GLOBAL_SCOPE
    key = classifier.key(message)
    store = learning.memory.store
    entry_id = store.remember(model, scope, key, label, example=message, author=author,
                              model_version=version, feedback_id=feedback_id)
    learning.memory.invalidate()
    view = learning.log_memory(author)  # the author's scope is refitted in this request
    if view is not None:
        fit_s = classifier.refit_adapter(view, source)
        if fit_s is not None:
            logger.info("convention adapter of %s on %r refitted in %.3f s", author, source,
                        fit_s)
    return MemoryEntry(entry_id, scope, key, label, version, feedback_id, message, None,
                       author=author)

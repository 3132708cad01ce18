"""The FastAPI application: one factory, routers per feature."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from backend import __version__
from backend.api.docs import STATIC_URL, install_docs
from backend.api.drift_retrain import DriftRetrainer
from backend.api.learning import Learning
from backend.api.middleware import install_guards
from backend.api.ratelimit import ClientRateLimiter
from backend.api.routes import (
    approvals,
    drift,
    feedback,
    filejobs,
    health,
    logs,
    memory,
    models,
    otlp,
    patterns,
    retrain,
    session_views,
    sessions,
    tasks,
)
from backend.api.state import AppState, app_state
from backend.core.blas import limit_blas_threads
from backend.core.config import Settings, get_settings
from backend.core.errors import install_error_handlers
from backend.core.logging import configure_logging
from backend.embedding.service import build_embedder
from backend.logs.service import KIND as LOG_KIND
from backend.logs.service import build_classifier
from backend.pipelines.receiver import OTLPReceiver
from backend.registry.active import ModelManager
from backend.registry.manifest import Manifest
from backend.registry.mirror import build_store
from backend.sessions.service import KIND as STEP_KIND
from backend.sessions.service import (
    build_text_source,
    load_predictor,
    needs_text,
    step_model_names,
)
from backend.tasks.service import KIND as TASK_KIND
from backend.tasks.service import build_task_categorizer

logger = logging.getLogger(__name__)
Loader = Callable[[Path, Manifest], object]

DESCRIPTION = """
**sift** classifies operational data: log lines (rules -> embeddings + LR -> LLM),
task-mining event sessions and task titles. Every answer carries a label, a
confidence, the tier that decided and the model version; below the threshold
it abstains as `Unclassified` with a reason. Errors are RFC 9457 problem+json.
"""


def build_manager(settings: Settings) -> ModelManager:
    """The registry store plus one loader per served model kind."""
    store = build_store(settings)
    embedder = None

    def load_log_classifier(folder: Path, manifest: Manifest) -> object:
        nonlocal embedder
        embedder = embedder or build_embedder(settings)
        return build_classifier(settings, folder, manifest.version, embedder)

    def load_task_categorizer(folder: Path, manifest: Manifest) -> object:
        return build_task_categorizer(settings, folder, manifest.version)

    def load_step_tagger(folder: Path, manifest: Manifest) -> object:
        nonlocal embedder
        if not needs_text(manifest.params):
            return load_predictor(folder, manifest.version, None)
        embedder = embedder or build_embedder(settings)
        return load_predictor(folder, manifest.version, build_text_source(settings, embedder))

    loaders: dict[str, Callable[[Path, Manifest], Any]] = {
        settings.LOG_MODEL_NAME: load_log_classifier}
    if store.versions(settings.TASK_MODEL_NAME):  # optional: absent from a bare registry
        loaders[settings.TASK_MODEL_NAME] = load_task_categorizer
    for name in step_model_names(store, settings.STEP_MODEL_NAME):  # optional, any number
        loaders.setdefault(name, load_step_tagger)
    confined_steps = _confined(load_step_tagger, settings.SCREENSHOTS_DIR)
    for name, load in list(loaders.items()):  # step models: image paths under SCREENSHOTS_DIR
        if load is load_step_tagger:
            loaders[name] = confined_steps
    # models published under new names while the service runs are served by their kind
    kinds: dict[str, Loader] = {LOG_KIND: load_log_classifier, TASK_KIND: load_task_categorizer,
                                STEP_KIND: confined_steps}
    return ModelManager(store, loaders, kinds)


def _confined(load: Loader, root: Path | None) -> Loader:
    """A step-model loader whose predictors open image paths only under `root`."""
    def confined(folder: Path, manifest: Manifest) -> object:
        predictor = load(folder, manifest)
        predictor.confine_images(root)  # type: ignore[attr-defined]
        return predictor

    return confined


def load_and_freeze(manager: ModelManager, versions: dict[str, str]) -> None:
    """The served process's start-up load; then the loaded models leave the cyclic GC.

    Half a million long-lived objects (models, vocabularies) made every full collection
    walk them: 0.3-1.6 s pauses landing on whichever request allocated at the time.
    Frozen objects are still freed by reference counting; the collection runs before the
    load, while the heap is small, so readiness is not held up. Tests build many apps in
    one process, so they load in the foreground and freeze nothing.
    """
    gc.collect()
    manager.load_all(versions)
    gc.freeze()


def create_app(settings: Settings | None = None, load_in_background: bool = True) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    # here, not in the lifespan: OpenBLAS takes its thread count only from the main thread
    limit_blas_threads(settings.BLAS_THREADS)
    manager = build_manager(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        versions = {settings.LOG_MODEL_NAME: settings.LOG_MODEL_VERSION,
                    settings.TASK_MODEL_NAME: settings.TASK_MODEL_VERSION,
                    settings.STEP_MODEL_NAME: settings.STEP_MODEL_VERSION}
        if load_in_background:
            threading.Thread(target=load_and_freeze, args=(manager, versions), daemon=True,
                             name="model-loader").start()
        else:
            manager.load_all(versions)
        yield
        state = app_state(app)
        state.learning.close()  # predictions still queued for the feedback store
        await state.otlp.close()
        if state.metrics is not None:
            state.metrics.stream.close()  # the drift thread ends with the app

    # Swagger UI and ReDoc from the fastapi-offline package: no CDN (sift runs offline)
    app = FastAPIOffline(title="sift", version=__version__, description=DESCRIPTION,
                         lifespan=lifespan, static_url=STATIC_URL)
    app.state.sift = AppState(
        settings, manager, OTLPReceiver(settings), Learning(settings),
        ClientRateLimiter.from_setting(settings.WRITE_QUOTA, settings.RATE_LIMIT_STORAGE))
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(logs.router)
    app.include_router(logs.legacy_router)
    app.include_router(models.router)
    app.include_router(tasks.router)
    app.include_router(memory.router)
    app.include_router(feedback.router)
    app.include_router(approvals.router)
    app.include_router(sessions.router)
    app.include_router(session_views.router)
    app.include_router(retrain.router)
    app.include_router(filejobs.logs_router)
    app.include_router(filejobs.sessions_router)
    app.include_router(otlp.router)
    app.include_router(drift.router)
    app.include_router(patterns.router)
    install_docs(app)
    install_guards(app, settings)
    metrics = app_state(app).metrics
    if metrics is not None:
        app_state(app).otlp.register(metrics.registry)
        if settings.DRIFT_RETRAIN_AFTER_S is not None and metrics.stream.drift is not None:
            metrics.stream.on_report = DriftRetrainer(app, settings.DRIFT_RETRAIN_AFTER_S,
                                                      metrics.registry)
    return app

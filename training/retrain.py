"""One entry point for a gated retrain of any retrainable model (CLI and the API's job).

It publishes through the store the service is configured with (`build_store`),
so a promoted version is mirrored to the Hub when HF_NAMESPACE is set.
"""

from __future__ import annotations

from backend.core.config import Settings
from backend.feedback.store import LabelledExample
from backend.registry.base import PublishingStore
from backend.registry.gate import RetrainReport
from backend.registry.manifest import Manifest
from backend.registry.mirror import build_store


def retrainable(settings: Settings) -> tuple[str, ...]:
    """Model names with a gated retrain: the task and log models, and every step model."""
    from backend.registry.local import LocalModelStore
    from backend.sessions.service import step_model_names

    steps = step_model_names(LocalModelStore(settings.MODELS_ROOT), settings.STEP_MODEL_NAME)
    return (settings.TASK_MODEL_NAME, settings.LOG_MODEL_NAME, *steps)


def is_step_model(store: PublishingStore, name: str) -> bool:
    """Step models (manifest kind step-tagger) of any name have a gated retrain too."""
    from backend.sessions.service import KIND

    try:
        return bool(store.versions(name)) and store.manifest(name, store.resolve(name)).kind == KIND
    except Exception:  # an unreadable model is reported by the retrain that opens it
        return False


def _retrain_steps(settings: Settings, store: PublishingStore, name: str,
                   examples: list[LabelledExample], current_version: str | None
                   ) -> RetrainReport:
    from backend.sessions.service import build_text_source, needs_text
    from training.steps.retrain import retrain_steps

    version = current_version or "latest"
    manifest = store.manifest(name, store.resolve(name, version))
    source = build_text_source(settings) if needs_text(manifest.params) else None
    return retrain_steps(store, name, source, examples, current_version=version,
                         tolerance=settings.RETRAIN_TOLERANCE)


def _manifest_or_none(store: PublishingStore, name: str, version: str) -> Manifest | None:
    from backend.registry.local import ModelNotFoundError

    try:
        return store.manifest(name, store.resolve(name, version))
    except ModelNotFoundError:
        return None


def run_retrain(settings: Settings, name: str, examples: list[LabelledExample], *,
                rows: int | None = None, seed: int | None = None,
                current_version: str | None = None,
                store: PublishingStore | None = None) -> RetrainReport:
    """Merge the feedback, train a candidate, gate it against `current_version` (default:
    the newest) and publish it through the configured store if it is not worse."""
    store = store or build_store(settings)
    if is_step_model(store, name):
        return _retrain_steps(settings, store, name, examples, current_version)
    if name not in retrainable(settings):
        raise ValueError(f"gated retraining is implemented for "
                         f"{', '.join(retrainable(settings))}; for {name} train a new version "
                         "with its own train command")
    version = current_version or "latest"
    if name == settings.LOG_MODEL_NAME:
        from backend.embedding.service import build_embedder
        from training.logs.retrain import retrain_logs

        return retrain_logs(settings, store, name, build_embedder(settings), examples,
                            rows=rows, seed=seed, current_version=version,
                            tolerance=settings.RETRAIN_TOLERANCE)
    from backend.tasks.categorizer import V1_THRESHOLD
    from backend.tasks.service import task_embedder
    from training.tasks.retrain import retrain
    from training.tasks.v2 import is_v2_recipe, retrain_v2

    manifest = _manifest_or_none(store, name, version)
    params = manifest.params if manifest else {}
    if manifest is None or is_v2_recipe(params):  # v2: judged on held-out authors
        return retrain_v2(
            store, name, task_embedder(settings), examples,
            rows=rows or int(params.get("base_rows") or settings.TASK_TRAIN_ROWS),
            seed=seed if seed is not None else int(params.get("seed", 42)),
            current_version=version, tolerance=settings.RETRAIN_TOLERANCE)
    return retrain(
        store, name, task_embedder(settings), examples,
        rows=rows or int(params.get("base_rows") or settings.TASK_TRAIN_ROWS),
        seed=seed if seed is not None else int(params.get("seed", 42)),
        current_version=version, tolerance=settings.RETRAIN_TOLERANCE,
        threshold=V1_THRESHOLD if settings.TASK_AUTO_SELECT_THRESHOLD is None
        else settings.TASK_AUTO_SELECT_THRESHOLD)

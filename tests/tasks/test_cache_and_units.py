"""Prediction caches (in-process and a real redis-server), the head, text keys, A/B buckets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from backend.embedding.embedder import Embedder
from backend.tasks.ab import choose_variant
from backend.tasks.cache import MemoryPredictionCache, RedisPredictionCache
from backend.tasks.categorizer import TaskCategorizer
from backend.tasks.model import TaskHead
from backend.tasks.text import input_key, task_text
from tests.tasks.conftest import TASK_MODEL
from tests.tasks.services import ServiceUnavailable, redis_server
from training.tasks.train import TaskTrainer, TaskTrainingArguments

TASK = ("Create wireframes for the settings page", "Low-fidelity sketches in Figma.")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    try:
        with redis_server() as url:
            yield url
    except ServiceUnavailable as exc:
        pytest.skip(f"redis-server cannot start here: {exc}")


def _categorizer(registry: Path, embedder: Embedder, cache: object) -> TaskCategorizer:
    head = TaskHead.from_pretrained(registry / TASK_MODEL / "v1")
    return TaskCategorizer(head, embedder, "v1", TASK_MODEL, cache=cache)  # type: ignore[arg-type]


def test_redis_cache_is_shared_between_workers(redis_url: str, task_registry_v1: Path,
                                               task_embedder_shared: Embedder):
    worker_1 = _categorizer(task_registry_v1, task_embedder_shared,
                            RedisPredictionCache(redis_url))
    worker_2 = _categorizer(task_registry_v1, task_embedder_shared,
                            RedisPredictionCache(redis_url))
    (first,) = worker_1.categorize([TASK])
    (second,) = worker_2.categorize([(TASK[0].lower(), TASK[1] + "  ")])
    assert (first.cached, second.cached) == (False, True)
    assert second.public() | {"cached": False} == first.public()
    import redis

    keys = redis.Redis.from_url(redis_url).keys("sift:pred:task-categorizer:v1:*")
    assert len(keys) == 1


def test_redis_down_computes_instead_of_failing(task_registry_v1: Path,
                                                task_embedder_shared: Embedder):
    from tests.utils.processes import free_port

    cache = RedisPredictionCache(f"redis://127.0.0.1:{free_port()}/0")
    (prediction,) = _categorizer(task_registry_v1, task_embedder_shared,
                                 cache).categorize([TASK])
    assert prediction.category == "Design" and prediction.cached is False


def test_memory_cache_keys_by_version(task_registry_v1: Path, task_embedder_shared: Embedder):
    cache = MemoryPredictionCache(100)
    model = _categorizer(task_registry_v1, task_embedder_shared, cache)
    model.categorize([TASK])
    model.version = "v2"  # a new version must not reuse v1's answers
    assert model.categorize([TASK])[0].cached is False
    assert model.categorize([TASK])[0].cached is True


def test_head_round_trip_keeps_probabilities_and_class_order(tmp_path: Path):
    classes = ["Zeta", "Alpha", "Mid"]  # deliberately not sorted
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)).astype(np.float32) * 3
    x = np.vstack([centres[i] + rng.normal(size=(40, 16)).astype(np.float32) * 0.3
                   for i in range(3)])
    y = [c for c in classes for _ in range(40)]
    head = TaskTrainer(TaskTrainingArguments(max_epochs=30)).fit(x, y, classes, "toy")
    assert head.predict(centres) == classes
    head.save_pretrained(tmp_path / "m")
    loaded = TaskHead.from_pretrained(tmp_path / "m")
    assert loaded.classes == classes
    np.testing.assert_allclose(loaded.predict_proba(x), head.predict_proba(x), rtol=1e-6)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["head.json",
                                                                  "head.safetensors"]


def test_early_stopping_keeps_the_best_checkpoint(tmp_path: Path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 8)).astype(np.float32)  # pure noise: validation loss rises
    y = [str(v) for v in rng.integers(0, 2, size=200)]
    trainer = TaskTrainer(TaskTrainingArguments(max_epochs=100, patience=3, dropout=0.0))
    head = trainer.fit(x, y, ["0", "1"], "toy", checkpoint_dir=tmp_path / "ckpt")
    assert len(trainer.history) < 100  # stopped early
    assert len(trainer.history) == trainer.best_epoch + 1 + 3
    saved = TaskHead.from_pretrained(tmp_path / "ckpt")
    saved.temperature = head.temperature
    np.testing.assert_allclose(saved.predict_proba(x), head.predict_proba(x), rtol=1e-5)


def test_weighted_correction_flips_one_point():
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(-2, 0.5, size=(60, 8)), rng.normal(2, 0.5, size=(60, 8))])
    y = ["A"] * 60 + ["B"] * 60
    odd = np.full((1, 8), -2.0) + 0.6
    x2, y2 = np.vstack([x, odd]), [*y, "B"]
    weights = np.r_[np.ones(120), 40.0]
    args = TaskTrainingArguments(max_epochs=80, patience=80, dropout=0.0)
    plain = TaskTrainer(args).fit(x2, y2, ["A", "B"], "toy")
    corrected = TaskTrainer(args).fit(x2, y2, ["A", "B"], "toy", weights)
    assert plain.predict(odd.astype(np.float32)) == ["A"]
    assert corrected.predict(odd.astype(np.float32)) == ["B"]


def test_task_text_and_key_normalise_case_and_space():
    assert task_text("  Plan  Q3 ", "") == "Plan Q3"
    assert task_text("Plan Q3", "Set goals") == "Plan Q3. Set goals"
    assert task_text("Plan Q3?", "Set goals") == "Plan Q3? Set goals"
    assert input_key(task_text("PLAN q3", None)) == input_key(task_text("plan  Q3", ""))
    assert len(input_key("a\ud800b")) == 32  # a lone surrogate does not break hashing
    task_text("a\ud800b\x00c").encode("utf-8")


def test_ab_choice_is_sticky_and_respects_extremes():
    assert {choose_variant(f"k{i}", 0.0) for i in range(200)} == {"A"}
    assert {choose_variant(f"k{i}", 1.0) for i in range(200)} == {"B"}
    assert [choose_variant(f"k{i}", 0.5) for i in range(50)] == \
        [choose_variant(f"k{i}", 0.5) for i in range(50)]


def test_api_caches_in_redis_when_redis_url_is_set(redis_url: str, task_models: Path,
                                                   tmp_path: Path):
    import redis
    from fastapi.testclient import TestClient

    from backend.api.main import create_app
    from tests.tasks.conftest import task_settings

    settings = task_settings(task_models, tmp_path / "fb.db", REDIS_URL=redis_url)
    task = {"title": "Sprint planning for the mobile app"}
    with TestClient(create_app(settings, load_in_background=False)) as client:
        first = client.post("/v1/tasks/categorize", json=task).json()
        second = client.post("/v1/tasks/categorize", json=task).json()
    assert (first["cached"], second["cached"]) == (False, True)
    assert first["category"] == second["category"] == "Planning"
    from backend.tasks.cache import cache_key

    key = cache_key(TASK_MODEL, "v1", input_key(task_text(task["title"])))
    assert redis.Redis.from_url(redis_url).ttl(key) > 0

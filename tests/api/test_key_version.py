"""A changed template key (KEY_VERSION) re-keys what the store keeps: a feedback-memory
entry written under key v1 still answers its template after the next start."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.api.main import create_app
from backend.core.normalize import KEY_VERSION, template_key
from backend.feedback.keyversions import stored_version
from backend.feedback.memory import ADMIN_AUTHOR, MemoryStore
from backend.feedback.store import FeedbackStore
from backend.logs.rekey import rekey_store
from backend.registry.local import LocalModelStore
from tests.utils.factories import make_settings

LINE = "Payment service crashed with exit code 137 on 10.0.0.5"
V1_KEY = "payment service crashed with exit code <num> on <host>"  # what key v1 stored
ADMIN = "admin-token-0123456789abcdef"


def _old_store(db: Path) -> None:
    """A store as key v1 left it: an admin correction under the v1 key, no marker."""
    store = FeedbackStore(f"sqlite:///{db}")
    MemoryStore(store).remember("log-classifier", "BillingSystem", V1_KEY, "Security Alert",
                                example=LINE, author=ADMIN_AUTHOR)
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM template_key_versions"))
    store.engine.dispose()


def test_rekey_derives_memory_keys_again_from_their_examples(tmp_path: Path) -> None:
    _old_store(tmp_path / "fb.db")
    store = FeedbackStore(f"sqlite:///{tmp_path / 'fb.db'}")
    assert KEY_VERSION > 1 and template_key(LINE) != V1_KEY
    assert rekey_store(store) == {"feedback_memory": 1, "log_patterns": 0}
    [entry] = MemoryStore(store).entries("log-classifier")
    assert entry.key == template_key(LINE)
    with store.engine.connect() as connection:
        assert stored_version(connection, "feedback_memory") == KEY_VERSION
    assert rekey_store(store) == {}  # current: nothing to do


def test_old_version_memory_entry_still_answers_after_the_migration(
        tiny_store: LocalModelStore, tmp_path: Path) -> None:
    db = tmp_path / "fb.db"
    _old_store(db)
    settings = make_settings(tiny_store.root, RATE_LIMIT="off", LOG_FORMAT="text",
                             DATABASE_URL=f"sqlite:///{db}", API_TOKEN=ADMIN)
    with TestClient(create_app(settings, load_in_background=False)) as client:
        lines = [{"source": "BillingSystem", "log_message": LINE},
                 {"source": "BillingSystem",
                  "log_message": "Payment service crashed with exit code 1 on 10.9.9.9"}]
        r = client.post("/v1/logs/classify", json={"logs": lines})
        assert r.status_code == 200, r.text
        for p in r.json()["predictions"]:
            assert (p["label"], p["tier"]) == ("Security Alert", "feedback"), p

"""Issue 24, defects 9 and 11: numbers a client sends are bounded where they enter, so an
out-of-range id or seed is a 4xx that says what to send, never a 500 or a job that fails
after minutes of CPU."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.registry.local import LocalModelStore
from tests.utils.auth import WRITER_HEADERS, bearer, writer_settings
from tests.utils.factories import make_settings

ADMIN_TOKEN = "bounds-admin-token-0123456789"


def _client(store: LocalModelStore, tmp_path: Path) -> TestClient:
    settings = make_settings(store.root, RATE_LIMIT="off", API_TOKEN=ADMIN_TOKEN,
                             DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}",
                             **writer_settings())
    return TestClient(create_app(settings, load_in_background=False),
                      raise_server_exceptions=False)


def test_a_memory_entry_id_beyond_the_id_range_is_a_client_error(tiny_store: LocalModelStore,
                                                                 tmp_path: Path) -> None:
    with _client(tiny_store, tmp_path) as client:
        for entry_id in (2**63, 2**64 + 5, 2**31, -1, 0):
            r = client.delete(f"/v1/feedback/memory/{entry_id}", headers=WRITER_HEADERS)
            assert r.status_code == 422, (entry_id, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        assert client.delete("/v1/feedback/memory/2147483647",
                             headers=WRITER_HEADERS).status_code == 404


def test_a_retrain_seed_above_32_bits_is_refused_before_any_job(tiny_store: LocalModelStore,
                                                                tmp_path: Path) -> None:
    with _client(tiny_store, tmp_path) as client:
        for seed in (10**40, 2**32, -1):
            r = client.post("/v1/models/log-classifier/retrain", json={"seed": seed},
                            headers=bearer(ADMIN_TOKEN))
            assert r.status_code == 422, (seed, r.status_code, r.text)
            assert "seed" in r.text

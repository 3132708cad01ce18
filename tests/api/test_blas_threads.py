"""A server process runs numpy's and scipy's BLAS on BLAS_THREADS threads (default 1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info, threadpool_limits

from backend.api.main import create_app
from tests.utils.factories import make_settings


def blas_threads() -> dict[str, int]:
    """Thread count per loaded BLAS library (pm4py's cvxopt brings a one-thread OpenBLAS)."""
    return {str(lib["filepath"]): int(lib["num_threads"]) for lib in threadpool_info()
            if lib["user_api"] == "blas"}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS has one thread anyway")
@pytest.mark.parametrize(("setting", "expected"), [(1, {1}), (0, {2})])
def test_the_app_sets_blas_threads_when_it_starts(tmp_path: Path, setting: int,
                                                  expected: set[int]) -> None:
    with threadpool_limits(limits=2, user_api="blas"):  # the original comes back afterwards
        two = {path for path, n in blas_threads().items() if n == 2}
        assert any("numpy" in path for path in two)  # numpy's own OpenBLAS at least
        settings = make_settings(tmp_path / "models", RATE_LIMIT="off", BLAS_THREADS=setting,
                                 DATABASE_URL=f"sqlite:///{tmp_path / 'f.db'}")
        with TestClient(create_app(settings, load_in_background=True)) as client:
            assert client.get("/health").status_code == 200
            found = blas_threads()
            assert {found[path] for path in two} == expected

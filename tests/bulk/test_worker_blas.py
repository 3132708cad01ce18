"""A bulk worker process runs numpy's and scipy's BLAS on BLAS_THREADS threads (default 1):
the engine already runs one process per core."""

from __future__ import annotations

import multiprocessing as mp
import os
from pathlib import Path

import pytest

from backend.bulk.local import _init_worker
from backend.bulk.worker import ModelSpec
from tests.utils.factories import REPO_MODELS, make_settings


def blas_threads() -> set[int]:
    """Thread counts of numpy's and scipy's BLAS in this process (run in the worker; other
    BLAS copies, such as pm4py's one-thread cvxopt build, are not the setting's)."""
    from threadpoolctl import threadpool_info

    return {int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"
            and ("numpy" in str(lib["filepath"]) or "scipy" in str(lib["filepath"]))}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS has one thread anyway")
@pytest.mark.parametrize(("setting", "expected"), [(1, {1}), (0, {2})])
def test_a_worker_process_takes_blas_threads_from_the_job_settings(
        default_model_dir: Path, setting: int, expected: set[int]) -> None:
    spec = ModelSpec.from_registry(make_settings(REPO_MODELS, BLAS_THREADS=setting))
    ctx = mp.get_context("spawn")
    env = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "2"  # what the child starts with, whatever CI sets
    try:
        with ctx.Pool(1, initializer=_init_worker, initargs=(spec, None)) as pool:
            assert pool.apply(blas_threads) == expected
    finally:
        if env is None:
            os.environ.pop("OPENBLAS_NUM_THREADS")
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = env

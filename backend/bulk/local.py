"""The single-machine engine: this process, or N worker processes fed a bounded window.

With `workers > 1` the main process reads and writes while spawned workers
classify (each loads the model once and keeps its template-key and embedding
caches). At most `2 * workers` chunks are in flight, so memory stays bounded
however large the input is.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.managers import BaseManager
from multiprocessing.pool import AsyncResult

import pyarrow as pa

from backend.bulk.pipeline import Job, classify_chunk, iter_chunks
from backend.bulk.worker import Limiter, ModelSpec, TokenBucket
from backend.core.blas import limit_blas_threads
from backend.core.config import Settings
from backend.logs.classifier import LogClassifier
from backend.logs.memory import MemoryView

_classifier: LogClassifier | None = None
_memory: MemoryView | None = None


class _BucketManager(BaseManager):
    """Serves one TokenBucket to every worker process (the job-wide LLM rate limit)."""


_BucketManager.register("TokenBucket", TokenBucket)


def _init_worker(spec: ModelSpec, limiter: Limiter | None) -> None:
    global _classifier, _memory
    # one process per core already: BLAS threads would spin on the other workers' cores
    limit_blas_threads(int(spec.settings.get(
        "BLAS_THREADS", Settings.model_fields["BLAS_THREADS"].default)))
    _classifier = spec.build(limiter)
    _memory = spec.memory.view()


def _classify(chunk: pa.Table, job: Job) -> pa.Table:
    assert _classifier is not None, "worker not initialised"
    return classify_chunk(_classifier, chunk, job, _memory)


def run_local(job: Job, spec: ModelSpec, write: Callable[[pa.Table], int], skip_chunks: int,
              workers: int = 1, llm_rate: float = 0.0) -> None:
    """Classify every chunk after `skip_chunks` and pass the results to `write`, in order."""
    chunks = iter_chunks(job, skip_chunks)
    if workers <= 1:
        bucket = TokenBucket(llm_rate) if llm_rate > 0 else None
        classifier = spec.build(bucket)
        memory = spec.memory.view()
        for chunk in chunks:
            write(classify_chunk(classifier, chunk, job, memory))
        return
    ctx = mp.get_context("spawn")
    with _BucketManager(ctx=ctx) as manager:
        limiter = manager.TokenBucket(llm_rate) if llm_rate > 0 else None  # type: ignore[attr-defined]
        with ctx.Pool(workers, initializer=_init_worker, initargs=(spec, limiter)) as pool:
            for result in _bounded(pool, chunks, job, 2 * workers):
                write(result)
            pool.close()  # let workers exit cleanly rather than be terminated
            pool.join()


def _bounded(pool: mp.pool.Pool, chunks: Iterator[pa.Table], job: Job,
             window: int) -> Iterator[pa.Table]:
    """Results in submission order with at most `window` chunks in flight."""
    flight: deque[AsyncResult[pa.Table]] = deque()
    for chunk in chunks:
        flight.append(pool.apply_async(_classify, (chunk, job)))
        if len(flight) >= window:
            yield flight.popleft().get()
    while flight:
        yield flight.popleft().get()

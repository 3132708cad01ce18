"""The Ray engine: Ray Data reads, an actor pool classifies, the driver writes in row order.

- Reading: a Ray Data `Datasource` over the same chunk readers as the local
  engine (bad rows are reported identically). Its read task runs on the
  driver's node, so the input path only has to exist there.
- Classifying: `map_batches` with `ClassifyActor`; each actor loads the model
  once (shipped as verified bytes, no shared disk needed) and keeps its caches.
- LLM calls: one named `TokenBucket` actor limits the whole job.
- Writing: `preserve_order` plus the explicit `__row` index, checked by the
  `Sink`, make the output identical to the local engine's, row for row.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa

from backend.bulk.pipeline import Job, classify_chunk, iter_chunks
from backend.bulk.worker import ModelSpec, TokenBucket
from backend.core.config import PROJECT_ROOT

_RUNTIME_EXCLUDES = [".git", ".venv", "models", "data", "node_modules", "*.gz", "*.parquet",
                     "__pycache__"]


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:  # the optional extra is missing
        raise RuntimeError("--engine ray needs Ray: pip install 'sift[ray]'") from exc
    return ray


class RayBucket:
    """Client side of the named rate-limit actor; picklable, resolves the handle lazily."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._handle: Any = None

    def reserve(self, n: int = 1) -> float:
        ray = _ray()
        if self._handle is None:
            self._handle = ray.get_actor(self.name)
        return float(ray.get(self._handle.reserve.remote(n)))

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name, self._handle = state["name"], None


class ClassifyActor:
    """One per worker slot: the model is loaded once, then classifies chunk after chunk."""

    def __init__(self, spec: ModelSpec, job: Job, bucket: str | None) -> None:
        self.classifier = spec.build(RayBucket(bucket) if bucket else None)
        self.memory = spec.memory.view()  # the corrections, as on every other door
        self.job = job

    def __call__(self, batch: pa.Table) -> pa.Table:
        return classify_chunk(self.classifier, batch, self.job, self.memory)


def _datasource(job: Job, skip_chunks: int) -> Any:
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    class ChunkDatasource(Datasource):
        """The input file as a stream of chunk blocks, read on the driver's node."""

        def estimate_inmemory_data_size(self) -> int | None:
            return job.input.stat().st_size

        def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                           data_context: Any = None) -> list[ReadTask]:
            del parallelism, per_task_row_limit, data_context  # one stream: gzip can't split
            meta = BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None,
                                 input_files=(str(job.input),))

            def read() -> Iterable[pa.Table]:
                return iter_chunks(job, skip_chunks)

            return [ReadTask(read, meta)]

        @property
        def supports_distributed_reads(self) -> bool:
            return False

    return ChunkDatasource()


def _connect(address: str | None, num_cpus: int) -> None:
    ray = _ray()
    env = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    if address:  # a real cluster: ship the code, the nodes bring the dependencies
        ray.init(address=address, runtime_env={
            "working_dir": str(PROJECT_ROOT), "excludes": _RUNTIME_EXCLUDES, "env_vars": env})
    else:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                          os.environ.get("PYTHONPATH")]))
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                 object_store_memory=512 * 1024 * 1024, runtime_env={"env_vars": env})


def run_ray(job: Job, spec: ModelSpec, write: Callable[[pa.Table], int], skip_chunks: int,
            address: str | None = None, num_cpus: int = 2, workers: int | None = None,
            llm_rate: float = 0.0, progress: bool = True) -> None:
    """Run the job on Ray (a local cluster unless `address` names one) and stream results."""
    ray = _ray()
    from ray.data import ActorPoolStrategy, DataContext

    _connect(address, num_cpus)
    try:
        size = workers or max(1, int(ray.cluster_resources().get("CPU", num_cpus)))
        bucket = None
        if llm_rate > 0:
            bucket = f"sift-llm-bucket-{uuid.uuid4().hex[:8]}"
            ray.remote(num_cpus=0)(TokenBucket).options(name=bucket).remote(llm_rate)
        context = DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = progress
        logging.getLogger("ray.data").setLevel(logging.INFO if progress else logging.WARNING)
        ds = ray.data.read_datasource(_datasource(job, skip_chunks), num_cpus=0)
        ds = ds.map_batches(ClassifyActor, batch_size=None, batch_format="pyarrow",
                            fn_constructor_kwargs={"spec": spec, "job": job, "bucket": bucket},
                            compute=ActorPoolStrategy(size=size), num_cpus=1)
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            write(batch)
    finally:
        ray.shutdown()

"""`--resume` continues after the last chunk on disk and gives the same file as one run."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from backend.bulk.output import Sink
from backend.bulk.pipeline import Job, classify_chunk, iter_chunks
from backend.bulk.worker import ModelSpec
from backend.core.config import get_settings
from tests.bulk.conftest import RunCli
from tests.bulk.factory import numbered_logs, write_csv_gz


@pytest.mark.parametrize("output_name", ["out.csv.gz", "out.parquet"])
def test_resume_after_crash_matches_one_run(run_cli: RunCli, tmp_path: Path,
                                            output_name: str) -> None:
    source = write_csv_gz(numbered_logs(1_200, seed=9), tmp_path / "in.csv.gz")
    whole = tmp_path / f"whole-{output_name}"
    assert run_cli(source, whole, "--chunk-size", "400").exit_code == 0

    # a first run dies after two chunks, leaving half a chunk of garbage behind
    output = tmp_path / output_name
    job = Job.for_file(source, chunk_size=400)
    spec = ModelSpec.from_registry(get_settings())
    sink = Sink(output, job, job.columns(), f"{spec.name}:{spec.version}")
    classifier = spec.build()
    for chunk in list(iter_chunks(job))[:2]:
        sink.write(classify_chunk(classifier, chunk, job))
    if output.suffix == ".gz":
        with open(output, "ab") as handle:
            handle.write(gzip.compress(b"half,a,chunk\n")[:9])

    result = run_cli(source, output, "--chunk-size", "400", "--resume")

    assert result.exit_code == 0, result.stdout
    assert "resuming after 800 rows (2 chunks already written)" in result.stdout + \
        result.stderr
    assert "\"written\": 1200" in result.stdout
    if output.suffix == ".gz":
        assert gzip.decompress(output.read_bytes()) == gzip.decompress(whole.read_bytes())
    else:
        import pandas as pd

        pd.testing.assert_frame_equal(pd.read_parquet(output), pd.read_parquet(whole))


def test_resume_with_other_options_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    source = write_csv_gz(numbered_logs(300, seed=2), tmp_path / "in.csv.gz")
    assert run_cli(source, tmp_path / "out.csv", "--chunk-size", "100").exit_code == 0

    result = run_cli(source, tmp_path / "out.csv", "--chunk-size", "200", "--resume")

    assert result.exit_code == 1
    assert "chunk_size changed" in result.stderr


def test_resume_of_a_finished_job_changes_nothing(run_cli: RunCli, tmp_path: Path) -> None:
    source = write_csv_gz(numbered_logs(300, seed=4), tmp_path / "in.csv.gz")
    output = tmp_path / "out.parquet"
    assert run_cli(source, output, "--chunk-size", "100").exit_code == 0
    before = output.read_bytes()

    result = run_cli(source, output, "--chunk-size", "100", "--resume")

    assert result.exit_code == 0
    assert "already complete" in result.stderr
    assert output.read_bytes() == before
    assert '"written": 300' in result.stdout

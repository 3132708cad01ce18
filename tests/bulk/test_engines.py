"""Done when: a 200,000-line gzip CSV gives identical, complete output on both engines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.bulk.conftest import RunCli
from tests.bulk.factory import numbered_logs, write_csv_gz

ROWS = 200_000


@pytest.mark.slow
def test_local_and_ray_engines_give_identical_complete_output(run_cli: RunCli,
                                                              tmp_path: Path) -> None:
    frame = numbered_logs(ROWS, seed=11)
    source = write_csv_gz(frame, tmp_path / "logs.csv.gz")

    local = run_cli(source, tmp_path / "local.csv.gz", "--chunk-size", "20000")
    ray = run_cli(source, tmp_path / "ray.csv.gz", "--engine", "ray", "--ray-cpus", "2",
                  "--chunk-size", "20000")

    assert local.exit_code == 0, local.stdout
    assert ray.exit_code == 0, ray.stdout
    local_text = gzip.decompress((tmp_path / "local.csv.gz").read_bytes())
    ray_text = gzip.decompress((tmp_path / "ray.csv.gz").read_bytes())
    assert local_text == ray_text  # identical, row for row and byte for byte
    out = pd.read_csv(tmp_path / "ray.csv.gz", dtype=str, keep_default_na=False)
    assert len(out) == ROWS
    assert out["log_message"].tolist() == frame["log_message"].tolist()
    assert out["host"].tolist() == frame["host"].tolist()
    assert (out["target_label"] != "").all() and (out["tier"] != "").all()
    for result in (local, ray):
        summary = json.loads(result.stdout.split("summary: ", 1)[1])
        assert summary["written"] == ROWS and summary["skipped"] == 0
        assert sum(summary["by_label"].values()) == ROWS


@pytest.mark.slow
def test_local_worker_processes_match_in_process(run_cli: RunCli, tmp_path: Path) -> None:
    source = write_csv_gz(numbered_logs(5_000, seed=12), tmp_path / "logs.csv.gz")

    single = run_cli(source, tmp_path / "one.csv", "--chunk-size", "500")
    pooled = run_cli(source, tmp_path / "two.csv", "--chunk-size", "500", "--workers", "2")

    assert single.exit_code == 0, single.stdout
    assert pooled.exit_code == 0, pooled.stdout
    one = (tmp_path / "one.csv").read_text().splitlines()
    two = (tmp_path / "two.csv").read_text().splitlines()
    assert len(one) == len(two) == 5_001
    assert [(i, a, b) for i, (a, b) in enumerate(zip(one, two, strict=True)) if a != b] == []

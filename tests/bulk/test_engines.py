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

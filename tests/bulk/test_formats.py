"""Every supported input and output format gives the same rows, labels and columns."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.bulk.conftest import RunCli
from tests.bulk.factory import numbered_logs


def read_output(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if ".jsonl" in path.suffixes:
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write_input(frame: pd.DataFrame, path: Path) -> Path:
    name = path.name
    if name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    elif ".jsonl" in name:
        text = "".join(json.dumps(r) + "\n" for r in frame.to_dict(orient="records"))
        path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    else:
        frame.to_csv(path, index=False, compression="gzip" if name.endswith(".gz") else None)
    return path


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return numbered_logs(300, seed=3)


@pytest.mark.parametrize(("source_name", "output_name"), [
    ("in.csv", "out.csv"), ("in.csv.gz", "out.jsonl.gz"), ("in.jsonl", "out.parquet"),
    ("in.jsonl.gz", "out.csv.gz"), ("in.parquet", "out.jsonl"),
])
def test_classify_file_every_format_gives_same_rows(
        run_cli: RunCli, tmp_path: Path, frame: pd.DataFrame, source_name: str,
        output_name: str) -> None:
    reference = tmp_path / "reference.csv"
    assert run_cli(write_input(frame, tmp_path / "ref-in.csv"), reference).exit_code == 0
    source = write_input(frame, tmp_path / source_name)

    result = run_cli(source, tmp_path / output_name, "--chunk-size", "128")

    assert result.exit_code == 0, result.stdout
    out, ref = read_output(tmp_path / output_name), read_output(reference)
    assert list(out.columns) == ["source", "log_message", "host", "target_label", "confidence",
                                 "tier", "model_version", "reason", "stage",
                                 "template"]
    assert out["log_message"].tolist() == frame["log_message"].tolist()
    assert out["target_label"].tolist() == ref["target_label"].tolist()
    assert out["tier"].tolist() == ref["tier"].tolist()
    assert not (tmp_path / f"{output_name}.errors.csv").exists()


def test_classify_file_custom_columns_and_summary(run_cli: RunCli, tmp_path: Path,
                                                  frame: pd.DataFrame) -> None:
    renamed = frame.rename(columns={"source": "system", "log_message": "msg"})
    source = tmp_path / "in.tsv"
    renamed.to_csv(source, index=False, sep="\t")

    result = run_cli(source, tmp_path / "out.csv", "--source-column", "system",
                     "--message-column", "msg")

    assert result.exit_code == 0, result.stdout
    summary = json.loads(result.stdout.split("summary: ", 1)[1])
    assert summary["written"] == 300 and summary["skipped"] == 0
    assert sum(summary["by_label"].values()) == 300
    assert sum(summary["by_tier"].values()) == 300
    assert summary["by_tier"].get("llm", 0) > 0  # LegacyCRM rows go to the LLM tier
    out = read_output(tmp_path / "out.csv")
    assert out["msg"].tolist() == frame["log_message"].tolist()


def test_classify_file_missing_header_column_exits_1(run_cli: RunCli, tmp_path: Path,
                                                     frame: pd.DataFrame) -> None:
    source = tmp_path / "in.csv"
    frame.drop(columns=["source"]).to_csv(source, index=False)

    result = run_cli(source, tmp_path / "out.csv")

    assert result.exit_code == 1
    assert "missing required column(s) 'source'" in result.stderr
    assert not (tmp_path / "out.csv").exists()

"""Raw `.log` files through `classify-file`: Loghub presets, `auto`, multi-line records, resume.

The Loghub samples (../shared/data/loghub) are real logs the project did not make;
their `*_structured.csv` holds Loghub's own parse, the reference for `Content`.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from backend.bulk.pipeline import Job
from backend.core.config import PROJECT_ROOT
from tests.bulk.conftest import RunCli

LOGHUB = PROJECT_ROOT.parent / "shared" / "data" / "loghub"
SYSTEMS = {"HDFS": "hdfs", "Apache": "apache", "Linux": "linux", "OpenSSH": "openssh",
           "Thunderbird": "thunderbird"}
JAVA_LOG = PROJECT_ROOT / "tests" / "data" / "rawlogs" / "java_stacktrace.log"

needs_loghub = pytest.mark.skipif(not LOGHUB.is_dir(), reason="Loghub samples not present")


def _summary(stdout: str) -> dict[str, object]:
    return json.loads(stdout.split("summary: ", 1)[1].splitlines()[0])


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@needs_loghub
@pytest.mark.parametrize("system", list(SYSTEMS))
def test_loghub_preset_content_matches_structured_csv(run_cli: RunCli, tmp_path: Path,
                                                      system: str) -> None:
    out = tmp_path / f"{system}.csv"
    result = run_cli(LOGHUB / f"{system}_2k.log", out, "--log-format", SYSTEMS[system])

    assert result.exit_code == 0, result.stdout
    got = _read(out)
    want = _read(LOGHUB / f"{system}_2k.log_structured.csv")
    assert len(got) == 2_000
    same = (got["Content"].to_numpy() == want["Content"].to_numpy()).mean()
    assert same >= 0.99, f"{system}: {same:.2%} of Content equal to Loghub's"
    assert (got["target_label"] != "").all()
    assert (got["parsed"] == "True").mean() >= 0.99  # CSV booleans as the API writes them
    assert got["line"].tolist()[:3] == ["1", "2", "3"]
    assert set(got["source"]) == {f"{system}_2k"}  # the file name by default


@needs_loghub
@pytest.mark.parametrize("system", list(SYSTEMS))
def test_auto_picks_the_matching_preset(tmp_path: Path, system: str) -> None:
    from backend.bulk.logtext import LogOptions

    job = Job.for_file(LOGHUB / f"{system}_2k.log", log=LogOptions(log_format="auto"))

    assert job.log is not None and job.log.log_format == SYSTEMS[system]
    assert job.note is not None and f"chose {SYSTEMS[system]} " in job.note


def test_java_stack_traces_give_one_row_per_record(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "java.jsonl"
    result = run_cli(JAVA_LOG, out, "--log-format", "auto", "--source-field", "Logger")

    assert result.exit_code == 0, result.stdout
    assert "auto: chose log4j" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    headers = [i + 1 for i, line in enumerate(JAVA_LOG.read_text().splitlines())
               if line[:4].isdigit()]
    assert [int(r["line"]) for r in rows] == headers  # one row per record, first line kept
    assert [int(r["line_count"]) for r in rows] == [1, 1, 10, 1, 1, 6, 1, 4, 1]
    trace = rows[2]
    assert trace["Level"] == "ERROR" and trace["Thread"] == "http-nio-8080-exec-3"
    assert trace["Content"].startswith("Request failed for order 1843\njava.lang.")
    assert trace["Content"].endswith("\t... 12 more")
    assert trace["source"] == "com.example.shop.web.OrderController"
    summary = _summary(result.stdout)
    assert summary["written"] == 9 and summary["lines_joined"] == 17
    assert summary["unparsed"] == 0


def test_unmatched_lines_are_classified_whole_and_counted(run_cli: RunCli,
                                                          tmp_path: Path) -> None:
    text = JAVA_LOG.read_text()
    source = tmp_path / "app.log.gz"
    source.write_bytes(gzip.compress(("garbage before the first header\n" + text).encode()))
    out = tmp_path / "out.csv"

    result = run_cli(source, out, "--log-format", "log4j", "--no-multiline", "--source", "shop")

    assert result.exit_code == 0, result.stdout
    got = _read(out)
    assert len(got) == len(text.splitlines()) + 1  # every line is a row, nothing dropped
    assert _summary(result.stdout)["unparsed"] == len(text.splitlines()) + 1 - 9
    assert got["Content"][0] == "garbage before the first header"
    assert set(got["source"]) == {"shop"}


def test_plain_text_without_format_is_one_row_per_line(run_cli: RunCli, tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("disk full on /dev/sda1\n\nuser alice logged in\n")
    out = tmp_path / "out.csv"

    result = run_cli(source, out)

    assert result.exit_code == 0, result.stdout
    got = _read(out)
    assert got["Content"].tolist() == ["disk full on /dev/sda1", "user alice logged in"]
    assert got["line"].tolist() == ["1", "3"]


def test_bad_format_string_is_refused_with_a_hint(run_cli: RunCli, tmp_path: Path) -> None:
    source = tmp_path / "a.log"
    source.write_text("x\n")

    result = run_cli(source, tmp_path / "o.csv", "--log-format", "[<Time>] <Content>")

    assert result.exit_code == 1
    assert "unescaped" in result.output


@needs_loghub
def test_resume_of_a_raw_log_matches_one_run(run_cli: RunCli, tmp_path: Path) -> None:
    source = tmp_path / "hdfs.log"
    shutil.copy(LOGHUB / "HDFS_2k.log", source)
    whole, part = tmp_path / "whole.csv", tmp_path / "part.csv"
    assert run_cli(source, whole, "--log-format", "hdfs", "--chunk-size", "500").exit_code == 0
    assert run_cli(source, part, "--log-format", "hdfs", "--chunk-size", "500").exit_code == 0
    progress = json.loads((tmp_path / "part.csv.progress.json").read_text())
    # pretend the run stopped after two chunks
    keep = 1 + 1_000
    lines = part.read_text().splitlines(keepends=True)
    part.write_text("".join(lines[:keep]))
    progress["state"].update(chunks_done=2, rows_done=1_000, written=1_000, complete=False,
                             output_bytes=len("".join(lines[:keep]).encode()))
    (tmp_path / "part.csv.progress.json").write_text(json.dumps(progress))

    result = run_cli(source, part, "--log-format", "hdfs", "--chunk-size", "500", "--resume")

    assert result.exit_code == 0, result.stdout
    assert "resuming after 1,000 rows" in result.output
    assert part.read_text() == whole.read_text()
    other = run_cli(source, part, "--log-format", "auto", "--chunk-size", "500", "--resume")
    assert other.exit_code == 0  # complete already; auto resolves to the same preset


@needs_loghub
@pytest.mark.slow
def test_ray_engine_reads_raw_logs_like_the_local_engine(run_cli: RunCli,
                                                         tmp_path: Path) -> None:
    pytest.importorskip("ray")
    source = tmp_path / "hdfs.log.gz"
    source.write_bytes(gzip.compress((LOGHUB / "HDFS_2k.log").read_bytes()))
    local, ray = tmp_path / "local.csv", tmp_path / "ray.csv"

    first = run_cli(source, local, "--log-format", "hdfs", "--chunk-size", "500")
    second = run_cli(source, ray, "--log-format", "hdfs", "--chunk-size", "500", "--engine",
                     "ray", "--ray-cpus", "1")

    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert local.read_text() == ray.read_text()  # row for row, byte for byte
    assert len(_read(ray)) == 2_000

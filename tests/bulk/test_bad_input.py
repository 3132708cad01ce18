"""Bad rows are skipped and reported with their line numbers; every other row is classified."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from tests.bulk.conftest import RunCli
from tests.bulk.factory import numbered_logs


def errors_of(output: Path) -> pd.DataFrame:
    return pd.read_csv(output.with_name(output.name + ".errors.csv"), dtype=str,
                       keep_default_na=False)


def good_lines(n: int) -> list[str]:
    frame = numbered_logs(n, seed=5)
    return frame.to_csv(index=False).splitlines()


def test_missing_columns_and_truncated_last_line_are_reported(run_cli: RunCli,
                                                              tmp_path: Path) -> None:
    lines = good_lines(40)
    lines[10] = "ModernCRM"  # line 11: one field of three
    lines.append('ModernCRM,"Payment service crashed with exit co')  # cut mid-quote, no newline
    source = tmp_path / "in.csv.gz"
    source.write_bytes(gzip.compress(("\n".join(lines)).encode()))
    output = tmp_path / "out.csv"

    result = run_cli(source, output)

    assert result.exit_code == 2, result.stdout
    errors = errors_of(output)
    assert errors["line"].tolist() == ["11", "42"]
    assert "missing column(s)" in errors["error"][0]
    assert errors["error"][1] == "truncated last line"
    out = pd.read_csv(output, dtype=str, keep_default_na=False)
    assert len(out) == 39  # 41 data lines, 2 skipped
    assert "2 rows skipped" in result.stdout


def test_corrupt_gzip_keeps_rows_before_the_damage(run_cli: RunCli, tmp_path: Path) -> None:
    data = gzip.compress(("\n".join(good_lines(3000)) + "\n").encode())
    source = tmp_path / "in.csv.gz"
    source.write_bytes(data[: len(data) * 2 // 3])  # the tail of the stream is gone
    output = tmp_path / "out.jsonl"

    result = run_cli(source, output)

    assert result.exit_code == 2
    errors = errors_of(output)
    assert "gzip stream ends early" in errors["error"].iloc[-1]
    written = len(output.read_text().splitlines())
    assert 1000 < written < 3000
    last_line = int(errors["line"].iloc[-1])
    assert last_line >= written + 1  # the error names where reading stopped


def test_bad_jsonl_lines_are_reported(run_cli: RunCli, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"source": "ModernCRM", "log_message": "User 12 logged in."}\n'
        '{"source": "ModernCRM"}\n'
        "not json\n"
        '{"source": "BillingSystem", "log_message": "Payment service crashed with exit code 1"}\n'
        '{"source": "ModernCRM", "log_mess')

    result = run_cli(source, tmp_path / "out.csv")

    assert result.exit_code == 2
    errors = errors_of(tmp_path / "out.csv")
    assert errors["line"].tolist() == ["2", "3", "5"]
    assert errors["error"].tolist()[0] == "missing column(s): log_message"
    assert errors["error"].tolist()[2] == "truncated last line"
    assert len(pd.read_csv(tmp_path / "out.csv")) == 2


def test_clean_file_without_trailing_newline_exits_0(run_cli: RunCli, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("\n".join(good_lines(20)))  # no final newline, last row complete

    result = run_cli(source, tmp_path / "out.csv")

    assert result.exit_code == 0
    assert len(pd.read_csv(tmp_path / "out.csv")) == 20

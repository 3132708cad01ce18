"""The stated level, found and read once (issue 23): `auto` picks a preset with a Level
field for every Loghub sample that states one, the Linux preset's host field is not a
level, and one mapping turns the many spellings into five classes."""

from __future__ import annotations

import pandas as pd
import pytest

from backend.logs.levels import LEVELS, normalize_level
from backend.logs.logformat import PRESETS, detect
from backend.logs.rawlog import LogReading
from tests.utils.data import shared_file

# system -> (preset auto must choose, the sample's own levels as Loghub parsed them)
STATED = {"Android": "android", "Hadoop": "hadoop", "OpenStack": "openstack",
          "Spark": "spark", "Windows": "windows", "Zookeeper": "zookeeper",
          "Apache": "apache", "HDFS": "hdfs"}


@pytest.mark.parametrize("system", list(STATED))
def test_auto_finds_the_level_of_every_sample_that_states_one(system: str) -> None:
    lines = shared_file(f"loghub/{system}_2k.log").read_text(
        encoding="utf-8", errors="replace").splitlines()
    found = detect(lines)
    assert found.format is not None and found.format.name == STATED[system]
    assert found.format.level_field == "Level"
    records = list(LogReading(found.format).records(lines))
    truth = pd.read_csv(shared_file(f"loghub/{system}_2k.log_structured.csv"), dtype=str,
                        keep_default_na=False)
    assert len(records) == len(truth) == 2000
    stated = [r.fields["Level"] for r in records if r.fields is not None]
    assert stated == [v.strip() for v in truth["Level"]]  # Loghub's own parse, line by line
    assert [r.message().strip() for r in records] == [c.strip() for c in truth["Content"]]
    assert all(normalize_level(v) in LEVELS for v in stated)


@pytest.mark.parametrize("system", ["HealthApp", "Proxifier"])
def test_samples_without_a_level_are_parsed_to_their_content(system: str) -> None:
    lines = shared_file(f"loghub/{system}_2k.log").read_text(encoding="utf-8").splitlines()
    found = detect(lines)
    assert found.format is not None and found.format.level_field is None
    truth = pd.read_csv(shared_file(f"loghub/{system}_2k.log_structured.csv"), dtype=str,
                        keep_default_na=False)
    records = list(LogReading(found.format).records(lines))
    assert [r.message().strip() for r in records] == [c.strip() for c in truth["Content"]]


def test_the_linux_host_is_not_read_as_a_level() -> None:
    line = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"
    fields = PRESETS["linux"].parse(line)
    assert fields is not None and fields["Host"] == "combo"
    assert PRESETS["linux"].level_field is None


@pytest.mark.parametrize(("value", "level"), [
    ("notice", "INFO"), ("warn", "WARN"), ("WARNING", "WARN"), ("E", "ERROR"),
    ("crit", "FATAL"), ("17", "ERROR"), (17, "ERROR"), (9, "INFO"), ("21", "FATAL"),
    ("SEVERITY_NUMBER_WARN", "WARN"), ("core:error", "ERROR"), (" Info ", "INFO"),
    ("V", "DEBUG"), ("emerg", "FATAL"), ("err", "ERROR"), ("information", "INFO"),
    ("combo", None), ("", None), (None, None), (0, None), (25, None), ("17.5", None),
    (True, None), (float("nan"), None)])
def test_one_mapping_for_the_many_spellings_of_a_level(value: object, level: str | None
                                                       ) -> None:
    assert normalize_level(value) == level

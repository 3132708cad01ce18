"""The labelled real-log corpus as training rows and as test lines.

The corpus (`training/logs/data/loghub_corpus.csv`) labels Loghub *templates*:
`system, event_id, label, problem, reason, duplicate_of` (and the template
text). The lines themselves stay in `../shared/data/loghub`: each system's raw
`.log` is read through the raw-log door exactly as a user's upload would be
(`auto` picks the format, so the level is found where a preset states it), and
its `_structured.csv` gives each line's EventId. The same reader feeds the
training rows of v5 and the test lines of `bench/real_logs.py`, so both see the
level a user's upload would carry. A team adds its own systems the same way: a
CSV of its templates' labels and its logs (see docs/real-logs.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from backend.core.config import PROJECT_ROOT
from backend.core.labels import PROBLEM_LABELS
from backend.core.normalize import template_key
from backend.logs.levels import normalize_level
from backend.logs.logformat import detect
from backend.logs.rawlog import LogReading

logger = logging.getLogger(__name__)

CORPUS = PROJECT_ROOT / "training" / "logs" / "data" / "loghub_corpus.csv"
PARTIAL_CORPUS = PROJECT_ROOT / "bench" / "data" / "loghub_ops_convention.csv"
LOGHUB = PROJECT_ROOT.parent / "shared" / "data" / "loghub"
SYSTEMS = ("Android", "Apache", "HDFS", "Hadoop", "HealthApp", "Linux", "Mac", "OpenSSH",
           "OpenStack", "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper")
# the labels an operator is alerted by (issue 23): scored against the corpus' problem flag


def default_corpus() -> Path:
    """The full corpus when it is there, else the 165-template partial one (4 systems)."""
    return CORPUS if CORPUS.is_file() else PARTIAL_CORPUS


def load_corpus(path: Path) -> pd.DataFrame:
    """One row per (system, event_id): label, problem (0/1), duplicate_of ("" if none).
    A corpus without a problem column (the partial one) takes it from the label."""
    corpus = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"system", "event_id", "label"} - set(corpus.columns)
    if missing:
        raise ValueError(f"{path} lacks the column(s) {', '.join(sorted(missing))}")
    corpus["label"] = corpus["label"].str.strip()
    if "problem" in corpus and (corpus["problem"].str.strip() != "").all():
        corpus["problem"] = corpus["problem"].astype(int)
    else:
        corpus["problem"] = corpus["label"].isin(PROBLEM_LABELS).astype(int)
    if "duplicate_of" not in corpus:
        corpus["duplicate_of"] = ""
    if corpus.duplicated(["system", "event_id"]).any():
        raise ValueError(f"{path} labels some (system, event_id) twice")
    return corpus


def read_system(system: str, loghub: Path = LOGHUB) -> pd.DataFrame:
    """The sample's records as the raw-log door reads them (format by `auto`, multi-line
    records joined): line, line_count, log_message, level (the preset's Level field, raw),
    event_id (of the record's first line), format."""
    raw = (loghub / f"{system}_2k.log").read_text(encoding="utf-8", errors="replace")
    lines = raw.splitlines()
    found = detect(lines)
    reading = LogReading(found.format, source_value=system)
    level_field = found.format.level_field if found.format is not None else None
    events = pd.read_csv(loghub / f"{system}_2k.log_structured.csv", dtype=str,
                         keep_default_na=False, usecols=["LineId", "EventId"])
    by_line = dict(zip(events["LineId"].astype(int), events["EventId"], strict=True))
    rows = []
    for record in reading.records(lines):
        level = (record.fields or {}).get(level_field, "") if level_field else ""
        rows.append((record.line, record.line_count, record.message(), level,
                     by_line.get(record.line, "")))
    frame = pd.DataFrame(rows, columns=["line", "line_count", "log_message", "level",
                                        "event_id"])
    frame.insert(0, "source", system)
    frame["format"] = found.format.name if found.format is not None else "none"
    return frame


def corpus_lines(corpus: pd.DataFrame, systems: Iterable[str] | None = None,
                 loghub: Path = LOGHUB) -> pd.DataFrame:
    """Every record of the labelled systems with its label and problem flag (records whose
    first line's event the corpus does not label are dropped, and counted in the log)."""
    wanted = list(systems) if systems is not None else sorted(set(corpus["system"]))
    parts = []
    for system in wanted:
        frame = read_system(system, loghub)
        labels = corpus[corpus["system"] == system][["event_id", "label", "problem",
                                                     "duplicate_of"]]
        merged = frame.merge(labels, on="event_id", how="inner")
        if len(merged) < len(frame):
            logger.info("%s: %d of %d records have no corpus label", system,
                        len(frame) - len(merged), len(frame))
        parts.append(merged.sort_values("line", kind="stable"))
    lines = pd.concat(parts, ignore_index=True)
    lines["key"] = [template_key(m) for m in lines["log_message"]]
    lines["norm_level"] = [normalize_level(v) for v in lines["level"]]
    lines["template_id"] = lines["source"] + ":" + lines["event_id"]
    return lines.rename(columns={"label": "target_label"})


def training_rows(lines: pd.DataFrame) -> pd.DataFrame:
    """One training row per distinct (template, key, stated level): the corpus labels
    templates, so a template is as heavy as its distinct variants, not as its line count
    (836 `jk2_init` lines would drown the rest)."""
    rows = lines.drop_duplicates(["template_id", "key", "norm_level"])
    return rows[["source", "log_message", "target_label", "level", "template_id", "problem",
                 "event_id"]].reset_index(drop=True)


def duplicates_of(corpus: pd.DataFrame, system: str) -> set[str]:
    """template_ids elsewhere that the corpus marks as the same string as one of `system`'s
    templates (either direction): left out of training when `system` is the test system."""
    ids = corpus["system"] + ":" + corpus["event_id"]
    dup = corpus["duplicate_of"].fillna("").str.strip()
    own = set(ids[corpus["system"] == system])
    out = {i for i, d in zip(ids, dup, strict=True) if d and (d in own) and i not in own}
    out |= {d for i, d in zip(ids, dup, strict=True) if d and i in own and d not in own}
    return out

"""Large test inputs that stay cheap: few templates, numbers varying on every line.

Each line comes from one of a handful of generated messages with its digits
re-drawn, so the file is big but the embedder sees only a few template keys.
"""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

import pandas as pd

from training.logs.generator import generate_logs

_DIGITS = re.compile(r"\d+")


def base_messages(templates: int = 12, seed: int = 0) -> list[tuple[str, str]]:
    """One (source, message) per distinct generated template, LegacyCRM included."""
    frame = generate_logs(n=600, seed=seed).drop_duplicates("template_id")
    legacy = frame[frame["source"] == "LegacyCRM"].head(2)
    rest = frame[frame["source"] != "LegacyCRM"].head(templates - len(legacy))
    picked = pd.concat([rest, legacy])
    return list(zip(picked["source"], picked["log_message"], strict=True))


def numbered_logs(n: int, seed: int = 0, templates: int = 12) -> pd.DataFrame:
    """`n` rows of `source, log_message, host`; numbers vary, template keys repeat."""
    rng = random.Random(seed)
    bases = base_messages(templates)
    rows = []
    for i in range(n):
        source, message = bases[rng.randrange(len(bases))]
        message = _DIGITS.sub(lambda m: str(rng.randint(0, 10 ** len(m.group()) - 1)), message)
        rows.append((source, message, f"node-{i % 7}"))
    return pd.DataFrame(rows, columns=["source", "log_message", "host"])


def write_csv_gz(frame: pd.DataFrame, path: Path) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, index=False)
    return path

"""The real data in ../shared/data (Loghub samples, event logs). A test that needs it fails
loudly when it is missing: a skipped check would pass with nothing checked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backend.core.config import PROJECT_ROOT

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
LOGHUB = SHARED_DATA / "loghub"


def shared_file(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the tests need ../shared/data beside the "
                                "project (see its README)")
    return path


def loghub_structured(system: str) -> pd.DataFrame:
    """`<system>_2k.log_structured.csv`: LineId, Content, EventId, EventTemplate, ..."""
    return pd.read_csv(shared_file(f"loghub/{system}_2k.log_structured.csv"))

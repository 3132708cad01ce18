"""A request's columns matched to a step model's, as users name them.

Header names are compared through the one shared normaliser (`sift_tables`),
so `Case ID`, `case id` and `case_id` are the same column on both sides.
Only session, timestamp and event are required: a missing feature column is
treated as all-missing (the model was trained with missing indicators) and
named in a warning instead of refusing the request.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from backend.core.errors import BadInputError
from sift_tables import TableError, match_columns


def align_columns(frame: pd.DataFrame, required: Sequence[str], optional: Sequence[str]
                  ) -> tuple[pd.DataFrame, list[str]]:
    """The frame with the model's column names, plus a warning per absent feature column."""
    try:
        mapping = match_columns([str(c) for c in frame.columns], required, optional)
    except TableError as exc:
        raise BadInputError(exc.message, status=exc.status, **exc.extra) from None
    renamed = {actual: canon for actual, canon in mapping.items() if actual != canon}
    if renamed:
        frame = frame.rename(columns=renamed)
    absent = [c for c in optional if c not in frame.columns]
    if not absent:
        return frame, []
    frame = frame.assign(**dict.fromkeys(absent, np.nan))
    return frame, [f"column(s) {', '.join(repr(c) for c in absent)} not sent: treated as "
                   "missing for every event (predictions may be less accurate)"]

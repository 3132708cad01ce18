"""A request's columns matched to a step model's, as users name them: once, at the edge.

Header names are compared through the one shared normaliser (`sift_tables`),
so `Case ID`, `case id` and `case_id` are the same column on both sides. The
door that receives the events (JSON body, CSV or XES reader, CLI) matches them
once and hands an `AlignedEvents` on; nothing after it renames again.
Only session, timestamp and event are required: a missing feature column is
treated as all-missing (the model was trained with missing indicators) and
named in a warning instead of refusing the request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backend.core.errors import BadInputError
from sift_tables import TableError, match_columns


@dataclass(frozen=True)
class AlignedEvents:
    """Events under the model's column names, with every feature column present."""

    frame: pd.DataFrame  # the model's names; absent feature columns all-missing
    added: tuple[str, ...] = ()  # feature columns the sender did not have (filled here)
    warnings: tuple[str, ...] = ()

    @property
    def table(self) -> pd.DataFrame:
        """The events as sent (headers under the model's names), without the filled-in
        columns: what a tagged answer appends its step columns to."""
        return self.frame.drop(columns=list(self.added)) if self.added else self.frame

    def __len__(self) -> int:
        return len(self.frame)


def align_columns(frame: pd.DataFrame, required: Sequence[str], optional: Sequence[str]
                  ) -> AlignedEvents:
    """Match the frame's headers to the model's (one pass), then fill absent features."""
    try:
        mapping = match_columns([str(c) for c in frame.columns], required, optional)
    except TableError as exc:
        raise BadInputError(exc.message, status=exc.status, **exc.extra) from None
    return complete_columns(_renamed(frame, mapping), optional)


def complete_columns(frame: pd.DataFrame, optional: Sequence[str]) -> AlignedEvents:
    """A frame whose headers a reader already matched (`read_table(..., optional=...)`):
    only the absent feature columns are added, each named in a warning."""
    absent = tuple(c for c in optional if c not in frame.columns)
    if not absent:
        return AlignedEvents(frame)
    frame = frame.assign(**dict.fromkeys(absent, np.nan))
    return AlignedEvents(frame, absent, (
        f"column(s) {', '.join(repr(c) for c in absent)} not sent: treated as missing for "
        "every event (predictions may be less accurate)",))


def _renamed(frame: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    renamed = {actual: canon for actual, canon in mapping.items() if actual != canon}
    return frame.rename(columns=renamed) if renamed else frame

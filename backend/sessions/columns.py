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
    sent_names: tuple[tuple[str, str], ...] = ()  # (model's name, sender's) of features

    @property
    def table(self) -> pd.DataFrame:
        """The events as sent, without the filled-in columns: what a tagged answer appends
        its step columns to. Session, timestamp and event are under the model's names;
        feature columns keep the sender's (`Org Group` stays `Org Group`)."""
        table = self.frame.drop(columns=list(self.added)) if self.added else self.frame
        return table.rename(columns=dict(self.sent_names)) if self.sent_names else table

    def __len__(self) -> int:
        return len(self.frame)


def align_columns(frame: pd.DataFrame, required: Sequence[str], optional: Sequence[str]
                  ) -> AlignedEvents:
    """Match the frame's headers to the model's (one pass), then fill absent features."""
    try:
        mapping = match_columns([str(c) for c in frame.columns], required, optional)
    except TableError as exc:
        raise BadInputError(exc.message, status=exc.status, **exc.extra) from None
    return complete_columns(_renamed(frame, mapping), optional, mapping)


def complete_columns(frame: pd.DataFrame, optional: Sequence[str],
                     renamed: Mapping[str, str] | None = None) -> AlignedEvents:
    """A frame whose headers are matched already (by `align_columns`, or by the CSV reader:
    `read_table(..., optional=...)`, whose `renamed` maps the headers as sent): only the
    absent feature columns are added, each named in a warning."""
    features = set(optional)
    sent = tuple((canon, actual) for actual, canon in (renamed or {}).items()
                 if canon in features and actual != canon)
    absent = tuple(c for c in optional if c not in frame.columns)
    if not absent:
        return AlignedEvents(frame, sent_names=sent)
    frame = frame.assign(**dict.fromkeys(absent, np.nan))
    return AlignedEvents(frame, absent, (
        f"column(s) {', '.join(repr(c) for c in absent)} not sent: treated as missing for "
        "every event (predictions may be less accurate)",), sent)


def _renamed(frame: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    renamed = {actual: canon for actual, canon in mapping.items() if actual != canon}
    return frame.rename(columns=renamed) if renamed else frame

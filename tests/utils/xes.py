"""Write a flat event table as XES (IEEE 1849) for tests: the inverse of backend.sessions.xes."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import pandas as pd

CASE = "case:concept:name"


def _attribute(key: str, value: object) -> str:
    tag = "date" if key.endswith("timestamp") or key.startswith("time:") else "string"
    return f"<{tag} key={quoteattr(key)} value={quoteattr(str(value))}/>"


def frame_to_xes(frame: pd.DataFrame, case: str = CASE) -> str:
    """Columns named `case:...` become trace attributes; blanks are left out, as in XES."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<log xes.version="1.0" xmlns="http://www.xes-standard.org/">']
    case_columns = [c for c in frame.columns if str(c).startswith("case:")]
    event_columns = [c for c in frame.columns if c not in case_columns]
    for _, trace in frame.groupby(case, sort=False):
        parts.append("<trace>")
        first = trace.iloc[0]
        parts += [_attribute(c[len("case:"):], first[c]) for c in case_columns
                  if pd.notna(first[c]) and str(first[c]) != ""]
        for _, row in trace.iterrows():
            attrs = "".join(_attribute(c, row[c]) for c in event_columns
                            if pd.notna(row[c]) and str(row[c]) != "")
            parts.append(f"<event>{attrs}</event>")
        parts.append("</trace>")
    parts.append("</log>")
    return "\n".join(parts)

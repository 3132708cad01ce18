"""A tagged event log -> XES (IEEE 1849), for process-mining tools (PM4Py, ProM, Disco...).

Mapping (the round trip through PM4Py and `backend.sessions.xes` is tested):

- one trace per case, in order of first appearance; events by time (ties: input order);
  the case id is the trace's `concept:name`. A case column not named `case:concept:name`
  is also kept on each event under its own name, so it reads back as it was sent;
- the step goes in the event's `concept:name` (`Unclassified` when abstained); an input
  `concept:name` (the log's own activity) is kept as `original:concept:name`;
- `time:timestamp` is an XES date; a time column with another name is also kept as sent;
- sift's outputs are `sift:confidence` (float), `sift:abstained` (boolean),
  `sift:predicted_step`, `sift:reason`, `sift:model_version` and `sift:row` (the event's
  0-based row in the tagged table, to join back);
- `case:<key>` columns that hold one value per case become trace attributes `<key>`;
  every other column (`lifecycle:transition`, `org:resource`...) is an event string
  attribute under its name. Blank cells are left out (XES has no null).

Written with vectorised string building: one pass, no XML library, 100,000 events in a
second or two. Characters XML 1.0 forbids (control characters) become U+FFFD, counted
in a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backend.sessions.encoders import as_text
from backend.sessions.features import parse_timestamps

CASE_PREFIX = "case:"
ORIGINAL_ACTIVITY = "original:concept:name"
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\n", "&#10;"),
            ("\r", "&#13;"), ("\t", "&#9;"))
HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>
<global scope="event"><string key="concept:name" value="__INVALID__"/>\
<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/></global>
<classifier name="Step" keys="concept:name"/>
<string key="concept:name" value="sift tagged log"/>
"""
BOOLEAN = {"true": "true", "1": "true", "false": "false", "0": "false"}
SIFT_OUTPUTS = {"confidence": ("float", "sift:confidence"),
                "abstained": ("boolean", "sift:abstained"),
                "predicted_step": ("string", "sift:predicted_step"),
                "reason": ("string", "sift:reason"),
                "model_version": ("string", "sift:model_version")}


@dataclass
class XesExport:
    """The XES text of a tagged table, and what the writer had to change."""

    text: str
    traces: int
    events: int
    warnings: list[str]


class _Escaper:
    """Escapes cells for an XML attribute value; a column with nothing to escape (the
    usual case, checked once on the joined column) is passed through."""

    def __init__(self) -> None:
        self.replaced = 0

    def __call__(self, values: list[str]) -> list[str]:
        joined = " ".join(values)
        if _FORBIDDEN.search(joined):
            self.replaced += len(_FORBIDDEN.findall(joined))
            values = [_FORBIDDEN.sub("\ufffd", v) for v in values]
        for char, entity in _ESCAPES:
            if char in joined:
                values = [v.replace(char, entity) for v in values]
        return values


def _text(values: pd.Series) -> list[str]:
    """Cells as sent (not stripped); NaN and None as ""."""
    return [v if type(v) is str else "" if v is None or v != v else str(v)
            for v in values.tolist()]


def _attribute(kind: str, key: str, values: pd.Series | list[str], escape: _Escaper
               ) -> list[str]:
    """`<kind key=".." value=".."/>` per row; "" where the value is blank."""
    text = values if isinstance(values, list) else _text(values)
    head = f'<{kind} key="{escape([key])[0]}" value="'
    return [f'{head}{v}"/>' if v else "" for v in escape(text)]


def _dates(seconds: np.ndarray) -> list[str]:
    """XES dates, millisecond precision, UTC."""
    stamps = np.round(seconds * 1000).astype("datetime64[ms]")
    return [f"{t}+00:00" for t in np.datetime_as_string(stamps, unit="ms")]


def write_xes(frame: pd.DataFrame, case: str, timestamp: str, outputs: Mapping[str, str]
              ) -> XesExport:
    """XES text of `frame`, a tagged table; `outputs` maps sift's output names (step_name,
    confidence, abstained, predicted_step, reason, model_version) to its column names."""
    frame = frame.reset_index(drop=True)
    escape = _Escaper()
    cases = as_text(frame[case])
    seconds = parse_timestamps(frame[timestamp], timestamp)
    codes, uniques = pd.factorize(cases)
    order = np.lexsort((seconds, codes))
    parts = [_attribute("string", "concept:name", frame[outputs["step_name"]], escape),
             _attribute("date", "time:timestamp", _dates(seconds), escape)]
    for name, (kind, key) in SIFT_OUTPUTS.items():
        column = outputs.get(name)
        if column in frame.columns:
            values = _text(frame[column])
            if kind == "boolean":
                values = [BOOLEAN.get(v.strip().lower(), "") for v in values]
            parts.append(_attribute(kind, key, values, escape))
    parts.append(_attribute("int", "sift:row", [str(i) for i in range(len(frame))], escape))
    produced = {outputs.get(n) for n in ("step_name", *SIFT_OUTPUTS)}
    trace_columns = []
    for column in frame.columns:
        name = str(column)
        if column in produced or (name == timestamp == "time:timestamp"):
            continue
        if name == case and name == "case:concept:name":
            continue
        if name.startswith(CASE_PREFIX) and name != case and \
                frame.groupby(codes)[column].nunique(dropna=True).max() <= 1:
            trace_columns.append(name)
            continue
        key = ORIGINAL_ACTIVITY if name == "concept:name" else name
        parts.append(_attribute("string", key, frame[column], escape))
    events = ["<event>" + "".join(row) + "</event>\n" for row in zip(*parts, strict=True)]
    ordered = [events[i] for i in order]
    bounds = np.r_[np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]]),
                   len(order)]
    traces = _trace_heads(frame, codes, trace_columns, uniques, escape)
    body = [HEADER]
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        body.append(traces[k])
        body.append("".join(ordered[a:b]))
        body.append("</trace>\n")
    body.append("</log>\n")
    warnings = ([f"{escape.replaced} character(s) not allowed in XML were replaced by U+FFFD"]
                if escape.replaced else [])
    return XesExport("".join(body), len(uniques), len(frame), warnings)


def _trace_heads(frame: pd.DataFrame, codes: np.ndarray, columns: list[str],
                 uniques: pd.Index, escape: _Escaper) -> list[str]:
    """`<trace>` plus its attributes, per case code."""
    firsts = frame[columns].groupby(codes, sort=True).first()
    parts = [_attribute("string", "concept:name", [str(u) for u in uniques], escape)]
    parts += [_attribute("string", column[len(CASE_PREFIX):],
                         firsts[column].reset_index(drop=True), escape) for column in columns]
    return ["<trace>" + "".join(row) + "\n" for row in zip(*parts, strict=True)]

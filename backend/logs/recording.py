"""Which served log predictions are stored for feedback, and under which key (issue 25).

The synchronous JSON door stores every answer (ids for POST /v1/feedback). OTLP and bulk
(`sift classify-file`) store none by default, or a sample (`OTLP_RECORD_SAMPLE`,
`--record-sample`): a million-line job should not write a million rows. The sample is
chosen by a stable hash of each line, so a re-sent batch records the same lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from backend.core.text import input_key
from backend.feedback.store import PredictionRecord

_SPAN = 2**64


def log_key(source: str | None, message: str | None) -> str:
    """Key of a log line for feedback matching: its source and message."""
    return input_key(f"{source or ''}\n{message or ''}")


def sampled(sources: Sequence[object], messages: Sequence[object], rate: float) -> list[int]:
    """The rows to record at `rate` (0: none, 1: all), by a stable hash of each line."""
    if rate <= 0:
        return []
    if rate >= 1:
        return list(range(len(messages)))
    cut = int(rate * _SPAN)
    out = []
    for i, (source, message) in enumerate(zip(sources, messages, strict=True)):
        digest = hashlib.blake2b(f"{source}\n{message}".encode("utf-8", "surrogatepass"),
                                 digest_size=8).digest()
        if int.from_bytes(digest, "big") < cut:
            out.append(i)
    return out


def log_records(sources: Sequence[object], messages: Sequence[object],
                labels: Sequence[str], confidences: Sequence[float]) -> list[PredictionRecord]:
    """Stored predictions of log lines, keyed as POST /v1/feedback looks them up."""
    return [PredictionRecord({"source": s, "log_message": m},
                             log_key(None if s is None else str(s), None if m is None else str(m)),
                             label, float(conf))
            for s, m, label, conf in zip(sources, messages, labels, confidences, strict=True)]

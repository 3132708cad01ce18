"""Sessions -> padded batches: windows for long sessions, index-gather padding, masks.

Long sessions (up to 100,000 events and beyond) are cut into windows of
`max_len` that overlap by a context margin on each side; each event's
prediction comes from the window where it sits away from the edges.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from backend.sessions.features import Encoded


@dataclass(frozen=True)
class Window:
    start: int
    end: int
    keep_start: int
    keep_end: int


def windows(offsets: np.ndarray, max_len: int, overlap: bool = True) -> list[Window]:
    """Cover every event exactly once by the kept part of some window."""
    ctx = max_len // 8 if overlap else 0
    step = max_len - 2 * ctx
    out: list[Window] = []
    for s, e in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
        a = s
        while True:
            b = min(a + max_len, e)
            out.append(Window(a, b, a if a == s else a + ctx, b if b == e else b - ctx))
            if b == e:
                break
            a += step
    return out


@dataclass
class Batch:
    events: torch.Tensor
    cats: torch.Tensor
    dense: torch.Tensor
    mask: torch.Tensor
    index: np.ndarray   # (B, L) flat row per position; the padding row where masked


def make_batch(encoded: Encoded, group: list[Window]) -> Batch:
    starts = np.fromiter((w.start for w in group), np.int64, len(group))
    lengths = np.fromiter((w.end - w.start for w in group), np.int64, len(group))
    positions = np.arange(int(lengths.max()))[None, :]
    mask = positions < lengths[:, None]
    index = np.where(mask, starts[:, None] + positions, encoded.n)
    return Batch(torch.from_numpy(encoded.events[index]), torch.from_numpy(encoded.cats[index]),
                 torch.from_numpy(encoded.dense[index]), torch.from_numpy(mask), index)


def token_batches(group: list[Window], max_tokens: int) -> Iterator[list[Window]]:
    """Similar lengths together (less padding), at most ~max_tokens padded positions each."""
    ordered = sorted(group, key=lambda w: w.end - w.start)
    batch: list[Window] = []
    for window in ordered:
        longest = window.end - window.start
        if batch and longest * (len(batch) + 1) > max_tokens:
            yield batch
            batch = []
        batch.append(window)
    if batch:
        yield batch

"""Encoders: unknown buckets, NaN, out-of-range values, and save/load round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from backend.embedding.embedder import Embedder
from backend.sessions.encoders import (
    PAD,
    UNKNOWN,
    OrdinalEncoder,
    ProjectedEncoder,
    StandardScaler,
)


def test_ordinal_unknown_bucket_for_unseen_rare_and_missing() -> None:
    enc = OrdinalEncoder.fit(pd.Series(["copy", "copy", "paste", "paste", "rare"]), min_count=2)
    codes = enc.transform(pd.Series(["copy", "paste", "rare", "never-seen", None, np.nan]))
    assert codes[0] != codes[1] and min(codes[:2]) > UNKNOWN
    assert codes[2:].tolist() == [UNKNOWN] * 4
    assert PAD not in codes.tolist()


def test_ordinal_round_trip() -> None:
    enc = OrdinalEncoder.fit(pd.Series(["a", "b", "c"]))
    again = OrdinalEncoder.from_dict(enc.to_dict())
    values = pd.Series(["c", "a", "zzz"])
    assert again.transform(values).tolist() == enc.transform(values).tolist()


def test_scaler_handles_nan_and_clips_out_of_range() -> None:
    scaler = StandardScaler.fit(np.array([[1.0], [2.0], [3.0]]))
    out = scaler.transform(np.array([[2.0], [np.nan], [1e9], [-np.inf]]))
    assert out[:, 0].tolist() == [0.0, 0.0, 5.0, -5.0]
    again = StandardScaler.from_dict(scaler.to_dict())
    assert np.array_equal(again.transform(np.array([[3.0]])), scaler.transform(np.array([[3.0]])))


def test_projected_text_round_trip_and_unseen(tmp_path: Path, embedder: Embedder) -> None:
    titles = pd.Series(["Invoice 123 - Outlook", "Invoice 456 - Outlook", "Book1 - Excel",
                        "New Tab - Chrome"])
    enc = ProjectedEncoder.fit(titles, embedder, dim=2)
    vectors = enc.transform(titles)
    assert vectors.shape == (4, 2)
    assert np.allclose(vectors[0], vectors[1])  # same template once numbers are masked
    enc.save(tmp_path / "t.npz")
    again = ProjectedEncoder.load(tmp_path / "t.npz", embedder)
    probe = pd.Series(["Invoice 999 - Outlook", "", None, "Payroll run - Workday"])
    got = again.transform(probe)
    assert np.allclose(got, enc.transform(probe), atol=1e-5)
    assert np.allclose(got[1:3], 0.0) and np.abs(got[3]).sum() > 0
    offline = ProjectedEncoder.load(tmp_path / "t.npz", None)
    assert np.allclose(offline.transform(probe)[3], 0.0)  # unseen without a source: zeros

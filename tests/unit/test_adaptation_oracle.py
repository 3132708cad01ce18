"""bench/adaptation_offline.py --oracle (issue 28): the ceiling adapter answers a key's true
label only where the adapter's evidence rule holds for that label (backend.logs.adapter:
among the NEAREST corrections within NEAR_SIMILARITY, two agreeing against a confident
model answer, one against an unsure one)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from bench.adaptation_offline import oracle_evidence

SN, SA = "System Notification", "Security Alert"


def _unit(*rows: list[float]) -> np.ndarray:
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


# three corrections: two System Notification along x, one Security Alert along y
CORRECTIONS = SimpleNamespace(
    vectors=_unit([1.0, 0.1, 0.0], [1.0, -0.1, 0.0], [0.0, 1.0, 0.0]),
    labels=np.asarray([SN, SN, SA], dtype=object),
)


def _oracle(truth: dict[str, str], key_vectors: np.ndarray, confidences: list[float]) -> list:
    evidence = oracle_evidence(truth)
    keys = [f"k{i}" for i in range(len(key_vectors))]
    return evidence(CORRECTIONS, keys, key_vectors, confidences, 0.55)


def test_oracle_overrides_a_confident_answer_only_with_two_agreeing_corrections_near():
    near_x, near_y = _unit([1.0, 0.0, 0.0], [0.1, 1.0, 0.0])
    found = _oracle({"k0": SN, "k1": SA}, np.stack([near_x, near_y]), [0.95, 0.95])
    assert found[0] is not None and (found[0].label, found[0].agreeing) == (SN, 2)
    assert found[0].overrides
    assert found[1] is None  # one agreeing correction against a confident answer


def test_oracle_follows_one_agreeing_correction_when_the_model_is_unsure():
    near_y = _unit([0.1, 1.0, 0.0])
    (found,) = _oracle({"k0": SA}, near_y, [0.30])
    assert found is not None and found.label == SA and not found.overrides


def test_oracle_does_not_reach_a_key_with_no_correction_of_its_label_near():
    far, near_x = _unit([0.0, 0.0, 1.0], [1.0, 0.0, 0.0])
    found = _oracle({"k0": SN, "k1": SA}, np.stack([far, near_x]), [0.30, 0.30])
    assert found == [None, None]  # nothing within reach; the near ones carry another label

"""Surface features of template keys: fitted once, stored without pickle, same after a reload."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.core.normalize import template_key
from backend.embedding.features import FEATURES_CONFIG, TextFeatures

KEYS = [template_key(m) for m in (
    "API v1 is deprecated since 2024-01-01",
    "API v7 is deprecated since 2025-03-09",
    "Order 17 failed at step 2",
    "Order 18 failed at step 9",
    "GET /v2/servers/detail HTTP/1.1 status: 200 len: 1893",
    "GET /v2/flavors HTTP/1.1 status: 404 len: 210",
)]


def test_placeholders_are_words_and_blocks_are_unit_rows() -> None:
    features = TextFeatures.fit(KEYS)
    assert "<var>" in features.vectorizers["words"].vocabulary_
    x = features.transform(KEYS[:1]).toarray()[0]
    words = len(features.vectorizers["words"].vocabulary_)
    assert np.linalg.norm(x[:words]) == pytest.approx(1.0, abs=1e-5)
    assert np.linalg.norm(x[words:]) == pytest.approx(1.0, abs=1e-5)


def test_combine_puts_the_embedding_first() -> None:
    features = TextFeatures.fit(KEYS, weight=0.5)
    vectors = np.arange(6 * 3, dtype=np.float32).reshape(6, 3)
    x = features.combine(vectors, KEYS).toarray()
    assert x.shape == (6, 3 + features.dim)
    np.testing.assert_array_equal(x[:, :3], vectors)
    assert np.linalg.norm(x[0, 3:]) == pytest.approx(0.5 * np.sqrt(2), abs=1e-5)


def test_round_trip_gives_the_same_features(tmp_path: Path) -> None:
    features = TextFeatures.fit(KEYS)
    features.save_pretrained(tmp_path)
    loaded = TextFeatures.from_pretrained(tmp_path)
    assert loaded is not None and loaded.dim == features.dim
    unseen = [template_key("Order 99 failed at step 4 (deprecated path)")]
    np.testing.assert_allclose(loaded.transform(KEYS + unseen).toarray(),
                               features.transform(KEYS + unseen).toarray(), atol=1e-6)


def test_a_model_without_features_loads_none(tmp_path: Path) -> None:
    assert not (tmp_path / FEATURES_CONFIG).exists()
    assert TextFeatures.from_pretrained(tmp_path) is None


def test_served_transform_equals_scikit_learns_on_real_keys() -> None:
    """The transform skips scikit-learn's input checks (about 1 ms of a never-seen line) and
    counts char n-grams word by word; on the shipped v6 vocabularies and real Loghub keys
    it gives scikit-learn's matrix, entry for entry."""
    from backend.core.config import PROJECT_ROOT
    from backend.embedding.features import _tfidf
    from tests.utils.data import loghub_structured

    features = TextFeatures.from_pretrained(PROJECT_ROOT / "models" / "log-classifier" / "v6")
    assert features is not None
    keys = sorted({template_key(m) for system in ("HDFS", "Apache", "OpenSSH", "Linux")
                   for m in loghub_structured(system)["Content"]})
    keys += ["a line with no known n-gram qqqzzzx", "", "  ", "tab\t\tand  double  space",
             "ünïcödé wörds x", "x", "retry retry retry"]
    for name, vectorizer in features.vectorizers.items():
        theirs = vectorizer.transform(keys)
        # the char_wb block is counted word by word; the second pass reads the word cache
        for words in (None, features._word_counter(name), features._word_counter(name)):
            ours = _tfidf(vectorizer, keys, words)
            assert ours.dtype == theirs.dtype == np.float32, name
            assert np.array_equal(ours.indptr, theirs.indptr), name
            assert np.array_equal(ours.indices, theirs.indices), name
            assert np.array_equal(ours.data, theirs.data), name
    assert features._word_counter("chars") is not None and features._word_counter("words") is None


def test_direct_stacking_gives_scipys_matrix_and_the_same_logits() -> None:
    """The heads' inputs are stacked without scipy's hstack (about 1 ms of a never-seen
    line); on v6 and real keys, with levels, the matrix and both heads' logits are
    scipy's bit for bit, for one key and for a batch."""
    from scipy import sparse

    from backend.core.config import PROJECT_ROOT
    from backend.embedding.features import hstack_csr
    from backend.logs.levels import LEVELS, level_columns
    from backend.logs.model import LogModel
    from tests.utils.data import loghub_structured

    model = LogModel.from_pretrained(PROJECT_ROOT / "models" / "log-classifier" / "v6", "v6")
    assert model.text_features is not None and model.fast is not None
    keys = sorted({template_key(m) for m in loghub_structured("Hadoop")["Content"]})[:60]
    keys += ["", "qqqzzzx"]
    levels = [(list(LEVELS) + [None])[i % (len(LEVELS) + 1)] for i in range(len(keys))]
    rng = np.random.default_rng(3)
    for rows in (slice(0, 1), slice(0, len(keys))):
        k, lv = keys[rows], levels[rows]
        full = rng.standard_normal((len(k), 384)).astype(np.float32)
        full[0, :5] = 0.0  # zeros in a dense block: stored here, dropped by scipy
        static = model.fast.embedder.embed(k)
        tfidf = model.text_features.transform(k)
        parts = [model.text_features.vectorizers[n] for n in ("words", "chars")]
        from backend.embedding.features import _tfidf
        old_tfidf = (sparse.hstack([_tfidf(v, k) for v in parts], format="csr")
                     * model.text_features.weight).astype(np.float32)
        assert np.array_equal(tfidf.toarray(), old_tfidf.toarray())
        weighted = TextFeatures(model.text_features.vectorizers, weight=0.7)  # v6's is 1.0
        assert np.array_equal(weighted.transform(k).toarray(), (sparse.hstack(
            [_tfidf(v, k) for v in parts], format="csr") * 0.7).astype(np.float32).toarray())
        for vectors, head, ours in (
                (full, model.head, model.inputs(full, k, lv, tfidf)),
                (static, model.fast.head, model.fast.inputs(model.text_features, k, static,
                                                            lv, model.level_weight, tfidf))):
            theirs = sparse.hstack([sparse.csr_matrix(sparse.hstack(
                [sparse.csr_matrix(vectors), old_tfidf], format="csr")),
                level_columns(lv, model.level_weight)], format="csr")
            assert ours.dtype == theirs.dtype == np.float32
            assert np.array_equal(ours.toarray(), theirs.toarray())
            assert np.array_equal(head.logits(ours), head.logits(theirs))
    dense_only = hstack_csr([np.ones((2, 3), dtype=np.float32)])
    assert np.array_equal(dense_only.toarray(), np.ones((2, 3)))

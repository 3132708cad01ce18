"""Surface features of template keys, beside the sentence embedding.

MiniLM sees meaning but blurs the literal tokens that decide a log's label
("deprecated", "status <var>", "oom-killer"). TF-IDF word 1-2-grams and
character 3-5-grams of the key keep them. Both the LR head and the offline
LLM tier use ``embedding ++ weight * [words, chars]``, so training and
serving share this one definition.

Stored as ``features.json`` (parameters and vocabularies) plus
``features.npz`` (idf weights): no pickle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from backend.core.cache import LRUCache

FEATURES_CONFIG = "features.json"
FEATURES_WEIGHTS = "features.npz"

# (name, TfidfVectorizer arguments): the blocks, in column order
_BLOCKS: tuple[tuple[str, dict[str, object]], ...] = (
    ("words", {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)<?\b\w+\b>?"}),
    ("chars", {"analyzer": "char_wb", "ngram_range": (3, 5)}),
)
_COMMON: dict[str, object] = {"sublinear_tf": True, "lowercase": False, "dtype": np.float32}


class WordNgramCounts:
    """The `char_wb` block's counts, `_count_vocab`'s matrix, from each word's n-grams.

    `char_wb` n-grams never cross a word boundary, so a key's counts are the sum of its
    words' counts, and log keys share most of their words. scikit-learn walks every n-gram
    of every key in Python (about a quarter of the time 10,000 all-distinct lines took);
    here each distinct word is walked once, with scikit-learn's own n-gram function, and a
    key costs a lookup per word. The cache (least recently used first out) holds at most
    `max_words` words."""

    def __init__(self, vectorizer: TfidfVectorizer, max_words: int = 100_000) -> None:
        self.vectorizer = vectorizer
        self._words: LRUCache[np.ndarray] = LRUCache(max_words)

    def _word(self, word: str) -> np.ndarray:
        """The vocabulary indices of `word`'s n-grams (a repeated n-gram, repeated)."""
        vocabulary = self.vectorizer.vocabulary_
        found = np.fromiter(
            (vocabulary[g] for g in self.vectorizer._char_wb_ngrams(word) if g in vocabulary),
            dtype=np.int32)
        self._words.put(word, found)
        return found

    def counts(self, keys: Sequence[str]) -> sparse.csr_matrix:
        """Each key's in-vocabulary n-gram counts: sorted, summed, the vectorizer's dtype."""
        spaces = self.vectorizer._white_spaces  # scikit-learn's own whitespace step
        parts: list[np.ndarray] = []
        lengths: list[int] = []
        for key in keys:
            words = spaces.sub(" ", key).split()
            found = [hit if hit is not None else self._word(word)
                     for word, hit in zip(words, self._words.get_many(words), strict=True)]
            parts.extend(found)
            lengths.append(sum(len(part) for part in found))
        indptr = np.zeros(len(keys) + 1, dtype=np.int32)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        x = sparse.csr_matrix(
            (np.ones(len(indices), dtype=self.vectorizer.dtype), indices, indptr),
            shape=(len(keys), len(self.vectorizer.vocabulary_)))
        x.sum_duplicates()  # sorts each row's columns and adds repeats, as _count_vocab does
        return x


def _tfidf(vectorizer: TfidfVectorizer, keys: Sequence[str],
           words: WordNgramCounts | None = None) -> sparse.csr_matrix:
    """`vectorizer.transform(keys)`, the same steps without scikit-learn's input checks
    (and, given `words`, the `char_wb` counts built word by word).

    The vocabulary is fitted and the input is strings; the checks (narwhals dataframe
    probes and all, which `skip_parameter_validation` does not skip) cost a never-seen
    line about 1 ms of the 1.4 ms its two blocks took. A test holds this equal to
    `transform` on real keys, so a scikit-learn upgrade that changes the steps fails it."""
    if words is not None:
        x = words.counts(keys)
    else:
        _, x = vectorizer._count_vocab(keys, fixed_vocab=True)  # a fresh CSR matrix, sorted
    if vectorizer.binary:
        x.data.fill(1)
    tfidf = vectorizer._tfidf
    if tfidf.sublinear_tf:
        np.log(x.data, x.data)
        x.data += 1.0
    x.data *= tfidf.idf_[x.indices]
    if tfidf.norm == "l2":
        inplace_csr_row_normalize_l2(x)
    elif tfidf.norm is not None:
        raise ValueError(f"TF-IDF norm {tfidf.norm!r} is not served")
    return x


def hstack_csr(parts: Sequence[np.ndarray | sparse.spmatrix]) -> sparse.csr_matrix:
    """`sparse.hstack(parts, format="csr")` for dense blocks and CSR matrices of the same
    rows, built in one pass of array operations.

    scipy's hstack converts and validates every block and then the result: about 0.2 ms a
    call, four or five calls for a never-seen line. Here each row holds its blocks' entries
    in block order and each block's own column order, as scipy's result does, so a head's
    product sums the same terms in the same order (a test holds the two equal). Dense blocks
    keep their zeros as stored entries, which adds nothing to a product."""
    n = parts[0].shape[0]
    counts = np.zeros(n, dtype=np.int64)
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    width = 0
    for part in parts:
        if isinstance(part, np.ndarray):
            cols = part.shape[1]
            per_row = np.full(n, cols, dtype=np.int64)
            blocks.append((part.ravel(), np.tile(np.arange(width, width + cols), n),
                           per_row, np.arange(n, dtype=np.int64) * cols))
        else:
            csr = part if isinstance(part, sparse.csr_matrix) else sparse.csr_matrix(part)
            per_row = np.diff(csr.indptr)
            blocks.append((np.asarray(csr.data), csr.indices + width, per_row,
                           csr.indptr[:-1]))
        width += part.shape[1]
        counts += per_row
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    dtype = np.result_type(*(b[0].dtype for b in blocks))
    data = np.empty(indptr[-1], dtype=dtype)
    indices = np.empty(indptr[-1], dtype=np.int64)
    start = indptr[:-1].copy()  # where each row's next block goes
    for values, cols, per_row, first in blocks:
        if len(values):
            at = np.repeat(start - first, per_row) + np.arange(len(values))
            data[at] = values
            indices[at] = cols
        start += per_row
    index_dtype = np.int32 if max(width, indptr[-1]) < np.iinfo(np.int32).max else np.int64
    return sparse.csr_matrix((data, indices.astype(index_dtype), indptr.astype(index_dtype)),
                             shape=(n, width), copy=False)


@dataclass
class TextFeatures:
    """TF-IDF blocks of template keys, each row L2-normalised, scaled by `weight`."""

    vectorizers: dict[str, TfidfVectorizer]
    weight: float = 1.0
    # the char_wb blocks' word-by-word counts (made on first use: they hold a word cache)
    _word_counts: dict[str, WordNgramCounts] = field(default_factory=dict, init=False,
                                                     repr=False, compare=False)

    def _word_counter(self, name: str) -> WordNgramCounts | None:
        """Word-by-word counts for a `char_wb` block that reads keys as they are."""
        found = self._word_counts.get(name)
        if found is None:
            vec = self.vectorizers[name]
            if (vec.analyzer != "char_wb" or vec.lowercase or vec.preprocessor is not None
                    or vec.strip_accents is not None):
                return None
            found = self._word_counts.setdefault(name, WordNgramCounts(vec))
        return found

    @classmethod
    def fit(cls, keys: Sequence[str], weight: float = 1.0, min_df: int = 2) -> TextFeatures:
        unique = list(dict.fromkeys(keys))
        vectorizers = {name: TfidfVectorizer(min_df=min(min_df, len(unique)), **args, **_COMMON)
                       .fit(unique) for name, args in _BLOCKS}
        return cls(vectorizers, weight)

    @property
    def dim(self) -> int:
        return sum(len(v.vocabulary_) for v in self.vectorizers.values())

    def transform(self, keys: Sequence[str], blocks: Sequence[str] | None = None
                  ) -> sparse.csr_matrix:
        """The weighted TF-IDF blocks (all, or the named ones in column order)."""
        parts = [_tfidf(v, keys, self._word_counter(name)) for name, v in self.vectorizers.items()
                 if blocks is None or name in blocks]
        x = hstack_csr(parts) if len(parts) > 1 else parts[0]
        x.data *= x.data.dtype.type(self.weight)  # as scipy's `x * weight` rounds it
        return x.astype(np.float32, copy=False)

    def combine(self, vectors: np.ndarray, keys: Sequence[str],
                blocks: Sequence[str] | None = None,
                tfidf: sparse.csr_matrix | None = None) -> sparse.csr_matrix:
        """The model's input: the embedding followed by the weighted TF-IDF blocks (`tfidf`:
        those blocks already computed for `keys`, as `transform(keys, blocks)` gives)."""
        blocks_x = self.transform(keys, blocks) if tfidf is None else tfidf
        return hstack_csr([np.asarray(vectors, dtype=np.float32), blocks_x])

    def save_pretrained(self, folder: Path, stem: str = "features") -> None:
        """Writes `<stem>.json` and `<stem>.npz` (a model with two feature sets names them)."""
        config = {"weight": self.weight, "blocks": {
            name: dict(_BLOCKS)[name] | {
                "vocabulary": {t: int(i) for t, i in vec.vocabulary_.items()}}
            for name, vec in self.vectorizers.items()}}
        (folder / f"{stem}.json").write_text(json.dumps(config) + "\n", encoding="utf-8")
        np.savez(folder / f"{stem}.npz",
                 **{name: vec.idf_.astype(np.float32) for name, vec in self.vectorizers.items()})

    @classmethod
    def from_pretrained(cls, folder: Path, stem: str = "features") -> TextFeatures | None:
        """The stored features, or None for a model trained on embeddings alone."""
        if not (folder / f"{stem}.json").exists():
            return None
        config = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
        vectorizers = {}
        with np.load(folder / f"{stem}.npz", allow_pickle=False) as idf:
            for name, args in _BLOCKS:
                stored = config["blocks"][name]
                vec = TfidfVectorizer(vocabulary=stored["vocabulary"], **args, **_COMMON)
                vec.idf_ = idf[name]
                vectorizers[name] = vec
        return cls(vectorizers, float(config["weight"]))

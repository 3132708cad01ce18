"""Stage 1 of the model tier: a static embedding model distilled from the shipped MiniLM.

A model2vec model is a token-embedding table (safetensors) plus MiniLM's own
tokenizer.json: a sentence vector is the mean of its tokens' rows, so it
embeds thousands of lines per second where MiniLM does about a hundred. It
lives in the log model's version folder under `static/` (hashed in the
manifest like every other artifact; no pickle) and is only ever read from
there: model2vec would try the Hub for a folder that does not exist, so the
folder is checked first.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

STATIC_FOLDER = "static"
STATIC_FILES = ("model.safetensors", "tokenizer.json", "config.json")


class StaticEmbedder:
    """Unit-norm float32 sentence vectors from a model2vec folder (no network)."""

    def __init__(self, folder: Path) -> None:
        from model2vec import StaticModel

        missing = [name for name in STATIC_FILES if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(f"static model in {folder} lacks {', '.join(missing)}")
        self.folder = folder
        self._model = StaticModel.from_pretrained(folder, normalize=True)
        # shipped as float16 to stay small; numpy sums float16 slowly, so widen once (~30 MB)
        self._model.embedding = np.asarray(self._model.embedding, dtype=np.float32)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.dim = int(self._model.dim)
        self.name = str(config.get("sift_name") or f"static-minilm-{self.dim}")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), use_multiprocessing=False,
                                     show_progress_bar=False)
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def copy_static_model(source: Path, folder: Path, name: str | None = None) -> Path:
    """Copy a distilled model2vec folder's three files into `folder/static/` (the rest of
    a model2vec save, README and modules.json, is not needed to load it)."""
    target = folder / STATIC_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for file in STATIC_FILES[:2]:
        shutil.copyfile(source / file, target / file)
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    config["tokenizer_name"] = "all-MiniLM-L6-v2"  # the distill venv's absolute path is noise
    if name:
        config["sift_name"] = name
    (target / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return target


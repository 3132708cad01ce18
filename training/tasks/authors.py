"""Task titles written by independent authors (`data/authors/<author>.csv`), and the rows
that v2 trains on: authors' titles plus the generator's, each through `model_text`.

Each CSV has `author,title,description,category`; category is one of the five or
`out_of_domain`. The briefs every author got are beside the data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from backend.embedding.embedder import Embedder
from backend.tasks.text import model_text, task_text, title_text
from training.tasks.generator import generate_tasks
from training.tasks.linear import TrainingRows

AUTHORS_DIR = Path(__file__).parent / "data" / "authors"
COLUMNS = ("author", "title", "description", "category")
GENERATED = "generated"


def load_authors(folder: Path = AUTHORS_DIR) -> pd.DataFrame:
    """Every `<author>.csv` in `folder`, in name order."""
    paths = sorted(folder.glob("*.csv"))
    if not paths:
        raise FileNotFoundError(f"no author CSVs in {folder}")
    frame = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths],
                      ignore_index=True)
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"author CSVs in {folder} lack columns {sorted(missing)}")
    return frame[list(COLUMNS)]


def model_texts(frame: pd.DataFrame) -> list[str]:
    return [model_text(task_text(t, d))
            for t, d in zip(frame["title"], frame["description"], strict=True)]


def rows_of(frame: pd.DataFrame, embedder: Embedder, author: str | None = None,
            weight: float = 1.0) -> TrainingRows:
    """`frame` (title, description, category[, author]) as training rows."""
    texts = model_texts(frame)
    authors = list(frame["author"]) if author is None else [author] * len(frame)
    return TrainingRows(texts, embedder.embed(texts), list(frame["category"]),
                        np.full(len(frame), weight), authors,
                        [title_text(t) for t in frame["title"]])


def generated_rows(n: int, seed: int, embedder: Embedder, weight: float) -> TrainingRows:
    return rows_of(generate_tasks(n, seed), embedder, GENERATED, weight)


def concat(*parts: TrainingRows) -> TrainingRows:
    return TrainingRows([t for p in parts for t in p.texts],
                        np.vstack([p.vectors for p in parts]),
                        [y for p in parts for y in p.labels],
                        np.concatenate([p.weights for p in parts]),
                        [a for p in parts for a in p.authors],
                        [t for p in parts for t in p.titles]
                        if all(len(p.titles) == len(p) for p in parts) else [])

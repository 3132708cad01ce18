"""Agreement between the corpus labels and an independent second labeller.

Prints one JSON line: templates compared, Cohen's kappa on the label and on the problem
flag, raw agreement, and the disagreements (written to --disagreements as CSV).

    python bench/label_agreement.py SECOND_LABELS.csv [--corpus CORPUS.csv]
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from sklearn.metrics import cohen_kappa_score

from training.logs.build_corpus import CORPUS


def agreement(corpus: pd.DataFrame, second: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    both = corpus.merge(second, on=["system", "event_id"], suffixes=("_first", "_second"),
                        validate="one_to_one")
    figures = {
        "templates": len(both),
        "systems": int(both["system"].nunique()),
        "kappa_label": round(float(cohen_kappa_score(both["label_first"],
                                                     both["label_second"])), 3),
        "kappa_problem": round(float(cohen_kappa_score(both["problem_first"].astype(int),
                                                       both["problem_second"].astype(int))), 3),
        "agreement_label": round(float((both["label_first"] == both["label_second"]).mean()), 3),
    }
    differ = both[both["label_first"] != both["label_second"]]
    return figures, differ


def main(second: Path, corpus: Path = CORPUS,
         disagreements: Path = Path("label_disagreements.csv")) -> None:
    """Cohen's kappa between the corpus and a second labeller's file."""
    figures, differ = agreement(pd.read_csv(corpus, dtype=str, keep_default_na=False),
                                pd.read_csv(second, dtype=str, keep_default_na=False))
    differ.to_csv(disagreements, index=False)
    print(json.dumps(figures))


if __name__ == "__main__":
    typer.run(main)

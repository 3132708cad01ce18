"""Build the labelled Loghub corpus from the labellers' per-system files.

Each labeller writes `<System>.csv` with `system,event_id,label,problem,reason` (see
docs/labelling.md). This joins them with Loghub's own templates (the template text is
always Loghub's, never retyped), marks identical template strings across systems with
`duplicate_of`, and refuses a file with a missing, repeated or unknown row.

    python -m training.logs.build_corpus PARTS_DIR [--loghub ../shared/data/loghub]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from backend.core.config import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "training" / "logs" / "data" / "loghub_corpus.csv"
LOGHUB = PROJECT_ROOT.parent / "shared" / "data" / "loghub"
LABELS = (
    "Critical Error", "Error", "Security Alert", "Workflow Error", "HTTP Status",
    "Resource Usage", "User Action", "Deprecation Warning", "System Notification",
)
COLUMNS = ["system", "event_id", "template", "label", "problem", "reason", "duplicate_of"]


def loghub_templates(loghub: Path) -> pd.DataFrame:
    """Every (system, event_id, template) of the samples in `loghub`."""
    frames = []
    for path in sorted(loghub.glob("*_2k.log_templates.csv")):
        system = path.name.split("_2k")[0]
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frames.append(pd.DataFrame({"system": system, "event_id": frame["EventId"],
                                    "template": frame["EventTemplate"]}))
    return pd.concat(frames, ignore_index=True)


def _mark_duplicates(corpus: pd.DataFrame) -> pd.Series:
    """`system:event_id` of the first row (by system order) with the same template string."""
    first: dict[str, str] = {}
    marks = []
    for row in corpus.itertuples():
        ref = f"{row.system}:{row.event_id}"
        owner = first.setdefault(row.template, ref)
        marks.append("" if owner == ref else owner)
    return pd.Series(marks, index=corpus.index)


def build(parts: Path, loghub: Path = LOGHUB) -> pd.DataFrame:
    templates = loghub_templates(loghub)
    labelled = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False)
                          for p in sorted(parts.glob("*.csv"))], ignore_index=True)
    repeated = labelled[labelled.duplicated(["system", "event_id"], keep=False)]
    if not repeated.empty:
        raise ValueError(f"labelled twice: {repeated[['system', 'event_id']].values.tolist()}")
    unknown = sorted(set(labelled["label"]) - set(LABELS))
    if unknown:
        raise ValueError(f"labels outside the nine: {unknown}")
    corpus = templates.merge(labelled[["system", "event_id", "label", "problem", "reason"]],
                             on=["system", "event_id"], how="left", validate="one_to_one")
    missing = corpus[corpus["label"].isna()]
    if not missing.empty:
        raise ValueError(f"{len(missing)} templates unlabelled, e.g. "
                         f"{missing[['system', 'event_id']].head().values.tolist()}")
    corpus["problem"] = corpus["problem"].astype(int)
    corpus["duplicate_of"] = _mark_duplicates(corpus)
    return corpus[COLUMNS]


def main(parts: Path, loghub: Path = LOGHUB, out: Path = CORPUS) -> None:
    """Join the labellers' files into the corpus CSV."""
    corpus = build(parts, loghub)
    corpus.to_csv(out, index=False)
    print(f"{len(corpus)} templates -> {out}")
    print(corpus["label"].value_counts().to_string())


if __name__ == "__main__":
    typer.run(main)

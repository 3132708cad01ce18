"""Repeated sentence frames across the authors' task titles.

A writer asked for 250 titles may fall into a few frames ("Set up X for Y",
"Sync with X about Y"), which would make a model look better than it is on
people's titles. A title's frame is its first four tokens after `model_text`,
with every word outside the most frequent words of all titles (and every number)
replaced by `_`: "fix the bug in the tokenizer" -> "fix the _ in". Prints the
most common frames over all titles and per author, the share of titles the most
common frame covers, and the most common first words, as one JSON line (`--table`
adds a markdown table).

    .venv/bin/python -m bench.title_frames --table
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from typing import Any

import pandas as pd

from backend.tasks.text import model_text
from training.tasks.authors import AUTHORS_DIR, load_authors

_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
FRAME_TOKENS = 4
COMMON_WORDS = 300


def tokens(title: str) -> list[str]:
    return _TOKEN.findall(model_text(title))


def frames(titles: list[str], common_words: int = COMMON_WORDS,
           length: int = FRAME_TOKENS) -> list[str]:
    """Each title's frame: its first `length` tokens, rare words and numbers as `_`."""
    split = [tokens(t) for t in titles]
    counts = Counter(w for words in split for w in set(words) if not any(ch.isdigit()
                                                                        for ch in w))
    keep = {w for w, _ in counts.most_common(common_words)}
    return [" ".join(w if w in keep else "_" for w in words[:length]) for words in split]


def report(frame: pd.DataFrame, top: int = 10) -> dict[str, Any]:
    tasks = frame[frame["category"] != "out_of_domain"]
    all_frames = frames(list(tasks["title"]))
    overall = Counter(all_frames)
    per_author = {}
    for author, part in tasks.assign(frame=all_frames).groupby("author", sort=True):
        c = Counter(part["frame"])
        (best, n), = c.most_common(1)
        per_author[author] = {"titles": len(part), "distinct_frames": len(c),
                              "top_frame": best, "top_share": round(n / len(part), 4),
                              "top_5_share": round(sum(k for _, k in c.most_common(5))
                                                   / len(part), 4)}
    leads = Counter(words[0] for words in map(tokens, tasks["title"]) if words)
    return {"bench": "title_frames", "titles": len(tasks), "distinct_frames": len(overall),
            "top": [{"frame": f, "n": n, "share": round(n / len(tasks), 4)}
                    for f, n in overall.most_common(top)],
            "top_first_words": [{"word": w, "n": n, "share": round(n / len(tasks), 4)}
                                for w, n in leads.most_common(top)],
            "per_author": per_author}


def table(result: dict[str, Any]) -> str:
    lines = ["| frame | titles | share |", "|---|---|---|"]
    lines += [f"| `{t['frame']}` | {t['n']} | {t['share']:.1%} |" for t in result["top"]]
    lines += ["", "| first word | titles | share |", "|---|---|---|"]
    lines += [f"| {t['word']} | {t['n']} | {t['share']:.1%} |" for t in result["top_first_words"]]
    lines += ["", "| author | titles | distinct frames | most common | its share | top 5 |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {a} | {r['titles']} | {r['distinct_frames']} | `{r['top_frame']}` | "
              f"{r['top_share']:.1%} | {r['top_5_share']:.1%} |"
              for a, r in result["per_author"].items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--table", action="store_true")
    opts = parser.parse_args()
    result = report(load_authors(AUTHORS_DIR), opts.top)
    if opts.table:
        sys.stderr.write(table(result) + "\n")
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()

"""The one confusion-matrix figure of every evaluation report (log and task models)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402


def plot_confusion(matrix: np.ndarray | list[list[int]], labels: list[str], path: Path,
                   title: str) -> None:
    """Counts as a PNG, rows the true label and columns the predicted one."""
    size = 1.5 + 0.8 * len(labels)
    fig, ax = plt.subplots(figsize=(size, size))
    display = ConfusionMatrixDisplay(np.asarray(matrix), display_labels=labels)
    display.plot(ax=ax, cmap="Blues", colorbar=False, values_format="d",
                 xticks_rotation=45)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

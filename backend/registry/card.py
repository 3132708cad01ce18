"""The model card (README.md) published with every Hub version, built from its manifest.

It is generated, never edited by hand, so the Hub page always says what the
manifest says: metrics, label set, training data hash and the sha256 of
every artifact.
"""

from __future__ import annotations

from typing import Any

from backend.registry.manifest import Manifest

CARD_FILE = "README.md"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, dict | list):
        return "see manifest.json"
    return str(value).replace("|", "\\|")


def render_card(manifest: Manifest, repo_id: str) -> str:
    """Markdown with YAML front matter the Hub indexes (tags, library)."""
    tags = ["sift", manifest.kind or manifest.name, "text-classification"]
    lines = ["---", "library_name: sift", "tags:"]
    lines += [f"- {tag}" for tag in dict.fromkeys(tags)]
    lines += ["---", "", f"# {manifest.name} {manifest.version}", "",
              f"A **sift** model version ({manifest.kind or 'model'}), created "
              f"{manifest.created}. Every artifact is JSON, .npz or safetensors: nothing "
              "here is unpickled, and the service verifies each file's sha256 against "
              "`manifest.json` before it loads the version.", "",
              "## Metrics", ""]
    if manifest.metrics:
        lines += ["| metric | value |", "|---|---|"]
        lines += [f"| {k} | {_cell(v)} |" for k, v in manifest.metrics.items()]
    else:
        lines.append("No metrics were recorded for this version.")
    lines += ["", "## Labels", ""]
    lines += [f"- {label}" for label in manifest.labels] or ["(none recorded)"]
    lines += ["", "## Training data", "",
              f"sha256 of the training data: `{manifest.data_hash or 'not recorded'}`", "",
              "## Files", "", "| file | sha256 |", "|---|---|"]
    lines += [f"| {path} | `{digest}` |" for path, digest in manifest.files.items()]
    lines += ["", "## Use", "",
              "Serve this exact version by pinning it in the service's `.env` (the log "
              "classifier's pin is `LOG_MODEL_VERSION`):", "",
              "```", f"HF_NAMESPACE={repo_id.split('/')[0]}",
              f"LOG_MODEL_VERSION={manifest.version}", "```", "",
              f"or pull it into a local registry: `python -m training pull --model "
              f"{manifest.name} --version {manifest.version}`.", ""]
    return "\n".join(lines)


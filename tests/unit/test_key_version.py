"""A log model records the template-key version it was trained with, and serving it under
another key says so (v4, trained on key v1, lost half its all-distinct speed under v2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backend.core.config import PROJECT_ROOT
from backend.core.normalize import KEY_VERSION
from backend.logs.service import KEY_VERSION_PARAM, key_version_note

LOG_MODELS = PROJECT_ROOT / "models" / "log-classifier"


def _with_key(tmp_path: Path, key: int | None) -> Path:
    folder = tmp_path / "v6"
    folder.mkdir()
    manifest = json.loads((LOG_MODELS / "v6" / "manifest.json").read_text(encoding="utf-8"))
    manifest["params"].pop(KEY_VERSION_PARAM, None)
    if key is not None:
        manifest["params"][KEY_VERSION_PARAM] = key
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_every_shipped_log_model_records_its_key_version() -> None:
    for folder in sorted(p for p in LOG_MODELS.iterdir() if p.is_dir()):
        params = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["params"]
        assert isinstance(params.get(KEY_VERSION_PARAM), int), folder.name


@pytest.mark.parametrize(("key", "says"), [(KEY_VERSION, None), (KEY_VERSION - 1, "trained on"),
                                           (None, "does not record")])
def test_a_model_served_under_another_key_says_so(tmp_path: Path, key: int | None,
                                                  says: str | None) -> None:
    note = key_version_note(_with_key(tmp_path, key), "v6")
    if says is None:
        assert note is None
    else:
        assert note is not None and says in note and f"v{KEY_VERSION}" in note


def test_an_unpublished_folder_has_nothing_to_compare(tmp_path: Path) -> None:
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    assert key_version_note(tmp_path, "unversioned") is None

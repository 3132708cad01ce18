"""Issue 19, finding 7: a served step model with an image column opens paths only under
SCREENSHOTS_DIR; anything else is a 422 naming the row (a real model, trained small)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.core.errors import BadInputError
from backend.embedding.embedder import Embedder
from backend.sessions.config import parse_config
from backend.sessions.images import confine_image_paths
from tests.sessions.conftest import tiny_config
from training.steps.data import split_sessions
from training.steps.generator import generate_sessions
from training.steps.trainer import StepTrainer


def test_paths_resolve_only_inside_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "shots"
    (root / "a").mkdir(parents=True)
    (tmp_path / "secret.png").write_bytes(b"x")
    (root / "link.png").symlink_to(tmp_path / "secret.png")
    assert confine_image_paths(["a/1.png", "", None], root) == [
        str((root / "a" / "1.png").resolve()), "", None]
    for bad in ("../secret.png", str(tmp_path / "secret.png"), "/etc/passwd", "a/../../x.png",
                "link.png"):
        with pytest.raises(BadInputError, match="Row 1: image path .* outside SCREENSHOTS_DIR"):
            confine_image_paths(["a/1.png", bad], root)
    with pytest.raises(BadInputError, match="Row 0: .*SCREENSHOTS_DIR is not set"):
        confine_image_paths(["a/1.png"], None)


def test_a_served_step_model_refuses_an_image_path_outside(tmp_path: Path,
                                                           embedder: Embedder) -> None:
    shots = tmp_path / "shots"
    log = generate_sessions(12, seed=3, image_dir=shots)
    base = tiny_config().model_dump()
    base["columns"]["image"] = "screenshot_path"
    config = parse_config(base)
    predictor = StepTrainer(config, embedder, progress=False).fit(
        split_sessions(log, config)).predictor
    probe = log.head(6).drop(columns=["step_name"]).reset_index(drop=True)
    predictor.confine_images(shots)
    assert len(predictor.predict(probe).frame) == 6  # the generator's own screenshots
    probe.loc[3, "screenshot_path"] = "/etc/passwd"
    with pytest.raises(BadInputError, match="Row 3: image path '/etc/passwd' is outside"):
        predictor.predict(probe)
    predictor.confine_images(None)
    with pytest.raises(BadInputError, match="SCREENSHOTS_DIR is not set"):
        predictor.predict(probe)

"""Screenshot encoders behind one protocol: a tiny built-in one, or ResNet-50 from local weights.

Paths that are blank, missing or unreadable give a zero vector: a lost
screenshot must not lose the event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def confine_image_paths(values: Sequence[object], root: Path | None) -> list[object]:
    """Image paths of a request, resolved under `root` (SCREENSHOTS_DIR). A path that
    leaves it (absolute elsewhere, `..`, a symlink out) is refused with a 422 naming its
    row, and so is every path when no folder is configured; blanks stay blank."""
    from backend.core.errors import BadInputError

    out: list[object] = []
    base = root.resolve() if root is not None else None
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and value != value) or not str(value).strip():
            out.append(value)
            continue
        if base is None:
            raise BadInputError(f"Row {i}: image paths are refused because SCREENSHOTS_DIR is "
                                "not set on the server; set it to the screenshots folder, or "
                                "leave the image column empty.", row=i)
        resolved = (base / str(value)).resolve()
        if not resolved.is_relative_to(base):
            raise BadInputError(f"Row {i}: image path {str(value)[:200]!r} is outside "
                                "SCREENSHOTS_DIR; send a path inside that folder.", row=i)
        out.append(str(resolved))
    return out


class ImageEncoder:
    """Protocol-style base: `embed(paths) -> (n, dim)` float32."""

    name = "base"
    dim = 0

    def embed(self, paths: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(paths), self.dim), np.float32)
        for i, path in enumerate(paths):
            try:
                out[i] = self.embed_one(Path(path))
            except (OSError, ValueError, SyntaxError) as exc:
                logger.debug("image %s unreadable: %s", path, exc)
        return out

    def embed_one(self, path: Path) -> np.ndarray:
        raise NotImplementedError


class TinyImageEncoder(ImageEncoder):
    """Block-averaged 8x6 grey thumbnail plus the mean colour: cheap, no weights."""

    name = "tiny"
    dim = 8 * 6 + 3

    def embed_one(self, path: Path) -> np.ndarray:
        import matplotlib.image as mpimg

        image = np.asarray(mpimg.imread(path), dtype=np.float32)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        image = image[..., :3]
        if image.max() > 1.0:
            image = image / 255.0
        grey = image.mean(axis=2)
        rows = np.array_split(np.arange(grey.shape[0]), 6)
        cols = np.array_split(np.arange(grey.shape[1]), 8)
        thumb = [grey[np.ix_(r, c)].mean() for r in rows for c in cols]
        return np.concatenate([thumb, image.reshape(-1, 3).mean(axis=0)]).astype(np.float32)


class ResNetImageEncoder(ImageEncoder):
    """torchvision ResNet-50 pooled features (2048-d) from a local weights file; no downloads."""

    name = "resnet50"
    dim = 2048

    def __init__(self, weights: Path) -> None:
        try:
            import torch
            import torchvision
        except ImportError as exc:
            raise RuntimeError("image_encoder resnet50 needs torchvision: install the build "
                               "that matches torch==2.13.0 (CPU), or use image_encoder: tiny"
                               ) from exc
        if not Path(weights).is_file():
            raise RuntimeError(f"ResNet-50 weights file {weights} does not exist; download it "
                               "once and point features.image_weights at it")
        model = torchvision.models.resnet50(weights=None)
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        model.fc = torch.nn.Identity()
        self._model = model.eval()
        self._torch = torch

    def embed_one(self, path: Path) -> np.ndarray:
        import matplotlib.image as mpimg

        image = np.asarray(mpimg.imread(path), dtype=np.float32)[..., :3]
        tensor = self._torch.from_numpy(image).permute(2, 0, 1)[None]
        tensor = self._torch.nn.functional.interpolate(tensor, size=(224, 224))
        mean = self._torch.tensor([0.485, 0.456, 0.406])[:, None, None]
        std = self._torch.tensor([0.229, 0.224, 0.225])[:, None, None]
        with self._torch.no_grad():
            return self._model((tensor - mean) / std)[0].numpy()


def build_image_encoder(kind: str, weights: Path | None = None) -> ImageEncoder:
    if kind == "resnet50":
        if weights is None:
            raise RuntimeError("image_encoder resnet50 needs features.image_weights (a local file)")
        return ResNetImageEncoder(weights)
    return TinyImageEncoder()

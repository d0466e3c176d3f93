"""Embeddings: each photo's 1280 base-model features, cached on disk by the photo's content.

The cache key is the photo's SHA-256, the base model's weights id and the preprocessing (and
augmentation) version, so adding five photos and rebuilding embeds five photos, and changing any
of those re-embeds everything that depends on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from teachkit import augment, images, photos, preprocess
from teachkit.basemodel import FEATURES, BaseModel
from teachkit.dataset import PhotoInfo
from teachkit.progress import bar

BATCH = 32


class EmbeddingCache:
    """One small .npy file per photo (and per photo's augmented copies) under ``root``."""

    def __init__(self, root: Path, base: BaseModel) -> None:
        self.dir = root / f"{base.id}-{preprocess.VERSION}"
        self.base = base

    def _path(self, digest: str, augmented: bool) -> Path:
        suffix = f".{augment.VERSION}x{augment.COPIES}" if augmented else ""
        return self.dir / digest[:2] / f"{digest}{suffix}.npy"

    def get(self, digest: str, augmented: bool) -> np.ndarray | None:
        path = self._path(digest, augmented)
        try:
            return np.load(path)
        except (OSError, ValueError):
            return None

    def put(self, digest: str, augmented: bool, features: np.ndarray) -> None:
        path = self._path(digest, augmented)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, features.astype(np.float32))
        tmp.replace(path)


def embed_inputs(base: BaseModel, inputs: np.ndarray) -> np.ndarray:
    """Features of preprocessed inputs (N, 224, 224, 3), in batches of BATCH.

    Through one compiled function, with the last batch padded to the same shape so that it is
    traced once: about twice as fast as calling the Keras model eagerly.
    """
    if len(inputs) == 0:
        return np.zeros((0, FEATURES), np.float32)
    run = base.compiled()
    out = []
    for start in range(0, len(inputs), BATCH):
        chunk = inputs[start : start + BATCH]
        n = len(chunk)
        if n < BATCH:
            chunk = np.concatenate([chunk, np.zeros((BATCH - n, *chunk.shape[1:]), np.float32)])
        out.append(np.asarray(run(chunk))[:n])
    return np.concatenate(out).astype(np.float32)


def embed(
    infos: Sequence[PhotoInfo], cache: EmbeddingCache, augmented_for: set[int] | None = None
) -> tuple[np.ndarray, dict[int, np.ndarray], int]:
    """Features of every photo, and of the augmented copies of those in ``augmented_for``.

    Returns (features (N, 1280), {index: copies (COPIES, 1280)}, how many photos were embedded
    now rather than read from the cache).
    """
    augmented_for = augmented_for or set()
    features: list[np.ndarray | None] = [cache.get(info.digest, False) for info in infos]
    copies: dict[int, np.ndarray] = {}
    for i in augmented_for:
        got = cache.get(infos[i].digest, True)
        if got is not None:
            copies[i] = got
    todo = [i for i, f in enumerate(features) if f is None or (i in augmented_for and i not in copies)]
    per_call = max(1, BATCH // (1 + augment.COPIES)) if augmented_for else BATCH
    for start in bar(range(0, len(todo), per_call), "Embedding photos", total=-(-len(todo) // per_call), unit="batch"):
        chunk = todo[start : start + per_call]
        batch: list[np.ndarray] = []
        spans: list[tuple[int, int, int]] = []  # (photo index, first row, rows)
        for i in chunk:
            x = images.to_input(photos.decode(infos[i].path))
            rows = [x[None]]
            if i in augmented_for:
                rows.append(augment.views(x, infos[i].digest))
            stacked = np.concatenate(rows)
            spans.append((i, sum(len(b) for b in batch), len(stacked)))
            batch.append(stacked)
        out = embed_inputs(cache.base, np.concatenate(batch))
        for i, first, rows in spans:
            features[i] = out[first]
            cache.put(infos[i].digest, False, out[first])
            if rows > 1:
                copies[i] = out[first + 1 : first + rows]
                cache.put(infos[i].digest, True, copies[i])
    return np.stack(features) if features else np.zeros((0, FEATURES), np.float32), copies, len(todo)

"""Embeddings: each photo's base-model features (``BaseModel.features`` of them), cached on disk by the photo's content.

The cache key is the photo's SHA-256, the base model's weights id and the preprocessing (and
augmentation) version, so adding five photos and rebuilding embeds five photos, and changing any
of those re-embeds everything that depends on it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from teachkit import fileio
from teachkit.core import preprocess
from teachkit.data import images, photos
from teachkit.data.dataset import PhotoInfo
from teachkit.errors import PhotoError, UnreadablePhoto
from teachkit.features import augment, lite
from teachkit.features.basemodel import BaseModel
from teachkit.progress import counter

BATCH = 32
#: A cached row of features is 5-10 KB, with its augmented views 35-70 KB: anything far larger is not ours.
MAX_CACHED_BYTES = 1 << 20
#: Threads decoding and augmenting the next photos while the base embeds: decoding and
#: augmenting cost more than embedding, and NumPy and Pillow release the GIL for most of it.
PREPARERS = 2


class EmbeddingCache:
    """One small .npy file per photo (and per photo's augmented copies) under ``root``."""

    def __init__(self, root: Path, base: BaseModel) -> None:
        self.dir = root / f"{base.id}-{preprocess.VERSION}"
        self.lite_path = root / f"{base.id}.tflite"
        self.base = base
        self._embedder: Callable[[np.ndarray], np.ndarray] | None = None

    def embedder(self) -> Callable[[np.ndarray], np.ndarray]:
        """Preprocessed inputs -> features: TensorFlow Lite's interpreter for the base (converted
        once, then kept in the cache), or TensorFlow's graph where Lite cannot run it."""
        if self._embedder is None:
            fast = lite.cached(self.lite_path, lambda: self.base.model)
            self._embedder = fast or (lambda inputs: embed_inputs(self.base, inputs))
        return self._embedder

    def _path(self, digest: str, augmented: bool) -> Path:
        suffix = f".{augment.VERSION}x{augment.COPIES}" if augmented else ""
        return self.dir / digest[:2] / f"{digest}{suffix}.npy"

    def get(self, digest: str, augmented: bool) -> np.ndarray | None:
        path = self._path(digest, augmented)
        try:  # bounded and never blocking (a pipe in the cache must not hang a build)
            data = fileio.read_bytes(path, MAX_CACHED_BYTES, "cached embedding")
            return np.load(io.BytesIO(data))
        except (OSError, ValueError):
            return None

    def put(self, digest: str, augmented: bool, features: np.ndarray) -> None:
        buf = io.BytesIO()
        np.save(buf, features.astype(np.float32))
        fileio.write_bytes(self._path(digest, augmented), buf.getvalue())


def embed_inputs(base: BaseModel, inputs: np.ndarray) -> np.ndarray:
    """Features of preprocessed inputs (N, 224, 224, 3), in batches of BATCH.

    Through one compiled function, with the last batch padded to the same shape so that it is
    traced once: about twice as fast as calling the Keras model eagerly.
    """
    if len(inputs) == 0:
        return np.zeros((0, base.features), np.float32)
    run = base.compiled()
    out = []
    for start in range(0, len(inputs), BATCH):
        chunk = inputs[start : start + BATCH]
        n = len(chunk)
        if n < BATCH:
            chunk = np.concatenate([chunk, np.zeros((BATCH - n, *chunk.shape[1:]), np.float32)])
        out.append(np.asarray(run(chunk))[:n])
    return np.concatenate(out).astype(np.float32)


def _inputs(infos: Sequence[PhotoInfo], chunk: Sequence[int], augmented_for: set[int]) -> np.ndarray:
    """The preprocessed rows of ``chunk``'s photos: each photo, then its augmented views if any."""
    rows = []
    for i in chunk:
        try:
            picture = photos.decode(infos[i].path)
        except UnreadablePhoto as e:  # read fine a moment ago: replaced or removed since
            raise PhotoError(f"{infos[i].path} changed while Teachkit was reading it ({e}); run again.") from None
        x = images.to_input(picture)
        rows.append(x[None])
        if i in augmented_for:
            rows.append(augment.views(x, infos[i].digest))
    return np.concatenate(rows)


def embed(
    infos: Sequence[PhotoInfo], cache: EmbeddingCache, augmented_for: set[int] | None = None
) -> tuple[np.ndarray, dict[int, np.ndarray], int]:
    """Features of every photo, and of the augmented copies of those in ``augmented_for``.

    Returns (features (N, F), {index: copies (COPIES, F)}, how many photos were embedded
    now rather than read from the cache). Two threads decode and augment the next photos
    while the base embeds these: on two cores that takes the decoding off the critical path.
    """
    augmented_for = augmented_for or set()
    features: list[np.ndarray | None] = [cache.get(info.digest, False) for info in infos]
    copies: dict[int, np.ndarray] = {}
    for i in augmented_for:
        got = cache.get(infos[i].digest, True)
        if got is not None:
            copies[i] = got
    todo = [i for i, f in enumerate(features) if f is None or (i in augmented_for and i not in copies)]
    chunks = [todo[start : start + BATCH] for start in range(0, len(todo), BATCH)]
    if chunks:
        run = cache.embedder()
        with ThreadPoolExecutor(PREPARERS) as prepare, counter(len(todo), "Embedding photos", "photo") as shown:
            pending = [prepare.submit(_inputs, infos, chunk, augmented_for) for chunk in chunks[:PREPARERS]]
            for k, chunk in enumerate(chunks):
                inputs = pending.pop(0).result()
                if k + PREPARERS < len(chunks):
                    pending.append(prepare.submit(_inputs, infos, chunks[k + PREPARERS], augmented_for))
                out = run(inputs)
                row = 0
                for i in chunk:
                    features[i] = out[row]
                    cache.put(infos[i].digest, False, out[row])
                    row += 1
                    if i in augmented_for:
                        copies[i] = out[row : row + augment.COPIES]
                        cache.put(infos[i].digest, True, copies[i])
                        row += augment.COPIES
                shown.update(len(chunk))
    empty = np.zeros((0, cache.base.features), np.float32)
    return np.stack(features) if features else empty, copies, len(todo)

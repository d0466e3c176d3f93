"""The dataset: what each usable photo is (one decode pass), and the honest held-out split."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from teachkit import fileio
from teachkit.core import recipe
from teachkit.data import photos, similarity
from teachkit.errors import UnreadablePhoto
from teachkit.progress import bar

THUMB = 32  # side of the small copy kept per photo for the dataset report's statistics


@dataclass(frozen=True)
class PhotoInfo:
    """One usable photo: where it is, its class, and what the checks need to know about it."""

    path: Path
    label: str
    digest: str  # SHA-256 of the file: the key of every cache
    width: int
    height: int
    dhash: int
    thumb: bytes  # THUMB x THUMB RGB pixels of the whole photo

    def thumbnail(self) -> Image.Image:
        return Image.frombytes("RGB", (THUMB, THUMB), self.thumb)


def describe(path: Path, label: str, digest: str, img: Image.Image) -> PhotoInfo:
    """The PhotoInfo of a decoded photo."""
    thumb = img.resize((THUMB, THUMB), Image.Resampling.BOX).tobytes()
    return PhotoInfo(path, label, digest, img.width, img.height, similarity.dhash(img), thumb)


#: Indices into a list of PhotoInfo: train (fits the head), validation (early stopping and the
#: "not sure" rule), heldout (the reported accuracy; never used for any choice). The recipe's own.
Split = recipe.Split
share = recipe.share


def burst_groups(features: np.ndarray, labels: Sequence[int]) -> list[int]:
    """The near-copy groups of photos by their embeddings (``recipe.burst_groups``, as the Teach
    page groups its examples), the cosines of each class's photos by one NumPy product."""
    rows = np.asarray(features, np.float64)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    units = rows / np.where(norms > 0, norms, 1.0)

    def cosines(members: list[int]) -> list[list[float]]:
        return (units[members] @ units[members].T).tolist()

    return recipe.burst_groups(rows.tolist(), labels, cosines)


class NumpyRows:
    """``core.outlier.Rows`` in NumPy, the build's: the unit embeddings made one array once; their
    dot products with directions by one matrix product, and the means of groups of them summed
    row after row as plain Python sums them (NumPy adds the rows of a C-ordered array along axis 0
    in order), so the prototypes are those of ``outlier.PlainRows`` (tests/evaluation/test_outlier.py
    holds them equal; on trashnet-subset they were equal too, to the bit)."""

    def __init__(self, units: Sequence[Sequence[float]]) -> None:
        self.matrix = np.asarray(units, np.float64)

    def dots(self, directions: Sequence[Sequence[float]], rows: Sequence[int]) -> list[list[float]]:
        return (self.matrix[list(rows)] @ np.asarray(directions, np.float64).T).tolist()

    def mean(self, rows: Sequence[int]) -> list[float]:
        return (np.add.reduce(self.matrix[list(rows)], axis=0) / len(rows)).tolist()


def split(
    infos: Sequence[PhotoInfo],
    holdout: float,
    seed: int,
    validation: float = recipe.VALIDATION,
    with_heldout: bool = True,
    groups: Sequence[int] | None = None,
) -> Split:
    """Stratified, seeded split (``teachkit.core.recipe.split``, the Teach page's too); each group
    of near copies lands on one side.

    ``groups`` are the near-copy groups of the photos: ``burst_groups`` of their embeddings, as
    ``teachkit train`` and the Teach page pass. Without them the photos' perceptual hashes and
    thumbnails group them (``similarity.groups``), for callers that have no embeddings yet.
    """
    if with_heldout and not 0 < holdout < 1:
        raise photos.PhotoError(f"The held-out share must be between 0 and 1 (got {holdout}).")
    names = list(dict.fromkeys(info.label for info in infos))
    labels = [names.index(info.label) for info in infos]
    if groups is None:
        groups = similarity.groups([info.dhash for info in infos], [info.thumb for info in infos])
    try:
        return recipe.split(labels, groups, holdout, seed, validation, with_heldout)
    except recipe.TooFewExamples as e:
        raise photos.PhotoError(
            f"The class {names[e.klass]!r} has {e.n} usable photo(s); it needs at least {e.need} "
            "(some to learn from and some to measure with). Add more photos of it."
        ) from None


#: A cached PhotoInfo is about 4 KB (the thumbnail in base64); anything far larger is not one.
CACHED_INFO_BYTES = 1 << 20


def _cached_info(cache_dir: Path, path: Path, label: str, digest: str) -> PhotoInfo | None:
    """What an earlier build learnt about a photo; None when absent or unusable (then it is redone)."""
    try:
        raw = json.loads(fileio.read_bytes(cache_dir / digest[:2] / f"{digest}.json", CACHED_INFO_BYTES))
        thumb = base64.b64decode(raw["thumb"])
        if len(thumb) != THUMB * THUMB * 3:
            return None
        return PhotoInfo(path, label, digest, int(raw["width"]), int(raw["height"]), int(raw["dhash"]), thumb)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_info(cache_dir: Path, info: PhotoInfo) -> None:
    target = cache_dir / info.digest[:2] / f"{info.digest}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = {
        "width": info.width,
        "height": info.height,
        "dhash": info.dhash,
        "thumb": base64.b64encode(info.thumb).decode(),
    }
    fileio.write_text(target, json.dumps(raw))  # atomic: a killed build leaves no half entry


def inspect(found: photos.PhotoFolder, cache_dir: Path | None) -> tuple[list[PhotoInfo], list[photos.Skipped]]:
    """Decode every photo once (or read what an earlier build learnt about it from the cache).

    Returns the usable photos, in class order, and the files that could not be read, with why.
    """
    infos: list[PhotoInfo] = []
    unreadable: list[photos.Skipped] = []
    todo = [(label, path) for label, paths in found.classes.items() for path in paths]
    for label, path in bar(todo, "Reading photos", total=len(todo)):
        try:
            data = photos.read(path)  # never blocks: a pipe or a device is refused with a reason
            digest = photos.digest(data)
            info = _cached_info(cache_dir, path, label, digest) if cache_dir else None
            if info is None:
                info = describe(path, label, digest, photos.decode_bytes(data))
                if cache_dir:
                    _store_info(cache_dir, info)
        except UnreadablePhoto as e:
            unreadable.append(photos.Skipped(path, str(e)))
            continue
        infos.append(info)
    return infos, unreadable

"""Decoded photos to model inputs at build time: the shared preprocessing plan run with NumPy."""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

from teachkit.core import preprocess


class NumpyOps:
    """`preprocess.Ops` for NumPy float32 arrays of shape (H, W, 3), computed as TF.js does."""

    def crop(self, image: np.ndarray, left: int, top: int, side: int) -> np.ndarray:
        return image[top : top + side, left : left + side]

    def resize(self, image: np.ndarray, side: int) -> np.ndarray:
        image = _resize_axis(image, side, axis=0)
        return _resize_axis(image, side, axis=1)

    def mirror(self, image: np.ndarray) -> np.ndarray:
        return image[:, ::-1]

    def normalise(self, image: np.ndarray, scale: float, offset: float) -> np.ndarray:
        return (image * np.float32(scale) + np.float32(offset)).astype(np.float32)


@functools.lru_cache(maxsize=512)
def _coordinates(size: int, source: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shared plan's (lower, upper, weight) source rows for each output row, as arrays:
    made once per size pair (augmentation asks for the same few sizes thousands of times)."""
    coords = preprocess.source_coordinates(size, source)
    lower = np.array([c[0] for c in coords], np.intp)
    upper = np.array([c[1] for c in coords], np.intp)
    weight = np.array([c[2] for c in coords], np.float32)
    for a in (lower, upper, weight):
        a.flags.writeable = False
    return lower, upper, weight


def _resize_axis(image: np.ndarray, size: int, axis: int) -> np.ndarray:
    lower, upper, weight = _coordinates(size, image.shape[axis])
    shape = [1, 1, 1]
    shape[axis] = size
    a = np.take(image, lower, axis=axis)
    out = np.take(image, upper, axis=axis)
    # a + (b - a) * weight, in place: the same arithmetic, without three temporary arrays
    out -= a
    out *= weight.reshape(shape)
    out += a
    return out


def to_input(img: Image.Image, mirror: bool = False) -> np.ndarray:
    """One decoded RGB photo to the model's (224, 224, 3) float32 input."""
    pixels = np.asarray(img, dtype=np.float32)
    plan = preprocess.plan(img.width, img.height, mirror=mirror)
    return preprocess.run(plan, pixels, NumpyOps())

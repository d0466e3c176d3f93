"""Decoded photos to model inputs at build time: the shared preprocessing plan run with NumPy."""

from __future__ import annotations

import numpy as np
from PIL import Image

from teachkit import preprocess


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


def _resize_axis(image: np.ndarray, size: int, axis: int) -> np.ndarray:
    coords = preprocess.source_coordinates(size, image.shape[axis])
    lower = np.array([c[0] for c in coords])
    upper = np.array([c[1] for c in coords])
    weight = np.array([c[2] for c in coords], dtype=np.float32)
    shape = [1, 1, 1]
    shape[axis] = size
    weight = weight.reshape(shape)
    a = np.take(image, lower, axis=axis)
    b = np.take(image, upper, axis=axis)
    return a + (b - a) * weight


def to_input(img: Image.Image, mirror: bool = False) -> np.ndarray:
    """One decoded RGB photo to the model's (224, 224, 3) float32 input."""
    pixels = np.asarray(img, dtype=np.float32)
    plan = preprocess.plan(img.width, img.height, mirror=mirror)
    return preprocess.run(plan, pixels, NumpyOps())

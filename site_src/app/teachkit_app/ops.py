"""The shared preprocessing plan executed with TF.js (``teachkit.preprocess.Ops``).

The same arithmetic as ``teachkit.images.NumpyOps`` at build time: bilinear resizing with
half-pixel centres and without corner alignment, as ``preprocess.source_coordinates`` defines it.
Call inside ``tf.tidy`` (``model.Classifier`` does) so that the intermediate tensors are freed.
"""

from __future__ import annotations

from typing import Any

from teachkit_app.jsutil import array

Tensor = Any


class TfjsOps:
    """``preprocess.Ops`` for TF.js float32 tensors of shape (H, W, 3)."""

    def __init__(self, tf: Any) -> None:
        self.tf = tf

    def crop(self, image: Tensor, left: int, top: int, side: int) -> Tensor:
        return self.tf.slice(image, array([top, left, 0]), array([side, side, 3]))

    def resize(self, image: Tensor, side: int) -> Tensor:
        return self.tf.image.resizeBilinear(image, array([side, side]), False, True)

    def mirror(self, image: Tensor) -> Tensor:
        return self.tf.reverse(image, 1)

    def normalise(self, image: Tensor, scale: float, offset: float) -> Tensor:
        return image.mul(scale).add(offset)

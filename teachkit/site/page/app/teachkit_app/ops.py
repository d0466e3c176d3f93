"""The shared preprocessing plan executed with TF.js (``teachkit.core.preprocess.Ops``).

The same arithmetic as ``teachkit.data.images.NumpyOps`` at build time: bilinear resizing with
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
        # The pixels of tf.slice(image, [top, left, 0], [side, side, 3]), sliced as rows of
        # width x 3 values: the wasm backend copies a 3-d slice value by value (15 ms for a
        # webcam frame, measured), a 2-d one in a fifth of that.
        width = int(image.shape[1])
        rows = image.reshape(array([int(image.shape[0]), width * 3]))
        square = self.tf.slice(rows, array([top, left * 3]), array([side, side * 3]))
        return square.reshape(array([side, side, 3]))

    def resize(self, image: Tensor, side: int) -> Tensor:
        return self.tf.image.resizeBilinear(image, array([side, side]), False, True)

    def mirror(self, image: Tensor) -> Tensor:
        return self.tf.reverse(image, 1)

    def normalise(self, image: Tensor, scale: float, offset: float) -> Tensor:
        return image.mul(scale).add(offset)

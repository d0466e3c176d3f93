"""The frozen base in the page: a picture -> its embedding, once, as the picture arrives.

The site's model is Teachable Machine's ``Sequential[features, head]``; its first layer,
``net.layers[0]`` (MobileNetV2 + global average pooling), is the base, already loaded and warmed
up by js/tfstart.js. A picture goes the classify page's way: ``teachkit.core.preprocess``'s plan
run with ``TfjsOps``, then the base, inside ``tf.tidy``: the embedding the build would compute.
Train then only fits the small head on the kept embeddings ("instant training").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyodide.ffi import create_once_callable, to_js

from teachkit.core import modelinfo, preprocess
from teachkit_app.ops import TfjsOps

#: Mean red, green, blue of the picture, then of its top, bottom, left and right eighths.
COLOURS = 15


@dataclass(frozen=True)
class Embedded:
    """One picture through the base: its embedding and its colours (``COLOURS``: the lighting
    and background advice)."""

    embedding: list[float]
    colour: tuple[float, ...]


def base_of(net: Any) -> Any:
    """The features model of a loaded site model: its first layer when that is a model itself
    (Sequential[features, head]); the net itself when it is the base alone (a teach-only site)."""
    first = net.layers[0] if int(net.layers.length) else None
    return first if first is not None and hasattr(first, "predict") else net


class Embedder:
    """The frozen base and its preprocessing, run with TF.js (``tf``, handed over by js/loader.js)."""

    def __init__(self, tf: Any, base: Any, size: int, name: str) -> None:
        self.tf = tf
        self.base = base
        self.size = size
        #: Which base the embeddings come from (the site's model folder): kept ones of another
        #: base are embedded again (store.Kept.stale).
        self.name = name
        self.ops = TfjsOps(tf)
        self.features = int(base.outputs[0].shape[-1])
        self.synchronous = str(tf.getBackend()) in ("wasm", "cpu")

    @classmethod
    def from_started(cls, tf: Any, started: Any, name: str) -> Embedder:
        # Read as the build reads it; a teach-only site's base has no labels, only its size matters.
        metadata = started.metadata.to_py()
        size = int(metadata.get("imageSize") or modelinfo.DEFAULT_IMAGE_SIZE)
        return cls(tf, base_of(started.net), size, name)

    def prepare(self, pixels: Any, mirror: bool = False) -> Any:
        """Pixels (a canvas, the webcam's video) -> the base's input, (size, size, 3); in tf.tidy."""
        image = self.tf.browser.fromPixels(pixels)
        height, width = int(image.shape[0]), int(image.shape[1])
        plan = preprocess.plan(width, height, size=self.size, mirror=mirror)
        return preprocess.run(plan, image.toFloat(), self.ops)

    def forward(self, x: Any) -> Any:
        """The base's input -> the embedding, shape (1, features); call inside tf.tidy."""
        return self.base.predict(x.expandDims(0))

    def _embed_and_colour(self, pixels: Any, mirror: bool) -> Any:
        x = self.prepare(pixels, mirror)
        # The mean colour of the picture and of each side's outer eighth (top, bottom, left,
        # right: the background the advice looks at), from the normalised input (x/127 - 1, back
        # to 0-1), read with the embedding in one transfer.
        rgb = x.add(1).mul(127 / 255)
        edge = max(1, self.size // 8)
        end = self.size - edge
        sides = [
            self.tf.slice(rgb, to_js(start), to_js(size))
            for start, size in (
                ([0, 0, 0], [edge, -1, -1]),
                ([end, 0, 0], [edge, -1, -1]),
                ([0, 0, 0], [-1, edge, -1]),
                ([0, end, 0], [-1, edge, -1]),
            )
        ]
        means = [part.mean(to_js([0, 1])) for part in [rgb, *sides]]
        return self.tf.concat(to_js([self.forward(x).reshape(to_js([-1])), *means]))

    async def embed(self, pixels: Any, mirror: bool = False) -> Embedded:
        """The embedding of the picture on ``pixels`` (every tensor freed after)."""
        y = self.tf.tidy(create_once_callable(lambda: self._embed_and_colour(pixels, mirror)))
        try:
            data = y.dataSync() if self.synchronous else await y.data()
            values = data.to_py().tolist()
        finally:
            y.dispose()
        return Embedded([float(v) for v in values[:-COLOURS]], tuple(float(v) for v in values[-COLOURS:]))

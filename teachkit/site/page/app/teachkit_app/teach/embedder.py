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
from teachkit_app.model import parts
from teachkit_app.ops import TfjsOps

#: Mean red, green, blue of the picture, then of its top, bottom, left and right eighths.
COLOURS = 15
#: The colours are read on a grid of cells this many pixels wide: 8x8 cells of a 224 input, so
#: that each side's eighth is one row or column of cells.
GRID_CELL = 28


@dataclass(frozen=True)
class Embedded:
    """One picture through the base: its embedding and its colours (``COLOURS``: the lighting
    and background advice)."""

    embedding: list[float]
    colour: tuple[float, ...]


def base_of(net: Any) -> Any:
    """The features model of a loaded site model (``model.parts``); the net itself when it is
    the base alone (a teach-only site)."""
    both = parts(net)
    return both[0] if both is not None else net


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
        # The picture's colours on an 8x8 grid (one average pooling; five slices and means of
        # the whole input cost more than the embedding's margin over a classification), read
        # with the embedding in one transfer; ``_colours`` makes the advice's numbers of them.
        grid = self.tf.avgPool(x.expandDims(0), GRID_CELL, GRID_CELL, "valid").reshape(to_js([-1]))
        return self.tf.concat(to_js([self.forward(x).reshape(to_js([-1])), grid]))

    def _colours(self, grid: list[float]) -> tuple[float, ...]:
        """COLOURS numbers (0-1) from the 8x8x3 grid of the normalised input (x/127 - 1): the
        whole picture's mean red, green, blue, then its top, bottom, left and right eighths'."""
        n = self.size // GRID_CELL
        cells = [[(grid[(r * n + c) * 3 + k] + 1) * 127 / 255 for k in range(3)] for r in range(n) for c in range(n)]

        def mean(chosen: list[list[float]]) -> list[float]:
            return [sum(cell[k] for cell in chosen) / len(chosen) for k in range(3)]

        parts = [
            cells,
            cells[:n],
            cells[-n:],
            [cells[r * n] for r in range(n)],
            [cells[r * n + n - 1] for r in range(n)],
        ]
        return tuple(v for part in parts for v in mean(part))

    async def embed(self, pixels: Any, mirror: bool = False) -> Embedded:
        """The embedding of the picture on ``pixels`` (every tensor freed after)."""
        y = self.tf.tidy(create_once_callable(lambda: self._embed_and_colour(pixels, mirror)))
        try:
            data = y.dataSync() if self.synchronous else await y.data()
            values = data.to_py().tolist()
        finally:
            y.dispose()
        cells = 3 * (self.size // GRID_CELL) ** 2
        return Embedded([float(v) for v in values[:-cells]], self._colours(values[-cells:]))

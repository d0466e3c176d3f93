"""The model in the page: the one js/tfstart.js loaded into TF.js, and classifying one picture.

One path for every picture, whoever asks (the page's buttons, the webcam, ``window.teachkit``):
pixels -> ``teachkit.core.preprocess`` plan run with ``TfjsOps`` -> ``model.predict`` inside
``tf.tidy`` -> ``teachkit.core.decide``: the very preprocessing and decision code of the build step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import js
from pyodide.ffi import create_once_callable, to_js

from teachkit.core import decide, preprocess
from teachkit.core.modelinfo import ModelInfo
from teachkit_app.ops import TfjsOps


@dataclass(frozen=True)
class Result:
    """What one picture was classified as: ``label`` is None for "not sure"."""

    label: str | None
    ranked: list[tuple[str, float]]
    backend: str
    ms: float

    def to_api(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "probabilities": [{"label": name, "probability": p} for name, p in self.ranked],
            "backend": self.backend,
            "ms": round(self.ms, 2),
        }


class Classifier:
    """A loaded TF.js layers model with its labels, "not sure" rule and preprocessing settings."""

    def __init__(self, tf: Any, net: Any, metadata: dict[str, Any]) -> None:
        self.tf = tf
        self.net = net
        # Read as the build reads it (the same file, teachkit/core/modelinfo.py), defaults included.
        self.info = ModelInfo.from_metadata(metadata)
        self.labels: list[str] = list(self.info.labels)
        self.rule = self.info.rule
        self.size = self.info.image_size
        #: The model was trained on mirrored webcam frames: mirror what it sees from the webcam too.
        self.mirror_camera = self.info.mirror
        self.ops = TfjsOps(tf)
        self.backend = str(tf.getBackend())
        #: wasm and cpu compute as they go: their results can be read at once, without a wait.
        self.synchronous = self.backend in ("wasm", "cpu")

    @classmethod
    def from_started(cls, tf: Any, started: Any) -> Classifier:
        """The model js/tfstart.js loaded and warmed up while Python started, run with ``tf``
        (TF.js, handed over by js/loader.js)."""
        return cls(tf, started.net, started.metadata.to_py())

    def _prepare(self, pixels: Any, mirror: bool) -> Any:
        """Pixels (a canvas, or the webcam's video element) to the model's input: the shared
        preprocessing plan run with TF.js ops (call inside tf.tidy)."""
        image = self.tf.browser.fromPixels(pixels)
        height, width = int(image.shape[0]), int(image.shape[1])
        plan = preprocess.plan(width, height, size=self.size, mirror=mirror)
        return preprocess.run(plan, image.toFloat(), self.ops)

    def _forward(self, pixels: Any, mirror: bool) -> Any:
        """Pixels to class probabilities, as one tensor (call inside tf.tidy)."""
        x = self._prepare(pixels, mirror)
        return self.net.predict(x.expandDims(0)).reshape(to_js([-1]))

    async def probabilities(self, pixels: Any, mirror: bool = False) -> list[float]:
        """The model's probabilities for the picture on ``pixels`` (every tensor freed after)."""
        y = self.tf.tidy(create_once_callable(lambda: self._forward(pixels, mirror)))
        try:
            data = y.dataSync() if self.synchronous else await y.data()
            return [float(v) for v in data.to_py()]
        finally:
            y.dispose()

    async def classify(self, pixels: Any, mirror: bool = False) -> Result:
        start = js.performance.now()
        probs = await self.probabilities(pixels, mirror)
        index = decide.decide(probs, self.rule)
        return Result(
            label=None if index is None else self.labels[index],
            ranked=decide.ranked(self.labels, probs),
            backend=str(self.tf.getBackend()),
            ms=float(js.performance.now() - start),
        )

    async def warm_up(self) -> None:
        """The page's own path up to the model, once, on a blank picture that is halved and then
        resized (the preprocessing's kernels, WebGL's shaders, Python's crossings to TF.js):
        js/tfstart.js has warmed the model itself up, a second prediction would add nothing."""
        canvas = js.document.createElement("canvas")
        canvas.width = canvas.height = 2 * self.size + 2
        x = self.tf.tidy(create_once_callable(lambda: self._prepare(canvas, True)))
        try:
            await x.data()
        finally:
            x.dispose()

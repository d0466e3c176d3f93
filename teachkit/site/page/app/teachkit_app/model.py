"""The model in the page: the one js/tfstart.js loaded into TF.js, and classifying one picture.

One path for every picture, whoever asks (the page's buttons, the webcam, ``window.teachkit``):
pixels -> ``teachkit.core.preprocess`` plan run with ``TfjsOps`` -> ``model.predict`` inside
``tf.tidy`` -> ``teachkit.core.decide``: the very preprocessing and decision code of the build step.

"None of these": with a summary (outliers.json), one forward pass gives the embedding too: the
model is ``Sequential[features model, head model]`` (Teachable Machine's structure), so the
features model's output goes to the head and to one matrix product with the summary's
prototypes; the similarities, read in the same transfer as the probabilities, become the
distance from the training photos in ``teachkit.core.outlier`` (the build's code). Python's own
dot products cost 30 ms a photo in Pyodide (70 ms against 42 ms on wasm); TF.js's almost nothing.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass
from typing import Any

import js
from pyodide.ffi import create_once_callable, to_js

from teachkit.core import decide, outlier, preprocess
from teachkit.core.modelinfo import ModelInfo
from teachkit_app.ops import TfjsOps


def parts(net: Any) -> tuple[Any, Any] | None:
    """The features model and the head model of a loaded site model (Teachable Machine's
    Sequential[base, head]; an explicit InputLayer, as our exports have, is not a part), or None
    for another structure (a teach-only site's Sequential[base])."""
    layers = [layer for layer in net.layers if str(layer.getClassName()) != "InputLayer"]
    return (layers[0], layers[1]) if len(layers) == 2 else None


@dataclass(frozen=True)
class Result:
    """What one picture was classified as: ``label`` is None for "not sure" and for "none of
    these" (``outlier``: the picture lies far from every class's training photos)."""

    label: str | None
    ranked: list[tuple[str, float]]
    backend: str
    ms: float
    outlier: bool = False
    #: The distance from the training photos (``core.outlier``), None without a summary.
    outlier_score: float | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "outlier": self.outlier,
            "outlierScore": self.outlier_score,
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
        #: "None of these" (``load_outliers``): None when the model has no summary.
        self.detector: outlier.Detector | None = None
        self.outliers_note = ""

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

    async def load_outliers(self, model_dir: str | None = None) -> None:
        """Read the model's "none of these" summary (outliers.json, through the page's fetch: the
        registry serves it from file:// too) when metadata.json names one. Without it, or when it
        does not fit the model, the page has no such verdict and says why in the console."""
        if self.info.outliers is None:
            return
        try:
            if model_dir is None:
                config = json.loads(str(js.document.getElementById("teachkit-config").textContent))
                model_dir = str(config["model"]["dir"])
            response = await js.window.fetch(model_dir + self.info.outliers)
            if not response.ok:
                raise ValueError(f"{self.info.outliers} is missing ({response.status})")
            detector = outlier.Detector(json.loads(str(await response.text())))
            parts = self._parts()
            dims = int(parts[0].outputs[0].shape[-1]) if parts is not None else None
            if dims != detector.dims:
                raise ValueError(f"the model's features ({dims}) do not fit the summary ({detector.dims})")
            self.detector = detector
            self.features_model, self.head_model = parts
            # The prototypes (unit rows, as core.outlier decoded them) as one tensor, kept for the
            # page's lifetime: TF.js computes the similarities, Python the score from them.
            flat = array("f", (v for p in detector.prototypes for v in p))
            self.prototypes = self.tf.tensor2d(to_js(flat), to_js([len(detector.prototypes), detector.dims]))
        except Exception as e:  # the page still classifies; it only cannot say "none of these"
            self.outliers_note = str(e)
            js.console.warn(f"teachkit: no 'none of these': {e}")

    def _parts(self) -> tuple[Any, Any] | None:
        return parts(self.net)

    def _forward(self, pixels: Any, mirror: bool) -> Any:
        """Pixels to class probabilities, as one tensor (call inside tf.tidy); with a summary,
        then the cosine similarities of the features model's output to each prototype: one pass."""
        x = self._prepare(pixels, mirror).expandDims(0)
        if self.detector is None:
            return self.net.predict(x).reshape(to_js([-1]))
        embedding = self.features_model.predict(x)
        probs = self.head_model.predict(embedding)
        unit = embedding.div(embedding.norm())
        similarities = self.tf.matMul(unit, self.prototypes, False, True)
        return self.tf.concat(to_js([probs, similarities]), 1).reshape(to_js([-1]))

    async def _run(self, pixels: Any, mirror: bool) -> tuple[list[float], list[float] | None]:
        """The probabilities and, with a summary, the similarities to its prototypes (every
        tensor freed after)."""
        y = self.tf.tidy(create_once_callable(lambda: self._forward(pixels, mirror)))
        try:
            data = y.dataSync() if self.synchronous else await y.data()
            values = [float(v) for v in data.to_py()]
        finally:
            y.dispose()
        if self.detector is None:
            return values, None
        n = len(self.labels)
        return values[:n], values[n:]

    async def probabilities(self, pixels: Any, mirror: bool = False) -> list[float]:
        """The model's probabilities for the picture on ``pixels``."""
        return (await self._run(pixels, mirror))[0]

    async def classify(self, pixels: Any, mirror: bool = False) -> Result:
        start = js.performance.now()
        probs, similarities = await self._run(pixels, mirror)
        score = None
        if similarities is not None and self.detector is not None:
            score = self.detector.score_from_similarities(similarities)
        far = score is not None and self.detector is not None and score > self.detector.threshold
        index = None if far else decide.decide(probs, self.rule)
        return Result(
            label=None if index is None else self.labels[index],
            ranked=decide.ranked(self.labels, probs),
            backend=str(self.tf.getBackend()),
            ms=float(js.performance.now() - start),
            outlier=far,
            outlier_score=score,
        )

    async def warm_up(self) -> None:
        """The page's own path up to the model, once, on a blank picture that is halved and then
        resized (the preprocessing's kernels, WebGL's shaders, Python's crossings to TF.js):
        js/tfstart.js has warmed the model itself up, a second prediction would add nothing."""
        await self.load_outliers()
        canvas = js.document.createElement("canvas")
        canvas.width = canvas.height = 2 * self.size + 2
        x = self.tf.tidy(create_once_callable(lambda: self._prepare(canvas, True)))
        try:
            await x.data()
        finally:
            x.dispose()

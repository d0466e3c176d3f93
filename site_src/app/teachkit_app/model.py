"""The model in the page: loading it into TF.js, and classifying one picture.

One path for every picture, whoever asks (the page's buttons, the webcam, ``window.teachkit``):
pixels -> ``teachkit.preprocess`` plan run with ``TfjsOps`` -> ``model.predict`` inside
``tf.tidy`` -> ``teachkit.decide``: the very preprocessing and decision code of the build step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import js
from pyodide.ffi import create_once_callable, to_js

from teachkit import decide, preprocess
from teachkit_app.jsutil import to_object
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


async def _fetch_json(url: str) -> Any:
    response = await js.fetch(url)
    if not response.ok:
        raise RuntimeError(f"{url} is missing ({response.status})")
    return await response.json()


async def _fetch_bytes(url: str) -> bytes:
    response = await js.fetch(url)
    if not response.ok:
        raise RuntimeError(f"{url} is missing ({response.status})")
    return (await response.arrayBuffer()).to_py().tobytes()


class Classifier:
    """A loaded TF.js layers model with its labels, "not sure" rule and preprocessing settings."""

    def __init__(self, tf: Any, net: Any, metadata: dict[str, Any]) -> None:
        self.tf = tf
        self.net = net
        self.metadata = metadata
        self.labels: list[str] = list(metadata["labels"])
        self.rule = decide.Rule.from_metadata(metadata)
        self.size = int(metadata.get("imageSize") or preprocess.SIZE)
        user = metadata.get("userMetadata") or {}
        #: The model was trained on mirrored webcam frames: mirror what it sees from the webcam too.
        self.mirror_camera = bool(user.get("mirror", False)) if isinstance(user, dict) else False
        self.ops = TfjsOps(tf)
        self.backend = str(tf.getBackend())

    @classmethod
    async def load(cls, tf: Any, folder: str) -> Classifier:
        """Load ``folder``'s model.json, weights and metadata.json (through the asset registry)."""
        metadata = (await _fetch_json(folder + "metadata.json")).to_py()
        topology = (await _fetch_json(folder + "model.json")).to_py()
        specs = [w for group in topology["weightsManifest"] for w in group["weights"]]
        weights = b"".join([await _fetch_bytes(folder + p) for g in topology["weightsManifest"] for p in g["paths"]])
        artifacts = to_object({"modelTopology": topology["modelTopology"], "weightSpecs": specs})
        artifacts.weightData = to_js(weights).buffer
        net = await tf.loadLayersModel(tf.io.fromMemory(artifacts))
        return cls(tf, net, metadata)

    def _forward(self, canvas: Any, mirror: bool) -> Any:
        """Pixels to class probabilities, as one tensor (runs inside tf.tidy)."""
        tf = self.tf
        image = tf.browser.fromPixels(canvas)
        height, width = int(image.shape[0]), int(image.shape[1])
        plan = preprocess.plan(width, height, size=self.size, mirror=mirror)
        x = preprocess.run(plan, image.toFloat(), self.ops)
        return self.net.predict(x.expandDims(0)).reshape(to_js([-1]))

    async def probabilities(self, canvas: Any, mirror: bool = False) -> list[float]:
        """The model's probabilities for the picture on ``canvas`` (every tensor freed after)."""
        y = self.tf.tidy(create_once_callable(lambda: self._forward(canvas, mirror)))
        try:
            data = await y.data()
            return [float(v) for v in data.to_py()]
        finally:
            y.dispose()

    async def classify(self, canvas: Any, mirror: bool = False) -> Result:
        start = js.performance.now()
        probs = await self.probabilities(canvas, mirror)
        index = decide.decide(probs, self.rule)
        return Result(
            label=None if index is None else self.labels[index],
            ranked=decide.ranked(self.labels, probs),
            backend=str(self.tf.getBackend()),
            ms=float(js.performance.now() - start),
        )

    async def warm_up(self) -> None:
        """One prediction on a blank picture: compiles the shaders / kernels before the first photo."""
        canvas = js.document.createElement("canvas")
        canvas.width = canvas.height = self.size
        await self.probabilities(canvas)

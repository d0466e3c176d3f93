"""Run a model from Python: ours or any Teachable Machine export, with the shared preprocessing.

This is the build-time side of the parity the site promises: the page must give these numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from teachkit import tfenv
from teachkit.core import decide, outlier
from teachkit.data import images, photos
from teachkit.errors import ModelError, UnreadablePhoto
from teachkit.model.files import ModelFiles, open_model


@dataclass
class Predictor:
    """A loaded model with its labels, its "not sure" rule and whether it expects mirrored frames."""

    model: Any
    labels: list[str]
    rule: decide.Rule
    mirror: bool = False
    source: str = "The model"  # how messages name it (its folder or zip)
    #: "None of these" (the model's outliers.json), or None: the model has no such verdict.
    detector: outlier.Detector | None = None

    def forward(self, inputs: np.ndarray, batch: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and embeddings (the features model's output, which the head reads) of
        preprocessed inputs in one pass, as the page computes them: the model is
        Sequential[features model, head model]."""
        features_model, head_model = self.model.layers
        embeddings, probs = [], []
        for i in range(0, len(inputs), batch):
            e = features_model(inputs[i : i + batch], training=False)
            embeddings.append(np.asarray(e))
            probs.append(np.asarray(head_model(e, training=False)))
        if not embeddings:
            return np.zeros((0, len(self.labels)), np.float32), np.zeros((0, 0), np.float32)
        return self._checked(np.concatenate(probs)), np.concatenate(embeddings)

    def outlier_scores(self, embeddings: np.ndarray) -> list[float] | None:
        """Each embedding's distance from the training photos (``core.outlier``, the page's code)."""
        if self.detector is None:
            return None
        return [self.detector.score(e) for e in np.asarray(embeddings, np.float64).tolist()]

    def predict_inputs(self, inputs: np.ndarray, batch: int = 32) -> np.ndarray:
        """Probabilities for preprocessed inputs (N, 224, 224, 3).

        Raises ``ModelError`` when they are not probabilities (NaN, infinite, another count than
        the labels): no accuracy may ever be computed from them."""
        out = [np.asarray(self.model(inputs[i : i + batch], training=False)) for i in range(0, len(inputs), batch)]
        return self._checked(np.concatenate(out) if out else np.zeros((0, len(self.labels)), np.float32))

    def _checked(self, probs: np.ndarray) -> np.ndarray:
        if probs.ndim != 2 or probs.shape[1] != len(self.labels):
            raise ModelError(
                f"{self.source} gives {probs.shape[-1] if probs.ndim else 0} outputs for {len(self.labels)} labels; "
                "its model.json and metadata.json come from different models."
            )
        if not np.isfinite(probs).all():
            raise ModelError(
                f"{self.source} answers NaN or infinity instead of probabilities: its weights are damaged, "
                "so it cannot be measured or used."
            )
        return probs

    def predict_images(self, imgs: Sequence[Image.Image]) -> np.ndarray:
        """Probabilities for decoded RGB images."""
        return self.predict_inputs(np.stack([images.to_input(im, mirror=self.mirror) for im in imgs]))

    def decode_paths(self, paths: Sequence[Path]) -> tuple[list[Path], np.ndarray, list[photos.Skipped]]:
        """The photos that decode, their preprocessed inputs, and the files that did not."""
        good, inputs, skipped = [], [], []
        for p in paths:
            try:
                inputs.append(images.to_input(photos.decode(p), mirror=self.mirror))
                good.append(p)
            except UnreadablePhoto as e:
                skipped.append(photos.Skipped(p, str(e)))
        return good, (np.stack(inputs) if inputs else np.zeros((0, 1, 1, 3), np.float32)), skipped

    def predict_paths(self, paths: Sequence[Path]) -> tuple[np.ndarray, list[photos.Skipped]]:
        """Probabilities for photo files (those that decode), and the files that did not."""
        imgs, skipped = [], []
        for p in paths:
            try:
                imgs.append(photos.decode(p))
            except UnreadablePhoto as e:
                skipped.append(photos.Skipped(p, str(e)))
        return (self.predict_images(imgs) if imgs else np.zeros((0, len(self.labels)))), skipped


def from_files(files: ModelFiles, source: Path | str | None = None) -> Predictor:
    """Load an opened (hence validated) model folder with tensorflowjs' own loader; ``source``
    names it in messages (the zip it came from rather than its temporary folder)."""
    tfenv.import_tensorflow()
    tfjs = tfenv.import_tensorflowjs()

    model = tfjs.converters.load_keras_model(str(files.dir / "model.json"))
    info = files.info
    return Predictor(
        model=model,
        labels=list(info.labels),
        rule=info.rule,
        mirror=info.mirror,
        source=str(source or files.dir),
        detector=None if files.outliers is None else outlier.Detector(files.outliers),
    )


def load(path: Path | str) -> Predictor:
    """A Predictor for a model folder or a Teachable Machine export folder or zip."""
    with open_model(path) as files:
        return from_files(files, source=path)

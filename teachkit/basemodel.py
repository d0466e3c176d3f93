"""The frozen base: ImageNet MobileNetV2, alpha 0.35, 224x224, cut at out_relu + global average
pooling (1280 features), exactly the network inside every Teachable Machine image export.

Where it comes from, in order: `--base-from PATH` (a Teachable Machine export folder or zip),
the TEACHKIT_BASE environment variable (the same), or Keras' own ImageNet weights when they are
cached or can be downloaded.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teachkit import tfenv
from teachkit.tmexport import ModelError, open_model

FEATURES = 1280
ENV = "TEACHKIT_BASE"


@dataclass
class BaseModel:
    """The feature extractor, a short id of its weights (keys the embedding cache), and where it came from."""

    model: Any  # tf_keras Sequential: (None, 224, 224, 3) -> (None, 1280)
    id: str
    source: str
    _compiled: Any = None

    def compiled(self) -> Any:
        """The model's inference as one traced TensorFlow function (built on first use)."""
        if self._compiled is None:
            tf = tfenv.import_tensorflow()
            self._compiled = tf.function(lambda x: self.model(x, training=False), reduce_retracing=True)
        return self._compiled


def weights_id(model: Any) -> str:
    """A digest of every weight: the same network from any export gets the same id."""
    h = hashlib.sha256()
    for w in model.weights:
        h.update(w.numpy().tobytes())
    return h.hexdigest()[:16]


def _from_export(path: Path) -> Any:
    import tensorflowjs as tfjs

    with open_model(path) as files:
        full = tfjs.converters.load_keras_model(str(files.dir / "model.json"))
    base = full.layers[0]
    if tuple(base.output_shape) != (None, FEATURES):
        raise ModelError(f"{path} does not hold Teachable Machine's MobileNetV2 base (features {base.output_shape}).")
    return base


def _from_keras() -> Any:
    keras = tfenv.keras()
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(15)
    try:
        net = keras.applications.MobileNetV2(
            input_shape=(224, 224, 3), alpha=0.35, include_top=False, weights="imagenet"
        )
    except Exception as e:  # offline: urllib raises one of several errors
        raise ModelError(
            "Teachkit needs the pretrained MobileNetV2, and could not download Keras' ImageNet weights "
            f"({type(e).__name__}). Either give a Teachable Machine image export as the base, "
            f"`--base-from path/to/export.zip` (or a folder), or set the environment variable {ENV} to one; "
            "or connect to the internet once so Keras can cache the weights."
        ) from None
    finally:
        socket.setdefaulttimeout(old)
    return keras.Sequential([net, keras.layers.GlobalAveragePooling2D()], name="base")


def load(base_from: Path | None = None) -> BaseModel:
    """The frozen base model from the first source that is given or available."""
    tfenv.import_tensorflow()
    chosen = base_from or (Path(os.environ[ENV]) if os.environ.get(ENV) else None)
    if chosen is not None:
        model = _from_export(chosen)
        source = f"MobileNetV2 from the Teachable Machine export {chosen}"
    else:
        model = _from_keras()
        source = "MobileNetV2 with Keras' ImageNet weights"
    model.trainable = False
    return BaseModel(model=model, id=weights_id(model), source=source)

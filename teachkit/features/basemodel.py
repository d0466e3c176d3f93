"""The frozen base: ImageNet MobileNetV2, alpha 0.35, 224x224, cut at out_relu + global average
pooling (1280 features), exactly the network inside every Teachable Machine image export.

Where it comes from, in order: the source given (a Teachable Machine export folder or zip),
the TEACHKIT_BASE environment variable (the same), or Keras' own ImageNet weights when they are
cached or can be downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from teachkit import fileio, tfenv
from teachkit.model.files import ModelError, open_model

FEATURES = 1280
#: A Teachable Machine export is about 2.3 MB, Keras' weights file about 2 MB.
MAX_SOURCE_BYTES = 512 * 2**20
ENV = "TEACHKIT_BASE"
#: The file Keras caches its ImageNet weights in (the fingerprint of the Keras source).
KERAS_WEIGHTS = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"


class BaseModel:
    """The feature extractor, a short id of its weights (keys the embedding cache), and where it came from.

    Given ``load`` instead of ``model``, it builds the Keras model (about 2 s) only when
    something needs it: a rebuild whose photos are all in the embedding cache, and whose export
    comes from a template, never does.
    """

    def __init__(self, id: str, source: str, model: Any = None, load: Callable[[], Any] | None = None) -> None:
        self.id = id
        self.source = source
        self._model = model
        self._load = load
        self._compiled: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:  # tf_keras Sequential: (None, 224, 224, 3) -> (None, 1280)
        with self._lock:
            if self._model is None and self._load is not None:
                self._model = self._load()
            return self._model

    def compiled(self) -> Any:
        """The model's inference as one traced TensorFlow function (built on first use)."""
        if self._compiled is None:
            tf = tfenv.import_tensorflow()
            model = self.model
            self._compiled = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        return self._compiled


def weights_id(model: Any) -> str:
    """A digest of every weight: the same network from any export gets the same id."""
    h = hashlib.sha256()
    for w in model.weights:
        h.update(w.numpy().tobytes())
    return h.hexdigest()[:16]


def _from_export(path: Path) -> Any:
    tfjs = tfenv.import_tensorflowjs()
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
            f"({type(e).__name__}). Either give a Teachable Machine image export (a folder or its .zip) as the "
            f"base model, or set the environment variable {ENV} to one; or connect to the internet once so Keras "
            "can cache the weights.",
            option="base_from",
        ) from None
    finally:
        socket.setdefaulttimeout(old)
    return keras.Sequential([net, keras.layers.GlobalAveragePooling2D()], name="base")


def _fingerprint(source: Path | None) -> str | None:
    """A cheap digest of the files a base comes from (not of its weights), or None if unknown."""
    if source is None:
        files = [Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / KERAS_WEIGHTS]
    elif source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file())
    else:
        files = [source]
    h = hashlib.sha256()
    try:
        for f in files:  # bounded, never blocking: a pipe in an export folder must not hang a build
            h.update(f.name.encode() + b"\0" + fileio.read_bytes(f, MAX_SOURCE_BYTES))
    except ValueError:
        return None
    return h.hexdigest()


def _loader(chosen: Path | None) -> Callable[[], Any]:
    def load_model() -> Any:
        model = _from_export(chosen) if chosen is not None else _from_keras()
        model.trainable = False
        return model

    return load_model


def load(base_from: Path | None = None, memo: Path | None = None) -> BaseModel:
    """The frozen base model from the first source that is given or available.

    ``memo`` (a JSON file in the models' cache) remembers each source's weights id: when it
    knows this one, the id is known at once and the Keras model is built only if needed.
    """
    tfenv.import_tensorflow()
    chosen = base_from or (Path(os.environ[ENV]) if os.environ.get(ENV) else None)
    if chosen is not None:
        source = f"MobileNetV2 from the Teachable Machine export {chosen}"
    else:
        source = "MobileNetV2 with Keras' ImageNet weights"
    load_model = _loader(chosen)
    fingerprint = _fingerprint(chosen)
    known = _read_memo(memo).get(fingerprint or "")
    if known:
        return BaseModel(id=known, source=source, load=load_model)
    model = load_model()
    base = BaseModel(model=model, id=weights_id(model), source=source)
    if memo is not None and fingerprint:
        _write_memo(memo, {**_read_memo(memo), fingerprint: base.id})
    return base


def _read_memo(memo: Path | None) -> dict[str, str]:
    try:
        data = json.loads(fileio.read_bytes(memo, 2**20)) if memo else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_memo(memo: Path, data: dict[str, str]) -> None:
    fileio.write_json(memo, data)

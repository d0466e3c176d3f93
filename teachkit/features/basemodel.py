"""The frozen base: ImageNet MobileNetV2, alpha 0.35, 224x224, the network inside every Teachable
Machine image export.

As Teachable Machine cuts it (``load(...)``): out_relu + global average pooling, 1280 features.
With ``depths=DEPTHS`` (Teachkit's recipe): the same forward pass read at seven depths, each
globally averaged and standardised per photo (LayerNormalization), then concatenated: 2432
features. Textures and materials (glass against plastic) show in the middle blocks more than in
the last layer; the extra cost at prediction is pooling only. Every layer is one TF.js 1.3.1
knows (Teachable Machine's own library loads the export).

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

#: The width of Teachable Machine's base (out_relu, averaged): what a Teachable Machine export's
#: first layer gives. A base's own width is ``BaseModel.features``.
FEATURES = 1280
#: Teachkit's depths (``train``'s base), with their widths in MobileNetV2 alpha 0.35. Measured
#: (bench/levers.py, trashnet-subset, 5 seeds, with the quarter-turn augmentation): on photos taken
#: later 76.0% against 74.8% with out_relu alone, and more than concatenating without the
#: per-depth standardisation (74.6%), whose large last layer drowns the small middle ones. With
#: the head's standardised features (bench/recipes.py): 76.4% against Teachable Machine's 71.6%.
#: The price (bench/levers_cost.py, Chromium): weights.bin 2.51 MB against 2.06, a prediction
#: 1.11x on wasm and 1.14-1.16x on webgl; the pooling layers only, one forward pass.
DEPTHS: dict[str, int] = {
    "out_relu": 1280,
    "block_16_expand_relu": 336,
    "block_14_expand_relu": 336,
    "block_13_expand_relu": 192,
    "block_10_expand_relu": 144,
    "block_6_expand_relu": 96,
    "block_3_expand_relu": 48,
}
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

    def __init__(
        self,
        id: str,
        source: str,
        model: Any = None,
        load: Callable[[], Any] | None = None,
        features: int = FEATURES,
    ) -> None:
        self.id = id
        self.source = source
        self.features = features
        self._model = model
        self._load = load
        self._compiled: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:  # tf_keras model: (None, 224, 224, 3) -> (None, features)
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
    if mobilenet(base) is None or tuple(base.output_shape) not in ((None, FEATURES), (None, sum(DEPTHS.values()))):
        raise ModelError(f"{path} does not hold Teachable Machine's MobileNetV2 base (features {base.output_shape}).")
    return base


def mobilenet(base: Any) -> Any:
    """The functional MobileNetV2 inside a base (Teachable Machine's Sequential[MobileNetV2,
    pooling]), or the base itself when it is one (Teachkit's multi-depth features model)."""
    if any(layer.name == "out_relu" for layer in getattr(base, "layers", [])):
        return base
    inner = getattr(base, "layers", [None])[0]
    if inner is not None and any(layer.name == "out_relu" for layer in getattr(inner, "layers", [])):
        return inner
    return None


def multi_depth(base: Any, depths: dict[str, int] = DEPTHS) -> Any:
    """One forward pass of ``base``'s MobileNetV2, read at ``depths``: each output globally
    averaged, standardised per photo, concatenated. Layers TF.js 1.3.1 knows, no Lambda."""
    keras = tfenv.keras()
    net = mobilenet(base)
    parts = []
    for name in depths:
        pooled = keras.layers.GlobalAveragePooling2D(name=f"pool_{name}")(net.get_layer(name).output)
        parts.append(keras.layers.LayerNormalization(name=f"norm_{name}")(pooled))
    return keras.Model(net.input, keras.layers.Concatenate(name="features")(parts), name="teachkit_features")


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


def _loader(chosen: Path | None, depths: dict[str, int] | None, as_exported: bool) -> Callable[[], Any]:
    def load_model() -> Any:
        model = _from_export(chosen) if chosen is not None else _from_keras()
        if depths:
            model = multi_depth(model, depths)
        elif not as_exported and tuple(model.output_shape) != (None, FEATURES):
            # a Teachkit model's multi-depth base, as the base of another training: cut as TM does
            keras = tfenv.keras()
            net = mobilenet(model)
            model = keras.Model(net.input, keras.layers.GlobalAveragePooling2D()(net.get_layer("out_relu").output))
        model.trainable = False
        return model

    return load_model


def load(
    base_from: Path | None = None,
    memo: Path | None = None,
    depths: dict[str, int] | None = None,
    as_exported: bool = False,
) -> BaseModel:
    """The frozen base model from the first source that is given or available: Teachable
    Machine's cut (1280 features), or with ``depths`` (``DEPTHS``) Teachkit's multi-depth one.
    ``as_exported``: an export's own base as its page runs it (Teachkit's exports: multi-depth).

    ``memo`` (a JSON file in the models' cache) remembers each source's weights id: when it
    knows this one, the id is known at once and the Keras model is built only if needed.
    """
    tfenv.import_tensorflow()
    chosen = base_from or (Path(os.environ[ENV]) if os.environ.get(ENV) else None)
    if chosen is not None:
        source = f"MobileNetV2 from the Teachable Machine export {chosen}"
    else:
        source = "MobileNetV2 with Keras' ImageNet weights"
    if depths:
        source += f", read at {len(depths)} depths"
    load_model = _loader(chosen, depths, as_exported)
    if as_exported:  # the width is the export's own: known once it is loaded
        model = load_model()
        return BaseModel(model=model, id=weights_id(model), source=source, features=int(model.output_shape[-1]))
    width = sum(depths.values()) if depths else FEATURES
    fingerprint = _fingerprint(chosen)
    if fingerprint and depths:  # the same files make another base at other depths
        fingerprint += "|" + ",".join(depths)
    known = _read_memo(memo).get(fingerprint or "")
    if known:
        return BaseModel(id=known, source=source, load=load_model, features=width)
    model = load_model()
    if int(model.output_shape[-1]) != width:
        raise ModelError(f"The base from {chosen} gives {model.output_shape[-1]} features, not {width}.")
    identity = weights_id(model) if not depths else layout_id(model, depths)
    base = BaseModel(model=model, id=identity, source=source, features=width)
    if memo is not None and fingerprint:
        _write_memo(memo, {**_read_memo(memo), fingerprint: base.id})
    return base


def layout_id(model: Any, depths: dict[str, int]) -> str:
    """The weights' digest and the depths read: keys the embedding cache and export templates."""
    return hashlib.sha256(f"{weights_id(model)}|{','.join(depths)}".encode()).hexdigest()[:16]


def _read_memo(memo: Path | None) -> dict[str, str]:
    try:
        data = json.loads(fileio.read_bytes(memo, 2**20)) if memo else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_memo(memo: Path, data: dict[str, str]) -> None:
    fileio.write_json(memo, data)

"""Teachable Machine's export layout taken apart and put together: the frozen base, and a new head.

Every Teachable Machine image export, and every model Teachkit writes, is
``Sequential[ base Sequential[MobileNetV2, pooling], head Sequential[Dense(100, relu),
Dense(N, softmax, no bias)] ]`` in one weights.bin. The Teach page's "Download model" puts the
head a pupil trained on the site's base (``with_head``), and ``teachkit teach`` ships the base
alone (``base_model``), cut out of an export (``base_of``). Standard library only: the build
(``teachkit.site.render``) and the page (Pyodide, ``teach/zips.py``) run this very file.

The weights keep Teachable Machine's manifest order: the base's trained tensors, the head's three,
then the base's batch-norm moving statistics (measured on its exports: 156, 3, 104). TF.js and
the converter read weights by name; the order is kept so a diff against a real export is clean.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from teachkit.core import preprocess

WEIGHTS = "weights.bin"
HIDDEN = "dense_hidden"
CLASSES = "dense_classes"
HIDDEN_UNITS = 100
#: The base's non-trained tensors: Teachable Machine's manifest puts them after the head's.
MOVING = ("/moving_mean", "/moving_variance")
#: What every Teachable Machine export's topology says it was written by (TF.js's converter
#: writes this pair too); a base that names its own is kept as it is.
KERAS_VERSION, BACKEND = "tfjs-layers 1.3.1", "tensor_flow.js"


class NotABase(ValueError):
    """A model.json whose base Teachkit cannot cut out (no head, quantised weights...)."""


@dataclass(frozen=True)
class Base:
    """The frozen base: its layer config (a Sequential), its manifest entries, their bytes."""

    layer: dict[str, Any]
    entries: list[dict[str, Any]]
    data: bytes
    features: int
    keras_version: str = KERAS_VERSION
    backend: str = BACKEND


def _layers(node: dict[str, Any]) -> list[dict[str, Any]]:
    """A Sequential's layers; tmVersion 1.x writes the config as the bare list."""
    config = node.get("config")
    layers = config if isinstance(config, list) else config.get("layers") if isinstance(config, dict) else None
    if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
        raise NotABase("model.json has no list of layers.")
    return layers


def _name(node: dict[str, Any]) -> str:
    config = node.get("config")
    return str(config.get("name", "")) if isinstance(config, dict) else ""


def _is_head(node: dict[str, Any]) -> bool:
    """A Sequential of Dense layers (Dropout allowed), or one Dense layer."""
    if node.get("class_name") == "Dense":
        return True
    if node.get("class_name") != "Sequential":
        return False
    inner = [x for x in _layers(node) if x.get("class_name") != "InputLayer"]
    return bool(inner) and all(x.get("class_name") in ("Dense", "Dropout") for x in inner)


def _head_names(node: dict[str, Any]) -> set[str]:
    if node.get("class_name") == "Dense":
        return {_name(node)}
    return {_name(x) for x in _layers(node) if x.get("class_name") == "Dense"}


def _sizes(entries: list[dict[str, Any]]) -> list[int]:
    sizes = []
    for e in entries:
        if e.get("dtype") != "float32" or e.get("quantization") is not None:
            raise NotABase(f"model.json's weight {e.get('name')!r} is not plain float32 (a quantised model).")
        sizes.append(4 * math.prod(e["shape"]))
    return sizes


def base_of(model_json: dict[str, Any], weights: bytes, features: int | None = None) -> Base:
    """The base of a validated model (``core.modelcheck.validate``) with one weight file: a full
    model's first part, or a teach-only base's whole model (then ``features`` must be given)."""
    top = model_json["modelTopology"]
    groups = model_json["weightsManifest"]
    entries = [e for group in groups for e in group["weights"]]
    sizes = _sizes(entries)
    if sum(sizes) != len(weights):
        raise NotABase("weights.bin does not hold the tensors model.json lists.")
    parts = [x for x in _layers(top) if x.get("class_name") != "InputLayer"]
    version = str(top.get("keras_version") or KERAS_VERSION)
    backend = str(top.get("backend") or BACKEND)
    if len(parts) == 2 and _is_head(parts[1]) and not _is_head(parts[0]):
        base_layer, head = parts
        heads = _head_names(head)
        first = next(
            x
            for x in ([head] if head.get("class_name") == "Dense" else _layers(head))
            if x.get("class_name") == "Dense"
        )
        in_head = [any(part in heads for part in e["name"].split("/")[:-1]) for e in entries]
        kernel = next(
            (
                e
                for e, h in zip(entries, in_head, strict=True)
                if h and e["name"].endswith("/kernel") and _name(first) in e["name"]
            ),
            None,
        )
        if kernel is None or len(kernel["shape"]) != 2:
            raise NotABase("model.json's head has no first kernel.")
        features = int(kernel["shape"][0])
    elif len(parts) == 1 and parts[0].get("class_name") == "Sequential" and not _is_head(parts[0]) and features:
        base_layer = parts[0]  # a teach-only base: Sequential[ base ] (``base_model``)
        in_head = [False] * len(entries)
    else:
        raise NotABase("model.json is not a base with one head, as Teachable Machine exports are.")
    offsets = [0]
    for size in sizes:
        offsets.append(offsets[-1] + size)
    kept = [k for k, h in enumerate(in_head) if not h]
    data = b"".join(weights[offsets[k] : offsets[k + 1]] for k in kept)
    base_entries = [dict(entries[k]) for k in kept]
    return Base(base_layer, base_entries, data, features, version, backend)


@dataclass(frozen=True)
class Head:
    """A model's head as Teachable Machine trains it: kernels row-major [in x out]."""

    hidden_kernel: list[float]
    hidden_bias: list[float]
    classes_kernel: list[float]
    features: int
    n_classes: int


def head_of(model_json: dict[str, Any], weights: bytes) -> Head:
    """The Dense(100, relu) + Dense(N, softmax, no bias) head of a validated model with one
    weight file (ours or a Teachable Machine export); ``NotABase`` for any other head."""
    parts = [x for x in _layers(model_json["modelTopology"]) if x.get("class_name") != "InputLayer"]
    if len(parts) != 2 or not _is_head(parts[1]) or parts[1].get("class_name") != "Sequential":
        raise NotABase("model.json has no head of two Dense layers.")
    dense = [x for x in _layers(parts[1]) if x.get("class_name") == "Dense"]
    if len(dense) != 2 or dense[1]["config"].get("use_bias") or not dense[0]["config"].get("use_bias"):
        raise NotABase("model.json's head is not Teachable Machine's (Dense with bias, then Dense without).")
    entries = [e for group in model_json["weightsManifest"] for e in group["weights"]]
    sizes = _sizes(entries)
    values: dict[str, list[float]] = {}
    offset = 0
    for e, size in zip(entries, sizes, strict=True):
        values[e["name"]] = _unpack(weights[offset : offset + size])
        offset += size
    found = []
    for layer, kind in ((dense[0], "kernel"), (dense[0], "bias"), (dense[1], "kernel")):
        names = [e["name"] for e in entries if e["name"].split("/")[-2:] == [_name(layer), kind]]
        if len(names) != 1:
            raise NotABase(f"model.json has no single {kind} of the layer {_name(layer)!r}.")
        found.append(next(e for e in entries if e["name"] == names[0]))
    hk, hb, ck = found
    return Head(values[hk["name"]], values[hb["name"]], values[ck["name"]], int(hk["shape"][0]), int(ck["shape"][1]))


def _unpack(data: bytes) -> list[float]:
    values = array("f")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def base_model(base: Base) -> tuple[dict[str, Any], bytes]:
    """model.json and weights.bin of the base alone (the model of a ``teachkit teach`` site):
    pictures in, ``base.features`` numbers out. The base is the model's first layer, as in a full
    model (``Sequential[ base ]``): the page takes ``net.layers[0]`` in either site."""
    topology = {
        "class_name": "Sequential",
        "config": {"name": "teachkit_base", "layers": [base.layer]},
        "keras_version": base.keras_version,
        "backend": base.backend,
    }
    return {"modelTopology": topology, "weightsManifest": [{"paths": [WEIGHTS], "weights": base.entries}]}, base.data


def _floats(values: Sequence[float], n: int, what: str) -> bytes:
    if len(values) != n:
        raise ValueError(f"the head's {what} has {len(values)} numbers, not {n}")
    data = array("f", values)
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def _dense(name: str, units: int, activation: str, bias: bool, inputs: int | None = None) -> dict[str, Any]:
    """A Dense layer's config as Teachable Machine's exports write it (TF.js 1.3.1 reads it)."""
    config: dict[str, Any] = {
        "units": units,
        "activation": activation,
        "use_bias": bias,
        "kernel_initializer": {
            "class_name": "VarianceScaling",
            "config": {"scale": 1, "mode": "fan_in", "distribution": "normal", "seed": None},
        },
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
        "name": name,
        "trainable": True,
    }
    if inputs is not None:
        config["batch_input_shape"] = [None, inputs]
        config["dtype"] = "float32"
    return {"class_name": "Dense", "config": config}


def with_head(
    base: Base,
    hidden_kernel: Sequence[float],
    hidden_bias: Sequence[float],
    classes_kernel: Sequence[float],
    n_classes: int,
) -> tuple[dict[str, Any], bytes]:
    """model.json and weights.bin of ``base`` with the head Teachable Machine trains: Dense(100,
    relu) then Dense(``n_classes``, softmax, no bias); kernels row-major [in x out]."""
    f = base.features
    head = {
        "class_name": "Sequential",
        "config": {
            "name": "head",
            "layers": [
                _dense(HIDDEN, HIDDEN_UNITS, "relu", True, inputs=f),
                _dense(CLASSES, n_classes, "softmax", False),
            ],
        },
    }
    topology = {
        "class_name": "Sequential",
        "config": {"name": "teachkit", "layers": [base.layer, head]},
        "keras_version": base.keras_version,
        "backend": base.backend,
    }
    head_entries = [
        (
            {"name": f"{HIDDEN}/kernel", "shape": [f, HIDDEN_UNITS], "dtype": "float32"},
            _floats(hidden_kernel, f * HIDDEN_UNITS, "hidden kernel"),
        ),
        (
            {"name": f"{HIDDEN}/bias", "shape": [HIDDEN_UNITS], "dtype": "float32"},
            _floats(hidden_bias, HIDDEN_UNITS, "hidden bias"),
        ),
        (
            {"name": f"{CLASSES}/kernel", "shape": [HIDDEN_UNITS, n_classes], "dtype": "float32"},
            _floats(classes_kernel, HIDDEN_UNITS * n_classes, "classes kernel"),
        ),
    ]
    sizes = _sizes(base.entries)
    offsets = [0]
    for size in sizes:
        offsets.append(offsets[-1] + size)
    trained = [k for k, e in enumerate(base.entries) if not e["name"].endswith(MOVING)]
    moving = [k for k, e in enumerate(base.entries) if e["name"].endswith(MOVING)]
    entries = [base.entries[k] for k in trained] + [e for e, _ in head_entries] + [base.entries[k] for k in moving]
    data = (
        b"".join(base.data[offsets[k] : offsets[k + 1]] for k in trained)
        + b"".join(d for _, d in head_entries)
        + b"".join(base.data[offsets[k] : offsets[k + 1]] for k in moving)
    )
    return {"modelTopology": topology, "weightsManifest": [{"paths": [WEIGHTS], "weights": entries}]}, data


def metadata(
    labels: Sequence[str],
    name: str,
    user: dict[str, Any],
    tfjs_version: str,
    package_version: str,
    timestamp: str,
) -> dict[str, Any]:
    """metadata.json with Teachable Machine's fields and Teachkit's ``userMetadata``, as the
    build writes it (``teachkit.model.export.metadata``)."""
    return {
        "tfjsVersion": tfjs_version,
        "tmVersion": "2.4.10",
        "packageVersion": package_version,
        "packageName": "teachkit",
        "modelName": name,
        "timeStamp": timestamp,
        "labels": list(labels),
        "imageSize": preprocess.SIZE,
        "userMetadata": {"preprocessing": preprocess.spec(), **user},
    }

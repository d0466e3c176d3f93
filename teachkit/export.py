"""Export: the trained model in TF.js layers format, as Teachable Machine writes it.

Teachable Machine's structure is Sequential[ base Sequential[MobileNetV2, pooling], head
Sequential[Dense, Dense] ], one `weights.bin`, and a `metadata.json` beside `model.json`; any
page or library that runs a Teachable Machine export runs ours. The folder is written next to
its destination and swapped in only when complete, so a failed build keeps the last good model.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from teachkit import __version__, preprocess, tfenv
from teachkit.basemodel import BaseModel

WEIGHTS = "weights.bin"
ONE_SHARD = 1 << 40  # bytes: large enough that the converter writes a single shard


def assemble(base: Any, head: Any) -> Any:
    """The nested Sequential Teachable Machine exports: base then head."""
    keras = tfenv.keras()
    model = keras.Sequential([base, head], name="teachkit")
    model.build((None, preprocess.SIZE, preprocess.SIZE, 3))
    return model


def metadata(labels: list[str], name: str, user: dict[str, Any]) -> dict[str, Any]:
    """metadata.json with Teachable Machine's fields, and ours under userMetadata."""
    import tensorflowjs as tfjs

    return {
        "tfjsVersion": tfjs.__version__,
        "tmVersion": "2.4.10",  # the Teachable Machine format this export follows
        "packageVersion": __version__,
        "packageName": "teachkit",
        "modelName": name,
        "timeStamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "labels": list(labels),
        "imageSize": preprocess.SIZE,
        "userMetadata": {"preprocessing": preprocess.spec(), **user},
    }


def layers_model(base: BaseModel, head: Any, templates: Path | None = None) -> tuple[dict[str, Any], bytes]:
    """model.json's content and weights.bin's bytes for the base with ``head`` on top.

    Everything but the head's weights is the same in every model made on one base with as many
    classes, so the first export (through Keras and the converter) is kept in ``templates``, and
    later ones copy it with the new head's weights in place: no Keras base to build (about 2 s).
    """
    n_classes = int(head.layers[-1].units)
    stem = templates / f"{base.id}-{n_classes}-classes" if templates is not None else None
    if stem is not None:
        try:
            model_json = json.loads(stem.with_suffix(".json").read_text())
            weights = stem.with_suffix(".bin").read_bytes()
        except (OSError, ValueError):
            pass
        else:
            placed = _with_head(model_json, weights, head)
            if placed is not None:
                return model_json, placed
    model_json, weights = _convert(assemble(base.model, head))
    if stem is not None and _with_head(model_json, weights, head) == weights:
        stem.parent.mkdir(parents=True, exist_ok=True)
        _replace(stem.with_suffix(".bin"), weights)
        _replace(stem.with_suffix(".json"), json.dumps(model_json).encode())
    return model_json, weights


def _with_head(model_json: dict[str, Any], weights: bytes, head: Any) -> bytes | None:
    """``weights`` with ``head``'s weights written where the manifest puts them; None when the
    manifest does not hold exactly this head (another shape, names or layout)."""
    groups = model_json.get("weightsManifest", [])
    entries = [w for group in groups for w in group["weights"]]
    sizes = [4 * int(np.prod(e["shape"], dtype=np.int64)) for e in entries]
    if len(groups) != 1 or sum(sizes) != len(weights) or any(e.get("dtype") != "float32" for e in entries):
        return None
    offsets = np.cumsum([0, *sizes])
    out = bytearray(weights)
    for variable, value in zip(head.weights, head.get_weights(), strict=True):
        short = "/".join(variable.name.split(":")[0].split("/")[-2:])  # "dense_hidden/kernel"
        found = [k for k, e in enumerate(entries) if e["name"] == short or e["name"].endswith("/" + short)]
        if len(found) != 1 or list(entries[found[0]]["shape"]) != list(value.shape):
            return None
        k = found[0]
        out[offsets[k] : offsets[k + 1]] = np.asarray(value, "<f4").tobytes()
    return bytes(out)


def _write_layers_model(model: tuple[dict[str, Any], bytes], folder: Path) -> None:
    model_json, weights = model
    (folder / "model.json").write_text(json.dumps(model_json))
    (folder / WEIGHTS).write_bytes(weights)


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _convert(model: Any) -> tuple[dict[str, Any], bytes]:
    """model.json (Teachable Machine's flat layout) and one shard of weights, by the converter."""
    import tensorflowjs as tfjs

    with tempfile.TemporaryDirectory(prefix="teachkit-export-") as tmp:
        folder = Path(tmp)
        with warnings.catch_warnings():  # the converter goes through a legacy HDF5 file, and says so
            warnings.simplefilter("ignore", UserWarning)
            tfjs.converters.save_keras_model(model, str(folder), weight_shard_size_bytes=ONE_SHARD)
        model_json = json.loads((folder / "model.json").read_text())
        shards = [p for group in model_json["weightsManifest"] for p in group["paths"]]
        if len(shards) != 1:
            raise RuntimeError(f"expected one weight shard, the converter wrote {shards}")
        weights = (folder / shards[0]).read_bytes()
    for group in model_json["weightsManifest"]:
        group["paths"] = [WEIGHTS]
    # Teachable Machine writes the topology flat ({class_name, config, keras_version, backend});
    # newer converters nest it under model_config. TF.js reads both; older tools only the flat one.
    topology = model_json["modelTopology"]
    if "model_config" in topology:
        model_json["modelTopology"] = {**topology.pop("model_config"), **topology}
    _functional_as_model(model_json["modelTopology"])
    return model_json, weights


def _functional_as_model(node: Any) -> None:
    """Name functional models "Model", as Teachable Machine's exports do: Keras 2.13+ writes
    "Functional", which TF.js before 2.x (Teachable Machine's own library runs 1.3.1) rejects with
    "Unknown layer: Functional"; every TF.js since 1.x reads "Model"."""
    if isinstance(node, dict):
        if node.get("class_name") == "Functional":
            node["class_name"] = "Model"
        for value in node.values():
            _functional_as_model(value)
    elif isinstance(node, list):
        for value in node:
            _functional_as_model(value)


def write_model(model: tuple[dict[str, Any], bytes], meta: dict[str, Any], extra: dict[str, Any], target: Path) -> Path:
    """Write the model folder at ``target`` (model.json and weights.bin from ``layers_model``,
    metadata.json and one JSON file per ``extra`` item), replacing an older one only once
    everything is written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; a web host must be able to read it
        _write_layers_model(model, staging)
        (staging / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
        for filename, content in extra.items():
            (staging / filename).write_text(json.dumps(content, ensure_ascii=False, indent=1))
        if target.exists():
            old = target.with_name(f".{target.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target

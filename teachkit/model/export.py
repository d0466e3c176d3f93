"""Export: the trained model in TF.js layers format, as Teachable Machine writes it.

Teachable Machine's structure is Sequential[ base Sequential[MobileNetV2, pooling], head
Sequential[Dense, Dense] ], one `weights.bin`, and a `metadata.json` beside `model.json`; any
page or library that runs a Teachable Machine export runs ours. The folder is written next to
its destination and swapped in only when complete, so a failed build keeps the last good model.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from teachkit import __version__, fileio, tfenv
from teachkit.core import preprocess
from teachkit.errors import OutputError, printable

WEIGHTS = "weights.bin"


class BaseModel(Protocol):
    """What an export needs of the frozen base (``teachkit.features.basemodel.BaseModel``): its
    weights' id (the template's key) and, for the first export on it, the Keras model."""

    id: str

    @property
    def model(self) -> Any: ...


ONE_SHARD = 1 << 40  # bytes: large enough that the converter writes a single shard


def assemble(base: Any, head: Any) -> Any:
    """The nested Sequential Teachable Machine exports: base then head."""
    keras = tfenv.keras()
    model = keras.Sequential([base, head], name="teachkit")
    model.build((None, preprocess.SIZE, preprocess.SIZE, 3))
    return model


def metadata(labels: list[str], name: str, user: dict[str, Any]) -> dict[str, Any]:
    """metadata.json with Teachable Machine's fields, and ours under userMetadata."""
    tfjs = tfenv.import_tensorflowjs()

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
            # the cache's own files, read bounded (the template is the size of one export)
            model_json = json.loads(fileio.read_bytes(stem.with_suffix(".json"), 2**24))
            weights = fileio.read_bytes(stem.with_suffix(".bin"), 2**28)
        except (OSError, ValueError):
            pass
        else:
            placed = _with_head(model_json, weights, head)
            if placed is not None:
                return model_json, placed
    model_json, weights = _convert(assemble(base.model, head))
    if stem is not None and _with_head(model_json, weights, head) == weights:
        fileio.write_bytes(stem.with_suffix(".bin"), weights)
        fileio.write_bytes(stem.with_suffix(".json"), json.dumps(model_json).encode())
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


def _convert(model: Any) -> tuple[dict[str, Any], bytes]:
    """model.json (Teachable Machine's flat layout) and one shard of weights, by the converter."""
    tfjs = tfenv.import_tensorflowjs()

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


#: Everything ``write_model`` puts in a model folder: a folder holding anything else is not ours.
MODEL_FILES = frozenset(
    {"model.json", WEIGHTS, "metadata.json", "metrics.json", "dataset-report.json", "outliers.json"}
)


def check_name(name: str) -> str:
    """``name`` if it is a plain folder name for a model; ``OutputError`` otherwise (``..``, a
    path, a hidden name such as the models' ``.cache``, control characters)."""
    shown = printable(name)
    if not name or not name.strip():
        raise OutputError("The model needs a name: give a plain name such as 'recycling'.")
    if name in (".", "..") or any(sep in name for sep in ("/", "\\", os.sep, "\0")):
        raise OutputError(f"The model name '{shown}' is not a plain folder name; give a name such as 'recycling'.")
    if name.startswith(".") or shown != name or len(name.encode("utf-8", "surrogateescape")) > 200:
        raise OutputError(
            f"The model name '{shown}' cannot be a folder name (hidden, too long or with control characters); "
            "give a name such as 'recycling'."
        )
    return name


def check_target(target: Path, keep: Sequence[Path] = ()) -> None:
    """Refuse, before any work, a model folder that would replace something Teachkit did not
    write: a folder of the user's (``keep``: the photos above all, or a folder that holds them),
    a file, a link, or a folder with anything but a Teachkit model in it."""
    target = Path(target)
    where = target.absolute()
    for folder in keep:
        mine = Path(folder).resolve()
        resolved = where.parent.resolve() / where.name
        if mine.is_relative_to(resolved):
            raise OutputError(
                f"The model would replace {target}, which is or holds your photos folder {folder}; "
                "nothing was written. Choose another name or models folder."
            )
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise OutputError(f"{target} exists and is not a model folder Teachkit wrote; it was left alone.")
    if not target.exists():
        return
    theirs = sorted(p.name for p in target.iterdir() if p.name not in MODEL_FILES and p.name != fileio.STAGING_MARK)
    if theirs:
        listed = ", ".join(printable(n) for n in theirs[:3]) + (" ..." if len(theirs) > 3 else "")
        raise OutputError(
            f"{target} holds files Teachkit did not write ({listed}); it was left alone. "
            "Choose another name, or move those files away."
        )
    try:
        meta = json.loads(fileio.read_bytes(target / "metadata.json", 1 << 20, "metadata.json"))
    except (ValueError, UnicodeDecodeError):
        meta = None
    if not isinstance(meta, dict) or meta.get("packageName") != "teachkit":
        raise OutputError(
            f"{target} holds a model Teachkit did not train (a Teachable Machine export?); it was left alone. "
            "Choose another name."
        )


def write_model(model: tuple[dict[str, Any], bytes], meta: dict[str, Any], extra: dict[str, Any], target: Path) -> Path:
    """Write the model folder at ``target`` (model.json and weights.bin from ``layers_model``,
    metadata.json and one JSON file per ``extra`` item), replacing an older one only once
    everything is written (``fileio.staged_folder``: an interruption keeps the older one)."""
    _recover_legacy(target)
    with fileio.staged_folder(target) as staging:
        _write_layers_model(model, staging)
        (staging / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
        for filename, content in extra.items():
            (staging / filename).write_text(json.dumps(content, ensure_ascii=False, indent=1))
    return target


def _recover_legacy(target: Path) -> None:
    """Teachkit 0.1.0 moved the previous model to ``.NAME-old`` during the swap: a run killed
    there left no model. Put it back when it is a model and nothing replaced it."""
    old = target.with_name(f".{target.name}-old")
    if not target.exists() and old.is_dir() and not old.is_symlink() and (old / "metadata.json").is_file():
        os.replace(old, target)

"""Export: the trained model in TF.js layers format, as Teachable Machine writes it.

Teachable Machine's structure is Sequential[ base Sequential[MobileNetV2, pooling], head
Sequential[Dense, Dense] ], one `weights.bin`, and a `metadata.json` beside `model.json`; any
page or library that runs a Teachable Machine export runs ours. The folder is written next to
its destination and swapped in only when complete, so a failed build keeps the last good model.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from teachkit import __version__, preprocess, tfenv

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


def _write_layers_model(model: Any, folder: Path) -> None:
    """model.json + a single weights.bin, as Teachable Machine names them."""
    import tensorflowjs as tfjs

    with warnings.catch_warnings():  # the converter goes through a legacy HDF5 file, and says so
        warnings.simplefilter("ignore", UserWarning)
        tfjs.converters.save_keras_model(model, str(folder), weight_shard_size_bytes=ONE_SHARD)
    model_json = json.loads((folder / "model.json").read_text())
    shards = [p for group in model_json["weightsManifest"] for p in group["paths"]]
    if len(shards) != 1:
        raise RuntimeError(f"expected one weight shard, the converter wrote {shards}")
    (folder / shards[0]).rename(folder / WEIGHTS)
    for group in model_json["weightsManifest"]:
        group["paths"] = [WEIGHTS]
    # Teachable Machine writes the topology flat ({class_name, config, keras_version, backend});
    # newer converters nest it under model_config. TF.js reads both; older tools only the flat one.
    topology = model_json["modelTopology"]
    if "model_config" in topology:
        model_json["modelTopology"] = {**topology.pop("model_config"), **topology}
    (folder / "model.json").write_text(json.dumps(model_json))


def write_model(model: Any, meta: dict[str, Any], extra: dict[str, Any], target: Path) -> Path:
    """Write the model folder at ``target`` (model.json, weights.bin, metadata.json and one JSON
    file per ``extra`` item), replacing an older one only once everything is written."""
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

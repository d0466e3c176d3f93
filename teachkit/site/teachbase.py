"""The model of a teach-only site (`teachkit teach`): the frozen base alone, no classes.

Cut out of a Teachable Machine export (every one carries the ImageNet MobileNetV2 alpha 0.35:
``--base-from``, else ``$TEACHKIT_BASE``) in pure Python by ``teachkit.core.tmformat``, or
converted from Keras' ImageNet weights when neither is given (as ``teachkit train`` does). Its
``metadata.json`` says ``userMetadata.teachOnly: true`` and how many ``features`` the base gives;
the Teach page embeds pictures with it and ``teach/zips.py`` puts a trained head on it.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from teachkit import __version__, tfenv
from teachkit.core import tmformat
from teachkit.errors import ModelError
from teachkit.features import basemodel
from teachkit.model import export
from teachkit.model.files import ModelFiles, open_model
from teachkit.site import vendor

#: The TF.js package whose version a teach-only base's metadata names (the site's own TF.js).
TFJS = "@tensorflow/tfjs"


def _from_export(path: Path) -> tuple[dict[str, Any], bytes, Path]:
    try:
        with open_model(path) as files:
            model = json.loads(files.files["model.json"])
            paths = [p for group in model["weightsManifest"] for p in group["paths"]]
            return model, b"".join(files.files[p] for p in paths), files.dir
    except ModelError as e:  # the sentence names the path; the command line adds --base-from
        raise ModelError(str(e), option=e.option or "base_from") from None


def _from_keras() -> tuple[dict[str, Any], bytes]:
    """Keras' ImageNet base under a throwaway head, converted as a build converts its models."""
    base = basemodel.load(None)  # a ModelError naming --base-from when the weights cannot be had
    keras = tfenv.keras()
    head = keras.Sequential(
        [
            keras.layers.Dense(
                tmformat.HIDDEN_UNITS, activation="relu", input_shape=(basemodel.FEATURES,), name=tmformat.HIDDEN
            ),
            keras.layers.Dense(2, activation="softmax", use_bias=False, name=tmformat.CLASSES),
        ],
        name="head",
    )
    return export.layers_model(base, head)


def load(base_from: Path | None, name: str) -> ModelFiles:
    """The base as a model folder's files (model.json, weights.bin, metadata.json's content)."""
    chosen = base_from or (Path(os.environ[basemodel.ENV]) if os.environ.get(basemodel.ENV) else None)
    if chosen is not None:
        model, weights, folder = _from_export(chosen)
    else:
        model, weights = _from_keras()
        folder = Path(".")
    try:
        base = tmformat.base_of(model, weights)
    except tmformat.NotABase as e:
        raise ModelError(f"{chosen} has no base Teachkit can teach with: {e}", option="base_from") from None
    if base.features != basemodel.FEATURES:
        raise ModelError(
            f"{chosen} does not hold Teachable Machine's MobileNetV2 base ({base.features} features, not "
            f"{basemodel.FEATURES}).",
            option="base_from",
        )
    alone, data = tmformat.base_model(base)
    tfjs = next((p.version for p in vendor.read_lock() if p.name == TFJS), "")
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    user = {"teachOnly": True, "features": base.features}
    meta = tmformat.metadata([], name, user, tfjs, __version__, stamp)
    files = {"model.json": json.dumps(alone).encode("utf-8"), tmformat.WEIGHTS: data}
    return ModelFiles(dir=folder, metadata=meta, topology=alone["modelTopology"], files=files)

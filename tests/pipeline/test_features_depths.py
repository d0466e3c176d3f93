"""The multi-depth base (issue 11): one forward pass of Teachable Machine's MobileNetV2 read at
``basemodel.DEPTHS``, each depth averaged and standardised per photo, then concatenated; exported
as the model's first layer in layers TF.js 1.3.1 knows (Teachable Machine's own library)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from teachkit import tfenv
from teachkit.data import images, photos
from teachkit.features import augment, basemodel, embeddings
from teachkit.model import export

#: The layers tfjs 1.3.1 registers that a Teachkit export may use (no Lambda: no custom code).
TFJS_1_3_1 = {
    "Sequential", "Model", "InputLayer", "Conv2D", "DepthwiseConv2D", "BatchNormalization", "ReLU",
    "ZeroPadding2D", "Add", "GlobalAveragePooling2D", "LayerNormalization", "Concatenate", "Dense",
    "GlorotUniform", "VarianceScaling", "Ones", "Zeros",  # initialisers it knows too
}  # fmt: skip


@pytest.fixture(scope="module")
def bases(base_export: Path) -> tuple[basemodel.BaseModel, basemodel.BaseModel]:
    return basemodel.load(base_export), basemodel.load(base_export, depths=basemodel.DEPTHS)


def test_the_first_part_is_teachable_machines_features_standardised(bases, trashnet: Path) -> None:
    tm, deep = bases
    assert tm.features == 1280 and deep.features == sum(basemodel.DEPTHS.values()) == 2432
    assert tm.id != deep.id  # the embedding cache and the export templates tell them apart
    x = np.stack([images.to_input(photos.decode(p)) for p in sorted((trashnet / "glass").glob("*.jpg"))[:3]])
    plain, wide = embeddings.embed_inputs(tm, x), embeddings.embed_inputs(deep, x)
    assert wide.shape == (3, 2432)
    centred = plain - plain.mean(1, keepdims=True)
    expected = centred / np.sqrt(centred.var(1, keepdims=True) + 1e-3)  # Keras' LayerNormalization
    np.testing.assert_allclose(wide[:, :1280], expected, atol=1e-4)


def test_the_export_keeps_the_features_as_its_first_layer(bases) -> None:
    _, deep = bases
    keras = tfenv.keras()
    head = keras.Sequential(
        [
            keras.layers.Dense(100, activation="relu", input_shape=(deep.features,), name="dense_hidden"),
            keras.layers.Dense(3, activation="softmax", use_bias=False, name="dense_classes"),
        ],
        name="head",
    )
    model_json, weights = export.layers_model(deep, head)
    layers = [layer for layer in model_json["modelTopology"]["config"]["layers"] if layer["class_name"] != "InputLayer"]
    assert [layer["class_name"] for layer in layers] == ["Model", "Sequential"]  # the embedder, then the head
    assert layers[0]["config"]["output_layers"][0][0] == "features"  # the concatenation is its output
    used = {m for m in _class_names(model_json["modelTopology"])}
    assert used <= TFJS_1_3_1, used - TFJS_1_3_1
    sizes = [4 * int(np.prod(w["shape"])) for g in model_json["weightsManifest"] for w in g["weights"]]
    assert sum(sizes) == len(weights)
    assert json.dumps(model_json).count('"class_name": "Functional"') == 0


def _class_names(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("class_name"), str) and "config" in node:
            found.add(node["class_name"])
        for value in node.values():
            found |= _class_names(value)
    elif isinstance(node, list):
        for value in node:
            found |= _class_names(value)
    return found


def test_augmented_copies_are_turned_a_quarter_turn_too() -> None:
    """Some of a photo's copies lie on their side: a tall bar becomes a wide one."""
    x = np.full((224, 224, 3), -1.0, np.float32)
    x[:, 100:124] = 1.0  # a vertical white bar
    turned = 0
    for k in range(augment.COPIES * 4):
        v = augment.view(x, "digest", k)
        down, across = np.abs(np.diff(v, axis=0)).sum(), np.abs(np.diff(v, axis=1)).sum()
        turned += bool(down > across)  # its edges run across: the bar lies on its side
    assert 0 < turned < augment.COPIES * 4

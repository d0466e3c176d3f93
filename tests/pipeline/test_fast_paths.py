"""The build's fast paths give what the slow ones would: TensorFlow Lite embeddings, the final
head trained alongside the first, the export from a template, and a rebuild that never builds
the Keras base."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from teachkit.core import recipe
from teachkit.data import images, photos
from teachkit.features import basemodel, embeddings, lite
from teachkit.model import export
from teachkit.training import head
from teachkit.training.train import Recipe, TrainOptions, train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(base_export: Path) -> basemodel.BaseModel:
    return basemodel.load(base_export)


def test_lite_embeddings_match_tensorflow(base: basemodel.BaseModel, trashnet: Path, tmp_path: Path) -> None:
    paths = sorted(trashnet.rglob("*.jpg"))[::90][:10]
    x = np.stack([images.to_input(photos.decode(p)) for p in paths])
    fast = lite.cached(tmp_path / "base.tflite", lambda: base.model)
    assert fast is not None and (tmp_path / "base.tflite").is_file()
    expected = embeddings.embed_inputs(base, x)
    assert np.abs(fast(x) - expected).max() < 1e-4
    # From the cached file this time, without the Keras model.
    again = lite.cached(tmp_path / "base.tflite", lambda: pytest.fail("converted again"))
    assert again is not None and np.abs(again(x) - expected).max() < 1e-4


def test_a_damaged_lite_file_is_converted_again(base: basemodel.BaseModel, tmp_path: Path) -> None:
    (tmp_path / "base.tflite").write_bytes(b"not a model")
    assert lite.cached(tmp_path / "base.tflite", lambda: base.model) is not None
    assert (tmp_path / "base.tflite").stat().st_size > 1_000_000


def test_the_final_head_is_the_one_a_separate_refit_would_give() -> None:
    rng = np.random.default_rng(1)
    width = sum(basemodel.DEPTHS.values())  # the seven depths: standardised, then folded in
    centres = rng.normal(0, 1, (3, width))
    y = rng.integers(0, 3, 300)
    x = np.maximum(centres[y] + rng.normal(0, 4, (300, width)), 0).astype(np.float32)
    trained = head.train(x[:200], y[:200], x[200:240], y[200:240], x[:240], y[:240], 3, 14, seed=5, batch_size=32)
    assert 10 <= trained.history.best_epoch <= len(trained.history.loss) <= 14
    # the recipe's refit: the final head trained afterwards from the same first weights and orders,
    # on the same standardised rows, the standardisation then folded in
    shift, scale = head.standardisation(x[:240])
    rows = head.standardised(x[:240], shift, scale)
    assert recipe.standardises(width)
    alone = head._Trainer(3, recipe.initial_weights(width, 3, 5), rows, y[:240], 32)
    recipe.refit(alone, trained.history.best_epoch, seed=5)
    head.fold_standardisation(alone.model, shift, scale)
    for got, want in zip(trained.final.get_weights(), alone.model.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_the_template_export_is_the_converters_export(base: basemodel.BaseModel, tmp_path: Path) -> None:
    first, second = head.build(4), head.build(4)
    for h, seed in ((first, 1), (second, 2)):
        h.set_weights([np.random.default_rng(seed).normal(0, 0.1, w.shape).astype(np.float32) for w in h.get_weights()])
    export.layers_model(base, first, tmp_path)  # through Keras and the converter; kept as the template
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".bin", ".json"]
    from_template = export.layers_model(base, second, tmp_path)
    converted = export._convert(export.assemble(base.model, second))
    assert json.dumps(from_template[0], sort_keys=True) == json.dumps(converted[0], sort_keys=True)
    assert from_template[1] == converted[1]
    # Another number of classes has another template.
    other = head.build(5)
    assert len(export.layers_model(base, other, tmp_path)[1]) != len(converted[1])


def test_a_rebuild_from_the_cache_never_builds_the_keras_base(
    trashnet: Path, base_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos_dir = tmp_path / "photos"
    for label in ("glass", "paper"):
        (photos_dir / label).mkdir(parents=True)
        for p in sorted((trashnet / label).glob("*.jpg"))[:12]:
            shutil.copy(p, photos_dir / label / p.name)

    def run() -> dict:
        opts = TrainOptions(
            photos=photos_dir,
            models_dir=tmp_path / "models",
            base_from=base_export,
            name="m",
            recipe=Recipe(epochs=12),
            out=io.StringIO(),
        )
        return train(opts).metrics

    first = run()
    monkeypatch.setattr(basemodel, "_from_export", lambda path: pytest.fail("the Keras base was built again"))
    second = run()
    assert second["accuracy"] == first["accuracy"]
    assert (tmp_path / "models" / "m" / "weights.bin").stat().st_size > 2_000_000

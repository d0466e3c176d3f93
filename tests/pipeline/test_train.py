"""The whole train pipeline on real photos with the real base model: files, numbers, round trip,
incremental embedding, and the last good model kept when a build fails."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from teachkit.data import photos
from teachkit.model import export, predict
from teachkit.training.train import Recipe, TrainOptions, train

pytestmark = pytest.mark.slow

CLASSES = ("cardboard", "glass", "metal")


def _subset(trashnet: Path, target: Path, per_class: int, start: int = 0) -> Path:
    for label in CLASSES:
        (target / label).mkdir(parents=True, exist_ok=True)
        for p in sorted((trashnet / label).glob("*.jpg"))[start : start + per_class]:
            shutil.copy(p, target / label / p.name)
    return target


def _train(photos_dir: Path, models: Path, base: Path, **kw) -> tuple:
    out = io.StringIO()
    opts = TrainOptions(photos=photos_dir, models_dir=models, base_from=base, name="m", out=out, **kw)
    result = train(opts)
    return result, out.getvalue()


@pytest.fixture(scope="module")
def trained(trashnet: Path, base_export: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("train")
    photos_dir = _subset(trashnet, root / "photos", 25)
    result, output = _train(photos_dir, root / "models", base_export, recipe=Recipe(epochs=15))
    return root, photos_dir, result, output


def test_the_model_folder_is_a_teachable_machine_export(trained) -> None:
    _, _, result, _ = trained
    folder = result.model_dir
    assert sorted(p.name for p in folder.iterdir()) == [
        "dataset-report.json",
        "metadata.json",
        "metrics.json",
        "model.json",
        "outliers.json",
        "weights.bin",
    ]
    model_json = json.loads((folder / "model.json").read_text())
    assert model_json["weightsManifest"][0]["paths"] == ["weights.bin"]
    outer = [la for la in model_json["modelTopology"]["config"]["layers"] if la["class_name"] != "InputLayer"]
    # the base read at seven depths (a functional Model, as Teachable Machine names its own), the head
    assert [layer["class_name"] for layer in outer] == ["Model", "Sequential"]
    assert outer[0]["config"]["name"] == "teachkit_features"
    head_layers = [la for la in outer[1]["config"]["layers"] if la["class_name"] == "Dense"]
    assert [(la["config"]["units"], la["config"]["activation"], la["config"]["use_bias"]) for la in head_layers] == [
        (100, "relu", True),
        (3, "softmax", False),
    ]
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["labels"] == list(CLASSES) and meta["imageSize"] == 224 and meta["packageName"] == "teachkit"
    user = meta["userMetadata"]
    assert user["preprocessing"]["version"].startswith("teachkit-preprocess")
    assert 0 <= user["notSure"]["threshold"] <= 1 and user["mirror"] is False
    assert user["notSure"]["mode"] == "balanced" and user["outliers"] == "outliers.json"
    assert user["classCounts"] == {c: 25 for c in CLASSES}


def test_metrics_are_measured_on_held_out_photos_only(trained) -> None:
    _, photos_dir, result, output = trained
    m = json.loads((result.model_dir / "metrics.json").read_text())
    assert m["n_heldout"] == 3 * 4  # ceil(15% of 25) per class
    assert len(m["predictions"]) == m["n_heldout"]
    assert m["evaluated_on"] == "held-out"
    held = {p["path"] for p in m["predictions"]}
    validation = {p["path"] for p in m["validation_predictions"]}
    assert not held & validation
    # accuracy recomputed from the saved predictions
    right = sum(CLASSES.index(p["label"]) == int(np.argmax(p["probabilities"])) for p in m["predictions"])
    assert m["accuracy"] == pytest.approx(right / m["n_heldout"])
    assert np.asarray(m["confusion"]).sum() == m["n_heldout"]
    assert set(m["per_class"]) == set(CLASSES)
    assert m["counts"]["glass"] == {"train": 17, "validation": 4, "heldout": 4}  # ceil(15%) of 25, then of 21
    assert all((photos_dir / p).exists() for p in held)
    assert f"on {m['n_heldout']} photos it never trained on" in output


def test_exported_files_give_the_trained_models_probabilities(trained, trashnet: Path) -> None:
    _, _, result, _ = trained
    imgs = [photos.decode(p) for label in CLASSES for p in sorted((trashnet / label).glob("*.jpg"))[100:104]]
    loaded = predict.load(result.model_dir)
    from teachkit.data import images

    x = np.stack([images.to_input(im) for im in imgs])
    original = np.asarray(result.model(x, training=False))
    assert np.abs(loaded.predict_images(imgs) - original).max() < 1e-5


def test_adding_five_photos_embeds_five(trained, trashnet: Path, base_export: Path) -> None:
    root, photos_dir, _, _ = trained
    again = _subset(trashnet, root / "photos2", 25)
    for p in sorted((trashnet / "metal").glob("*.jpg"))[60:65]:
        shutil.copy(p, again / "metal" / p.name)
    _, output = _train(again, root / "models", base_export, recipe=Recipe(epochs=3))
    assert "Embedded 5 new photo(s)" in output


def test_a_failed_build_keeps_the_last_good_model(trained, base_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, photos_dir, result, _ = trained
    before = {p.name: p.read_bytes() for p in result.model_dir.iterdir()}

    def disk_full(model, folder: Path) -> None:
        (folder / "model.json").write_text("{")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_write_layers_model", disk_full)
    with pytest.raises(OSError):
        _train(photos_dir, root / "models", base_export, recipe=Recipe(epochs=2))
    assert {p.name: p.read_bytes() for p in result.model_dir.iterdir()} == before
    assert [p.name for p in (root / "models").iterdir() if p.name != ".cache"] == ["m"]


def test_test_dir_measures_on_the_separate_folder(trashnet: Path, base_export: Path, tmp_path: Path) -> None:
    photos_dir = _subset(trashnet, tmp_path / "photos", 12)
    test_dir = _subset(trashnet, tmp_path / "room", 5, start=120)
    result, output = _train(
        photos_dir, tmp_path / "models", base_export, test_dir=test_dir, recipe=Recipe(epochs=5, augment=False)
    )
    assert result.metrics["evaluated_on"] == "test-dir" and result.metrics["n_heldout"] == 15
    assert result.metrics["counts"]["glass"]["heldout"] == 0
    assert "on 15 photos in the separate test folder" in output


def test_bad_photos_stop_the_build_before_training(trashnet: Path, base_export: Path, tmp_path: Path) -> None:
    photos_dir = _subset(trashnet, tmp_path / "photos", 12)
    shutil.rmtree(photos_dir / "metal")
    (photos_dir / "metal").mkdir()
    for p in sorted((trashnet / "metal").glob("*.jpg"))[:2]:
        shutil.copy(p, photos_dir / "metal" / p.name)
    with pytest.raises(photos.PhotoError):
        _train(photos_dir, tmp_path / "models", base_export)
    assert not (tmp_path / "models" / "m").exists()


def test_fine_tune_trains_the_last_blocks_only(trashnet: Path, base_export: Path, tmp_path: Path) -> None:
    from teachkit.features import basemodel

    photos_dir = _subset(trashnet, tmp_path / "photos", 12)
    result, _ = _train(
        photos_dir, tmp_path / "models", base_export, recipe=Recipe(epochs=3, augment=False, fine_tune=True)
    )
    assert "fine-tuned" in result.metrics["recipe"]["base"]
    original = {w.name: w.numpy() for w in basemodel.load(base_export).model.weights}
    tuned = {w.name: w.numpy() for w in predict.load(result.model_dir).model.layers[0].weights}
    changed = {name for name, value in tuned.items() if name in original and not np.array_equal(value, original[name])}
    assert any(n.startswith("block_15") for n in changed)
    assert not any(n.startswith(("block_1_", "block_13", "Conv1/")) for n in changed)
    assert not any("moving_" in n for n in changed)  # batch norm stays frozen


def test_best_epoch_ignores_the_first_epochs_and_prefers_the_later_of_equals() -> None:
    from teachkit.training.head import best_epoch

    acc = [0.9, 0.5, 0.6, 0.7, 0.7, 0.6]
    assert best_epoch(acc, start=3) == 5  # epoch 1's 0.9 comes before early stopping may start
    assert best_epoch(acc, start=1) == 1
    assert best_epoch([0.4, 0.5], start=10) == 2  # fewer epochs than the start: all count

"""The held-out split: stratified, seeded, never empty, and near-copies on one side."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from teachkit.data import dataset, photos


def _scene(seed: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.new("RGB", (160, 120), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x, y = rng.randrange(160), rng.randrange(120)
        draw.rectangle(
            (x, y, x + rng.randrange(10, 60), y + rng.randrange(10, 60)),
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    return img


def _info(label: str, img: Image.Image, name: str) -> dataset.PhotoInfo:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    decoded = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return dataset.describe(Path(label) / name, label, f"{label}-{name}", decoded)


def _infos(per_class: dict[str, int], burst: int = 0) -> list[dataset.PhotoInfo]:
    infos = []
    seed = 0
    for label, n in per_class.items():
        for k in range(n):
            seed += 1
            infos.append(_info(label, _scene(seed), f"{k}.jpg"))
    for k in range(burst):  # near-copies of the first photo of class "a": re-encoded, nudged by a pixel
        img = _scene(1).transform((160, 120), Image.Transform.AFFINE, (1, 0, k % 2, 0, 1, 0))
        infos.append(_info("a", img, f"burst{k}.jpg"))
    return infos


def test_split_is_stratified_and_holds_out_ceil_of_the_share() -> None:
    infos = _infos({"a": 20, "b": 7, "c": 3})
    s = dataset.split(infos, 0.15, seed=0)
    held = [infos[i].label for i in s.heldout]
    assert held.count("a") == 3 and held.count("b") == 2 and held.count("c") == 1
    assert sorted(s.train + s.validation + s.heldout) == list(range(len(infos)))
    for label in "abc":
        assert any(infos[i].label == label for i in s.validation)


def test_split_is_seeded() -> None:
    infos = _infos({"a": 15, "b": 15})
    assert dataset.split(infos, 0.2, seed=3) == dataset.split(infos, 0.2, seed=3)
    assert any(
        dataset.split(infos, 0.2, seed=s).heldout != dataset.split(infos, 0.2, seed=0).heldout for s in range(1, 6)
    )


def test_near_copies_stay_on_one_side() -> None:
    infos = _infos({"a": 12, "b": 12}, burst=4)
    burst = {i for i, info in enumerate(infos) if info.path.name.startswith("burst")} | {0}
    for seed in range(10):
        s = dataset.split(infos, 0.3, seed)
        sides = {("train" if i in s.train else "val" if i in s.validation else "held") for i in burst}
        assert len(sides) == 1, f"seed {seed}: near-copies split across {sides}"


def test_a_class_too_small_to_split_is_a_clear_error() -> None:
    with pytest.raises(photos.PhotoError, match="'b' has 2 usable photo"):
        dataset.split(_infos({"a": 10, "b": 2}), 0.15, seed=0)


def test_inspect_caches_and_reports_unreadable(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    for label in "ab":
        (root / label).mkdir(parents=True)
        for k in range(3):
            _scene(k + (label == "b") * 10).save(root / label / f"{k}.jpg")
    (root / "a" / "broken.jpg").write_bytes(b"\xff\xd8\xff nonsense")
    cache = tmp_path / "cache"
    infos, bad = dataset.inspect(photos.scan(root), cache)
    assert len(infos) == 6 and [b.path.name for b in bad] == ["broken.jpg"]
    again, _ = dataset.inspect(photos.scan(root), cache)
    assert again == infos
    assert np.asarray(infos[0].thumbnail()).shape == (dataset.THUMB, dataset.THUMB, 3)


@pytest.mark.parametrize("holdout", [0.0, 1.0, 1.5])
def test_a_held_out_share_out_of_range_is_a_sentence_without_a_flag(holdout: float) -> None:
    # The library may be called from anywhere: only the command line names its options.
    with pytest.raises(photos.PhotoError, match="held-out share must be between 0 and 1") as e:
        dataset.split(_infos({"a": 5, "b": 5}), holdout, seed=0)
    assert "--" not in str(e.value)

"""bench/recipes.py's "later photos" split is what it says: trained on the photos taken first,
measured on the photos taken after (trashnet-subset numbers its photos in the order taken)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from teachkit.data import dataset, photos

ROOT = Path(__file__).resolve().parents[2]


def _recipes():
    spec = importlib.util.spec_from_file_location("recipes", ROOT / "bench" / "recipes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_later_split_trains_on_the_first_photos_and_measures_on_the_later(trashnet: Path, tmp_path: Path) -> None:
    recipes = _recipes()
    infos, _ = dataset.inspect(photos.scan(trashnet), tmp_path / "cache")
    numbers = [recipes._number(i.path) for i in infos]
    assert all(n is not None for n in numbers)
    split = recipes.later_split(infos, numbers, seed=0)
    learned = split.train + split.validation
    assert sorted(learned + split.heldout) == list(range(len(infos)))  # every photo, once
    assert all(numbers[i] <= recipes.LATER_FROM for i in learned)
    assert all(numbers[i] > recipes.LATER_FROM for i in split.heldout)
    for label in {i.label for i in infos}:  # a validation part in every class, drawn from the first photos
        assert any(infos[i].label == label for i in split.validation)
        assert any(infos[i].label == label for i in split.heldout)
    assert recipes.later_split(infos, numbers, seed=0) == split  # seeded

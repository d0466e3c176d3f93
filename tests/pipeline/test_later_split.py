"""bench/recipes.py's "later photos" split is what it says: trained on the photos taken first,
measured on the photos taken after (trashnet-subset numbers its photos in the order taken)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

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


def test_the_interval_of_a_mean_difference_draws_the_photos_again() -> None:
    """bench/recipes.py's interval: none when every photo agrees, the whole gap when one recipe is
    always right, and wider when the seeds share their photos (one draw for all) than when each
    seed's photos are drawn on their own (their errors then average out)."""
    recipes = _recipes()
    rng = np.random.default_rng(1)
    same = [rng.random(287) < 0.7 for _ in range(5)]
    assert recipes.photo_interval(same, same, shared=True) == (0.0, 0.0)
    never, always = [np.zeros(287, bool)] * 5, [np.ones(287, bool)] * 5
    assert recipes.photo_interval(never, always, shared=True) == (1.0, 1.0)
    photos_a = rng.random(287) < 0.7  # one recipe is right on a fixed set of photos, on every seed
    a = [photos_a] * 5
    b = [photos_a | (rng.random(287) < 0.15) for _ in range(5)]
    low, high = recipes.photo_interval(a, b, shared=True, rounds=500)
    low_each, high_each = recipes.photo_interval(a, b, shared=False, rounds=500)
    mean = float(np.mean([y.mean() - x.mean() for x, y in zip(a, b, strict=True)]))
    assert low < mean < high and low_each < mean < high_each
    assert high - low > high_each - low_each

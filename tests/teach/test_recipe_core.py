"""teachkit/core/recipe.py, the recipe the build and the Teach page share: the split, near copies,
class weights, first weights, epoch orders, early stopping, the temperature and the rule."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from teachkit.core import notsure, recipe


def _labels(counts: dict[int, int]) -> list[int]:
    return [c for c, n in counts.items() for _ in range(n)]


def _side(s: recipe.Split, i: int) -> str:
    return "train" if i in s.train else "validation" if i in s.validation else "heldout"


@pytest.mark.parametrize("counts", [{0: 50, 1: 50}, {0: 3, 1: 7, 2: 20, 3: 100}, {0: 13, 1: 6}])
def test_split_sizes_ceil_of_the_share_per_class_at_least_one(counts: dict[int, int]) -> None:
    labels = _labels(counts)
    s = recipe.split(labels, list(range(len(labels))), 0.15, seed=4)
    assert sorted(s.train + s.validation + s.heldout) == list(range(len(labels)))
    for klass, n in counts.items():
        held = sum(1 for i in s.heldout if labels[i] == klass)
        val = sum(1 for i in s.validation if labels[i] == klass)
        assert held == max(1, math.ceil(0.15 * n)), (klass, n)
        assert val == max(1, math.ceil(0.15 * (n - held))), (klass, n)
        assert any(labels[i] == klass for i in s.train)


def test_split_is_seeded_and_the_seed_matters() -> None:
    labels = _labels({0: 40, 1: 40})
    groups = list(range(80))
    assert recipe.split(labels, groups, 0.15, 7) == recipe.split(labels, groups, 0.15, 7)
    assert len({tuple(recipe.split(labels, groups, 0.15, s).heldout) for s in range(6)}) > 1


def test_bursts_are_never_split_across_sides() -> None:
    rng = random.Random(1)
    # bursts of 1 to 9 frames, as a pupil holding the record button for a moment
    labels, groups = [], []
    for klass in range(3):
        for _ in range(12):
            g = len(set(groups)) if groups else 0
            for _ in range(rng.randint(1, 9)):
                labels.append(klass)
                groups.append(g)
    for seed in range(20):
        s = recipe.split(labels, groups, 0.15, seed)
        for g in set(groups):
            members = [i for i, x in enumerate(groups) if x == g]
            assert len({_side(s, i) for i in members}) == 1, (seed, g)
        for klass in range(3):  # something of every class on every side
            assert {_side(s, i) for i, c in enumerate(labels) if c == klass} == {"train", "validation", "heldout"}


def test_a_class_that_is_one_burst_still_keeps_something_to_learn_from() -> None:
    labels = _labels({0: 10, 1: 10})
    groups = [0] * 10 + list(range(1, 11))
    s = recipe.split(labels, groups, 0.15, 0)
    assert any(labels[i] == 0 for i in s.train) and any(labels[i] == 0 for i in s.heldout)


def test_too_few_examples_names_the_class() -> None:
    with pytest.raises(recipe.TooFewExamples) as e:
        recipe.split(_labels({0: 5, 1: 2}), list(range(7)), 0.15, 0)
    assert (e.value.klass, e.value.n, e.value.need) == (1, 2, 3)
    assert recipe.split(_labels({0: 5, 1: 2}), list(range(7)), 0.15, 0, with_heldout=False).heldout == []


@pytest.mark.slow
def test_the_builds_split_is_the_recipes(trashnet_embedded) -> None:
    """dataset.split (the build) with the embeddings' groups is recipe.split with those groups."""
    from teachkit.data import dataset

    e = trashnet_embedded
    groups = dataset.burst_groups(e.features, e.classes)
    assert len(set(groups)) < len(groups)  # trashnet has re-shots of one object: they are grouped
    for seed in range(3):
        built = dataset.split(e.infos, 0.15, seed, groups=groups)
        assert built == recipe.split(e.classes, groups, 0.15, seed)


def _vector(rng: random.Random, n: int = 64) -> list[float]:
    return [rng.gauss(0, 1) for _ in range(n)]


def _with_cosine(base: list[float], cosine: float, rng: random.Random) -> list[float]:
    """A vector at exactly ``cosine`` to ``base``."""
    u = np.asarray(base) / np.linalg.norm(base)
    r = np.asarray(_vector(rng, len(base)))
    r -= (r @ u) * u
    r /= np.linalg.norm(r)
    return list(cosine * u + math.sqrt(1 - cosine**2) * r)


def test_burst_groups_join_near_copies_transitively_and_only_those() -> None:
    rng = random.Random(0)
    a = _vector(rng)
    b = _with_cosine(a, 0.95, rng)  # a frame later
    c = _with_cosine(b, 0.93, rng)  # two frames later: near b, maybe not near a
    far = _with_cosine(a, 0.85, rng)  # another object of the class
    other = _vector(rng)
    groups = recipe.burst_groups([a, b, c, far, other, [2 * v for v in a]])
    assert groups[0] == groups[1] == groups[2] == groups[5]  # a length does not matter, the direction does
    assert len({groups[0], groups[3], groups[4]}) == 3
    assert groups == [0, 0, 0, 1, 2, 0]  # numbered in the order of their first member
    # the same pictures under two classes: compared only within a class
    split_classes = recipe.burst_groups([a, b], labels=[0, 1])
    assert split_classes[0] != split_classes[1]


def test_a_fast_products_rounding_never_changes_the_groups() -> None:
    """Pairs near the threshold are decided by the exact cosine, whatever the fast product said."""
    rng = random.Random(5)
    a = _vector(rng, 1280)
    rows = [a, _with_cosine(a, 0.9 + 1e-9, rng), _with_cosine(a, 0.9 - 1e-9, rng), _with_cosine(a, 0.95, rng)]
    exact = [recipe.cosine(rows[0], r) for r in rows]
    assert exact[1] >= 0.9 > exact[2]
    want = recipe.burst_groups(rows)
    assert want[0] == want[1] == want[3] != want[2]
    for error in (-5e-4, 0.0, 5e-4):  # what float32 or another summation order could do, and worse

        def skewed(members: list[int], error: float = error) -> list[list[float]]:
            return [[recipe.cosine(rows[i], rows[j]) + error for j in members] for i in members]

        assert recipe.burst_groups(rows, cosines=skewed) == want


@pytest.mark.slow
def test_the_builds_numpy_groups_are_the_recipes(trashnet_embedded) -> None:
    from teachkit.data import dataset

    e = trashnet_embedded
    some = [i for i, c in enumerate(e.classes) if c < 2]  # two classes: the plain-Python way is slow
    features = e.features[some]
    classes = [e.classes[i] for i in some]
    assert dataset.burst_groups(features, classes) == recipe.burst_groups(features.tolist(), classes)


@pytest.mark.slow
def test_burst_groups_on_real_photos_join_copies_not_other_objects(trashnet: Path, base_export: Path) -> None:
    """Real trashnet photos and near copies of them (a frame later: cropped by 3%, a little
    brighter): each copy joins its photo; photos of different objects stay apart."""
    from PIL import Image, ImageEnhance

    from teachkit.data import images, photos
    from teachkit.features import basemodel, embeddings

    paths = [trashnet / "glass" / f"glass{k}.jpg" for k in (20, 40, 60, 80)] + [trashnet / "metal" / "metal28.jpg"]
    paths.append(trashnet / "metal" / "metal32.jpg")  # another can: the closest distinct pair measured (0.894)
    inputs = []
    for p in paths:
        img = photos.decode(p)
        w, h = img.size
        copy = ImageEnhance.Brightness(img.crop((w * 3 // 100, h * 2 // 100, w, h))).enhance(1.08)
        inputs += [images.to_input(img), images.to_input(copy.resize(img.size, Image.Resampling.BILINEAR))]
    features = embeddings.embed_inputs(basemodel.load(base_export), np.stack(inputs))
    groups = recipe.burst_groups(features.tolist())
    assert all(groups[2 * k] == groups[2 * k + 1] for k in range(len(paths))), groups
    assert len(set(groups)) == len(paths), groups


def test_class_weights_balance_the_classes() -> None:
    w = recipe.class_weights([0] * 30 + [1] * 10 + [2] * 20, 4)
    assert w[:3] == [60 / (4 * 30), 60 / (4 * 10), 60 / (4 * 20)] and w[3] == 0.0
    counts = Counter([0] * 30 + [1] * 10 + [2] * 20)
    assert len({round(w[c] * counts[c], 9) for c in range(3)}) == 1  # every class weighs the same


def test_the_folded_standardisation_gives_the_trained_layer_on_raw_features() -> None:
    """relu(((x - shift) / scale) W + b) = relu(x W' + b'): the exported head takes the raw features."""
    rng = np.random.default_rng(3)
    features, units = 40, recipe.HIDDEN
    x = rng.gamma(2.0, rng.uniform(0.01, 3, features), (25, features))  # columns of very different sizes
    shift, scale = recipe.standardise(x.mean(0).tolist(), x.std(0).tolist())
    assert scale == [float(d) + recipe.STANDARD_EPSILON for d in x.std(0)]
    w, b = rng.normal(0, 0.2, (features, units)), rng.normal(0, 0.1, units)
    kernel, bias = recipe.fold_standardisation(w.ravel().tolist(), b.tolist(), shift, scale)
    trained = np.maximum(((x - shift) / np.asarray(scale)) @ w + b, 0)
    folded = np.maximum(x @ np.asarray(kernel).reshape(features, units) + np.asarray(bias), 0)
    np.testing.assert_allclose(folded, trained, atol=1e-9)
    assert not np.allclose(np.maximum(x @ w + b, 0), trained)  # the standardisation does change the layer


def test_initial_weights_are_glorot_uniform_from_the_seed() -> None:
    a, b, c = recipe.initial_weights(1280, 3, 0), recipe.initial_weights(1280, 3, 0), recipe.initial_weights(1280, 3, 1)
    assert a == b and a.hidden_kernel != c.hidden_kernel
    assert len(a.hidden_kernel) == 1280 * recipe.HIDDEN and len(a.classes_kernel) == recipe.HIDDEN * 3
    assert a.hidden_bias == [0.0] * recipe.HIDDEN
    limit = math.sqrt(6 / (1280 + recipe.HIDDEN))
    k = np.asarray(a.hidden_kernel)
    assert np.abs(k).max() <= limit and abs(k.mean()) < 0.01 * limit
    assert abs(k.std() - limit / math.sqrt(3)) < 0.01 * limit  # a uniform's spread


def test_orders_are_seeded_permutations_reshuffled_every_epoch() -> None:
    first = recipe.orders(50, 3)
    epochs = [next(first) for _ in range(5)]
    assert all(sorted(o) == list(range(50)) for o in epochs)
    assert len({tuple(o) for o in epochs}) == 5
    again = recipe.orders(50, 3)
    assert [next(again) for _ in range(5)] == epochs


class Scripted:
    """A backend whose validation accuracy follows a script (the loop's decisions are the test);
    its "weights" are the number of epochs it ran and the orders it was given."""

    def __init__(self, val_accuracy: list[float], rows: int = 8) -> None:
        self.script, self.rows, self.done, self.seen = val_accuracy, rows, 0, []

    def epoch(self, order: list[int]) -> tuple[float, float]:
        self.done += 1
        self.seen.append(order)
        return 1.0 / self.done, 0.5

    def evaluate(self) -> tuple[float, float]:
        return 0.1, self.script[self.done - 1]

    def get_weights(self) -> tuple[int, list]:
        return self.done, list(self.seen)

    def set_weights(self, weights: tuple[int, list]) -> None:
        self.kept = weights


def test_early_stopping_waits_for_min_epochs_then_patience_and_keeps_the_best() -> None:
    # epoch 1's 0.99 comes before MIN_EPOCHS and does not count; epoch 12's 0.8 is never beaten,
    # so training stops PATIENCE epochs later; of the equal bests (12, 15, 16) the last is kept
    script = [0.99] + [0.5] * 10 + [0.8, 0.6, 0.7, 0.8, 0.8, 0.7, 0.6, 0.5, 0.5, 0.5]
    first, final = Scripted(script), Scripted(script, rows=11)
    history = recipe.train(first, 50, 0, final=final)
    assert len(history.loss) == 12 + recipe.PATIENCE
    assert history.best_epoch == 16
    assert first.kept[0] == 16 and final.kept[0] == 16
    # the final head, refitted afterwards for best_epoch epochs, sees the orders it saw alongside
    again = Scripted(script, rows=11)
    recipe.refit(again, history.best_epoch, 0)
    assert again.seen == final.kept[1]


def test_fewer_epochs_than_min_epochs_keep_the_best_of_them() -> None:
    first = Scripted([0.3, 0.6, 0.5])
    history = recipe.train(first, 3, 0)
    assert history.best_epoch == 3 and first.kept[0] == 3 and len(history.val_accuracy) == 3


def test_calibrate_fits_the_temperature_and_chooses_the_rule_on_calibrated_probabilities() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1.5, size=(300, 3))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    truth = [int(rng.choice(3, p=row)) for row in p]
    c = recipe.calibrate((z * 3).tolist(), truth)  # over-confident by 3
    assert abs(c.temperature - 3) < 0.4
    assert np.allclose(c.probabilities, recipe.softmax((z * 3).tolist(), c.temperature))
    rule, rows = notsure.choose_rule(c.probabilities, truth)
    assert (c.rule, c.sweep) == (rule, rows)

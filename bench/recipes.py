"""Accuracy of Teachkit's recipe against Teachable Machine's, on the same held-out photos.

    python bench/recipes.py [PHOTOS] [--seeds 5] [--base-from EXPORT]

For each seed: one honest split (held-out photos never used for any choice), then
- "TM as it runs": Teachable Machine's recipe (frozen base, Dense 100 relu + Dense N softmax,
  Adam 0.001, 50 epochs, batch 16, no reshuffling, no augmentation) trained on every photo not
  held out, on TM's own preprocessing (the full photo scaled to 224 in one bilinear step, as its
  canvas does);
- "TM recipe": the same recipe on Teachkit's preprocessing (halvings, then bilinear); the two
  coincide for photos under 448 pixels on the short side, such as trashnet-subset's 512x384;
- "Teachkit": `teachkit.training.train.fit` on the multi-depth base (`basemodel.DEPTHS`), with
  the quarter-turn augmentation and standardised features: the recipe `python build.py train`
  uses; with `--one-depth`, on Teachable Machine's cut of the base (the last layer only).
Two ways of holding photos out, both printed, always:
- "random": ceil(15%) of each class held out at random (near-copies kept together), as `train` does;
- "later": trashnet-subset's photos are numbered in the order they were taken: each recipe trains
  on photos 1-100 of each class (a validation part drawn from those) and is measured on 101-150,
  photos of the same kinds taken later. This is the honest test of what a pupil meets next.
Prints held-out accuracy per seed, then the mean and spread of each and their difference, with
the middle 95% of that difference were the held-out photos drawn again (`photo_interval`).
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from teachkit import tfenv  # noqa: E402
from teachkit.core import preprocess  # noqa: E402
from teachkit.data import dataset, photos  # noqa: E402
from teachkit.data.images import NumpyOps  # noqa: E402
from teachkit.evaluation import calibration  # noqa: E402
from teachkit.features import basemodel, embeddings  # noqa: E402
from teachkit.training import head  # noqa: E402
from teachkit.training.train import Recipe, augmented_photos, fit  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import verdicts  # noqa: E402
from common import accuracy_options  # noqa: E402

#: The later-photos split: train on photos 1-100 of each class, measure on 101-150.
LATER_FROM = 100
#: Bootstrap rounds for the interval of a mean difference when the photos are drawn again.
ROUNDS = 2000


def teachable_machine(x: np.ndarray, y: np.ndarray, n_classes: int, seed: int) -> object:
    """Teachable Machine's own training: no reshuffling, no validation, 50 epochs of batch 16."""
    keras = tfenv.keras()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.layers.Dense(head.HIDDEN, activation="relu", input_shape=(x.shape[1],)),
            keras.layers.Dense(n_classes, activation="softmax", use_bias=False),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=50, batch_size=16, shuffle=False, verbose=0)
    return model


def tm_preprocessing(path: Path) -> np.ndarray:
    """Teachable Machine's input: centre square, one bilinear step to 224, x/127 - 1."""
    img = photos.decode(path, draft=False)
    left, top, side = preprocess.plan(img.width, img.height).crop
    ops = NumpyOps()
    x = ops.resize(ops.crop(np.asarray(img, np.float32), left, top, side), preprocess.SIZE)
    return ops.normalise(x, preprocess.SCALE, preprocess.OFFSET)


def _number(path: Path) -> int | None:
    """The number in a photo's name (``glass101.jpg`` -> 101): trashnet's order of taking."""
    m = re.search(r"(\d+)\.\w+$", path.name)
    return int(m.group(1)) if m else None


def later_split(infos: list, numbers: list[int | None], seed: int, first: int = LATER_FROM) -> dataset.Split:
    """Train on each class's photos numbered up to ``first`` (validation drawn from them, as
    `train` draws it), hold out the photos taken after."""
    early = [i for i, n in enumerate(numbers) if n is not None and n <= first]
    inner = dataset.split([infos[i] for i in early], 0.15, seed, with_heldout=False)
    return dataset.Split(
        train=[early[i] for i in inner.train],
        validation=[early[i] for i in inner.validation],
        heldout=[i for i, n in enumerate(numbers) if n is not None and n > first],
    )


def photo_interval(
    right_a: list[np.ndarray], right_b: list[np.ndarray], shared: bool, rounds: int = ROUNDS
) -> tuple[float, float]:
    """The middle 95% of the mean (over seeds) of accuracy b - a, were the held-out photos drawn
    again (bootstrap): one draw for every seed when the seeds share their photos (the later split:
    the same 287), else one per seed. The seeds' spread says how much training varies; this says
    how much the figure owes to which photos were taken."""
    rng = np.random.default_rng(0)
    means = np.empty(rounds)
    for k in range(rounds):
        drawn = rng.integers(0, len(right_a[0]), len(right_a[0])) if shared else None
        diffs = []
        for a, b in zip(right_a, right_b, strict=True):
            pick = drawn if drawn is not None else rng.integers(0, len(a), len(a))
            diffs.append(float(b[pick].mean() - a[pick].mean()))
        means[k] = statistics.mean(diffs)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def main() -> int:
    parser = accuracy_options(__doc__)
    parser.add_argument("--no-augment", action="store_true", help="Teachkit's recipe without augmentation")
    parser.add_argument("--one-depth", action="store_true", help="Teachkit's recipe on Teachable Machine's cut")
    args = parser.parse_args()

    found = photos.scan(args.photos)
    infos, _ = dataset.inspect(found, args.cache / "photos")
    labels = found.labels
    y_all = np.asarray([labels.index(i.label) for i in infos])
    tm_base = basemodel.load(args.base_from)  # Teachable Machine's cut: out_relu, averaged
    tm_cache = embeddings.EmbeddingCache(args.cache / "embeddings", tm_base)
    base = tm_base if args.one_depth else basemodel.load(args.base_from, depths=basemodel.DEPTHS)
    cache = embeddings.EmbeddingCache(args.cache / "embeddings", base)
    recipe_augment = not args.no_augment
    # The copies `train` embeds (every photo's; each head learns from those of its own part).
    features, copies, _ = embeddings.embed(infos, cache, augmented_photos(len(infos), Recipe(augment=recipe_augment)))
    tm_features = embeddings.embed_inputs(tm_base, np.stack([tm_preprocessing(i.path) for i in infos]))
    tm_plain, _, _ = embeddings.embed(infos, tm_cache)
    numbers = [_number(i.path) for i in infos]
    print(f"{len(infos)} photos, {len(labels)} classes")
    print(
        "random: ceil(15%) of each class held out; later: trained on photos 1-100 of each class, measured on the rest"
    )
    header = f"{'TM as it runs':>13}  {'TM recipe':>9}  {'Teachkit':>8}"
    print(f"{'seed':>4}  {'split':>6}  {'held out':>8}  {header}  {'seconds':>7}")
    right: dict[str, dict[str, list[np.ndarray]]] = {}  # per split and recipe, each seed's photos right
    held_sets: dict[str, set[tuple[int, ...]]] = {}
    verdict_rows: dict = {}  # "not sure" and "none of these" per split and recipe (bench/verdicts.py)
    for seed in range(args.seeds):
        splits = {"random": dataset.split(infos, 0.15, seed)}
        if all(n is not None for n in numbers):
            splits["later"] = later_split(infos, numbers, seed)
        for name, split in splits.items():
            started = time.perf_counter()
            held = split.heldout
            trainable = split.train + split.validation
            tm = teachable_machine(tm_features[trainable], y_all[trainable], len(labels), seed)
            tm_run_right = np.asarray(tm(tm_features[held])).argmax(1) == y_all[held]
            tm = teachable_machine(tm_plain[trainable], y_all[trainable], len(labels), seed)
            tm_right = np.asarray(tm(tm_plain[held])).argmax(1) == y_all[held]
            fitted = fit(base, infos, features, copies, split, labels, Recipe(augment=recipe_augment, seed=seed))
            probs = calibration.softmax(head.logits(fitted.head, features[held]))
            tk_right = probs.argmax(1) == y_all[held]
            now = {"TM as it runs": tm_run_right, "TM recipe": tm_right, "Teachkit": tk_right}
            rights = right.setdefault(name, {recipe: [] for recipe in now})
            held_sets.setdefault(name, set()).add(tuple(held))
            for recipe, each in now.items():
                rights[recipe].append(each)
            seconds = time.perf_counter() - started
            verdicts.for_run(
                verdict_rows, name, split, y_all, features, fitted, probs, np.asarray(tm(tm_plain[held])),
                labels, seed, cache, args.cache / "photos", tm_features=tm_plain,
            )  # fmt: skip
            accs = "  ".join(f"{each.mean():>{len(recipe)}.1%}" for recipe, each in now.items())
            print(f"{seed:>4}  {name:>6}  {len(held):>8}  {accs}  {seconds:>7.1f}")

    def line(name: str, s: list[float]) -> str:
        spread = statistics.stdev(s) if len(s) > 1 else 0.0
        return f"{name:<18} mean {statistics.mean(s):.1%}  sd {spread:.1%}  min {min(s):.1%}  max {max(s):.1%}"

    for split_name, by_recipe in right.items():
        got = {recipe: [float(r.mean()) for r in each] for recipe, each in by_recipe.items()}  # accuracy per seed
        print(f"\n{split_name} split")
        for recipe, s in got.items():
            print("  " + line(recipe, s))
        for recipe in ("TM as it runs", "TM recipe"):
            diffs = [b - a for a, b in zip(got[recipe], got["Teachkit"], strict=True)]
            each = ", ".join(f"{d:+.1%}" for d in diffs)
            shared = len(held_sets[split_name]) == 1  # every seed measured on the same photos
            low, high = photo_interval(by_recipe[recipe], by_recipe["Teachkit"], shared)
            print(f"  Teachkit - {recipe}: mean {statistics.mean(diffs):+.2%} (per seed: {each})")
            print(f"    were the photos drawn again, 95% of such means between {low:+.1%} and {high:+.1%}")
    verdicts.report(verdict_rows, None, args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

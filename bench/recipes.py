"""Accuracy of Teachkit's recipe against Teachable Machine's, on the same held-out photos.

    python bench/recipes.py [PHOTOS] [--seeds 5] [--base-from EXPORT]

For each seed: one honest split (held-out photos never used for any choice), then
- "Teachable Machine": its recipe (frozen base, Dense 100 relu + Dense N softmax, Adam 0.001,
  50 epochs, batch 16, no reshuffling, no augmentation), trained on every photo not held out;
- "Teachkit": `teachkit.train.fit`, the recipe `python build.py train` uses.
Prints held-out accuracy per seed, then the mean and spread of each and their difference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from teachkit import basemodel, calibration, dataset, embeddings, head, photos, tfenv  # noqa: E402
from teachkit.train import Recipe, fit  # noqa: E402

DEFAULT_PHOTOS = ROOT.parent / "shared" / "fixtures" / "datasets" / "trashnet-subset"
DEFAULT_BASE = ROOT.parent / "shared" / "fixtures" / "tm-exports" / "animals-4class"


def teachable_machine(x: np.ndarray, y: np.ndarray, n_classes: int, seed: int) -> object:
    """Teachable Machine's own training: no reshuffling, no validation, 50 epochs of batch 16."""
    keras = tfenv.keras()
    keras.utils.set_random_seed(seed)
    model = head.build(n_classes)
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=50, batch_size=16, shuffle=False, verbose=0)
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", type=Path, nargs="?", default=DEFAULT_PHOTOS)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--base-from", type=Path, default=DEFAULT_BASE)
    parser.add_argument("--cache", type=Path, default=ROOT / "models" / ".cache")
    parser.add_argument("--no-augment", action="store_true", help="Teachkit's recipe without augmentation")
    args = parser.parse_args()

    found = photos.scan(args.photos)
    infos, _ = dataset.inspect(found, args.cache / "photos")
    labels = found.labels
    y_all = np.asarray([labels.index(i.label) for i in infos])
    base = basemodel.load(args.base_from)
    cache = embeddings.EmbeddingCache(args.cache / "embeddings", base)
    recipe_augment = not args.no_augment
    tm_scores, tk_scores = [], []
    print(f"{len(infos)} photos, {len(labels)} classes; held out: ceil(15%) of each class")
    print(f"{'seed':>4}  {'held out':>8}  {'Teachable Machine':>17}  {'Teachkit':>8}  {'seconds':>7}")
    for seed in range(args.seeds):
        started = time.perf_counter()
        split = dataset.split(infos, 0.15, seed)
        augmented = set(split.train) if recipe_augment else set()
        features, copies, _ = embeddings.embed(infos, cache, augmented)
        held = split.heldout
        trainable = split.train + split.validation
        tm = teachable_machine(features[trainable], y_all[trainable], len(labels), seed)
        tm_acc = float((np.asarray(tm(features[held])).argmax(1) == y_all[held]).mean())
        fitted = fit(base, infos, features, copies, split, labels, Recipe(augment=recipe_augment, seed=seed))
        probs = calibration.softmax(head.logits(fitted.head, features[held]))
        tk_acc = float((probs.argmax(1) == y_all[held]).mean())
        tm_scores.append(tm_acc)
        tk_scores.append(tk_acc)
        print(f"{seed:>4}  {len(held):>8}  {tm_acc:>17.1%}  {tk_acc:>8.1%}  {time.perf_counter() - started:>7.1f}")

    def line(name: str, s: list[float]) -> str:
        spread = statistics.stdev(s) if len(s) > 1 else 0.0
        return f"{name:<18} mean {statistics.mean(s):.1%}  sd {spread:.1%}  min {min(s):.1%}  max {max(s):.1%}"

    print(line("Teachable Machine", tm_scores))
    print(line("Teachkit", tk_scores))
    diffs = [b - a for a, b in zip(tm_scores, tk_scores, strict=True)]
    print(f"Teachkit - TM: mean {statistics.mean(diffs):+.1%} (per seed: {', '.join(f'{d:+.1%}' for d in diffs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

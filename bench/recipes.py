"""Accuracy of Teachkit's recipe against Teachable Machine's, on the same held-out photos.

    python bench/recipes.py [PHOTOS] [--seeds 5] [--base-from EXPORT]

For each seed: one honest split (held-out photos never used for any choice), then
- "TM as it runs": Teachable Machine's recipe (frozen base, Dense 100 relu + Dense N softmax,
  Adam 0.001, 50 epochs, batch 16, no reshuffling, no augmentation) trained on every photo not
  held out, on TM's own preprocessing (the full photo scaled to 224 in one bilinear step, as its
  canvas does);
- "TM recipe": the same recipe on Teachkit's preprocessing (halvings, then bilinear); the two
  coincide for photos under 448 pixels on the short side, such as trashnet-subset's 512x384;
- "Teachkit": `teachkit.training.train.fit`, the recipe `python build.py train` uses.
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

from teachkit import tfenv  # noqa: E402
from teachkit.core import preprocess  # noqa: E402
from teachkit.data import dataset, photos  # noqa: E402
from teachkit.data.images import NumpyOps  # noqa: E402
from teachkit.evaluation import calibration  # noqa: E402
from teachkit.features import basemodel, embeddings  # noqa: E402
from teachkit.training import head  # noqa: E402
from teachkit.training.train import Recipe, fit  # noqa: E402

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


def tm_preprocessing(path: Path) -> np.ndarray:
    """Teachable Machine's input: centre square, one bilinear step to 224, x/127 - 1."""
    img = photos.decode(path, draft=False)
    left, top, side = preprocess.plan(img.width, img.height).crop
    ops = NumpyOps()
    x = ops.resize(ops.crop(np.asarray(img, np.float32), left, top, side), preprocess.SIZE)
    return ops.normalise(x, preprocess.SCALE, preprocess.OFFSET)


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
    tm_features = embeddings.embed_inputs(base, np.stack([tm_preprocessing(i.path) for i in infos]))
    tm_run_scores, tm_scores, tk_scores = [], [], []
    print(f"{len(infos)} photos, {len(labels)} classes; held out: ceil(15%) of each class")
    print(f"{'seed':>4}  {'held out':>8}  {'TM as it runs':>13}  {'TM recipe':>9}  {'Teachkit':>8}  {'seconds':>7}")
    for seed in range(args.seeds):
        started = time.perf_counter()
        split = dataset.split(infos, 0.15, seed)
        augmented = set(split.train) if recipe_augment else set()
        features, copies, _ = embeddings.embed(infos, cache, augmented)
        held = split.heldout
        trainable = split.train + split.validation
        tm = teachable_machine(tm_features[trainable], y_all[trainable], len(labels), seed)
        tm_run_acc = float((np.asarray(tm(tm_features[held])).argmax(1) == y_all[held]).mean())
        tm = teachable_machine(features[trainable], y_all[trainable], len(labels), seed)
        tm_acc = float((np.asarray(tm(features[held])).argmax(1) == y_all[held]).mean())
        fitted = fit(base, infos, features, copies, split, labels, Recipe(augment=recipe_augment, seed=seed))
        probs = calibration.softmax(head.logits(fitted.head, features[held]))
        tk_acc = float((probs.argmax(1) == y_all[held]).mean())
        tm_run_scores.append(tm_run_acc)
        tm_scores.append(tm_acc)
        tk_scores.append(tk_acc)
        seconds = time.perf_counter() - started
        print(f"{seed:>4}  {len(held):>8}  {tm_run_acc:>13.1%}  {tm_acc:>9.1%}  {tk_acc:>8.1%}  {seconds:>7.1f}")

    def line(name: str, s: list[float]) -> str:
        spread = statistics.stdev(s) if len(s) > 1 else 0.0
        return f"{name:<18} mean {statistics.mean(s):.1%}  sd {spread:.1%}  min {min(s):.1%}  max {max(s):.1%}"

    print(line("TM as it runs", tm_run_scores))
    print(line("TM recipe", tm_scores))
    print(line("Teachkit", tk_scores))
    for name, base_scores in (("TM as it runs", tm_run_scores), ("TM recipe", tm_scores)):
        diffs = [b - a for a, b in zip(base_scores, tk_scores, strict=True)]
        each = ", ".join(f"{d:+.1%}" for d in diffs)
        print(f"Teachkit - {name}: mean {statistics.mean(diffs):+.1%} (per seed: {each})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

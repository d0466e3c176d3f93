""" "Not sure" and "none of these" measured on photos the model never saw (issue 11 §3-4).

    python bench/verdicts.py [--seeds 5] [--base-from EXPORT]

For each seed and each split of trashnet-subset (bench/recipes.py's "random" and "later": trained
on photos 1-100 of each class, measured on 101-150), Teachkit's recipe (`train.fit`) is trained
and, with every choice made on its validation part only:
- "not sure": each mode (`notsure.MODES`) chooses its rule on the validation predictions; printed
  is the share of the held-out photos it answers and how much more often those answers are right
  than all answers (the goal for the default, balanced, on later photos: answers at least 80%,
  at least 8 points more often right);
- "none of these": `core.outlier.fit` on the training part's embeddings, its threshold on the
  validation part; printed is the share of held-out class photos turned away (goal: at most 5%)
  and the share caught of photos of other things (goal: at least 80%): the animals and edible
  samples of ../shared/fixtures/tm-exports and the demo's drawn shapes (teachkit/demo.py).
Then an animals model (the animals export's 200 samples, ceil 15% held out) is shown trashnet.
Teachable Machine's recipe has the same frozen base, so the same embeddings and the same
"none of these" figures; its "not sure" figures come from its head trained on the training part
(TM's page always answers: its own rule is "off").
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import TM_EXPORTS, accuracy_options  # noqa: E402

from teachkit import demo  # noqa: E402
from teachkit.core import notsure, outlier  # noqa: E402
from teachkit.data import dataset, photos  # noqa: E402
from teachkit.evaluation import calibration  # noqa: E402
from teachkit.features import basemodel, embeddings  # noqa: E402
from teachkit.training import head  # noqa: E402
from teachkit.training.train import Recipe, augmented_photos, fit  # noqa: E402

OTHERS = {
    "animals": TM_EXPORTS / "animals-4class" / "samples",
    "edible": TM_EXPORTS / "edible-3class" / "samples",
}


def not_sure_figures(val_probs, val_truth, probs, truth) -> dict[str, dict]:
    """Per mode: answered share and accuracy of the answers minus accuracy of all answers."""
    out = {}
    for mode, m in notsure.modes_on(
        np.asarray(val_probs).tolist(), list(map(int, val_truth)), np.asarray(probs).tolist(), list(map(int, truth))
    ).items():
        gain = None if m["accuracy_answered"] is None else m["accuracy_answered"] - m["accuracy_all"]
        out[mode] = {
            "answered": m["answered"],
            "gain": gain,
            "accuracy": m["accuracy_all"],
            "threshold": m["threshold"],
        }
    return out


def outlier_figures(train_x, train_y, val_x, held_x, others: dict[str, np.ndarray], labels) -> dict[str, float]:
    """The summary fitted on the training part, its threshold on the validation part; the share of
    held-out class photos turned away and of each set of other things caught."""
    summary = outlier.fit(
        np.asarray(train_x).tolist(),
        list(map(int, train_y)),
        np.asarray(val_x).tolist(),
        labels,
        backend=dataset.NumpyRows,
    )
    det = outlier.Detector(summary)

    def share(x: np.ndarray) -> float:
        return float(np.mean([det.score(v) > det.threshold for v in np.asarray(x, np.float64).tolist()]))

    got = {"turned away": share(held_x)}
    for name, x in others.items():
        got[name] = share(x)
    got["others"] = float(np.average([got[n] for n in others], weights=[len(others[n]) for n in others]))
    return got


def _embed_folder(folder: Path, cache: embeddings.EmbeddingCache, photo_cache: Path):
    found = photos.scan(folder)
    infos, _ = dataset.inspect(found, photo_cache)
    feats, _, _ = embeddings.embed(infos, cache)
    return found, infos, feats


def tm_validation_probs(x_train, y_train, x_val, n_classes: int, seed: int) -> np.ndarray:
    """Teachable Machine's head trained on the training part only: honest validation predictions."""
    import recipes

    model = recipes.teachable_machine(x_train, y_train, n_classes, seed)
    return np.asarray(model(x_val))


_OTHERS: dict[str, np.ndarray] = {}


def other_things(cache: embeddings.EmbeddingCache, photo_cache: Path) -> dict[str, np.ndarray]:
    """The embeddings of the photos of other things (embedded once, then kept)."""
    if not _OTHERS:
        for name, folder in OTHERS.items():
            _OTHERS[name] = _embed_folder(folder, cache, photo_cache)[2]
        with tempfile.TemporaryDirectory() as tmp:
            _OTHERS["shapes"] = _embed_folder(demo.make_dataset(Path(tmp)), cache, photo_cache)[2]
    return _OTHERS


def for_run(
    rows: dict,
    split_name: str,
    split,
    y,
    features,
    fitted,
    probs,
    tm_probs,
    labels,
    seed: int,
    cache,
    photo_cache,
    tm_features=None,
) -> None:
    """bench/recipes.py's call: both verdicts for one run of both recipes, gathered in ``rows``
    (printed by ``report``). Teachable Machine's "not sure" rule is chosen on the validation
    predictions of its head trained on the training part only (``tm_validation_probs``), on
    ``tm_features`` (the features its ``tm_probs`` came from; default ``features``). "None of
    these" is measured on ``features`` (``cache``'s base: the other things are embedded with it)."""
    tm_x = features if tm_features is None else tm_features
    held = split.heldout
    y = np.asarray(y)
    results = {"Teachkit": not_sure_figures(fitted.validation_probabilities, y[split.validation], probs, y[held])}
    if tm_probs is not None:
        val = tm_validation_probs(tm_x[split.train], y[split.train], tm_x[split.validation], len(labels), seed)
        results["TM"] = not_sure_figures(val, y[split.validation], tm_probs, y[held])
    others = other_things(cache, photo_cache)
    away = outlier_figures(
        features[split.train], y[split.train], features[split.validation], features[held], others, labels
    )
    for recipe, ns in results.items():
        rows.setdefault((split_name, recipe), []).append({"not_sure": ns, "outliers": away})


def main() -> int:
    import recipes

    parser = accuracy_options(__doc__)
    parser.add_argument("--no-tm", action="store_true", help="skip Teachable Machine's recipe")
    parser.add_argument("--one-depth", action="store_true", help="Teachable Machine's cut of the base, not Teachkit's")
    parser.add_argument("--dump", type=Path, help="also save every run's predictions here (JSON), to study rules")
    args = parser.parse_args()

    base = basemodel.load(args.base_from, depths=None if args.one_depth else basemodel.DEPTHS)
    cache = embeddings.EmbeddingCache(args.cache / "embeddings", base)
    found, infos, _ = _embed_folder(args.photos, cache, args.cache / "photos")
    labels = found.labels
    y = np.asarray([labels.index(i.label) for i in infos])
    others = {name: _embed_folder(folder, cache, args.cache / "photos")[2] for name, folder in OTHERS.items()}
    with tempfile.TemporaryDirectory() as tmp:
        others["shapes"] = _embed_folder(demo.make_dataset(Path(tmp)), cache, args.cache / "photos")[2]
    numbers = [recipes._number(i.path) for i in infos]
    # The copies `train` embeds (every photo's; each head learns from those of its own part).
    feats, copies, _ = embeddings.embed(infos, cache, augmented_photos(len(infos), Recipe()))
    rows: dict[tuple[str, str], list[dict]] = {}
    dumped: list[dict] = []
    print(
        f"{len(infos)} photos, {len(labels)} classes; other things: "
        + ", ".join(f"{k} {len(v)}" for k, v in others.items())
    )
    print(
        f"{'seed':>4} {'split':>6} {'recipe':>8} {'acc':>6}  "
        + "  ".join(f"{m:>17}" for m in notsure.MODES)
        + "  none of these"
    )
    for seed in range(args.seeds):
        splits = {"random": dataset.split(infos, 0.15, seed)}
        if all(n is not None for n in numbers):
            splits["later"] = recipes.later_split(infos, numbers, seed)
        for split_name, split in splits.items():
            held = split.heldout
            fitted = fit(base, infos, feats, copies, split, labels, Recipe(seed=seed))
            probs = calibration.softmax(head.logits(fitted.head, feats[held]))
            results = {
                "Teachkit": not_sure_figures(fitted.validation_probabilities, y[split.validation], probs, y[held])
            }
            dumped.append(
                {
                    "seed": seed,
                    "split": split_name,
                    "val_probs": np.asarray(fitted.validation_probabilities).tolist(),
                    "val_truth": y[split.validation].tolist(),
                    "probs": np.asarray(probs).tolist(),
                    "truth": y[held].tolist(),
                }
            )
            if not args.no_tm:
                val = tm_validation_probs(
                    feats[split.train], y[split.train], feats[split.validation], len(labels), seed
                )
                trainable = split.train + split.validation
                tm = recipes.teachable_machine(feats[trainable], y[trainable], len(labels), seed)
                results["TM"] = not_sure_figures(val, y[split.validation], np.asarray(tm(feats[held])), y[held])
            away = outlier_figures(
                feats[split.train], y[split.train], feats[split.validation], feats[held], others, labels
            )
            for recipe, ns in results.items():
                rows.setdefault((split_name, recipe), []).append({"not_sure": ns, "outliers": away})
                cells = "  ".join(
                    f"{m}: {ns[m]['answered']:>4.0%} {ns[m]['gain'] or 0:+.1%}" for m in ("strict", "balanced")
                )
                print(
                    f"{seed:>4} {split_name:>6} {recipe:>8} {ns['off']['accuracy']:>6.1%}  {cells}  "
                    f"away {away['turned away']:.1%}, caught "
                    + ", ".join(f"{k} {away[k]:.0%}" for k in (*others, "others")),
                    flush=True,
                )
    # An animals model shown trashnet.
    a_found, a_infos, a_feats = _embed_folder(OTHERS["animals"], cache, args.cache / "photos")
    a_y = np.asarray([a_found.labels.index(i.label) for i in a_infos])
    _, _, t_feats = _embed_folder(args.photos, cache, args.cache / "photos")
    animals = []
    for seed in range(args.seeds):
        split = dataset.split(a_infos, 0.15, seed)
        animals.append(
            outlier_figures(
                a_feats[split.train],
                a_y[split.train],
                a_feats[split.validation],
                a_feats[split.heldout],
                {"trashnet": t_feats},
                a_found.labels,
            )
        )
    report(rows, animals, args.seeds)
    if args.dump:
        args.dump.write_text(json.dumps(dumped))
    return 0


def _m(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1%} (sd {spread:.1%}, min {min(values):.1%}, max {max(values):.1%})"


def report(rows: dict, animals: list[dict] | None, seeds: int) -> None:
    """Means over the seeds, per split and recipe."""
    print(f"\nOver {seeds} seeds:")
    for (split_name, recipe), got in rows.items():
        print(f"\n{split_name} split, {recipe}")
        for mode in notsure.MODES:
            answered = [g["not_sure"][mode]["answered"] for g in got]
            gains = [g["not_sure"][mode]["gain"] or 0.0 for g in got]
            each = ", ".join(f"{a:.0%}/{g:+.1%}" for a, g in zip(answered, gains, strict=True))
            print(
                f"  not sure {mode:<8}: answers {_m(answered)}; "
                f"answers right {statistics.mean(gains):+.1%} more often than all ({each})"
            )
        if recipe == "Teachkit":
            away = got[0]["outliers"].keys()
            print("  none of these: " + "; ".join(f"{k} {_m([g['outliers'][k] for g in got])}" for k in away))
    if not animals:
        return
    print(
        "\nAn animals model shown trashnet: "
        + "; ".join(f"{k} {_m([a[k] for a in animals])}" for k in ("turned away", "trashnet"))
    )


if __name__ == "__main__":
    sys.exit(main())

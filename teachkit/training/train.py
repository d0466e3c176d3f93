"""The train pipeline: photos -> dataset -> embeddings -> head -> export, honestly measured.

Each step is a module of its own; this file only runs them in order, shows progress, and ends
with a summary a teacher can read. The held-out photos are never used for any choice: the
validation slice of the training part picks the epoch, the temperature and the "not sure" rule.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from teachkit import __version__
from teachkit.core import modelinfo, notsure, outlier
from teachkit.core.recipe import calibrate
from teachkit.data import dataset, photos, report
from teachkit.data.dataset import PhotoInfo
from teachkit.errors import printable
from teachkit.evaluation import calibration, metrics
from teachkit.features import augment, basemodel, embeddings
from teachkit.model import export
from teachkit.training import head

#: The "none of these" summary's file in the model folder (``userMetadata.outliers`` names it).
OUTLIERS_FILE = modelinfo.OUTLIERS_FILE


@dataclass(frozen=True)
class Recipe:
    """How the model is trained. The defaults are Teachkit's recipe (see bench/recipes.py)."""

    augment: bool = True
    fine_tune: bool = False
    epochs: int = 50
    seed: int = 0
    #: The "not sure" mode (``notsure.MODES``): the share of validation photos answered.
    not_sure: str = notsure.DEFAULT_MODE


@dataclass
class TrainOptions:
    photos: Path
    name: str | None = None
    models_dir: Path = Path("models")
    base_from: Path | None = None
    holdout: float = 0.15
    test_dir: Path | None = None
    recipe: Recipe = Recipe()
    strict: bool = False
    out: TextIO = sys.stdout


@dataclass
class Fitted:
    """A trained head and everything measured while training it."""

    head: Any
    base: basemodel.BaseModel
    history: head.History
    temperature: float
    rule: Any
    sweep: list[dict]
    validation_probabilities: np.ndarray
    #: "None of these": the summary of the training photos' embeddings (outliers.json).
    outliers: dict | None = None


@dataclass
class TrainResult:
    """Where the model was written, its metrics, and the model itself (as Keras, on demand)."""

    model_dir: Path
    metrics: dict[str, Any]
    fitted: Fitted

    @property
    def model(self) -> Any:
        """The whole model as Keras: base and head (the base is built on first use)."""
        return export.assemble(self.fitted.base.model, self.fitted.head)


def augmented_photos(n_photos: int, recipe: Recipe) -> set[int]:
    """The photos (of the training folder's ``n_photos``) whose augmented copies are embedded: all
    of them, whatever the split. The first head learns from the training part's copies, the final
    head from the training and validation parts' (``fit``); the cache then does not depend on the
    split, so five new photos cost five. The benches call this too, to measure this very recipe."""
    return set(range(n_photos)) if recipe.augment else set()


def training_rows(
    features: np.ndarray,
    copies: dict[int, np.ndarray],
    infos: Sequence[PhotoInfo],
    indices: Sequence[int],
    labels: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Features and class numbers of the photos at ``indices``, with their augmented copies."""
    xs, ys = [], []
    for i in indices:
        y = labels.index(infos[i].label)
        xs.append(features[i][None])
        ys.append(y)
        if i in copies:
            xs.append(copies[i])
            ys += [y] * len(copies[i])
    return np.concatenate(xs), np.asarray(ys)


def fit(
    base: basemodel.BaseModel,
    infos: Sequence[PhotoInfo],
    features: np.ndarray,
    copies: dict[int, np.ndarray],
    split: dataset.Split,
    labels: list[str],
    recipe: Recipe,
) -> Fitted:
    """Train the head (and optionally fine-tune the base), calibrate it, and choose its rule."""
    x, y = training_rows(features, copies, infos, split.train, labels)
    y_val = np.asarray([labels.index(infos[i].label) for i in split.validation])
    batch = head.BATCH_AUGMENTED if copies else head.BATCH
    x_all, y_all = training_rows(features, copies, infos, split.train + split.validation, labels)
    # The first head never sees the validation photos; the final one learns from every photo
    # that is not held out, for as many epochs as the first found best.
    heads = head.train(
        x, y, features[split.validation], y_val, x_all, y_all, len(labels), recipe.epochs, recipe.seed, batch
    )
    first, history, trained = heads.first, heads.history, heads.final
    # Honest validation predictions come from the head that never saw the validation photos:
    # they choose the temperature and the "not sure" rule (the recipe's, as the Teach page's).
    val_logits = head.logits(first, features[split.validation])
    calibrated = calibrate(val_logits.tolist(), y_val.tolist(), mode=recipe.not_sure)
    temperature, rule, rows = calibrated.temperature, calibrated.rule, calibrated.sweep
    val_probs = np.asarray(calibrated.probabilities)
    if recipe.fine_tune:
        from teachkit.training import finetune

        base, trained = finetune.run(base, trained, infos, split, labels, recipe.seed)
    if temperature != 1.0:
        head.fold_temperature(trained, temperature)
    # "None of these": prototypes of the training part, the threshold on the validation part and
    # on the training part out of fold, on the embeddings the exported model computes (the
    # fine-tuned base's when fine-tuned).
    summary_features: Any = features
    if recipe.fine_tune:
        parts = split.train + split.validation
        summary_features = dict(zip(parts, finetune.features(base, [infos[i] for i in parts]), strict=True))
    outliers = outlier.fit(
        [summary_features[i].tolist() for i in split.train],
        [labels.index(infos[i].label) for i in split.train],
        [summary_features[i].tolist() for i in split.validation],
        labels,
        backend=dataset.NumpyRows,
    )
    return Fitted(trained, base, history, temperature, rule, rows, val_probs, outliers)


def _predictions(infos: Sequence[PhotoInfo], indices: Sequence[int], probs: np.ndarray, root: Path) -> list[dict]:
    rows = []
    for i, p in zip(indices, probs, strict=True):
        path = infos[i].path.resolve()  # the photos folder may have been given as a relative path
        rel = path.relative_to(root) if path.is_relative_to(root) else path
        rows.append({"path": rel.as_posix(), "label": infos[i].label, "probabilities": [round(float(v), 6) for v in p]})
    return rows


def _load_photos(
    folder: Path, cache: Path, strict: bool, out: TextIO
) -> tuple[photos.PhotoFolder, list[PhotoInfo], Any]:
    found = photos.scan(folder)
    photos.require_classes(found)
    infos, unreadable = dataset.inspect(found, cache)
    rep = report.check(found, infos, unreadable)
    rep.print(out)
    if rep.errors or (strict and rep.warnings):
        what = "errors" if rep.errors else "warnings, which stop a build in strict mode"
        raise photos.PhotoError(f"The photos in {folder} have {what}; see the report above. Nothing was trained.")
    return found, infos, rep


def train(opts: TrainOptions) -> TrainResult:
    """Run the whole pipeline; return the model folder, the model and its metrics."""
    started = time.perf_counter()
    out = opts.out
    # Where the model goes is checked before any work: a refusal costs nothing.
    name = export.check_name(opts.name if opts.name is not None else Path(opts.photos).resolve().name)
    target = opts.models_dir / name
    export.check_target(target, keep=[p for p in (opts.photos, opts.test_dir) if p is not None])
    cache = opts.models_dir / ".cache"
    found, infos, rep = _load_photos(opts.photos, cache / "photos", opts.strict, out)
    labels = [label for label in found.labels if any(i.label == label for i in infos)]
    photos.require_classes(photos.PhotoFolder(found.root, {k: found.classes[k] for k in labels}))

    if opts.test_dir is not None:
        test_found, test_infos, _ = _load_photos(opts.test_dir, cache / "photos", False, out)
        unknown = sorted(set(test_found.labels) - set(labels))
        if unknown:
            raise photos.PhotoError(f"The test folder has classes the photos do not: {', '.join(unknown)}.")
        everything = list(infos) + list(test_infos)
        evaluated = list(range(len(infos), len(everything)))
    else:
        everything = list(infos)
    # A class too small to split is refused now, before the embedding: the split itself waits
    # for the embeddings, which tell near copies apart (each photo its own group here).
    with_heldout = opts.test_dir is None
    dataset.split(infos, opts.holdout, opts.recipe.seed, with_heldout=with_heldout, groups=range(len(infos)))

    base = basemodel.load(opts.base_from, memo=cache / "bases.json", depths=basemodel.DEPTHS)
    print(f"Base model: {printable(base.source)}", file=out)
    emb_cache = embeddings.EmbeddingCache(cache / "embeddings", base)
    features, copies, n_new = embeddings.embed(everything, emb_cache, augmented_photos(len(infos), opts.recipe))
    print(f"Embedded {n_new} new photo(s); {len(everything) - n_new} came from the cache.", file=out)
    # Near copies (burst shots, consecutive frames) by their embeddings, as the Teach page groups them.
    groups = dataset.burst_groups(features[: len(infos)], [labels.index(i.label) for i in infos])
    split = dataset.split(infos, opts.holdout, opts.recipe.seed, with_heldout=with_heldout, groups=groups)
    if with_heldout:
        evaluated = split.heldout

    fitted = fit(base, everything, features, copies, split, labels, opts.recipe)
    if opts.recipe.fine_tune:
        from teachkit.training import finetune

        eval_features = finetune.features(fitted.base, [everything[i] for i in evaluated])
    else:
        eval_features = features[evaluated]
    probs = calibration.softmax(head.logits(fitted.head, eval_features))
    truth = [labels.index(everything[i].label) for i in evaluated]
    numbers = metrics.summarise(labels, truth, probs)
    # "None of these" on the evaluated photos: real photos of the classes, so each one turned
    # away is a mistake of that verdict (the summary's threshold allows about 5%).
    detector = outlier.Detector(fitted.outliers)
    outlier_scores = [detector.score(v) for v in np.asarray(eval_features).tolist()]

    counts = {
        label: {
            "train": sum(1 for i in split.train if infos[i].label == label),
            "validation": sum(1 for i in split.validation if infos[i].label == label),
            "heldout": sum(1 for i in split.heldout if infos[i].label == label),
        }
        for label in labels
    }
    recipe = {
        **asdict(opts.recipe),
        "holdout": opts.holdout,
        "augment_copies": augment.COPIES if opts.recipe.augment else 0,
        "base": fitted.base.source,
        "base_id": fitted.base.id,
        "teachkit_version": __version__,
        "epochs_run": len(fitted.history.loss),
        "best_epoch": fitted.history.best_epoch,
        "temperature": fitted.temperature,
    }
    eval_root = opts.test_dir.resolve() if opts.test_dir else found.root.resolve()
    metrics_json = {
        "labels": labels,
        **numbers,
        "evaluated_on": "test-dir" if opts.test_dir else "held-out",
        "photos_root": str(eval_root),
        "predictions": _predictions(everything, evaluated, probs, eval_root),
        "validation_predictions": _predictions(
            everything, split.validation, fitted.validation_probabilities, found.root.resolve()
        ),
        "history": {k: v for k, v in asdict(fitted.history).items() if k != "best_epoch"},
        "not_sure": {**fitted.rule.to_metadata(), "mode": opts.recipe.not_sure},
        "not_sure_sweep": fitted.sweep,
        # What each mode would have done: chosen on the validation part, measured on the evaluated photos.
        "not_sure_modes": notsure.modes_on(
            fitted.validation_probabilities.tolist(),
            [labels.index(everything[i].label) for i in split.validation],
            probs.tolist(),
            truth,
        ),
        "outliers": {
            "file": OUTLIERS_FILE,
            "threshold": detector.threshold,
            "turned_away": sum(s > detector.threshold for s in outlier_scores) / max(1, len(outlier_scores)),
            "n": len(outlier_scores),
            "validation": fitted.outliers["validation"],
        },
        "recipe": recipe,
        "counts": counts,
    }
    for row, score in zip(metrics_json["predictions"], outlier_scores, strict=True):
        row["outlier_score"] = round(score, 6)
    user = {
        "notSure": {**fitted.rule.to_metadata(), "mode": opts.recipe.not_sure},
        "outliers": OUTLIERS_FILE,
        "mirror": False,
        "classCounts": {label: sum(c.values()) for label, c in counts.items()},
        "heldout": {"accuracy": round(numbers["accuracy"], 4), "n": numbers["n_heldout"]},
    }
    # A fine-tuned base is new each time: only a frozen one's export can come from the template.
    templates = None if opts.recipe.fine_tune else cache / "exports"
    export.write_model(
        export.layers_model(fitted.base, fitted.head, templates),
        export.metadata(labels, name, user),
        {"metrics.json": metrics_json, "dataset-report.json": rep.to_json(), OUTLIERS_FILE: fitted.outliers},
        target,
    )
    _summary(out, labels, counts, numbers, metrics_json, target, time.perf_counter() - started)
    return TrainResult(target, metrics_json, fitted)


def _summary(
    out: TextIO, labels: list[str], counts: dict, numbers: dict, m: dict, target: Path, seconds: float
) -> None:
    """What a teacher needs to know, in a few lines."""
    where = "photos in the separate test folder" if m["evaluated_on"] == "test-dir" else "photos it never trained on"
    print("", file=out)
    print(f"Trained a model for {len(labels)} classes in {seconds:.0f} s.", file=out)
    for label in labels:
        c = counts[label]
        r = numbers["per_class"][label]["recall"]
        print(
            f"  {printable(label)}: {sum(c.values())} photos ({c['heldout']} held out), "
            f"recognised {r:.0%} of its held-out photos",
            file=out,
        )
    acc, n = numbers["accuracy"], numbers["n_heldout"]
    print(f"Accuracy: {acc:.1%} on {n} {where} ({numbers['correct']} right).", file=out)
    rule = m["not_sure"]
    print(
        f'"Not sure" ({rule["mode"]}) below {rule["threshold"]:.0%} confidence'
        f" (or a top-2 margin under {rule['margin']:.0%}).",
        file=out,
    )
    away = m["outliers"]
    print(
        f'"None of these" above a distance of {away["threshold"]:.3f} from the training photos '
        f"({away['turned_away']:.0%} of the {where} turned away).",
        file=out,
    )
    print(f"The model is in {printable(str(target))}/", file=out)

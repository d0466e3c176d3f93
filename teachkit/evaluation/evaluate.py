"""`teachkit evaluate MODEL PHOTOS`: how good any model (ours or a Teachable Machine export) is
on a labelled folder it never saw, e.g. photos taken in the real classroom.

The folder's class names are matched to the model's labels by name; photos in folders that are
not one of the model's classes are reported, not guessed. The result is the model card's
content (``card.summary``), printed and optionally written as JSON.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from teachkit import fileio
from teachkit.data import photos
from teachkit.errors import ModelError
from teachkit.evaluation import card

BATCH = 32  # photos decoded and predicted at a time (bounded memory for big folders)


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


def match_labels(folders: list[str], labels: list[str]) -> tuple[dict[str, str], list[str]]:
    """Folder name -> model label (exactly, else ignoring case and surrounding spaces), and the
    folders that match no label."""
    exact = {label: label for label in labels}
    loose: dict[str, list[str]] = {}
    for label in labels:
        loose.setdefault(_key(label), []).append(label)
    matched: dict[str, str] = {}
    unmatched: list[str] = []
    for folder in folders:
        if folder in exact:
            matched[folder] = folder
        elif len(loose.get(_key(folder), [])) == 1:
            matched[folder] = loose[_key(folder)][0]
        else:
            unmatched.append(folder)
    return matched, unmatched


def _trained_on(model: Path, root: Path) -> bool:
    """Whether a Teachkit model was trained on photos from this folder (its metrics.json says
    where its photos were): most of them were then learned from, and the score flatters it."""
    metrics, _ = card.read_json(model / "metrics.json")  # bounded, no pipe; None when damaged
    built_from = (metrics or {}).get("photos_root")
    if not isinstance(built_from, str) or not built_from:
        return False
    built = Path(built_from).resolve()
    return built == root or built in root.parents or root in built.parents


def _predict(predictor: Any, chunk: list[Path]) -> tuple[list[Path], np.ndarray, list[float] | None, list]:
    """The photos of ``chunk`` that decode, their probabilities and, when the model has a "none of
    these" summary, their distances from its training photos (one pass, as the page runs it)."""
    if getattr(predictor, "detector", None) is not None:
        good, inputs, bad = predictor.decode_paths(chunk)
        if not good:
            return [], np.zeros((0, len(predictor.labels))), [], bad
        probs, embeddings = predictor.forward(inputs)
        return good, probs, predictor.outlier_scores(embeddings), bad
    probs, bad = predictor.predict_paths(chunk)
    bad_paths = {s.path for s in bad}
    return [p for p in chunk if p not in bad_paths], probs, None, bad


def _others(predictor: Any, found: Any, unmatched: list[str]) -> dict[str, Any] | None:
    """ "None of these" on the photos in folders that are no class of the model (other things):
    how many of them it catches."""
    if getattr(predictor, "detector", None) is None or not unmatched:
        return None
    caught = n = 0
    for folder in unmatched:
        files = found.classes[folder]
        for start in range(0, len(files), BATCH):
            good, _probs, scores, _bad = _predict(predictor, files[start : start + BATCH])
            n += len(good)
            caught += sum(s > predictor.detector.threshold for s in scores or [])
    return {"n": n, "caught": caught / n if n else 0.0, "folders": unmatched}


def evaluate(model: Path, photos_dir: Path, predictor: Any = None) -> dict[str, Any]:
    """Predict every photo of ``photos_dir`` with the model; the metrics.json-shaped record of it
    (labels, predictions with paths relative to the folder, the model's "not sure" rule) plus
    what was left out and why."""
    if predictor is None:
        from teachkit.model import predict

        predictor = predict.load(model)
    found = photos.scan(photos_dir)
    labels = list(predictor.labels)
    matched, unmatched = match_labels(list(found.classes), labels)
    if not matched:
        raise photos.PhotoError(
            f"None of the folders in {photos_dir} ({', '.join(found.classes) or 'none'}) is one of the model's classes "
            f"({', '.join(labels)}). Name each folder exactly like the class its photos show."
        )
    root = found.root.resolve()
    predictions: list[dict] = []
    skipped = list(found.skipped)
    for folder, label in matched.items():
        files = found.classes[folder]
        for start in range(0, len(files), BATCH):
            chunk = files[start : start + BATCH]
            good, probs, scores, bad = _predict(predictor, chunk)
            skipped += bad
            if not good:
                continue
            probs = np.asarray(probs, dtype=np.float64).reshape(len(good), -1)
            # predict refuses these already; checked again because no accuracy may come from NaN
            if probs.shape[1] != len(labels) or not np.isfinite(probs).all():
                raise ModelError(f"{model} gives no usable probabilities (NaN, or not one per class): it is damaged.")
            for k, (path, p) in enumerate(zip(good, probs, strict=True)):
                row = {
                    # where the folder shows it: a photo linked from elsewhere is under the folder too
                    "path": photos.shown(path.relative_to(found.root).as_posix()),
                    "label": label,
                    "probabilities": [round(float(v), 6) for v in p],
                }
                if scores is not None:
                    row["outlier_score"] = round(scores[k], 6)
                predictions.append(row)
    detector = getattr(predictor, "detector", None)
    outliers = None
    if detector is not None:
        outliers = {"threshold": detector.threshold}
        others = _others(predictor, found, unmatched)
        if others is not None:
            outliers["others"] = others
    # Our model's validation predictions choose each "not sure" mode's rule for these photos.
    metrics, _ = card.read_json(Path(model) / "metrics.json") if Path(model).is_dir() else (None, None)
    validation = (metrics or {}).get("validation_predictions")
    return {
        "labels": labels,
        "evaluated_on": "test-dir",
        "trained_on_this_folder": _trained_on(Path(model), root),
        "model": str(model),
        "photos_root": str(root),
        "predictions": predictions,
        "not_sure": predictor.rule.to_metadata(),
        "outliers": outliers,
        "validation_predictions": validation if isinstance(validation, list) else None,
        "matched": matched,
        "unmatched": {folder: len(found.classes[folder]) for folder in unmatched},
        "skipped": [{"path": str(s.path), "reason": s.reason} for s in skipped],
    }


def run_evaluate(model: Path, photos_dir: Path, json_path: Path | None, out: TextIO | None = None) -> int:
    """Evaluate, print the card for the folder, write the JSON if asked."""
    out = out or sys.stdout
    record = evaluate(Path(model), Path(photos_dir))
    summary = card.summary(record)
    card.print_card(summary, out, title=f"Model {model} on the photos of {photos_dir}")
    if record["trained_on_this_folder"]:
        out.write(
            "\n  WARNING: the model was trained on photos from this folder. It has learned most of them, so this "
            "score is far too good. Evaluate on photos it never saw (its model card shows the honest held-out score)."
        )
    for folder, n in record["unmatched"].items():
        out.write(f"\n  Left out: the {n} photo(s) in '{folder}': the model has no class of that name.")
    if record["unmatched"] and summary["outliers"].get("others"):
        out.write("\n  (They were shown to 'none of these' as other things: see above.)")
    if record["skipped"]:
        out.write(f"\n  Left out: {len(record['skipped'])} file(s) that are not readable photos (listed in the JSON).")
    renamed = {f: lab for f, lab in record["matched"].items() if f != lab}
    for folder, label in renamed.items():
        out.write(f"\n  The folder '{folder}' was taken as the class '{label}'.")
    out.write("\n")
    if json_path is not None:
        json_path = Path(json_path)
        fileio.write_json(json_path, {**record, "card": summary})  # atomic; refuses NaN
        out.write(f"\nThe evaluation is also in {json_path}\n")
    return 0

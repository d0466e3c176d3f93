"""The model card: how good the model really is, where it fails, and when it says "not sure".

Every number is computed here from the saved predictions (metrics.json's ``predictions``: one per
photo the model never trained on), so the card shows exactly what those photos say. The same
``summary`` feeds the site's model page (``teachkit.site.card_page``) and the terminal
(``print_card``).

A model may come from anywhere, so its metrics.json is checked (``metrics_problem``): a damaged one
gives a site without a card and a warning, never a traceback.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from teachkit import fileio
from teachkit.core import decide, notsure
from teachkit.evaluation import calibration
from teachkit.evaluation.metrics import summarise

MAX_JSON_BYTES = 16 * 1024 * 1024  # a real metrics.json is a few hundred KB (one row per held-out photo)

Z95 = 1.959964  # the normal quantile of a two-sided 95% interval
MAX_ERROR = 0.05  # the not-sure target the build uses (notsure.choose_rule's default)


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a proportion: honest even for few photos or 100% right."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _uncalibrated(probs: np.ndarray, temperature: float) -> np.ndarray:
    """The probabilities before temperature scaling: softmax(z) is proportional to softmax(z/T)**T."""
    p = np.clip(probs, 1e-12, 1.0) ** temperature
    return p / p.sum(axis=1, keepdims=True)


def summary(metrics: dict, report: dict | None = None, metadata: dict | None = None) -> dict[str, Any]:
    """The card's numbers (JSON-able), all recomputed from ``metrics["predictions"]``."""
    labels: list[str] = list(metrics["labels"])
    preds = metrics.get("predictions", [])
    index = {label: i for i, label in enumerate(labels)}
    truth = np.array([index[p["label"]] for p in preds], dtype=np.int64)
    probs = np.array([p["probabilities"] for p in preds], dtype=np.float64).reshape(len(preds), len(labels))
    answer = probs.argmax(axis=1) if len(preds) else np.zeros(0, np.int64)
    n = len(preds)
    numbers = summarise(labels, truth.tolist(), probs)
    cells: dict[tuple[int, int], list[int]] = {}
    for i, (t, a) in enumerate(zip(truth.tolist(), answer.tolist(), strict=True)):
        cells.setdefault((t, a), []).append(i)
    correct = numbers["correct"]
    lo, hi = wilson(correct, n)
    recipe = metrics.get("recipe") or {}
    temperature = float(recipe.get("temperature", 1.0) or 1.0)

    if metrics.get("not_sure"):
        rule = decide.Rule(float(metrics["not_sure"]["threshold"]), float(metrics["not_sure"].get("margin", 0.0)))
        mode = metrics["not_sure"].get("mode")
    else:
        rule = decide.Rule.from_metadata(metadata or {})
        mode = None
    sweep_rows = metrics.get("not_sure_sweep")
    sweep_source = "validation"
    if not sweep_rows:
        sweep_rows = notsure.sweep(probs.tolist(), truth.tolist()) if n else []
        sweep_source = "these photos"
    chosen = notsure.chosen_row(sweep_rows)
    largest = int(np.bincount(truth, minlength=len(labels)).max()) if n else 0

    return {
        "labels": labels,
        "evaluated_on": metrics.get("evaluated_on", "held-out"),
        "photos_root": metrics.get("photos_root"),
        "n": n,
        "correct": correct,
        "accuracy": correct / n if n else 0.0,
        "interval": [lo, hi],
        "baseline": largest / n if n else 0.0,
        "per_class": [{"label": label, **row} for label, row in numbers["per_class"].items()],
        "confusion": numbers["confusion"],
        "cells": [
            {"true": labels[t], "predicted": labels[a], "count": len(ix), "photos": [preds[i]["path"] for i in ix]}
            for (t, a), ix in sorted(cells.items())
        ],
        "calibration": {
            "temperature": temperature,
            "ece": calibration.expected_calibration_error(probs, truth) if n else None,
            "ece_without_temperature": (
                calibration.expected_calibration_error(_uncalibrated(probs, temperature), truth) if n else None
            ),
            "reliability": calibration.reliability(probs, truth) if n else [],
        },
        "not_sure": {
            **rule.to_metadata(),
            "note": (chosen or {}).get("note"),
            # The 5%-error target line belongs to the former rule; the modes aim at a share answered.
            "max_error": MAX_ERROR if mode in (None, "error") else None,
            "sweep_on": sweep_source,
            "sweep": sweep_rows,
            "on_these_photos": notsure.rule_on(probs.tolist(), truth.tolist(), rule),
            "mode": mode,
            "modes": _modes(metrics, probs, truth, labels),
        },
        "outliers": _outliers(metrics, preds),
        "history": metrics.get("history") or {},
        "best_epoch": recipe.get("best_epoch"),
        "counts": metrics.get("counts") or {},
        "recipe": recipe,
        "findings": (report or {}).get("findings", []),
        "metadata": {k: (metadata or {}).get(k) for k in ("modelName", "packageName", "packageVersion", "tmVersion")},
    }


def _modes(metrics: dict, probs: np.ndarray, truth: np.ndarray, labels: list[str]) -> dict | None:
    """What each "not sure" mode would do on these photos: as the build measured it, or, for
    ``evaluate``, each mode's rule chosen on the model's own validation predictions (never on the
    photos measured) and applied to these. None when there are no validation predictions."""
    if metrics.get("not_sure_modes") and metrics.get("evaluated_on") != "test-dir":
        return metrics["not_sure_modes"]
    val = metrics.get("validation_predictions")
    if not val or not len(truth):
        return None
    index = {label: i for i, label in enumerate(labels)}
    val_truth = [index[p["label"]] for p in val]
    val_probs = [p["probabilities"] for p in val]
    return notsure.modes_on(val_probs, val_truth, probs.tolist(), truth.tolist())


def _outliers(metrics: dict, preds: list[dict]) -> dict:
    """ "None of these" on these photos: the share of them (real photos of the classes) turned
    away, and the share caught of the photos of other things (``evaluate``: folders that are no
    class). ``available`` False: the model has no summary, so no such verdict."""
    info = metrics.get("outliers")
    if not isinstance(info, dict) or info.get("threshold") is None:
        return {"available": False}
    threshold = float(info["threshold"])
    scores = [p["outlier_score"] for p in preds if p.get("outlier_score") is not None]
    out: dict[str, Any] = {
        "available": True,
        "threshold": threshold,
        "n": len(scores),
        "turned_away": sum(s > threshold for s in scores) / len(scores) if scores else None,
        "validation_turned_away": (info.get("validation") or {}).get("turned_away"),
    }
    others = info.get("others")
    if isinstance(others, dict) and others.get("n"):
        out["others"] = {"n": int(others["n"]), "caught": float(others["caught"])}
    return out


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def print_card(s: dict, stream: TextIO | None = None, title: str = "Model card") -> None:
    """The card in the terminal: the same numbers as the model page."""
    out = stream or sys.stdout
    where = "photos it never trained on" if s["evaluated_on"] == "held-out" else "photos of the test folder"
    lo, hi = s["interval"]
    out.write(f"\n{title}\n\n")
    out.write(
        f"  Accuracy: {s['accuracy']:.1%} on {s['n']} {where} ({s['correct']} right); "
        f"95% interval {lo:.1%} to {hi:.1%}.\n"
    )
    out.write(f"  (Always answering the most common class would get {s['baseline']:.1%}.)\n\n")
    w = max([5] + [len(label) for label in s["labels"]])
    out.write(f"  {'class':<{w}}  {'precision':>9}  {'recall':>6}  {'F1':>5}  {'photos':>6}\n")
    for r in s["per_class"]:
        out.write(
            f"  {r['label']:<{w}}  {r['precision']:>9.0%}  {r['recall']:>6.0%}  {r['f1']:>5.2f}  {r['support']:>6}\n"
        )
    out.write("\n  Confusion matrix (rows: the true class; columns: the model's answer)\n")
    cw = max(4, *(len(label) for label in s["labels"]))
    out.write(f"  {'':<{w}}  " + "  ".join(f"{label[:cw]:>{cw}}" for label in s["labels"]) + "\n")
    for label, row in zip(s["labels"], s["confusion"], strict=True):
        out.write(f"  {label:<{w}}  " + "  ".join(f"{v:>{cw}}" for v in row) + "\n")
    mistakes = sorted((c for c in s["cells"] if c["true"] != c["predicted"]), key=lambda c: -c["count"])
    if mistakes:
        out.write("\n  Most frequent mistakes:\n")
        for c in mistakes[:5]:
            out.write(f"    {c['count']} x '{c['true']}' taken for '{c['predicted']}', e.g. {c['photos'][0]}\n")
    cal = s["calibration"]
    if cal["ece"] is not None:
        out.write(f"\n  Calibration: confidence and accuracy differ by {cal['ece']:.1%} on average (ECE)")
        if cal["temperature"] != 1.0:
            out.write(f"; {cal['ece_without_temperature']:.1%} without the fitted temperature {cal['temperature']:.2f}")
        out.write(".\n")
    ns = s["not_sure"]
    on = ns["on_these_photos"]
    out.write(f'\n  "Not sure" when the top class is under {ns["threshold"]:.0%}')
    if ns["margin"]:
        out.write(f" or beats the runner-up by under {ns['margin']:.0%}")
    out.write(f". On these photos it answers {on['answered']:.0%}, and {_pct(on['error'])} of its answers are wrong.\n")
    if ns.get("note"):
        out.write(f"  Why this rule: {ns['note']}\n")
    if ns.get("modes"):
        out.write("  What each mode would do here (chosen on the validation part, as a build would):\n")
        for name, m in ns["modes"].items():
            chosen = "  (this model's)" if name == ns.get("mode") else ""
            out.write(
                f"    {name:<9} answers {m['answered']:.0%}, its answers right {_pct(m['accuracy_answered'])} "
                f"(all answers {_pct(m['accuracy_all'])}){chosen}\n"
            )
    away = s.get("outliers") or {"available": False}
    if away["available"]:
        out.write(
            f'\n  "None of these" when a photo is further than {away["threshold"]:.3f} from every class\'s training '
            f"photos (chosen so that about 5% of the validation photos are turned away).\n"
        )
        if away["turned_away"] is not None:
            out.write(f"  It turned away {away['turned_away']:.0%} of these {away['n']} photos of the classes.\n")
        if away.get("others"):
            o = away["others"]
            out.write(f"  It caught {o['caught']:.0%} of the {o['n']} photos in folders that are no class.\n")
    else:
        out.write(
            '\n  No "none of these": the model has no summary of its training photos (for a Teachable Machine '
            "export, give them to `teachkit site EXPORT --photos DIR`).\n"
        )
    bad = [f for f in s["findings"] if f["severity"] in ("error", "warning")]
    if bad:
        out.write("\n  The dataset report found:\n")
        for f in bad:
            out.write(f"    {f['severity']}: {f['title']}\n")


def load_summary(model_dir: Path, warn: Callable[[str], None] | None = None) -> dict | None:
    """The card's summary of a model folder, or None without a usable metrics.json.

    A damaged metrics.json is not fatal: a site works without its card, so ``warn`` (stderr by
    default) says why there is none.
    """
    model_dir = Path(model_dir)
    metrics_path = model_dir / "metrics.json"
    if not metrics_path.exists() and not metrics_path.is_symlink():
        return None
    metrics, problem = read_json(metrics_path)
    s: dict[str, Any] | None = None
    if metrics is not None:
        problem = metrics_problem(metrics)
    if problem is None:
        report, _ = read_json(model_dir / "dataset-report.json")
        metadata, _ = read_json(model_dir / "metadata.json")
        try:
            s = summary(metrics, _valid_report(report), metadata)
        # The checks above cover what summary reads; this catches what they missed, because a
        # card of a model from elsewhere must never stop a site.
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
            problem = f"its numbers do not fit together ({type(e).__name__})"
    if s is None:
        message = f"{metrics_path} is damaged ({problem}), so the site has no model card."
        if warn is None:
            print(f"teachkit: warning: {message}", file=sys.stderr)
        else:
            warn(message)
    return s


def read_json(path: Path) -> tuple[dict | None, str | None]:
    """The JSON object in ``path`` (bounded, never blocking on a pipe), or None and why not."""
    try:
        data = fileio.read_bytes(path, MAX_JSON_BYTES, what="file")
    except ValueError as e:
        return None, str(e)
    try:
        value = fileio.parse_json(data)
    except ValueError:
        return None, "it is not JSON"
    if not isinstance(value, dict):
        what = "a list" if isinstance(value, list) else "text" if isinstance(value, str) else "a single value"
        return None, f"it holds {what}, not an object"
    return value, None


def _number(x: Any, lo: float = -math.inf, hi: float = math.inf) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and lo <= x <= hi


def _numbers_or_none(values: Any) -> bool:
    return isinstance(values, list) and all(v is None or _number(v) for v in values)


def metrics_problem(m: dict) -> str | None:
    """Why ``m`` (a metrics.json or an evaluation record) cannot make a card, or None: every key
    the card reads, with the type it needs."""
    labels = m.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        return "it has no list of class labels"
    known = set(labels)
    preds = m.get("predictions")
    if not isinstance(preds, list):
        return "it has no list of predictions"
    for p in preds:
        if (
            not isinstance(p, dict)
            or not isinstance(p.get("path"), str)
            or p.get("label") not in known
            or not isinstance(p.get("probabilities"), list)
            or len(p["probabilities"]) != len(labels)
            or not all(_number(v, 0.0, 1.0) for v in p["probabilities"])
        ):
            return "a prediction lacks its path, a known label or one probability from 0 to 1 per class"
    rule = m.get("not_sure")
    if rule is not None and (
        not isinstance(rule, dict)
        or not {"threshold"} <= set(rule) <= {"threshold", "margin", "mode"}
        or not all(_number(rule.get(k, 0.0), 0.0, 1.0) for k in ("threshold", "margin"))
        or rule.get("mode", "balanced") not in (*notsure.MODES, "error")
    ):
        return "its 'not sure' rule is not a threshold and a margin from 0 to 1"
    sweep = m.get("not_sure_sweep")
    if sweep is not None and not (
        isinstance(sweep, list)
        and all(
            isinstance(r, dict)
            and all(_number(r.get(k), 0.0, 1.0) for k in ("threshold", "margin", "answered"))
            and (r.get("error") is None or _number(r["error"], 0.0, 1.0))
            and (r.get("note") is None or isinstance(r["note"], str))
            for r in sweep
        )
    ):
        return "its 'not sure' sweep is damaged"
    if any(p.get("outlier_score") is not None and not _number(p["outlier_score"]) for p in preds):
        return "an outlier score is not a number"
    away = m.get("outliers")
    if away is not None and not (isinstance(away, dict) and _number(away.get("threshold"))):
        return "its 'none of these' summary is damaged"
    modes = m.get("not_sure_modes")
    if modes is not None and not (
        isinstance(modes, dict)
        and set(modes) <= set(notsure.MODES)
        and all(
            isinstance(r, dict)
            and _number(r.get("answered"), 0.0, 1.0)
            and all(r.get(k) is None or _number(r[k], 0.0, 1.0) for k in ("accuracy_answered", "accuracy_all"))
            for r in modes.values()
        )
    ):
        return "its 'not sure' modes are damaged"
    val = m.get("validation_predictions")
    if val is not None and not (
        isinstance(val, list)
        and all(
            isinstance(p, dict)
            and p.get("label") in known
            and isinstance(p.get("probabilities"), list)
            and len(p["probabilities"]) == len(labels)
            and all(_number(v, 0.0, 1.0) for v in p["probabilities"])
            for p in val
        )
    ):
        return "its validation predictions are damaged"
    history = m.get("history")
    if history is not None and not (isinstance(history, dict) and all(map(_numbers_or_none, history.values()))):
        return "its training history is not lists of numbers"
    recipe = m.get("recipe")
    if recipe is not None and not (
        isinstance(recipe, dict)
        and (recipe.get("temperature") is None or _number(recipe["temperature"], 1e-6))
        and (recipe.get("best_epoch") is None or _number(recipe["best_epoch"]))
        and (recipe.get("holdout") is None or _number(recipe["holdout"], 0.0, 1.0))
    ):
        return "its recipe is damaged"
    counts = m.get("counts")
    if counts is not None and not (
        isinstance(counts, dict)
        and all(
            isinstance(n, dict) and all(_number(n.get(k, 0), 0) for k in ("train", "validation", "heldout"))
            for n in counts.values()
        )
    ):
        return "its photo counts are damaged"
    for key in ("evaluated_on", "photos_root"):
        if m.get(key) is not None and not isinstance(m[key], str):
            return f"its {key} is not text"
    return None


def _valid_report(report: dict | None) -> dict | None:
    """dataset-report.json's findings if they have the shape the card shows, else none: the card
    does without them rather than fail."""
    findings = (report or {}).get("findings")
    if isinstance(findings, list) and all(
        isinstance(f, dict) and all(isinstance(f.get(k), str) for k in ("severity", "title", "explanation"))
        for f in findings
    ):
        return report
    return None

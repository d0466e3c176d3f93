"""Calibration: does "90% sure" mean right 9 times in 10?

Small heads trained to convergence are usually over-confident. One number, a temperature T
fitted on validation photos (probabilities = softmax(logits / T)), fixes most of it without
changing which class wins; the reliability diagram and the expected calibration error (ECE)
show how far off the model is.
"""

from __future__ import annotations

import numpy as np

from teachkit.core import recipe

#: Temperatures searched (log-spaced), then refined around the best one.
T_MIN, T_MAX = recipe.T_MIN, recipe.T_MAX


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, truth: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the true classes."""
    p = softmax(logits, temperature)
    t = np.asarray(truth, dtype=np.int64)
    return float(-np.mean(np.log(np.clip(p[np.arange(len(t)), t], 1e-12, 1.0))))


def fit_temperature(logits: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the NLL on (validation) predictions; 1.0 when none is better.

    The recipe's own search (``teachkit.core.recipe.fit_temperature``, pure Python: the Teach page
    runs the same in Pyodide). Works on log-probabilities as well as on logits.
    """
    rows = np.asarray(logits, dtype=np.float64).tolist()
    return recipe.fit_temperature(rows, [int(t) for t in np.asarray(truth).reshape(-1)])


def reliability(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> list[dict]:
    """Photos grouped by the model's confidence (its top probability) into equal-width bins:
    for each, how many photos, the mean confidence, and how often the answer was right."""
    probs = np.asarray(probs, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.int64)
    rows: list[dict] = []
    if len(truth) == 0:
        return rows
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == truth
    # bin i holds (i/bins, (i+1)/bins]; a confidence of exactly 0 goes to the first bin
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    for i in range(bins):
        mask = index == i
        n = int(mask.sum())
        rows.append(
            {
                "lo": i / bins,
                "hi": (i + 1) / bins,
                "n": n,
                "confidence": float(confidence[mask].mean()) if n else None,
                "accuracy": float(correct[mask].mean()) if n else None,
            }
        )
    return rows


def expected_calibration_error(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """The photo-weighted mean gap between confidence and accuracy over the reliability bins."""
    rows = reliability(probs, truth, bins)
    total = sum(r["n"] for r in rows)
    if not total:
        return 0.0
    return float(sum(r["n"] * abs(r["accuracy"] - r["confidence"]) for r in rows if r["n"]) / total)

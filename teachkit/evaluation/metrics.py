"""Held-out numbers: accuracy, per-class precision/recall/F1 and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def summarise(labels: Sequence[str], truth: Sequence[int], probabilities: np.ndarray) -> dict[str, Any]:
    """The numbers of metrics.json for one set of predictions (rows: true, columns: predicted)."""
    n = len(labels)
    truth_arr = np.asarray(truth, dtype=int)
    predicted = probabilities.argmax(axis=1) if len(truth_arr) else np.zeros(0, int)
    confusion = np.zeros((n, n), dtype=int)
    for t, p in zip(truth_arr, predicted, strict=True):
        confusion[t, p] += 1
    per_class = per_class_numbers(labels, confusion)
    correct = int(np.trace(confusion))
    return {
        "accuracy": correct / len(truth_arr) if len(truth_arr) else 0.0,
        "n_heldout": int(len(truth_arr)),
        "correct": correct,
        "per_class": per_class,
        "confusion": confusion.tolist(),
    }


def per_class_numbers(labels: Sequence[str], confusion: np.ndarray) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each class, from a confusion matrix (rows: true)."""
    out = {}
    for c, label in enumerate(labels):
        tp = int(confusion[c, c])
        predicted_c = int(confusion[:, c].sum())
        actual_c = int(confusion[c].sum())
        precision = tp / predicted_c if predicted_c else 0.0
        recall = tp / actual_c if actual_c else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": actual_c}
    return out

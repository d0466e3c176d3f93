"""Real Teachable Machine exports run from Python with Teachkit's preprocessing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from teachkit.model import predict


@pytest.mark.slow
@pytest.mark.parametrize("name", ["animals-4class", "edible-3class"])
def test_samples_are_classified_as_teachable_machine_trained_them(tm_exports: Path, name: str) -> None:
    root = tm_exports / name
    model = predict.load(root)
    right = total = 0
    for index, label in enumerate(model.labels):
        probs, skipped = model.predict_paths(sorted((root / "samples" / label).iterdir()))
        assert not skipped
        right += int((probs.argmax(1) == index).sum())
        total += len(probs)
    assert total >= 100
    assert right / total >= 0.95


@pytest.mark.slow
def test_old_format_export_runs_on_its_rgba_samples(tm_exports: Path) -> None:
    model = predict.load(tm_exports / "google-official-2class")
    for index, label in enumerate(model.labels):
        probs, _ = model.predict_paths(sorted((tm_exports / "google-official-2class" / "samples" / label).iterdir()))
        assert len(probs) and np.mean(probs.argmax(1) == index) >= 0.95

"""Temperature scaling and the calibration error, on predictions whose true calibration is known."""

from __future__ import annotations

import numpy as np

from teachkit.evaluation import calibration


def _overconfident(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """Labels drawn from softmax(z), logits reported as z * 3: a model over-confident by T = 3."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, size=(n, 4))
    p = calibration.softmax(z)
    truth = np.array([rng.choice(4, p=row) for row in p])
    return z * 3.0, truth, 3.0


def test_fit_temperature_recovers_a_known_temperature() -> None:
    logits, truth, t_true = _overconfident()
    t = calibration.fit_temperature(logits, truth)
    assert abs(t - t_true) < 0.3
    before = calibration.expected_calibration_error(calibration.softmax(logits), truth)
    after = calibration.expected_calibration_error(calibration.softmax(logits, t), truth)
    assert after < before / 3


def test_calibrated_model_keeps_temperature_one() -> None:
    logits, truth, _ = _overconfident()
    calibrated = logits / 3.0
    t = calibration.fit_temperature(calibrated, truth)
    assert abs(t - 1.0) < 0.15


def test_ece_and_reliability_by_hand() -> None:
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.6, 0.4], [0.3, 0.7]])
    truth = np.array([0, 1, 0, 1])
    rows = calibration.reliability(probs, truth, bins=10)
    by_bin = {round(r["hi"], 1): r for r in rows if r["n"]}
    assert by_bin[1.0]["n"] == 2 and by_bin[1.0]["accuracy"] == 0.5
    assert by_bin[0.6]["n"] == 1 and by_bin[0.7]["n"] == 1
    # |0.5-0.95|*2 + |1-0.6| + |1-0.7|, over 4 photos
    expected = (0.45 * 2 + 0.4 + 0.3) / 4
    assert abs(calibration.expected_calibration_error(probs, truth) - expected) < 1e-12


def test_log_probabilities_work_as_logits() -> None:
    logits, truth, _ = _overconfident(seed=1)
    probs = calibration.softmax(logits)
    t = calibration.fit_temperature(np.log(probs), truth)  # softmax ignores a shift: as good as logits
    assert abs(t - calibration.fit_temperature(logits, truth)) < 0.05

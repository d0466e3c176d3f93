"""The "not sure" rule chosen on known predictions, and the sweep recomputed independently."""

from __future__ import annotations

import random

from teachkit.core import decide, notsure


def _known_set() -> tuple[list[list[float]], list[int]]:
    """100 photos of 3 classes in three groups of known confidence and known mistakes:
    80 at 95% (all right), 10 at 74% (6 right, 4 wrong), 10 at 55% (3 right, 7 wrong)."""
    probs: list[list[float]] = []
    truth: list[int] = []
    for _ in range(80):
        probs.append([0.95, 0.03, 0.02])
        truth.append(0)
    for i in range(10):
        probs.append([0.26, 0.74, 0.0])
        truth.append(1 if i < 6 else 0)
    for i in range(10):
        probs.append([0.0, 0.45, 0.55])
        truth.append(2 if i < 3 else 1)
    return probs, truth


def test_chooses_smallest_threshold_under_five_percent() -> None:
    probs, truth = _known_set()
    rule, rows = notsure.choose_rule(probs, truth, mode="error")
    # Answering all: 11 wrong in 100 (11%). From 0.6 up to 0.74 the 55% group is "not sure":
    # 4 wrong in 90 (4.4%), the most photos answered under 5%, with no margin needed.
    assert rule == decide.Rule(0.6, 0.0)
    row = notsure.chosen_row(rows)
    assert row is not None and row["n_answered"] == 90
    assert abs(row["error"] - 4 / 90) < 1e-12
    assert "4.4%" in row["note"]
    everything = next(r for r in rows if r["threshold"] == 0.0 and r["margin"] == 0.0)
    assert everything["answered"] == 1.0 and abs(everything["error"] - 0.11) < 1e-12


def test_stricter_target_moves_the_threshold_up() -> None:
    probs, truth = _known_set()
    rule, _ = notsure.choose_rule(probs, truth, max_error=0.01, mode="error")
    assert rule == decide.Rule(0.75, 0.0)  # only the 95% group is answered: no mistakes


def test_sweep_matches_a_direct_count() -> None:
    rng = random.Random(3)
    probs, truth = [], []
    for _ in range(200):
        raw = [rng.random() ** 3 for _ in range(4)]
        s = sum(raw)
        probs.append([x / s for x in raw])
        # right more often when more confident, as a real model
        truth.append(probs[-1].index(max(probs[-1])) if rng.random() < max(probs[-1]) else rng.randrange(4))
    rule, rows = notsure.choose_rule(probs, truth, max_error=0.1, mode="error")
    for row in rows:
        answered = [
            (max(range(4), key=lambda k: p[k]), t)
            for p, t in zip(probs, truth, strict=True)
            if max(p) >= row["threshold"] and max(p) - sorted(p)[-2] >= row["margin"]
        ]
        assert row["n_answered"] == len(answered)
        if answered:
            assert abs(row["error"] - sum(a != t for a, t in answered) / len(answered)) < 1e-12
    eligible = [r for r in rows if r["error"] is not None and r["error"] <= 0.1 and r["n_answered"] >= 10]
    assert notsure.chosen_row(rows)["n_answered"] == max(r["n_answered"] for r in eligible)
    assert (rule.threshold, rule.margin) in {(r["threshold"], r["margin"]) for r in eligible}


def test_no_setting_good_enough_falls_back_and_says_so() -> None:
    # A model that is right only 60% of the time, whatever its confidence.
    probs = [[0.9, 0.1]] * 30 + [[0.1, 0.9]] * 30
    truth = [0] * 18 + [1] * 12 + [1] * 18 + [0] * 12
    rule, rows = notsure.choose_rule(probs, truth, mode="error")
    row = notsure.chosen_row(rows)
    assert row["answered"] >= 0.5
    assert "No setting" in row["note"]
    assert (rule.threshold, rule.margin) == (row["threshold"], row["margin"])


def test_tiny_validation_set_uses_the_default() -> None:
    rule, rows = notsure.choose_rule([[0.8, 0.2]] * 5, [0] * 5, mode="error")
    assert rule == decide.Rule()
    assert "too few" in notsure.chosen_row(rows)["note"]

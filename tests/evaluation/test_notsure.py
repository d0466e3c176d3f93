"""The "not sure" rule chosen on known predictions, and the sweep recomputed independently."""

from __future__ import annotations

import random

import pytest

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


def _graded(n: int = 200, seed: int = 4) -> tuple[list[list[float]], list[int]]:
    """Predictions of 3 classes whose top confidence runs from 0.34 to 1.0, right more often when
    more confident (as a real model's), every confidence different."""
    rng = random.Random(seed)
    probs, truth = [], []
    for i in range(n):
        top = 0.34 + 0.66 * (i + 0.5) / n
        rest = (1 - top) / 2
        k = rng.randrange(3)
        p = [rest, rest, rest]
        p[k] = top
        probs.append(p)
        truth.append(k if rng.random() < top else (k + 1) % 3)
    return probs, truth


def test_the_modes_answer_their_share_of_the_validation_photos() -> None:
    probs, truth = _graded()
    answered = {}
    for mode in notsure.MODES:
        rule, rows = notsure.choose_rule(probs, truth, mode=mode)
        row = notsure.chosen_row(rows)
        assert row["mode"] == mode and (row["threshold"], row["margin"]) == (rule.threshold, rule.margin)
        answered[mode] = notsure.rule_on(probs, truth, rule)["n_answered"]
    # balanced answers ceil(86% of 200) = 172, strict ceil(75%) = 150, off all of them
    assert answered == {"strict": 150, "balanced": 172, "off": 200}
    assert notsure.choose_rule(probs, truth)[0] == notsure.choose_rule(probs, truth, mode="balanced")[0]


def test_the_share_threshold_is_rounded_down_to_what_metadata_keeps() -> None:
    probs = [[0.123456789, 0.876543211]] + [[0.9, 0.1]] * 3
    t = notsure.share_threshold(probs, 1.0)
    assert t == 0.8765 and t <= 0.876543211  # round(..., 4) would give 0.8765 here, but never more
    assert notsure.share_threshold(probs, 0.5) == 0.9


def test_a_model_rarely_wrong_answers_more_than_its_share() -> None:
    """When the error rule (at most 5% wrong) answers more validation photos than the share, it is
    used: a model that is right on every photo has no reason to turn 14% of them away."""
    probs = [[0.6 + 0.002 * i, 0.4 - 0.002 * i] for i in range(100)]
    rule, rows = notsure.choose_rule(probs, [0] * 100, mode="balanced")
    assert notsure.rule_on(probs, [0] * 100, rule)["answered"] == 1.0
    assert "more than 86%" in notsure.chosen_row(rows)["note"]


def test_off_always_answers_and_few_photos_keep_the_default() -> None:
    rule, _ = notsure.choose_rule([[0.8, 0.2]] * 5, [0] * 5, mode="off")
    assert rule == decide.Rule(0.0, 0.0)
    rule, _ = notsure.choose_rule([[0.8, 0.2]] * 5, [0] * 5, mode="balanced")
    assert rule == decide.Rule()  # under MIN_PHOTOS: nothing can be measured


def test_an_unknown_mode_is_refused() -> None:
    probs, truth = _graded()
    try:
        notsure.choose_rule(probs, truth, mode="lenient")
    except ValueError as e:
        assert "strict, balanced, off" in str(e)
    else:
        raise AssertionError("an unknown mode was accepted")


def test_modes_on_measures_each_modes_rule_on_other_photos() -> None:
    val, val_truth = _graded(seed=1)
    probs, truth = _graded(seed=2)
    got = notsure.modes_on(val, val_truth, probs, truth)
    assert set(got) == set(notsure.MODES)
    right_all = sum(max(range(3), key=lambda k: p[k]) == t for p, t in zip(probs, truth, strict=True)) / len(truth)
    for mode, m in got.items():
        rule, _ = notsure.choose_rule(val, val_truth, mode=mode)
        answered = [
            (max(range(3), key=lambda k: p[k]), t)
            for p, t in zip(probs, truth, strict=True)
            if max(p) >= rule.threshold
        ]
        assert m["threshold"] == round(rule.threshold, 4)
        assert m["answered"] == len(answered) / len(truth)
        assert m["accuracy_answered"] == pytest.approx(sum(a == t for a, t in answered) / len(answered))
        assert m["accuracy_all"] == pytest.approx(right_all)
    assert got["strict"]["accuracy_answered"] > got["balanced"]["accuracy_answered"] > got["off"]["accuracy_answered"]

"""Choosing the "not sure" rule on validation predictions (build time).

A model that always answers is wrong on every photo it has not learned well. Saying "not sure"
on the doubtful ones makes the answers it does give trustworthy. The rule (``decide.Rule``: a
confidence threshold and a top-2 margin) is chosen here by trying every setting of a small grid
on photos the model did not train on, with the very ``decide.decide`` the page runs in Pyodide.

The teacher picks a mode (``MODES``). Each is a target that transfers to new photos: a share of
the validation photos to answer, the least confident ones turned away. An error target does not
transfer: "at most 5% wrong on the validation part" (photos from the same sessions as the
training photos) chose "95% sure" on trashnet-subset, which answered 24% of the photos taken later.
Measured with bench/recipes.py on Teachkit's recipe (seven depths, standardised features, the
final head learning from every augmented copy as ``train`` does; trained on photos 1-100 of each
class, measured on 101-150): answering the most confident 86% of the validation photos answered
80.1% of the later photos over 5 seeds, and those answers were right 8.3 points more often than
all answers (80.2% and 8.2 points over 10 seeds; 85% answered 79.4% and gained 8.5, 87% answered
81.5% and gained 7.9). The share is chosen on those same later photos, the benchmark that reports
it: one dataset. Ranking by the top-2 margin, by entropy, by a softer temperature or also by the
"none of these" distance did no better beyond the validation part's resolution (one photo of
about 90 is 1.1 points of share).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from teachkit.core import decide

#: The settings tried. 0.0 is "always answer"; a threshold under 1/N classes means the same.
THRESHOLDS = (0.0, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99)
MARGINS = (0.0, 0.1, 0.2, 0.3, 0.5)

#: A rule is only trusted when at least this many validation photos are answered under it:
#: an error rate measured on fewer photos says little (1 mistake in 9 is already 11%).
MIN_ANSWERED = 10

#: Below this many validation photos nothing is tuned: the untuned default is used.
MIN_PHOTOS = 20

#: When no setting reaches the target, the fallback keeps answering at least this share.
MIN_SHARE_FALLBACK = 0.5

#: The teacher's choice (``--not-sure``): the share of validation photos each mode answers, its
#: least confident ones turned away. New photos are less familiar, so fewer of them are answered:
#: trashnet-subset's later photos were answered about 6 points less often than validation ones.
#: "off" always answers. ("error" is the former rule: at most ``max_error`` wrong on validation.)
TARGET_SHARE = {"strict": 0.75, "balanced": 0.86}
MODES = ("strict", "balanced", "off")
DEFAULT_MODE = "balanced"


def sweep(
    probabilities: Sequence[Sequence[float]],
    truth: Sequence[int],
    thresholds: Sequence[float] = THRESHOLDS,
    margins: Sequence[float] = MARGINS,
) -> list[dict]:
    """For each (threshold, margin): the share of photos answered and the error rate among them.

    ``error`` is None when no photo is answered (there is nothing to be wrong about).
    """
    if len(probabilities) != len(truth):
        raise ValueError(f"{len(probabilities)} predictions but {len(truth)} true classes")
    rows: list[dict] = []
    for margin in margins:
        for threshold in thresholds:
            effect = rule_on(probabilities, truth, decide.Rule(threshold, margin))
            del effect["wrong"]  # metrics.json's sweep rows keep the shape they have always had
            rows.append({"threshold": threshold, "margin": margin, **effect, "chosen": False})
    return rows


def rule_on(probabilities: Sequence[Sequence[float]], truth: Sequence[int], rule: decide.Rule) -> dict:
    """What ``rule`` does on these predictions: the share answered, the error rate among the
    answers (None when none is answered: nothing to be wrong about), and the counts."""
    n = len(truth)
    answered = wrong = 0
    for probs, true in zip(probabilities, truth, strict=True):
        choice = decide.decide([float(p) for p in probs], rule)
        if choice is None:
            continue
        answered += 1
        wrong += choice != int(true)
    return {
        "answered": answered / n if n else 0.0,
        "error": wrong / answered if answered else None,
        "n_answered": answered,
        "n": n,
        "wrong": wrong,
    }


def _answers_most(rows: list[dict]) -> dict:
    """The row answering the most photos; ties go to the lower margin, then the lower threshold
    (a margin of 0 is the easiest rule to explain: "answer when at least X% sure")."""
    return min(rows, key=lambda r: (-r["n_answered"], r["margin"], r["threshold"]))


def _within(rows: list[dict], max_error: float) -> dict | None:
    """The row answering the most photos with at most ``max_error`` of its answers wrong (and at
    least ``MIN_ANSWERED`` answered), or None."""
    good = [r for r in rows if r["n_answered"] >= MIN_ANSWERED and r["error"] is not None and r["error"] <= max_error]
    return _answers_most(good) if good else None


def share_threshold(probabilities: Sequence[Sequence[float]], share: float) -> float:
    """The confidence at or above which ``share`` of these predictions lie (the top class's
    probability of the ceil(share x n)-th most confident one), rounded down to the 4 decimals
    metadata.json keeps, so that rounding never turns one of them away."""
    tops = sorted((max(float(p) for p in probs) for probs in probabilities), reverse=True)
    if not tops:
        return decide.DEFAULT_THRESHOLD
    k = min(len(tops), max(1, math.ceil(share * len(tops) - 1e-9)))
    return math.floor(tops[k - 1] * 10_000) / 10_000


def choose_rule(
    probabilities: Sequence[Sequence[float]],
    truth: Sequence[int],
    max_error: float = 0.05,
    mode: str = DEFAULT_MODE,
) -> tuple[decide.Rule, list[dict]]:
    """The "not sure" rule for a model in ``mode``, chosen on validation predictions, and the
    whole sweep (for the card: what each setting does).

    "strict" and "balanced" answer their ``TARGET_SHARE`` of the validation photos (the most
    confident ones), or more when the "error" rule answers more; "off" answers every photo.
    "error" is the former rule, below. With fewer than ``MIN_PHOTOS`` validation photos nothing
    can be measured: the untuned default (``decide.Rule()``, 50%) is used, except "off". The
    chosen row says why in ``note``.

    "error": among all settings whose error rate on the photos they answer is at most
    ``max_error`` (5%: at most 1 wrong answer in 20) and that answer at least ``MIN_ANSWERED``
    photos, take the one that answers the most photos (so the smallest threshold and margin that
    keep the mistakes that rare; ties go to the lower margin, then the lower threshold).

    When no setting reaches the target, the model is too weak for it: the setting with the
    fewest mistakes that still answers at least half the photos is used. With fewer than
    ``MIN_PHOTOS`` validation photos nothing can be measured: the untuned default
    (``decide.Rule()``) is used. Either way the chosen row says why in ``note``.
    """
    if mode not in (*MODES, "error"):
        raise ValueError(f"unknown 'not sure' mode {mode!r}: one of {', '.join(MODES)}")
    rows = sweep(probabilities, truth)
    n = len(truth)
    default = decide.Rule()
    if mode == "off" or (mode in TARGET_SHARE and n >= MIN_PHOTOS):
        if mode == "off":
            rule = decide.Rule(0.0, 0.0)
            note = "Always answers: the teacher turned 'not sure' off."
        else:
            share = TARGET_SHARE[mode]
            rule = decide.Rule(share_threshold(probabilities, share), 0.0)
            note = (
                f"Answers the {share:.0%} of validation photos it is most sure of ({mode}): "
                f"at least {rule.threshold:.0%} confident. New photos are answered a little less often."
            )
            # A model that is rarely wrong need not turn away that many: when the error rule
            # answers more photos with at most max_error of them wrong, it is used instead.
            good = _within(rows, max_error)
            if good is not None and good["n_answered"] > rule_on(probabilities, truth, rule)["n_answered"]:
                rule = decide.Rule(good["threshold"], good["margin"])
                note = (
                    f"Answers {good['answered']:.0%} of the validation photos ({mode}): more than "
                    f"{share:.0%}, as at most {max_error:.0%} of those answers are wrong ({good['error']:.1%} were)."
                )
        effect = rule_on(probabilities, truth, rule)
        del effect["wrong"]
        chosen = {"threshold": rule.threshold, "margin": rule.margin, **effect, "chosen": True, "note": note}
        chosen["mode"] = mode
        # The chosen rule is its own row (its threshold is the data's, not the grid's).
        rows = [r for r in rows if not (r["threshold"] == rule.threshold and r["margin"] == rule.margin)]
        rows.append(chosen)
        rows.sort(key=lambda r: (r["margin"], r["threshold"]))  # the grid's order: charts draw it
        return rule, rows
    if n < MIN_PHOTOS:
        chosen = next(r for r in rows if r["threshold"] == default.threshold and r["margin"] == default.margin)
        chosen["note"] = (
            f"Only {n} validation photos: too few to tune the rule, so the standard setting is used "
            f"(answer when the top class has at least {default.threshold:.0%} confidence)."
        )
    else:
        within = _within(rows, max_error)
        if within is not None:
            chosen = within
            chosen["note"] = (
                f"The setting that answers the most validation photos ({chosen['answered']:.0%}) while at most "
                f"{max_error:.0%} of its answers are wrong ({chosen['error']:.1%} were)."
            )
        else:
            enough = [
                r for r in rows if r["answered"] >= MIN_SHARE_FALLBACK and r["n_answered"] >= min(MIN_ANSWERED, n)
            ]
            chosen = min(enough, key=lambda r: (r["error"], -r["n_answered"], r["margin"], r["threshold"]))
            chosen["note"] = (
                f"No setting kept the mistakes under {max_error:.0%} (the model is not good enough for that yet). "
                f"This is the setting with the fewest mistakes ({chosen['error']:.1%}) that still answers at least "
                f"half the photos ({chosen['answered']:.0%}). More and more varied photos would help."
            )
    chosen["chosen"] = True
    chosen["mode"] = mode
    return decide.Rule(chosen["threshold"], chosen["margin"]), rows


def modes_on(
    val_probabilities: Sequence[Sequence[float]],
    val_truth: Sequence[int],
    probabilities: Sequence[Sequence[float]],
    truth: Sequence[int],
) -> dict[str, dict]:
    """What each mode would do: its rule (chosen on the validation predictions, as a build in that
    mode would choose it) and its effect on other predictions (held-out or later photos): the
    share answered and the accuracy of the answers, beside the accuracy of all answers."""
    out = {}
    right_all = sum(
        decide.decide([float(p) for p in probs], decide.Rule(0.0, 0.0)) == int(t)
        for probs, t in zip(probabilities, truth, strict=True)
    )
    for mode in MODES:
        rule, _ = choose_rule(val_probabilities, val_truth, mode=mode)
        effect = rule_on(probabilities, truth, rule)
        out[mode] = {
            **rule.to_metadata(),
            "answered": effect["answered"],
            "accuracy_answered": None if effect["error"] is None else 1 - effect["error"],
            "accuracy_all": right_all / len(truth) if truth else None,
            "n_answered": effect["n_answered"],
            "n": effect["n"],
        }
    return out


def chosen_row(rows: Sequence[dict]) -> dict | None:
    """The row of a sweep that ``choose_rule`` picked (it carries the ``note`` saying why)."""
    return next((r for r in rows if r.get("chosen")), None)

"""Choosing the "not sure" rule on validation predictions (build time).

A model that always answers is wrong on every photo it has not learned well. Saying "not sure"
on the doubtful ones makes the answers it does give trustworthy. The rule (``decide.Rule``: a
confidence threshold and a top-2 margin) is chosen here by trying every setting of a small grid
on photos the model did not train on, with the very ``decide.decide`` the page runs in Pyodide.
"""

from __future__ import annotations

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


def choose_rule(
    probabilities: Sequence[Sequence[float]], truth: Sequence[int], max_error: float = 0.05
) -> tuple[decide.Rule, list[dict]]:
    """The "not sure" rule for a model, chosen on validation predictions, and the whole sweep.

    The rule: among all settings whose error rate on the photos they answer is at most
    ``max_error`` (5%: at most 1 wrong answer in 20) and that answer at least ``MIN_ANSWERED``
    photos, take the one that answers the most photos (so the smallest threshold and margin that
    keep the mistakes that rare; ties go to the lower margin, then the lower threshold).

    When no setting reaches the target, the model is too weak for it: the setting with the
    fewest mistakes that still answers at least half the photos is used. With fewer than
    ``MIN_PHOTOS`` validation photos nothing can be measured: the untuned default
    (``decide.Rule()``) is used. Either way the chosen row says why in ``note``.
    """
    rows = sweep(probabilities, truth)
    n = len(truth)
    default = decide.Rule()
    if n < MIN_PHOTOS:
        chosen = next(r for r in rows if r["threshold"] == default.threshold and r["margin"] == default.margin)
        chosen["note"] = (
            f"Only {n} validation photos: too few to tune the rule, so the standard setting is used "
            f"(answer when the top class has at least {default.threshold:.0%} confidence)."
        )
    else:
        good = [
            r for r in rows if r["n_answered"] >= MIN_ANSWERED and r["error"] is not None and r["error"] <= max_error
        ]
        if good:
            chosen = _answers_most(good)
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
    return decide.Rule(chosen["threshold"], chosen["margin"]), rows


def chosen_row(rows: Sequence[dict]) -> dict | None:
    """The row of a sweep that ``choose_rule`` picked (it carries the ``note`` saying why)."""
    return next((r for r in rows if r.get("chosen")), None)

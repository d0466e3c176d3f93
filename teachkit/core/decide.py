"""When to answer and when to say "not sure": one rule, shared by the build and the page.

Pure Python (standard library only): the build step uses it to choose the threshold on held-out
predictions, and the page runs this very file in Pyodide to decide what a pupil sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Used when a model carries no tuned rule (a Teachable Machine export, say).
DEFAULT_THRESHOLD = 0.5
DEFAULT_MARGIN = 0.0


@dataclass(frozen=True)
class Rule:
    """Answer only when the top class has at least ``threshold`` confidence and beats the
    runner-up by at least ``margin``."""

    threshold: float = DEFAULT_THRESHOLD
    margin: float = DEFAULT_MARGIN

    @classmethod
    def from_metadata(cls, metadata: dict) -> Rule:
        """The rule stored in a model's metadata.json (``userMetadata.notSure``), or the default."""
        user = metadata.get("userMetadata")
        rule = user.get("notSure") if isinstance(user, dict) else None
        if not isinstance(rule, dict):
            return cls()
        return cls(float(rule.get("threshold", DEFAULT_THRESHOLD)), float(rule.get("margin", DEFAULT_MARGIN)))

    def to_metadata(self) -> dict[str, float]:
        return {"threshold": round(self.threshold, 4), "margin": round(self.margin, 4)}


def ranked(labels: Sequence[str], probabilities: Sequence[float]) -> list[tuple[str, float]]:
    """Every class with its probability, highest first (ties keep the model's class order)."""
    if len(labels) != len(probabilities):
        raise ValueError(f"{len(labels)} labels but {len(probabilities)} probabilities")
    order = sorted(range(len(labels)), key=lambda i: -probabilities[i])
    return [(labels[i], float(probabilities[i])) for i in order]


def decide(probabilities: Sequence[float], rule: Rule) -> int | None:
    """The index of the class to answer, or None for "not sure"."""
    if not probabilities:
        return None
    order = sorted(range(len(probabilities)), key=lambda i: -probabilities[i])
    top = probabilities[order[0]]
    second = probabilities[order[1]] if len(order) > 1 else 0.0
    if top >= rule.threshold and top - second >= rule.margin:
        return order[0]
    return None

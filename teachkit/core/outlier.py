""" "None of these": how far a photo's embedding lies from the photos a model was trained on.

Pure Python (standard library only): the build fits the summary and scores its photos with this
file, and the page runs it unchanged in Pyodide on the embedding of the same forward pass that
gives the probabilities, so a photo gets the same score in both.

The summary is a few prototypes per class (spherical k-means of the training photos' embeddings,
their directions), stored as bytes (8 bits per number: 48 prototypes of 1280 numbers are 82 KB of
JSON). A photo's score is the mean cosine distance to its ``NEAREST`` nearest prototypes, of any
class. The threshold is chosen on photos the prototypes were not fitted on (never the held-out
ones) so that at most ``MAX_TURNED_AWAY`` of real class photos score above it: the validation
photos, and each training photo scored by prototypes fitted without its fold (``FOLDS``).

Measured with bench/verdicts.py (trashnet-subset, 5 seeds, both splits): 8 prototypes and the 2
nearest caught 99% of the animals samples, 68-81% of the edible samples and 82-93% of the demo's
drawn shapes, turning away about 5% of held-out class photos; one centroid per class caught
fewer (edible 68%), and a class-conditional Gaussian in a 16-64 dimension PCA space caught under
25% (what sets other objects apart lies outside the training photos' main directions).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from operator import add, mul
from typing import Any, Protocol

from teachkit.core import recipe

VERSION = 1
METHOD = "prototypes-cosine"
#: Prototypes per class: more catch more other objects (4: edible samples 60-65% caught; 8: 68-81%)
#: and cost bytes (1 byte per number) and time (one dot product each per photo).
PER_CLASS = 8
#: The score is the mean distance to this many nearest prototypes: steadier than the nearest alone.
NEAREST = 2
#: At most this share of the validation photos (real photos of the classes) is turned away.
MAX_TURNED_AWAY = 0.05
#: Spherical k-means rounds: from a farthest-point start it settles in a few.
ROUNDS = 8
#: Without this many validation photos the threshold is the largest validation score.
MIN_VALIDATION = 5
#: The training photos in this many folds (near copies in one: ``recipe.burst_groups``), each
#: scored by the prototypes of the others, join the validation photos in choosing the threshold.
#: 90 validation photos alone gave an unsteady threshold. Measured (bench/verdicts.py,
#: trashnet-subset, seven depths, 5 seeds, later photos): validation alone turned away 5.3% (up
#: to 10.5% on one seed) and caught 82.6% of other things (62.9% on one); with the folds, 4.9%
#: (at most 5.9%) and 84.9% (at least 81.2%). Folds that split near copies scored them as if
#: seen, and turned away more (animals samples, webcam bursts: 8.1% against 6.9%).
FOLDS = 5

MAX_DIMS = 1 << 16
MAX_PROTOTYPES = 4096


class Invalid(ValueError):
    """An outliers.json that is not one this file wrote (its sentence says what is wrong)."""


def _unit(v: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(map(mul, v, v)))
    return [x / norm for x in v] if norm > 0 else [0.0] * len(v)


def _plain_dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(map(mul, a, b))


#: math.sumprod (Python 3.12+, the page's Pyodide) is about 3x faster; the two agree to ~1e-15.
_dot = getattr(math, "sumprod", _plain_dot)


def _mean(rows: Sequence[Sequence[float]]) -> list[float]:
    total = list(rows[0])
    for row in rows[1:]:  # map(add) runs in C: twice as fast as summing zip(*rows)'s columns
        total = list(map(add, total, row))
    return [t / len(rows) for t in total]


class Rows(Protocol):
    """The training photos' unit embeddings, held by an arithmetic backend and read by number: what
    the k-means and the folds compute on them. ``PlainRows`` is this file's; the build passes a
    NumPy one (``teachkit.data.dataset.NumpyRows``): the k-means means in plain Python were half of
    a warm ``train`` (2.7 of 5.0 s under cProfile, trashnet-subset); with NumPy's, ``fit`` on that
    training part takes 2.3 s against 5.6 s, to the same prototypes and threshold."""

    def dots(self, directions: Sequence[Sequence[float]], rows: Sequence[int]) -> Sequence[Sequence[float]]:
        """The dot product of each of ``rows`` with each direction, a list per row."""
        ...

    def mean(self, rows: Sequence[int]) -> list[float]:
        """The mean of ``rows``, summed one row after the other, in their order (so every backend
        gives the same numbers, to the last bit)."""
        ...


class PlainRows:
    """``Rows`` in plain Python (standard library only, as this file): the reference the fast
    backends are tested against."""

    def __init__(self, units: Sequence[Sequence[float]]) -> None:
        self.units = units

    def dots(self, directions: Sequence[Sequence[float]], rows: Sequence[int]) -> list[list[float]]:
        return [[_dot(self.units[i], d) for d in directions] for i in rows]

    def mean(self, rows: Sequence[int]) -> list[float]:
        return _mean([self.units[i] for i in rows])


#: What ``fit`` is given to hold the unit embeddings: ``PlainRows`` or a faster one of the same shape.
RowsBackend = Callable[[Sequence[Sequence[float]]], Rows]


def prototypes(
    vectors: Sequence[Sequence[float]], k: int = PER_CLASS, rounds: int = ROUNDS, backend: RowsBackend = PlainRows
) -> list[list[float]]:
    """Up to ``k`` unit directions that cover ``vectors`` (spherical k-means, deterministic: it
    starts from the vector nearest the mean direction, then each next from the farthest one)."""
    units = [_unit(v) for v in vectors]
    return _prototypes(backend(units), units, list(range(len(units))), k, rounds)


def _prototypes(rows: Rows, units: Sequence[list[float]], members: list[int], k: int, rounds: int) -> list[list[float]]:
    """``prototypes`` of the unit rows ``members`` of ``rows`` (``units``: the same, as lists)."""
    if not members:
        return []
    k = min(k, len(members))
    centre = _unit(rows.mean(members))
    to_centre = [row[0] for row in rows.dots([centre], members)]
    first = max(range(len(members)), key=lambda i: (to_centre[i], -i))
    centres = [units[members[first]]]
    nearest = [row[0] for row in rows.dots(centres, members)]
    while len(centres) < k:
        far = min(range(len(members)), key=lambda i: (nearest[i], i))
        centres.append(units[members[far]])
        nearest = [max(n, row[0]) for n, row in zip(nearest, rows.dots([centres[-1]], members), strict=True)]
    for _ in range(rounds):
        groups: list[list[int]] = [[] for _ in centres]
        for i, sims in zip(members, rows.dots(centres, members), strict=True):
            groups[max(range(len(centres)), key=lambda j: (sims[j], -j))].append(i)
        moved = [_unit(rows.mean(g)) if g else c for g, c in zip(groups, centres, strict=True)]
        if moved == centres:
            break
        centres = moved
    return centres


def _pack(v: Sequence[float]) -> dict[str, Any]:
    """One prototype as 8-bit numbers: lo + q x step, q in 0..255, base64 (what is stored)."""
    lo, hi = min(v), max(v)
    step = (hi - lo) / 255 if hi > lo else 0.0
    q = bytes(round((x - lo) / step) if step else 0 for x in v)
    return {"lo": lo, "step": step, "data": base64.b64encode(q).decode("ascii")}


def _unpack(p: dict[str, Any]) -> list[float]:
    lo, step = float(p["lo"]), float(p["step"])
    return _unit([lo + q * step for q in base64.b64decode(p["data"], validate=True)])


class Detector:
    """A stored summary, ready to score embeddings (the build's and the page's one code path)."""

    def __init__(self, summary: dict[str, Any]) -> None:
        check(summary)
        self.summary = summary
        self.labels: list[str] = list(summary["labels"])
        self.dims = int(summary["dims"])
        self.threshold = float(summary["threshold"])
        self.nearest = int(summary["nearest"])
        self.prototypes = [_unpack(p) for p in summary["prototypes"]]

    def score(self, embedding: Sequence[float]) -> float:
        """Mean cosine distance (0 same direction, 1 unrelated) to the nearest prototypes."""
        if len(embedding) != self.dims:
            raise ValueError(f"an embedding of {len(embedding)} numbers for a summary of {self.dims}")
        u = _unit([float(x) for x in embedding])
        return self.score_from_similarities([_dot(u, p) for p in self.prototypes])

    def score_from_similarities(self, similarities: Sequence[float]) -> float:
        """The score from the cosine similarities to each prototype (in ``prototypes`` order): the
        page has TF.js compute those (one matrix product, 30 ms less per photo than Python's
        dot products in Pyodide) and this file turn them into the score, as ``score`` does."""
        distances = sorted(1.0 - float(s) for s in similarities)
        near = distances[: self.nearest]
        return sum(near) / len(near)

    def is_outlier(self, embedding: Sequence[float]) -> bool:
        return self.score(embedding) > self.threshold


def threshold_for(scores: Sequence[float], max_turned_away: float = MAX_TURNED_AWAY) -> float:
    """The score above which at most ``max_turned_away`` of photos like these fall: the
    ceil((1 - share) x (n + 1))-th smallest score, the conformal quantile (a new photo of the
    classes scores above it with probability at most that share, when it is like these)."""
    ordered = sorted(scores)
    if not ordered:
        raise ValueError("no validation photos to choose the threshold on")
    k = math.ceil((1 - max_turned_away) * (len(ordered) + 1))
    return ordered[min(len(ordered), k) - 1]


def fit(
    embeddings: Sequence[Sequence[float]],
    classes: Sequence[int],
    validation: Sequence[Sequence[float]],
    labels: Sequence[str],
    per_class: int = PER_CLASS,
    max_turned_away: float = MAX_TURNED_AWAY,
    backend: RowsBackend = PlainRows,
    folds: int = FOLDS,
) -> dict[str, Any]:
    """The summary (outliers.json): prototypes of each class's ``embeddings`` (plain lists) and a
    threshold chosen on the ``validation`` embeddings (photos of the classes not in ``embeddings``)
    and on the training photos scored out of fold (``FOLDS``), all scored with 8-bit prototypes,
    as the page will score. ``backend`` holds the unit embeddings for the arithmetic (``Rows``:
    NumPy's in the build)."""
    if not embeddings:
        raise ValueError("no embeddings to fit")
    units = [_unit(v) for v in embeddings]  # once: the summary and every fold's are fitted on them
    rows = backend(units)
    everyone = list(range(len(units)))
    summary = _summary(rows, units, everyone, classes, labels, per_class)
    detector = Detector(summary)
    scores = [detector.score(v) for v in validation]
    out_of_fold = _out_of_fold(embeddings, classes, labels, per_class, folds, backend, (rows, units))
    chosen_on = scores + out_of_fold
    threshold = summary["threshold"] = threshold_for(chosen_on, max_turned_away)
    summary["validation"] = {
        "n": len(scores),
        "turned_away": sum(s > threshold for s in scores) / len(scores),
        "max_turned_away": max_turned_away,
        # the threshold's own promise: at most max_turned_away of every score it was chosen on
        "out_of_fold": len(out_of_fold),
        "turned_away_of_all": sum(s > threshold for s in chosen_on) / len(chosen_on),
    }
    return summary


def _summary(
    rows: Rows,
    units: Sequence[list[float]],
    chosen: Sequence[int],
    classes: Sequence[int],
    labels: Sequence[str],
    per_class: int,
) -> dict[str, Any]:
    """The summary without its threshold: each class's prototypes of the unit rows ``chosen``
    (``classes``: the class of every row)."""
    packed = []
    for c in sorted(set(int(classes[i]) for i in chosen)):
        members = [i for i in chosen if int(classes[i]) == c]
        packed += [{"label": c, **_pack(p)} for p in _prototypes(rows, units, members, per_class, ROUNDS)]
    return {
        "version": VERSION,
        "method": METHOD,
        "labels": list(labels),
        "dims": len(units[0]),
        "nearest": NEAREST,
        "threshold": 2.0,
        "prototypes": packed,
    }


def _out_of_fold(
    embeddings: Sequence[Sequence[float]],
    classes: Sequence[int],
    labels: Sequence[str],
    per_class: int,
    folds: int,
    backend: RowsBackend = PlainRows,
    held: tuple[Rows, Sequence[list[float]]] | None = None,
) -> list[float]:
    """Each training photo's score against prototypes fitted without its fold: photos the
    prototypes never saw, as validation photos are. Near copies share a fold (seen, a copy would
    score as if its photo were). A photo whose class has nothing outside its fold is left out.
    ``held``: the backend's rows of the unit embeddings and the unit embeddings, when the caller
    has them (``fit`` does)."""
    if folds < 2 or len(embeddings) < 2 * folds:
        return []
    if held is None:
        units = [_unit(v) for v in embeddings]
        held = (backend(units), units)
    rows, units = held

    def cosines(members: list[int]) -> Sequence[Sequence[float]]:
        return rows.dots([units[i] for i in members], members)

    groups = recipe.burst_groups(embeddings, classes, cosines)
    fold_of = [g % folds for g in groups]
    scores: list[float] = []
    for fold in range(folds):
        inside = [i for i, f in enumerate(fold_of) if f != fold]
        learned = {int(classes[i]) for i in inside}
        outside = [i for i, f in enumerate(fold_of) if f == fold and int(classes[i]) in learned]
        if not outside:
            continue
        detector = Detector(_summary(rows, units, inside, classes, labels, per_class))
        for sims in rows.dots(detector.prototypes, outside):
            scores.append(detector.score_from_similarities(sims))
    return scores


def check(summary: Any) -> None:
    """Refuse a summary this file did not write (a damaged or hand-edited outliers.json)."""
    if not isinstance(summary, dict) or summary.get("version") != VERSION or summary.get("method") != METHOD:
        raise Invalid(f"it is not a version {VERSION} '{METHOD}' summary")
    dims, protos = summary.get("dims"), summary.get("prototypes")
    if not isinstance(dims, int) or isinstance(dims, bool) or not 0 < dims <= MAX_DIMS:
        raise Invalid("its number of dimensions is missing or impossible")
    if not isinstance(protos, list) or not 0 < len(protos) <= MAX_PROTOTYPES:
        raise Invalid("it has no prototypes, or far too many")
    labels = summary.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise Invalid("its labels are not a list of names")
    for name in ("threshold",):
        t = summary.get(name)
        if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t):
            raise Invalid(f"its {name} is not a number")
    nearest = summary.get("nearest")
    if not isinstance(nearest, int) or isinstance(nearest, bool) or not 0 < nearest <= len(protos):
        raise Invalid("its number of nearest prototypes is impossible")
    for p in protos:
        if not isinstance(p, dict) or not all(isinstance(p.get(k), (int, float)) for k in ("lo", "step")):
            raise Invalid("a prototype is damaged")
        if not all(math.isfinite(float(p[k])) for k in ("lo", "step")) or not isinstance(p.get("data"), str):
            raise Invalid("a prototype is damaged")
        try:
            n = len(base64.b64decode(p["data"], validate=True))
        except ValueError:
            raise Invalid("a prototype is damaged") from None
        if n != dims:
            raise Invalid(f"a prototype has {n} numbers, not {dims}")

"""The training recipe of the head, one copy for the build (CPython) and the Teach page (Pyodide).

Standard library only. Everything that decides something lives here: which pictures are near
copies, the held-out / validation / training split, the standardisation of the features and its
fold into the head, the class weights, the order of each epoch,
the head's first weights, when to stop, the temperature and the "not sure" rule. The arithmetic
of training (matrix products, gradients, Adam) is not: it is a ``Backend``, TensorFlow in the build
(``teachkit.training.head``) and TF.js in the page (``teachkit_app.teach.trainer``). For the same
embeddings and seed the two sides therefore split alike, start from the same weights and visit
the rows in the same order.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from teachkit.core import decide, notsure

#: Teachable Machine's head: Dense(HIDDEN, relu) then Dense(N classes, softmax, no bias).
HIDDEN = 100
#: The head trains on standardised features: each column minus its mean, divided by its standard
#: deviation plus this, both over the final head's rows (``standardise``); then the standardisation
#: is folded into the first Dense (``fold_standardisation``), so the model takes the features as
#: they come and keeps Teachable Machine's shape. Measured (bench/recipes.py, trashnet-subset,
#: later photos, 5 seeds, seven depths, the final head without the validation part's copies):
#: 75.7% against 74.7% without; in bench/levers.py's lab, five heads of 20 units: 76.7% against
#: 74.0%. The middle depths' columns are small, and a head learns little from them unscaled.
STANDARD_EPSILON = 1e-3
#: Only features read at several depths are standardised: on Teachable Machine's cut (the last
#: layer alone, this many features: a teach-only site's) it cost 1.1 points on both splits
#: (bench/recipes.py --one-depth, 5 seeds: 72.3% against 73.4% on later photos, 80.1% against
#: 81.2% on random ones), as its columns are already of one kind.
LAST_LAYER_FEATURES = 1280
#: Adam as Keras has it, as Teachable Machine trains (learning rate, beta 1, beta 2, epsilon).
LEARNING_RATE = 0.001
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7
BATCH = 16
#: With augmented copies there are seven rows per photo: larger batches keep an epoch short.
BATCH_AUGMENTED = 32
#: At most this many epochs (the build's --epochs default).
EPOCHS = 50
#: Early stopping watches validation accuracy, not loss: the loss rises as soon as the head grows
#: confident, long before it stops getting photos right (measured: stopping on the loss ended
#: training at epoch 2-5 and cost 3-5 points of held-out accuracy on trashnet-subset).
MIN_EPOCHS = 10
PATIENCE = 6

#: Share of each class held out for the honest score, and of the rest kept for validation.
HOLDOUT = 0.15
VALIDATION = 0.15

#: Two pictures are near copies (a burst: consecutive webcam frames, re-shots) when the cosine
#: similarity of their embeddings is at least this. Measured on trashnet-subset with the frozen
#: MobileNetV2 (bench/bursts.py): copies of 120 photos cropped by 2-6%, shifted by 3-8%, re-lit by
#: up to 15%, rotated by up to 5 degrees or re-encoded at JPEG quality 60 sit at 0.87-1.00 (99.3%
#: of them at 0.90 or more); distinct photos of one class at 0.40 in the median, 0.71 at the 99th
#: percentile, and the 16 same-class pairs at 0.90 or more are all the same object photographed
#: again (the highest pair of two different objects, two cans, is at 0.894). The perceptual hash
#: the dataset report uses joined different glasses and papers on the plain background and missed
#: four of those re-shots. On the seven depths (bench/bursts.py, the same copies) 99.9% of copies
#: are at 0.90 or more, and 36 distinct same-class pairs are joined (99th percentile of distinct
#: pairs 0.785), among them two different cans at 0.924: joining too much only keeps more photos
#: on one side, which never flatters the score; missing a copy would.
BURST_SIMILARITY = 0.9


class TooFewExamples(ValueError):
    """A class has too few examples to split: ``klass`` (its number), ``n`` it has, ``need``."""

    def __init__(self, klass: int, n: int, need: int) -> None:
        super().__init__(f"class {klass} has {n} example(s); it needs at least {need}")
        self.klass, self.n, self.need = klass, n, need


# -- near copies ------------------------------------------------------------------------------
#: A fast product (float32 in TF.js, float64 in NumPy) errs by far less than this (about 1e-6 for
#: 1280 features): a pair it puts within BAND of the threshold gets the exact cosine.
BAND = 1e-3


def _unit(vector: Sequence[float]) -> list[float]:
    # fsum is correctly rounded in every Python version: the same unit vector in CPython 3.11 and
    # in Pyodide's 3.14, whose sum() and hypot() round differently.
    norm = math.sqrt(math.fsum(v * v for v in vector))
    return [float(v) / norm for v in vector] if norm > 0 else [0.0] * len(vector)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine of two vectors, exactly as every Python computes it (correctly rounded sums)."""
    norms = math.fsum(v * v for v in a) * math.fsum(v * v for v in b)
    return math.fsum(map(operator.mul, a, b)) / math.sqrt(norms) if norms > 0 else 0.0


def _python_cosines(embeddings: Sequence[Sequence[float]]) -> Callable[[list[int]], list[list[float]]]:
    """Approximate cosines among rows in plain Python (C's math.dist on unit vectors): for a
    caller without a fast matrix product; fine for tens of examples, slow for thousands."""
    units: dict[int, list[float]] = {}

    def among(rows: list[int]) -> list[list[float]]:
        for i in rows:
            if i not in units:
                units[i] = _unit(embeddings[i])
        return [[1.0 - math.dist(units[i], units[j]) ** 2 / 2 for j in rows] for i in rows]

    return among


def burst_groups(
    embeddings: Sequence[Sequence[float]],
    labels: Sequence[int] | None = None,
    cosines: Callable[[list[int]], Sequence[Sequence[float]]] | None = None,
) -> list[int]:
    """A group number for each embedding: near copies (cosine >= BURST_SIMILARITY, transitively)
    share one. Groups are numbered in the order of their first member.

    With ``labels``, only pictures of the same class are compared: the split works class by
    class, so that gives the same split in a fraction of the time (10 classes of 100: a tenth).
    ``cosines(rows)`` gives the cosines among those rows by a fast matrix product (NumPy in the
    build, TF.js in the page); whatever it returns, a pair within ``BAND`` of the threshold is
    decided by the exact ``cosine``, so the groups are the same on every side.
    """
    among = cosines or _python_cosines(embeddings)
    parent = list(range(len(embeddings)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    classes: dict[int, list[int]] = {}
    for i in range(len(embeddings)):
        classes.setdefault(0 if labels is None else int(labels[i]), []).append(i)
    for members in classes.values():
        matrix = among(members)
        for a, i in enumerate(members):
            row = matrix[a]
            for b in range(a + 1, len(members)):
                c = row[b]
                if c < BURST_SIMILARITY - BAND:
                    continue
                j = members[b]
                if c > BURST_SIMILARITY + BAND or cosine(embeddings[i], embeddings[j]) >= BURST_SIMILARITY:
                    parent[find(i)] = find(j)
    roots: dict[int, int] = {}
    return [roots.setdefault(find(i), len(roots)) for i in range(len(embeddings))]


# -- the split --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """Indices: train (fits the head), validation (early stopping, the temperature and the "not
    sure" rule), heldout (the reported accuracy; never used for any choice). Each sorted."""

    train: list[int]
    validation: list[int]
    heldout: list[int]


def share(n: int, fraction: float) -> int:
    """How many of n a fraction takes: ceil(fraction * n), at least one, as Teachable Machine."""
    return max(1, math.ceil(fraction * n - 1e-9))


def _take_groups(members: list[int], group_of: Sequence[int], want: int, rng: random.Random) -> set[int]:
    """Pick whole near-copy groups at random until ``want`` are taken (at least one)."""
    by_group: dict[int, list[int]] = {}
    for i in members:
        by_group.setdefault(group_of[i], []).append(i)
    order = list(by_group.values())
    rng.shuffle(order)
    taken: set[int] = set()
    for group in order:
        if len(taken) >= want:
            break
        # Skip a group that would overshoot, unless nothing is taken yet.
        if taken and len(taken) + len(group) > want:
            continue
        taken.update(group)
    return taken


def split(
    labels: Sequence[int],
    groups: Sequence[int],
    holdout: float = HOLDOUT,
    seed: int = 0,
    validation: float = VALIDATION,
    with_heldout: bool = True,
) -> Split:
    """Stratified, seeded split of examples whose classes are ``labels``; a group of near copies
    (``groups``, from ``burst_groups``) always lands on one side.

    Per class, in the order the classes first appear: ceil(holdout x n) held out, then
    ceil(validation x the rest) for validation, the rest trained on. Raises ``TooFewExamples``
    for a class with fewer than 3 examples (2 without a held-out part).
    """
    if len(labels) != len(groups):
        raise ValueError(f"{len(labels)} labels but {len(groups)} groups")
    rng = random.Random(seed)
    train: list[int] = []
    val: list[int] = []
    held: list[int] = []
    for klass in dict.fromkeys(labels):
        members = [i for i, c in enumerate(labels) if c == klass]
        need = 2 + with_heldout
        if len(members) < need:
            raise TooFewExamples(klass, len(members), need)
        if with_heldout:
            chosen = _take_groups(members, groups, share(len(members), holdout), rng)
            if len(chosen) == len(members):  # one big group: keep something to train on
                chosen = {members[0]}
            held += sorted(chosen)
            members = [i for i in members if i not in chosen]
        chosen = _take_groups(members, groups, share(len(members), validation), rng)
        if len(chosen) == len(members):
            chosen = {members[0]}
        val += sorted(chosen)
        train += [i for i in members if i not in chosen]
    return Split(sorted(train), sorted(val), sorted(held))


# -- what training starts from ----------------------------------------------------------------
def class_weights(labels: Sequence[int], n_classes: int) -> list[float]:
    """Weights that make every class count as much as the others, however many rows it has:
    n / (classes x rows of the class), 0 for a class without rows (as Keras' "balanced")."""
    counts = [0] * n_classes
    for c in labels:
        counts[int(c)] += 1
    return [len(labels) / (n_classes * counts[c]) if counts[c] else 0.0 for c in range(n_classes)]


def glorot_uniform(fan_in: int, fan_out: int, rng: random.Random) -> list[float]:
    """A kernel (row-major, fan_in x fan_out) drawn as Keras' GlorotUniform draws it: uniform in
    +-sqrt(6 / (fan_in + fan_out)); by ``random.Random``, whose numbers CPython and Pyodide share."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    uniform = rng.uniform
    return [uniform(-limit, limit) for _ in range(fan_in * fan_out)]


@dataclass
class HeadWeights:
    """The head's three tensors as flat row-major lists: [features x HIDDEN], [HIDDEN], [HIDDEN x classes]."""

    hidden_kernel: list[float]
    hidden_bias: list[float]
    classes_kernel: list[float]
    features: int
    classes: int


def initial_weights(features: int, n_classes: int, seed: int) -> HeadWeights:
    """The head's first weights, from ``seed`` alone: the build and the page start alike, and
    nothing depends on a library's global random state."""
    return HeadWeights(
        glorot_uniform(features, HIDDEN, random.Random(f"{seed}/hidden")),
        [0.0] * HIDDEN,
        glorot_uniform(HIDDEN, n_classes, random.Random(f"{seed}/classes")),
        features,
        n_classes,
    )


def orders(rows: int, seed: int) -> Iterator[list[int]]:
    """The order of the rows for each epoch, reshuffled every epoch (Teachable Machine does not
    reshuffle; doing it was worth 2.7 points on trashnet-subset, FIELD_NOTES)."""
    rng = random.Random(f"{seed}/order")
    while True:
        order = list(range(rows))
        rng.shuffle(order)
        yield order


# -- standardised features --------------------------------------------------------------------
def standardises(features: int) -> bool:
    """Whether the head learns on standardised features: when they are wider than the last layer
    alone (the seven depths), not on Teachable Machine's cut (``LAST_LAYER_FEATURES``)."""
    return features > LAST_LAYER_FEATURES


def standardise(mean: Sequence[float], deviation: Sequence[float]) -> tuple[list[float], list[float]]:
    """(shift, scale) of each feature column from its mean and (population) standard deviation
    over the final head's rows, which the backend computes: x' = (x - shift) / scale."""
    return [float(m) for m in mean], [float(d) + STANDARD_EPSILON for d in deviation]


def fold_standardisation(
    hidden_kernel: Sequence[float], hidden_bias: Sequence[float], shift: Sequence[float], scale: Sequence[float]
) -> tuple[list[float], list[float]]:
    """The first Dense that takes the raw features, from the one trained on standardised ones:
    relu(((x - shift) / scale) W + b) = relu(x W' + b') with W' = W / scale (row by row) and
    b' = b - (shift / scale) W. Flat row-major [features x HIDDEN] in and out."""
    features, units = len(shift), len(hidden_bias)
    kernel: list[float] = []
    bias = [float(b) for b in hidden_bias]
    for i in range(features):
        row = hidden_kernel[i * units : (i + 1) * units]
        inverse, offset = 1.0 / scale[i], shift[i] / scale[i]
        kernel.extend(w * inverse for w in row)
        bias = [b - offset * w for b, w in zip(bias, row, strict=True)]
    return kernel, bias


# -- the epoch loop ---------------------------------------------------------------------------
class Backend(Protocol):
    """The arithmetic of one head: TensorFlow in the build, TF.js in the page.

    ``epoch`` runs Adam over the training rows in ``order`` (batches of the backend's size, each
    row's loss times its class's weight) and returns the mean batch loss and the accuracy (or None
    when nobody reads them: the final head); ``evaluate`` gives the loss and accuracy on the
    validation part; the weights are opaque to the loop, only kept and put back.
    """

    rows: int

    def epoch(self, order: list[int]) -> tuple[float, float] | None: ...

    def evaluate(self) -> tuple[float, float]: ...

    def get_weights(self) -> Any: ...

    def set_weights(self, weights: Any) -> None: ...


@dataclass
class History:
    """Per-epoch loss and accuracy on the training and validation parts (the training curve)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = 0


def best_epoch(val_accuracy: list[float], start: int) -> int:
    """The epoch (counted from 1, not before ``start``) with the best validation accuracy; of
    equals, the last, since more epochs of the same accuracy mean a surer head."""
    considered = val_accuracy[start - 1 :] or val_accuracy
    offset = len(val_accuracy) - len(considered)
    best = max(considered)
    return offset + max(i for i, v in enumerate(considered) if v == best) + 1


class EarlyStopping:
    """When to stop and which epoch to keep, as Keras' EarlyStopping(monitor="val_accuracy",
    patience=PATIENCE, start_from_epoch=MIN_EPOCHS, restore_best_weights=True) decides.

    A state machine, so that a loop that awaits each epoch (the page's: TF.js trains
    asynchronously) decides exactly as ``train``'s does::

        stop = EarlyStopping(epochs)
        while stop.running:
            if stop.record(*one_epoch()):   # (loss, accuracy, val_loss, val_accuracy)
                keep the weights
    """

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.start = min(MIN_EPOCHS, epochs)
        self.history = History()
        self.running = epochs > 0
        self._best_seen = -1.0
        self._waited = 0

    @property
    def epoch(self) -> int:
        """Epochs recorded so far."""
        return len(self.history.val_accuracy)

    def record(self, loss: float, accuracy: float, val_loss: float, val_accuracy: float) -> bool:
        """One epoch's numbers; True when its weights are the best so far (keep them)."""
        h = self.history
        h.loss.append(float(loss))
        h.accuracy.append(float(accuracy))
        h.val_loss.append(float(val_loss))
        h.val_accuracy.append(float(val_accuracy))
        epoch = self.epoch
        if epoch >= self.epochs:
            self.running = False
        if epoch < self.start:
            return False
        keep = best_epoch(h.val_accuracy, self.start) == epoch
        if val_accuracy > self._best_seen:
            self._best_seen, self._waited = val_accuracy, 0
        else:
            self._waited += 1
            if self._waited >= PATIENCE:
                self.running = False
        if not self.running:
            h.best_epoch = best_epoch(h.val_accuracy, self.start)
        return keep


def train(
    first: Backend,
    epochs: int,
    seed: int,
    final: Backend | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``first`` on the training part, stopped early on the validation part
    (``EarlyStopping``), and leave it with the weights of its best epoch.

    ``final`` (training and validation rows together), when given, trains alongside epoch for
    epoch and is left at the same best epoch: a backend that can run it at the same time (the
    build, on a second thread) gets both heads in the time of one. Without it, ``refit`` trains
    the final head afterwards, to the same weights.
    """
    stop = EarlyStopping(epochs)
    first_orders = orders(first.rows, seed)
    final_orders = orders(final.rows, seed) if final is not None else None
    kept: Any = None
    kept_final: Any = None
    while stop.running:
        if final is not None and final_orders is not None:
            final.epoch(next(final_orders))  # may run on while the first head's epoch runs
        got = first.epoch(next(first_orders))
        loss, accuracy = got if got is not None else (math.nan, math.nan)
        if stop.record(loss, accuracy, *first.evaluate()):
            kept = first.get_weights()
            kept_final = final.get_weights() if final is not None else None
        if on_epoch is not None:
            on_epoch(stop.epoch, stop.history)
    first.set_weights(kept)
    if final is not None:
        final.set_weights(kept_final)
    return stop.history


def refit(final: Backend, epochs: int, seed: int, on_epoch: Callable[[int], None] | None = None) -> None:
    """The final head (training and validation rows) for ``epochs`` epochs, in the orders
    ``train`` would have given it alongside: the same weights as training it alongside."""
    final_orders = orders(final.rows, seed)
    for epoch in range(1, epochs + 1):
        final.epoch(next(final_orders))
        if on_epoch is not None:
            on_epoch(epoch)


# -- calibration and "not sure" ---------------------------------------------------------------
#: Temperatures searched (log-spaced), then refined around the best one.
T_MIN, T_MAX = 0.05, 20.0


def softmax(logits: Sequence[Sequence[float]], temperature: float = 1.0) -> list[list[float]]:
    """Rows of probabilities, softmax(logits / temperature)."""
    out = []
    for row in logits:
        z = [float(v) / temperature for v in row]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = math.fsum(e)
        out.append([v / total for v in e])
    return out


def nll(logits: Sequence[Sequence[float]], truth: Sequence[int], temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the true classes under softmax(logits / temperature)."""
    terms = []
    for row, t in zip(logits, truth, strict=True):
        z = [float(v) / temperature for v in row]
        top = max(z)
        log_total = top + math.log(math.fsum(math.exp(v - top) for v in z))
        p = math.exp(z[int(t)] - log_total)
        terms.append(-math.log(min(max(p, 1e-12), 1.0)))
    return math.fsum(terms) / len(terms)


def fit_temperature(logits: Sequence[Sequence[float]], truth: Sequence[int]) -> float:
    """The temperature minimising the NLL on (validation) predictions; 1.0 when none is better.

    A 1-D search: a log-spaced grid, then a golden-section refinement between the grid's
    neighbours of the best point. Works on log-probabilities as well as on logits.
    """
    if len(truth) == 0:
        return 1.0
    steps = 61
    lo_log, hi_log = math.log(T_MIN), math.log(T_MAX)
    grid = [math.exp(lo_log + (hi_log - lo_log) * k / (steps - 1)) for k in range(steps)]
    losses = [nll(logits, truth, t) for t in grid]
    best = min(range(steps), key=lambda k: losses[k])
    a = math.log(grid[max(best - 1, 0)])
    b = math.log(grid[min(best + 1, steps - 1)])
    golden = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        c = b - golden * (b - a)
        d = a + golden * (b - a)
        if nll(logits, truth, math.exp(c)) < nll(logits, truth, math.exp(d)):
            b = d
        else:
            a = c
    t = math.exp((a + b) / 2)
    if nll(logits, truth, t) >= nll(logits, truth, 1.0) - 1e-9:
        return 1.0
    return t


@dataclass
class Calibrated:
    """What the validation predictions of the first head decide: the temperature, the
    calibrated validation probabilities, the "not sure" rule and the sweep that chose it."""

    temperature: float
    probabilities: list[list[float]]
    rule: decide.Rule
    sweep: list[dict]


def calibrate(val_logits: Sequence[Sequence[float]], val_truth: Sequence[int], **choose: Any) -> Calibrated:
    """The temperature fitted on the validation logits, then the "not sure" rule chosen on the
    calibrated probabilities (``notsure.choose_rule``, given ``choose``: its mode, say), as the
    model will answer."""
    temperature = fit_temperature(val_logits, val_truth)
    probabilities = softmax(val_logits, temperature)
    rule, rows = notsure.choose_rule(probabilities, [int(t) for t in val_truth], **choose)
    return Calibrated(temperature, probabilities, rule, rows)

"""The Teach page's head, trained with TF.js and driven by the build's own recipe.

Every decision is ``teachkit.core.recipe``'s, the very file ``teachkit train`` runs: near copies
by their embeddings, the held-out / validation / training split, whether to standardise the
features (and the fold after), the class weights, the first weights from the seed, the order of
each epoch, early stopping, the final head on training and validation examples for the best epoch
count, the temperature and the "not sure" rule. TF.js
does the arithmetic the build does with TensorFlow: Teachable Machine's Dense(100, relu) +
Dense(N, softmax, no bias), Adam with Keras' constants, the class-weighted cross-entropy over
batches of 16 in the recipe's order.

Speed: an epoch of many batches is one ``model.fit`` call over the rows gathered in the recipe's
order (no shuffling, no yielding inside); an epoch of few batches is one ``tf.tidy`` in which
Python calls, batch after batch, the very step ``fit`` runs per batch (``makeTrainFunction``:
forward, class-weighted loss, gradients, Adam), which saves ``fit``'s own cost per call (about
40 ms, more than a whole epoch of 2 classes of 50). See FIT_FROM_BATCHES. Memory: every tensor is made in
``tf.tidy`` or disposed in a ``finally``; a ``Trained`` holds no tensor at all (its weights are
JS Float32Arrays), so dropping it frees everything and ``predict`` leaves nothing behind when
called inside ``tf.tidy``.
"""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import js
from pyodide.ffi import create_once_callable, to_js

from teachkit.core import decide, recipe
from teachkit_app.i18n import _
from teachkit_app.jsutil import to_object
from teachkit_app.teach.lesson import TeachError

HIDDEN = recipe.HIDDEN
#: An epoch of at least this many batches goes through ``model.fit``, fewer through the step loop.
#: Measured on wasm here (2 cores, load 8-10): ``fit`` costs about 40 ms a call before its first
#: batch, then runs a batch in about 10 ms; the step loop called from Python has no cost per call
#: but about 14 ms a batch (450 against 620 ms an epoch of 45 batches; 2x50 trained in 1.6-2.5 s
#: against 3.8-4.8 s). Both run the same step: the same head either way.
FIT_FROM_BATCHES = 12


def _options(values: dict[str, Any]) -> Any:
    """A JS options object that may hold JS objects (an optimizer, tensors): to_js, not JSON."""
    return to_js(values, dict_converter=js.Object.fromEntries)


def _floats(values: Sequence[float]) -> Any:
    """A JS Float32Array of ``values`` (one copy; TF.js takes it without converting)."""
    return js.window.Float32Array.new(to_js(array("f", values)))


@dataclass
class Trained:
    """A trained head with what the page shows of it (TEACH-INTERFACES.md)."""

    labels: list[str]
    hidden_kernel: list[float]  # row-major [features x 100]
    hidden_bias: list[float]  # [100]
    classes_kernel: list[float]  # row-major [100 x n_classes], temperature already folded in
    features: int
    temperature: float
    rule: decide.Rule
    heldout: dict  # accuracy, n, correct, perClass, confusion, examples (see heldout_report)
    epochs: int  # epochs the final head trained (the first head's best epoch)
    ms: float
    epochs_run: int = 0  # epochs the first head ran before early stopping
    history: recipe.History | None = None
    split: recipe.Split | None = None  # indices into the examples flattened class by class
    _arrays: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _array(self, name: str) -> Any:
        if name not in self._arrays:
            self._arrays[name] = _floats(getattr(self, name))
        return self._arrays[name]

    def predict(self, tf: Any, embedding_tensor: Any) -> Any:
        """Probabilities (n, classes) of embeddings (n, features); call inside ``tf.tidy``."""
        n = len(self.labels)
        w1 = tf.tensor2d(self._array("hidden_kernel"), to_js([self.features, HIDDEN]))
        b1 = tf.tensor1d(self._array("hidden_bias"))
        w2 = tf.tensor2d(self._array("classes_kernel"), to_js([HIDDEN, n]))
        return tf.softmax(tf.relu(embedding_tensor.matMul(w1).add(b1)).matMul(w2))


class _Head:
    """``recipe.Backend`` in TF.js: one Keras-like head, compiled as ``model.fit`` would train it."""

    def __init__(
        self,
        tf: Any,
        start: recipe.HeadWeights,
        x: Any,
        classes: list[int],
        validation: tuple[Any, Any] | None = None,
    ) -> None:
        self.tf = tf
        self.rows = len(classes)
        n = start.classes
        model = tf.sequential()
        model.add(tf.layers.dense(to_object({"units": HIDDEN, "activation": "relu", "inputShape": [start.features]})))
        model.add(tf.layers.dense(to_object({"units": n, "activation": "softmax", "useBias": False})))
        # Keras' Adam constants (TF.js' defaults differ: epsilon), as the build and Teachable Machine.
        self.optimizer = tf.train.adam(recipe.LEARNING_RATE, recipe.BETA_1, recipe.BETA_2, recipe.EPSILON)
        model.compile(
            _options({"optimizer": self.optimizer, "loss": "categoricalCrossentropy", "metrics": ["accuracy"]})
        )
        self.model = model
        self.set_weights(_tensors(tf, start))
        self.x = x
        self.y = tf.tidy(create_once_callable(lambda: tf.oneHot(tf.tensor1d(to_js(classes), "int32"), n)))
        weights = recipe.class_weights(classes, n)
        # Keras' class_weight: each row's loss times its class's weight, then the batch's mean.
        self.row_weights = tf.tensor1d(to_js([weights[c] for c in classes]))
        # The step ``model.fit`` runs per batch (forward, the weighted loss, the gradients, Adam),
        # called batch by batch from here: ``fit`` costs about 40 ms a call before its first
        # batch (measured on wasm here), more than a whole epoch of 2 classes of 50.
        # A Sequential compiles and fits through its inner LayersModel (``model.model``); the
        # step is that model's (a TF.js 4.22 method, not a documented one: tests hold it).
        self.step = model.model.makeTrainFunction()
        self.fit_options = {
            "batchSize": recipe.BATCH,
            "epochs": 1,
            "shuffle": False,  # the recipe's order, gathered before each epoch
            "classWeight": to_object({str(c): w for c, w in enumerate(weights)}),
            "yieldEvery": "never",
            "verbose": 0,
        }
        self.validation = validation

    async def epoch(self, order: list[int]) -> tuple[float, float]:
        """Adam over the rows in ``order``, batches of recipe.BATCH; the mean batch loss and the
        accuracy over the epoch's rows. Few batches: the step loop (``_epoch``, one ``tf.tidy``);
        many: ``model.fit`` (see FIT_FROM_BATCHES). Then the page gets a moment to draw."""
        if -(-len(order) // recipe.BATCH) >= FIT_FROM_BATCHES:
            return await self._fit(order)
        means = self.tf.tidy(create_once_callable(lambda: self._epoch(order)))
        try:
            loss, accuracy = means.dataSync().to_py().tolist()
        finally:
            means.dispose()
        await asyncio.sleep(0)
        return float(loss), float(accuracy)

    async def _fit(self, order: list[int]) -> tuple[float, float]:
        tf = self.tf
        rows = tf.tensor1d(to_js(array("i", order)), "int32")
        x, y = tf.gather(self.x, rows), tf.gather(self.y, rows)
        try:
            done = await self.model.fit(x, y, _options(self.fit_options))
        finally:
            tf.dispose(to_js([rows, x, y]))
        h = done.history
        accuracy = getattr(h, "acc", None)
        return float(h.loss[0]), float((accuracy if accuracy is not None else h.accuracy)[0])

    def _epoch(self, order: list[int]) -> Any:
        tf = self.tf
        n = len(order)
        sizes = to_js([min(recipe.BATCH, n - s) for s in range(0, n, recipe.BATCH)])
        rows = tf.tensor1d(to_js(array("i", order)), "int32")
        parts = [tf.split(tf.gather(data, rows), sizes).to_py() for data in (self.x, self.y, self.row_weights)]
        losses, accuracies = [], []
        for xb, yb, wb in zip(*parts, strict=True):
            loss, accuracy = self.step(to_js([xb, yb, wb]))
            losses.append(loss)
            accuracies.append(accuracy)
        counts = tf.tensor1d(sizes)
        accuracy = tf.stack(to_js(accuracies)).mul(counts).sum().div(counts.sum())
        means = tf.stack(to_js([tf.stack(to_js(losses)).mean(), accuracy]))
        # The step keep()s its metric, which tf.tidy then leaves alone: freed here.
        tf.dispose(to_js(losses + accuracies))
        return means

    def evaluate(self) -> tuple[float, float]:
        """Loss and accuracy on the validation part (unweighted, as Keras' validation)."""
        if self.validation is None:
            raise ValueError("this head has no validation part")
        x, y = self.validation
        out = self.tf.tidy(create_once_callable(lambda: self._evaluate(x, y)))
        try:
            loss, accuracy = out.dataSync().to_py().tolist()
        finally:
            out.dispose()
        return float(loss), float(accuracy)

    def _evaluate(self, x: Any, y: Any) -> Any:
        tf = self.tf
        p = self.model.predict(x)
        loss = tf.metrics.categoricalCrossentropy(y, p).mean()
        hits = tf.equal(p.argMax(1), y.argMax(1)).cast("float32").mean()
        return tf.stack(to_js([loss, hits]))

    def logits(self, x: Any) -> list[list[float]]:
        """The head's pre-softmax outputs for ``x`` (the last Dense has no bias)."""
        tf = self.tf

        def run() -> Any:
            w1, b1, w2 = (w for w in self.model.getWeights())
            return tf.relu(x.matMul(w1).add(b1)).matMul(w2)

        out = tf.tidy(create_once_callable(run))
        try:
            n = int(out.shape[1])
            flat = out.dataSync().to_py().tolist()
        finally:
            out.dispose()
        return [flat[i : i + n] for i in range(0, len(flat), n)]

    def get_weights(self) -> Any:
        """Copies of the weights (the model's own variables change with every step)."""
        return [self.tf.clone(w) for w in self.model.getWeights()]

    def set_weights(self, weights: Any) -> None:
        """The weights in; the copies handed in are freed."""
        try:
            self.model.setWeights(to_js(list(weights)))
        finally:
            self.tf.dispose(to_js(list(weights)))

    def flat_weights(self) -> list[list[float]]:
        return [w.dataSync().to_py().tolist() for w in self.model.getWeights()]

    def dispose(self) -> None:
        self.tf.dispose(to_js([self.y, self.row_weights]))
        self.model.dispose()
        self.optimizer.dispose()


def _tensors(tf: Any, w: recipe.HeadWeights) -> list[Any]:
    return [
        tf.tensor2d(_floats(w.hidden_kernel), to_js([w.features, HIDDEN])),
        tf.tensor1d(_floats(w.hidden_bias)),
        tf.tensor2d(_floats(w.classes_kernel), to_js([HIDDEN, w.classes])),
    ]


class _Rows:
    """The embeddings as rows of floats, made only for the few rows the recipe reads one by one."""

    def __init__(self, flat: Any, features: int) -> None:
        self.flat, self.features = flat, features

    def __len__(self) -> int:
        return len(self.flat) // self.features

    def __getitem__(self, i: int) -> list[float]:
        return self.flat[i * self.features : (i + 1) * self.features].tolist()


def _cosines(tf: Any, every: Any) -> Callable[[list[int]], list[list[float]]]:
    """``recipe.burst_groups``' fast product: the cosines among some rows of ``every``, by TF.js
    (one matrix product per class, instead of pure Python's pair by pair: 3 s for 600 examples)."""

    def gram(members: list[int]) -> Any:
        x = tf.gather(every, tf.tensor1d(to_js(members), "int32"))
        units = x.div(tf.norm(x, "euclidean", 1, True))
        return units.matMul(units, False, True)

    def among(members: list[int]) -> list[list[float]]:
        out = tf.tidy(create_once_callable(lambda: gram(members)))
        try:
            flat = out.dataSync().to_py().tolist()
        finally:
            out.dispose()
        n = len(members)
        return [flat[i * n : (i + 1) * n] for i in range(n)]

    return among


def _standardisation(tf: Any, every: Any, rows: list[int]) -> tuple[list[float], list[float]]:
    """``recipe.standardise``'s (shift, scale) of each column over ``rows`` of ``every``: the
    mean and the population standard deviation, by TF.js (float32, as the page's embeddings)."""

    def moments() -> Any:
        part = tf.gather(every, tf.tensor1d(to_js(rows), "int32"))
        got = tf.moments(part, 0)
        return tf.stack(to_js([got.mean, got.variance.sqrt()]))

    out = tf.tidy(create_once_callable(moments))
    try:
        flat = out.dataSync().to_py().tolist()
    finally:
        out.dispose()
    n = len(flat) // 2
    return recipe.standardise(flat[:n], flat[n:])


def check(lesson_embeddings: Sequence[Sequence[Sequence[float]]], labels: Sequence[str]) -> None:
    """The pupil's mistakes that stop a training, each a ``TeachError`` in plain words."""
    if len(lesson_embeddings) < 2:
        raise TeachError(_("Make at least two classes: the model learns to tell classes apart."))
    for name, examples in zip(labels, lesson_embeddings, strict=True):
        if not examples:
            raise TeachError(_("%(name)s has no examples yet: add some, or delete the class.") % {"name": name})


def _flatten(lesson_embeddings: Sequence[Sequence[Sequence[float]]]) -> tuple[list[int], list[int], Any]:
    """(class of each row, its index in its class, every embedding's floats in one array)."""
    classes: list[int] = []
    within: list[int] = []
    flat = array("f")
    for c, examples in enumerate(lesson_embeddings):
        for k, embedding in enumerate(examples):
            classes.append(c)
            within.append(k)
            flat.extend(embedding)
    return classes, within, flat


def heldout_report(
    labels: Sequence[str], truth: Sequence[int], probabilities: Sequence[Sequence[float]], where: Sequence[list[int]]
) -> dict:
    """The held-out numbers the page shows: accuracy, per class, the confusion matrix (rows: the
    truth, columns: the answer) and each example's [class, index in its class, answer]."""
    n_classes = len(labels)
    answers = [max(range(n_classes), key=lambda k, p=p: p[k]) for p in probabilities]
    confusion = [[0] * n_classes for _ in range(n_classes)]
    for t, a in zip(truth, answers, strict=True):
        confusion[t][a] += 1
    correct = sum(confusion[k][k] for k in range(n_classes))
    per_class = {}
    for k, label in enumerate(labels):
        n = sum(confusion[k])
        per_class[label] = {"n": n, "correct": confusion[k][k], "recall": confusion[k][k] / n if n else None}
    return {
        "accuracy": correct / len(truth) if truth else 0.0,
        "n": len(truth),
        "correct": correct,
        "perClass": per_class,
        "confusion": confusion,
        "examples": [[c, k, a] for (c, k), a in zip(where, answers, strict=True)],
    }


async def train(
    tf: Any,
    lesson_embeddings: list[list[list[float]]],
    labels: list[str],
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    epochs: int = recipe.EPOCHS,
) -> Trained:
    """The head for ``lesson_embeddings`` ([class][example] -> embedding) by the build's recipe.

    Raises ``TeachError`` for fewer than two classes, a class without examples, or a class with
    too few to hold one out (3: one to learn from, one to stop training, one to test).
    """
    started = js.performance.now()
    check(lesson_embeddings, labels)
    classes, within, flat = _flatten(lesson_embeddings)
    features = len(flat) // len(classes)
    every = tf.tensor2d(_floats(flat), to_js([len(classes), features]))
    try:
        groups = recipe.burst_groups(_Rows(flat, features), classes, _cosines(tf, every))
        split = recipe.split(classes, groups, recipe.HOLDOUT, seed)
    except recipe.TooFewExamples as e:
        every.dispose()
        raise TeachError(
            _("%(name)s needs at least %(n)d examples: some to learn from and one to test with.")
            % {"name": labels[e.klass], "n": e.need}
        ) from None
    except BaseException:
        every.dispose()
        raise
    n_classes = len(labels)
    start = recipe.initial_weights(features, n_classes, seed)
    trainable = split.train + split.validation  # the build's order: training rows, then validation rows

    def rows_of(indices: list[int]) -> Any:
        return tf.gather(every, tf.tensor1d(to_js(indices), "int32"))

    def tidy(make: Callable[[], Any]) -> Any:
        return tf.tidy(create_once_callable(make))

    # Both heads learn on features standardised by the final head's rows (recipe.standardise; the
    # seven depths' only); it is folded into the final head's first Dense, which then takes raw ones.
    standardise = recipe.standardises(features)
    shift, scale = _standardisation(tf, every, trainable) if standardise else ([], [])
    # made once, kept by tf.tidy (made outside it), freed below
    centre, spread = (tf.tensor1d(_floats(shift)), tf.tensor1d(_floats(scale))) if standardise else (None, None)

    def learned(indices: list[int]) -> Any:  # the rows as the heads learn on them
        rows = rows_of(indices)
        return rows.sub(centre).div(spread) if standardise else rows

    x_train = tidy(lambda: learned(split.train))
    x_val = tidy(lambda: learned(split.validation))
    y_val = tidy(lambda: tf.oneHot(tf.tensor1d(to_js([classes[i] for i in split.validation]), "int32"), n_classes))
    x_all = tidy(lambda: learned(trainable))
    x_held = tidy(lambda: rows_of(split.heldout))
    if standardise:
        tf.dispose(to_js([centre, spread]))
    first = _Head(tf, start, x_train, [classes[i] for i in split.train], validation=(x_val, y_val))
    final = _Head(tf, start, x_all, [classes[i] for i in trainable])
    tell = progress or (lambda fraction: None)
    try:
        # The first head, stopped early on the validation part (recipe.train's decisions, awaited).
        stop = recipe.EarlyStopping(epochs)
        orders = recipe.orders(first.rows, seed)
        kept = None
        while stop.running:
            loss, accuracy = await first.epoch(next(orders))
            if stop.record(loss, accuracy, *first.evaluate()):
                if kept is not None:
                    tf.dispose(to_js(kept))
                kept = first.get_weights()
            tell(0.6 * stop.epoch / epochs)
        first.set_weights(kept)
        history = stop.history
        calibrated = recipe.calibrate(first.logits(x_val), [classes[i] for i in split.validation])
        # The final head, on training and validation rows for the best epoch count (recipe.refit's
        # orders: the weights the build's final head, trained alongside, stops at).
        final_orders = recipe.orders(final.rows, seed)
        for epoch in range(1, history.best_epoch + 1):
            await final.epoch(next(final_orders))
            tell(0.6 + 0.4 * epoch / history.best_epoch)
        hidden_kernel, hidden_bias, classes_kernel = final.flat_weights()
        if standardise:
            hidden_kernel, hidden_bias = recipe.fold_standardisation(hidden_kernel, hidden_bias, shift, scale)
        t = calibrated.temperature
        trained = Trained(
            labels=list(labels),
            hidden_kernel=hidden_kernel,
            hidden_bias=hidden_bias,
            classes_kernel=[v / t for v in classes_kernel],
            features=features,
            temperature=t,
            rule=calibrated.rule,
            heldout={},
            epochs=history.best_epoch,
            ms=0.0,
            epochs_run=len(history.loss),
            history=history,
            split=split,
        )
        out = tidy(lambda: trained.predict(tf, x_held))
        try:
            flat_probs = out.dataSync().to_py().tolist()
        finally:
            out.dispose()
    finally:
        first.dispose()
        final.dispose()
        tf.dispose(to_js([every, x_train, x_val, y_val, x_all, x_held]))
    probabilities = [flat_probs[i : i + n_classes] for i in range(0, len(flat_probs), n_classes)]
    trained.heldout = heldout_report(
        labels, [classes[i] for i in split.heldout], probabilities, [[classes[i], within[i]] for i in split.heldout]
    )
    trained.ms = float(js.performance.now() - started)
    tell(1.0)
    return trained

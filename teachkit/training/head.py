"""The head: Teachable Machine's small classifier on top of the frozen base's features (2432
from the seven depths, 1280 from Teachable Machine's cut), trained by the shared recipe
(``teachkit.core.recipe``) with TensorFlow as its arithmetic.

Dense(100, relu) then Dense(N, softmax, no bias), trained with Adam as Teachable Machine does,
but reshuffled every epoch, weighted against class imbalance and, on the seven depths, on
standardised features folded into the first Dense after. Two heads train side by side:
the first on the training part, stopped early on the validation slice (which also gives the
honest validation predictions that calibrate the model and tune "not sure"), and the final one
on training and validation photos together, kept at the epoch the first found best, so that no
photo is wasted (Teachable Machine, too, trains on every photo it does not hold out). The Teach
page trains the very same way with TF.js (``teachkit_app.teach.trainer``).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from teachkit import progress, tfenv
from teachkit.core import recipe
from teachkit.core.recipe import BATCH, BATCH_AUGMENTED, HIDDEN, LEARNING_RATE, MIN_EPOCHS, PATIENCE, History
from teachkit.core.recipe import best_epoch as best_epoch
from teachkit.features.basemodel import FEATURES

__all__ = [
    "BATCH",
    "BATCH_AUGMENTED",
    "HIDDEN",
    "LEARNING_RATE",
    "MIN_EPOCHS",
    "PATIENCE",
    "History",
    "Trained",
    "best_epoch",
    "build",
    "class_weights",
    "fold_standardisation",
    "fold_temperature",
    "logits",
    "standardisation",
    "standardised",
    "train",
]


def build(n_classes: int, features: int = FEATURES) -> Any:
    """Teachable Machine's head on ``features`` inputs (the base's width)."""
    keras = tfenv.keras()
    return keras.Sequential(
        [
            keras.layers.Dense(HIDDEN, activation="relu", input_shape=(features,), name="dense_hidden"),
            keras.layers.Dense(n_classes, activation="softmax", use_bias=False, name="dense_classes"),
        ],
        name="head",
    )


def class_weights(y: np.ndarray, n_classes: int) -> dict[int, float]:
    """Weights that make every class count as much as the others (``recipe.class_weights``)."""
    return dict(enumerate(recipe.class_weights([int(c) for c in y], n_classes)))


@dataclass
class Trained:
    """The two heads one training run makes, and the first one's history."""

    first: Any  # trained on the training part, at its best validation epoch
    final: Any  # trained on training and validation photos for that many epochs
    history: History


def train(
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    x_all: np.ndarray,
    y_all: np.ndarray,
    n_classes: int,
    epochs: int,
    seed: int,
    batch_size: int = BATCH,
) -> Trained:
    """Fit the first head on (x, y), stopped early on the validation slice, and the final head
    on (x_all, y_all) for the first one's best number of epochs (``recipe.train``).

    The final head does not wait to learn that number: it trains alongside, epoch for epoch on a
    second thread (nothing in its arithmetic depends on how many epochs it will get), and keeps
    its weights of each new best epoch. On two cores the two heads take the time of one.
    """
    # Both heads learn on features standardised by the final head's rows (recipe.standardise;
    # the seven depths' only), and take the raw features once it is folded into their first Dense.
    standardise = recipe.standardises(x.shape[1])
    if standardise:
        shift, scale = standardisation(x_all)
        x, x_val, x_all = (standardised(part, shift, scale) for part in (x, x_val, x_all))
    start = recipe.initial_weights(x.shape[1], n_classes, seed)
    with ThreadPoolExecutor(max_workers=1) as beside, progress.counter(epochs, "Training", "epoch") as shown:
        first = _Trainer(n_classes, start, x, y, batch_size, validation=(x_val, y_val))
        final = _Trainer(n_classes, start, x_all, y_all, batch_size, beside=beside)

        def on_epoch(epoch: int, history: History) -> None:
            shown.set_postfix(accuracy=f"{history.accuracy[-1]:.2f}", val_accuracy=f"{history.val_accuracy[-1]:.2f}")
            shown.update(1)

        history = recipe.train(first, epochs, seed, final=final, on_epoch=on_epoch)
        final.wait()
    if standardise:
        for model in (first.model, final.model):
            fold_standardisation(model, shift, scale)
    return Trained(first.model, final.model, history)


class _Trainer:
    """``recipe.Backend`` in TensorFlow: Adam on the class-weighted cross-entropy, one whole
    epoch per call into TensorFlow.

    The arithmetic of Keras' ``fit`` with Adam (mini-batches of ``batch_size`` in the recipe's
    order, each row's loss times its class's weight), written as plain TensorFlow ops on the
    head's own variables, so that each epoch's loop runs inside one traced function. Measured on
    trashnet-subset's rows: 4x less time per epoch than ``fit``, whose per-step overhead and
    tracing of Keras' layers and optimizer dwarf the arithmetic of a 130,000-weight head.
    With ``beside`` (an executor), ``epoch`` runs there and returns at once (the final head).
    """

    def __init__(
        self,
        n_classes: int,
        start: recipe.HeadWeights,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        validation: tuple[np.ndarray, np.ndarray] | None = None,
        beside: ThreadPoolExecutor | None = None,
    ) -> None:
        tf = tfenv.import_tensorflow()
        self.model = build(n_classes, start.features)
        hidden, classes = _dense(self.model)
        variables = [hidden.kernel, hidden.bias, classes.kernel]
        # The first weights come from the recipe (``random.Random`` of the seed): the same as the
        # Teach page's, and independent of TensorFlow's global random state, which the base,
        # loading on another thread, may be drawing from meanwhile.
        self.model.set_weights(_arrays(start))
        moments = [(tf.Variable(tf.zeros_like(v)), tf.Variable(tf.zeros_like(v))) for v in variables]
        steps_done = tf.Variable(0.0)
        data_x, data_y = tf.constant(x, tf.float32), tf.constant(y, tf.int32)
        weights = recipe.class_weights([int(c) for c in y], n_classes)
        class_weight = tf.constant(weights, tf.float32)
        self.rows = len(x)
        self._beside = beside
        self._pending: Future | None = None
        b1, b2, eps = recipe.BETA_1, recipe.BETA_2, recipe.EPSILON

        def logits_of(features: Any) -> Any:
            return tf.nn.relu(features @ hidden.kernel + hidden.bias) @ classes.kernel

        @tf.function
        def run_epoch(order: Any) -> tuple[Any, Any]:
            n = tf.shape(order)[0]
            steps = (n + batch_size - 1) // batch_size
            loss_sum, correct = tf.constant(0.0), tf.constant(0)
            for step in tf.range(steps):
                rows = order[step * batch_size : (step + 1) * batch_size]
                xb, yb = tf.gather(data_x, rows), tf.gather(data_y, rows)
                with tf.GradientTape() as tape:
                    logits = logits_of(xb)
                    per_row = tf.nn.sparse_softmax_cross_entropy_with_logits(yb, logits)
                    loss = tf.reduce_mean(per_row * tf.gather(class_weight, yb))
                grads = tape.gradient(loss, variables)
                steps_done.assign_add(1.0)
                b1_power, b2_power = b1**steps_done, b2**steps_done
                for k, v in enumerate(variables):  # Adam's update, one fused kernel per variable
                    m, s = moments[k]
                    tf.raw_ops.ResourceApplyAdam(
                        var=v.handle, m=m.handle, v=s.handle, beta1_power=b1_power, beta2_power=b2_power,
                        lr=LEARNING_RATE, beta1=b1, beta2=b2, epsilon=eps, grad=grads[k],
                    )  # fmt: skip
                loss_sum += loss
                correct += tf.reduce_sum(tf.cast(tf.argmax(logits, 1, output_type=tf.int32) == yb, tf.int32))
            return loss_sum / tf.cast(steps, tf.float32), tf.cast(correct, tf.float32) / tf.cast(n, tf.float32)

        @tf.function
        def evaluate(features: Any, labels: Any) -> tuple[Any, Any]:
            logits = logits_of(features)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
            hits = tf.cast(tf.argmax(logits, 1, output_type=tf.int32) == labels, tf.float32)
            return loss, tf.reduce_mean(hits)

        self._run_epoch = run_epoch
        self._evaluate = evaluate
        self._validation = (
            (tf.constant(validation[0], tf.float32), tf.constant(validation[1], tf.int32)) if validation else None
        )

    def _epoch_now(self, order: list[int]) -> tuple[float, float]:
        loss, accuracy = self._run_epoch(np.asarray(order, np.int32))
        return float(loss), float(accuracy)

    def epoch(self, order: list[int]) -> tuple[float, float] | None:
        """One epoch over every row in ``order``; the mean batch loss and the accuracy (None when
        it runs beside: then it is waited for before the next epoch or the weights)."""
        if self._beside is None:
            return self._epoch_now(order)
        self.wait()
        self._pending = self._beside.submit(self._epoch_now, order)
        return None

    def wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def evaluate(self) -> tuple[float, float]:
        if self._validation is None:
            raise ValueError("this head has no validation part")
        loss, accuracy = self._evaluate(*self._validation)
        return float(loss), float(accuracy)

    def get_weights(self) -> list[np.ndarray]:
        self.wait()
        return self.model.get_weights()

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.wait()
        self.model.set_weights(weights)


def _arrays(weights: recipe.HeadWeights) -> list[np.ndarray]:
    """The recipe's flat weights as the head's arrays (float32, as TF.js gets them in the page)."""
    return [
        np.asarray(weights.hidden_kernel, np.float32).reshape(weights.features, HIDDEN),
        np.asarray(weights.hidden_bias, np.float32),
        np.asarray(weights.classes_kernel, np.float32).reshape(HIDDEN, weights.classes),
    ]


def standardisation(rows: np.ndarray) -> tuple[list[float], list[float]]:
    """``recipe.standardise``'s (shift, scale) of each column of ``rows`` (the final head's)."""
    return recipe.standardise(rows.mean(0, dtype=np.float64).tolist(), rows.std(0, dtype=np.float64).tolist())


def standardised(x: np.ndarray, shift: list[float], scale: list[float]) -> np.ndarray:
    """(x - shift) / scale in float32, as the heads learn on them."""
    return (x - np.asarray(shift, np.float32)) / np.asarray(scale, np.float32)


def fold_standardisation(head: Any, shift: list[float], scale: list[float]) -> None:
    """The head takes raw features: the standardisation folded into its first Dense."""
    hidden = _dense(head)[0]
    kernel, bias = recipe.fold_standardisation(
        hidden.kernel.numpy().ravel().tolist(), hidden.bias.numpy().tolist(), shift, scale
    )
    hidden.kernel.assign(np.asarray(kernel, np.float32).reshape(hidden.kernel.shape))
    hidden.bias.assign(np.asarray(bias, np.float32))


def _dense(head: Any) -> tuple[Any, Any]:
    hidden, classes = (layer for layer in head.layers if hasattr(layer, "kernel"))
    return hidden, classes


def logits(head: Any, features: np.ndarray) -> np.ndarray:
    """The head's pre-softmax outputs (the last Dense has no bias: features -> hidden -> kernel)."""
    hidden, classes = _dense(head)
    h = np.maximum(features @ hidden.kernel.numpy() + hidden.bias.numpy(), 0)
    return h @ classes.kernel.numpy()


def fold_temperature(head: Any, temperature: float) -> None:
    """softmax(logits / T) as the model's own output: divide the bias-free last kernel by T."""
    kernel = _dense(head)[1].kernel
    kernel.assign(kernel.numpy() / temperature)

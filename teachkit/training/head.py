"""The head: Teachable Machine's small classifier on top of the frozen base's 1280 features.

Dense(100, relu) then Dense(N, softmax, no bias), trained with Adam as Teachable Machine does,
but reshuffled every epoch and weighted against class imbalance. Two heads train side by side:
the first on the training part, stopped early on the validation slice (which also gives the
honest validation predictions that calibrate the model and tune "not sure"), and the final one
on training and validation photos together, kept at the epoch the first found best, so that no
photo is wasted (Teachable Machine, too, trains on every photo it does not hold out).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teachkit import progress, tfenv
from teachkit.features.basemodel import FEATURES

HIDDEN = 100
LEARNING_RATE = 0.001
BATCH = 16
#: With augmented copies there are seven rows per photo: larger batches keep an epoch short.
BATCH_AUGMENTED = 32
#: Early stopping watches validation accuracy, not loss: the loss rises as soon as the head grows
#: confident, long before it stops getting photos right (measured: stopping on the loss ended
#: training at epoch 2-5 and cost 3-5 points of held-out accuracy on trashnet-subset).
MIN_EPOCHS = 10
PATIENCE = 6


@dataclass
class History:
    """Per-epoch loss and accuracy on the training and validation parts (the training curve)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = 0


def build(n_classes: int) -> Any:
    keras = tfenv.keras()
    return keras.Sequential(
        [
            keras.layers.Dense(HIDDEN, activation="relu", input_shape=(FEATURES,), name="dense_hidden"),
            keras.layers.Dense(n_classes, activation="softmax", use_bias=False, name="dense_classes"),
        ],
        name="head",
    )


def class_weights(y: np.ndarray, n_classes: int) -> dict[int, float]:
    """Weights that make every class count as much as the others, however many photos it has."""
    counts = np.bincount(y, minlength=n_classes).astype(float)
    return {c: float(len(y) / (n_classes * counts[c])) if counts[c] else 0.0 for c in range(n_classes)}


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
    on (x_all, y_all) for the first one's best number of epochs.

    The first stops as Keras' EarlyStopping(monitor="val_accuracy", patience=PATIENCE,
    start_from_epoch=MIN_EPOCHS) would, and keeps the weights of ``best_epoch``. The final head
    does not wait to learn that number: it trains alongside, epoch for epoch on a second thread
    (nothing in its arithmetic depends on how many epochs it will get), and keeps its weights of
    each new best epoch. On two cores the two heads take the time of one.
    """
    start = min(MIN_EPOCHS, epochs)
    first = _Trainer(n_classes, seed, x, y, batch_size)
    final = _Trainer(n_classes, seed, x_all, y_all, batch_size)
    tf = tfenv.import_tensorflow()
    x_val_t, y_val_t = tf.constant(x_val, tf.float32), tf.constant(y_val, tf.int32)
    history = History()
    kept: list[np.ndarray] = []
    kept_final: list[np.ndarray] = []
    best_seen, waited = -1.0, 0
    with ThreadPoolExecutor(max_workers=1) as beside, progress.counter(epochs, "Training", "epoch") as shown:
        for epoch in range(1, epochs + 1):
            final_epoch = beside.submit(final.epoch)
            loss, accuracy = first.epoch()
            val_loss, val_accuracy = (float(v) for v in first.evaluate(x_val_t, y_val_t))
            final_epoch.result()
            history.loss.append(loss)
            history.accuracy.append(accuracy)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)
            shown.set_postfix(accuracy=f"{accuracy:.2f}", val_accuracy=f"{val_accuracy:.2f}")
            shown.update(1)
            if epoch < start:
                continue
            if best_epoch(history.val_accuracy, start) == epoch:
                kept, kept_final = first.model.get_weights(), final.model.get_weights()
            if val_accuracy > best_seen:
                best_seen, waited = val_accuracy, 0
            else:
                waited += 1
                if waited >= PATIENCE:
                    break
    history.best_epoch = best_epoch(history.val_accuracy, start)
    first.model.set_weights(kept)
    final.model.set_weights(kept_final)
    return Trained(first.model, final.model, history)


def best_epoch(val_accuracy: list[float], start: int) -> int:
    """The epoch (counted from 1, not before ``start``) with the best validation accuracy; of
    equals, the last, since more epochs of the same accuracy mean a surer head."""
    considered = val_accuracy[start - 1 :] or val_accuracy
    offset = len(val_accuracy) - len(considered)
    best = max(considered)
    return offset + max(i for i, v in enumerate(considered) if v == best) + 1


class _Trainer:
    """Adam on the class-weighted cross-entropy, one whole epoch per call into TensorFlow.

    The arithmetic of Keras' ``fit`` with Adam (mini-batches of ``batch_size``, reshuffled every
    epoch, each row's loss times its class's weight), written as plain TensorFlow ops on the
    head's own variables, so that each epoch's loop runs inside one traced function. Measured on
    trashnet-subset's rows: 4x less time per epoch than ``fit``, whose per-step overhead and
    tracing of Keras' layers and optimizer dwarf the arithmetic of a 130,000-weight head.
    """

    BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras' Adam defaults, as Teachable Machine uses

    def __init__(self, n_classes: int, seed: int, x: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        tf = tfenv.import_tensorflow()
        keras = tfenv.keras()
        self.model = build(n_classes)
        hidden, classes = _dense(self.model)
        variables = [hidden.kernel, hidden.bias, classes.kernel]
        # The first weights come from ``seed`` alone, not from TensorFlow's global random state,
        # which the base, loading on another thread, may be drawing from meanwhile.
        for offset, kernel in enumerate((hidden.kernel, classes.kernel)):
            kernel.assign(keras.initializers.GlorotUniform(seed=seed * 2 + offset)(kernel.shape))
        moments = [(tf.Variable(tf.zeros_like(v)), tf.Variable(tf.zeros_like(v))) for v in variables]
        steps_done = tf.Variable(0.0)
        data_x, data_y = tf.constant(x, tf.float32), tf.constant(y, tf.int32)
        weights = class_weights(y, n_classes)
        class_weight = tf.constant([weights[c] for c in range(n_classes)], tf.float32)
        self._rows = len(x)
        self._shuffle = np.random.default_rng(seed)
        b1, b2, eps = self.BETA_1, self.BETA_2, self.EPSILON

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
        self.evaluate = evaluate

    def epoch(self) -> tuple[float, float]:
        """One epoch over every row in a new order; the mean batch loss and the accuracy."""
        loss, accuracy = self._run_epoch(self._shuffle.permutation(self._rows).astype(np.int32))
        return float(loss), float(accuracy)


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

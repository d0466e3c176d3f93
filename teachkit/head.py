"""The head: Teachable Machine's small classifier on top of the frozen base's 1280 features.

Dense(100, relu) then Dense(N, softmax, no bias), trained with Adam as Teachable Machine does,
but reshuffled every epoch and weighted against class imbalance. Training runs twice: first on
the training part, stopped early on the validation slice (which also gives the honest validation
predictions that calibrate the model and tune "not sure"), then a fresh head on training and
validation photos together for the number of epochs the first run found best, so that no photo
is wasted (Teachable Machine, too, trains on every photo it does not hold out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teachkit import tfenv
from teachkit.basemodel import FEATURES
from teachkit.progress import epoch_bar

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


def train(
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    n_classes: int,
    epochs: int,
    seed: int,
    batch_size: int = BATCH,
) -> tuple[Any, History]:
    """Fit a new head; return it with the best validation epoch's weights, and its history."""
    keras = tfenv.keras()
    model = _compiled(n_classes, seed)
    stop = keras.callbacks.EarlyStopping(
        monitor="val_accuracy",
        patience=PATIENCE,
        start_from_epoch=min(MIN_EPOCHS, epochs),
        restore_best_weights=True,
    )
    fit = model.fit(
        x,
        y,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        class_weight=class_weights(y, n_classes),
        callbacks=[stop, epoch_bar(epochs, "Training")],
        verbose=0,
    )
    h = fit.history
    history = History(
        loss=[float(v) for v in h["loss"]],
        accuracy=[float(v) for v in h["accuracy"]],
        val_loss=[float(v) for v in h["val_loss"]],
        val_accuracy=[float(v) for v in h["val_accuracy"]],
    )
    history.best_epoch = best_epoch(history.val_accuracy, min(MIN_EPOCHS, epochs))
    return model, history


def best_epoch(val_accuracy: list[float], start: int) -> int:
    """The epoch (counted from 1, not before ``start``) with the best validation accuracy; of
    equals, the last, since more epochs of the same accuracy mean a surer head."""
    considered = val_accuracy[start - 1 :] or val_accuracy
    offset = len(val_accuracy) - len(considered)
    best = max(considered)
    return offset + max(i for i, v in enumerate(considered) if v == best) + 1


def _compiled(n_classes: int, seed: int) -> Any:
    keras = tfenv.keras()
    keras.utils.set_random_seed(seed)
    model = build(n_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        # Many small steps per call into TensorFlow: the same arithmetic with less Python overhead.
        steps_per_execution=32,
    )
    return model


def refit(x: np.ndarray, y: np.ndarray, n_classes: int, epochs: int, seed: int, batch_size: int = BATCH) -> Any:
    """A fresh head trained for exactly ``epochs`` on all of x (training and validation photos)."""
    model = _compiled(n_classes, seed)
    model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        class_weight=class_weights(y, n_classes),
        callbacks=[epoch_bar(epochs, "Training on every photo")],
        verbose=0,
    )
    return model


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

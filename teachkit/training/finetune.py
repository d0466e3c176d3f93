"""Optional fine-tuning (`--fine-tune`): also train MobileNetV2's last blocks.

Blocks 14 to 16 and the last 1x1 convolution learn at a small learning rate, starting from the
trained head; batch-norm layers stay frozen (their statistics come from ImageNet, and a class's
few photos would only spoil them). The exported model keeps the same size and browser cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from teachkit import tfenv
from teachkit.data import images, photos
from teachkit.data.dataset import PhotoInfo, Split
from teachkit.features.basemodel import BaseModel, mobilenet
from teachkit.features.embeddings import embed_inputs
from teachkit.progress import enabled

TRAINABLE_FROM = "block_14_expand"
LEARNING_RATE = 1e-4
EPOCHS = 6
BATCH = 16


def _inputs(infos: Sequence[PhotoInfo]) -> np.ndarray:
    return np.stack([images.to_input(photos.decode(i.path)) for i in infos])


def unfreeze_top(base: BaseModel) -> int:
    """Make the layers from TRAINABLE_FROM on trainable, batch norm excepted; return how many."""
    net = mobilenet(base.model)  # inside TM's base Sequential, or the multi-depth model itself
    base.model.trainable = True
    net.trainable = True
    names = [layer.name for layer in net.layers]
    start = names.index(TRAINABLE_FROM)
    count = 0
    for k, layer in enumerate(net.layers):
        is_bn = "BatchNormalization" in type(layer).__name__
        layer.trainable = k >= start and not is_bn
        count += layer.trainable
    return count


def run(
    base: BaseModel, head: Any, infos: Sequence[PhotoInfo], split: Split, labels: list[str], seed: int
) -> tuple[BaseModel, Any]:
    """Fine-tune base and head together on the training part; keep the best validation epoch."""
    keras = tfenv.keras()
    keras.utils.set_random_seed(seed)
    x = _inputs([infos[i] for i in split.train])
    y = np.asarray([labels.index(infos[i].label) for i in split.train])
    x_val = _inputs([infos[i] for i in split.validation])
    y_val = np.asarray([labels.index(infos[i].label) for i in split.validation])
    unfreeze_top(base)
    model = keras.Sequential([base.model, head])
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model.fit(
        x,
        y,
        validation_data=(x_val, y_val),
        epochs=EPOCHS,
        batch_size=BATCH,
        shuffle=True,
        callbacks=[stop, _epoch_bar(EPOCHS, "Fine-tuning")],
        verbose=0,
    )
    base.model.trainable = False
    tuned = BaseModel(model=base.model, id=f"{base.id}-tuned", source=f"{base.source}, fine-tuned from block 14")
    return tuned, head


def features(base: BaseModel, infos: Sequence[PhotoInfo]) -> np.ndarray:
    """Features from a fine-tuned base (not cached: they belong to this build only)."""
    return embed_inputs(base, _inputs(infos))


def _epoch_bar(epochs: int, desc: str) -> Any:
    """A Keras callback showing training as one bar of epochs, with the latest accuracies."""
    keras = tfenv.keras()

    class EpochBar(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            self.bar = tqdm(total=epochs, desc=desc, unit="epoch", disable=not enabled(), leave=False)

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            shown = {k: f"{v:.2f}" for k, v in logs.items() if "accuracy" in k}
            self.bar.set_postfix(shown)
            self.bar.update(1)

        def on_train_end(self, logs: dict | None = None) -> None:
            self.bar.close()

    return EpochBar()

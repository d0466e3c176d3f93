"""Progress bars that stay quiet where nobody is watching (tests, CI logs)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def enabled() -> bool:
    return sys.stderr.isatty() and not os.environ.get("TEACHKIT_QUIET")


def bar(items: Iterable[T], desc: str, total: int | None = None, unit: str = "photo") -> Iterator[T]:
    """Wrap ``items`` in a progress bar named ``desc``."""
    return iter(tqdm(items, desc=desc, total=total, unit=unit, disable=not enabled(), leave=False))


def counter(total: int, desc: str, unit: str) -> Any:
    """A progress bar to advance by hand (``.update(n)``, ``.set_postfix(...)``); a context manager."""
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled(), leave=False)


def epoch_bar(epochs: int, desc: str) -> Any:
    """A Keras callback showing training as one bar of epochs, with the latest accuracies."""
    from teachkit import tfenv

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

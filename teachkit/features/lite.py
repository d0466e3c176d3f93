"""The frozen base as a TensorFlow Lite model: the fast way to embed photos on a CPU.

TensorFlow Lite's XNNPACK kernels run MobileNetV2 with about a fifth of the CPU time of
TensorFlow's own graph (measured on this project's 2-core machines: 2.5 against 12 CPU-ms per
224x224 photo), and the features agree to within 2e-5. The converted model is cached beside the
embeddings under the base's weights id, so the conversion (about 2 s) is paid once per base.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from teachkit import fileio, tfenv
from teachkit.core import preprocess
from teachkit.errors import OutputError

BATCH = 32
#: One thread: embedding runs beside threads that decode and augment the next photos, and
#: XNNPACK's threads spin while they wait, which costs more than it gives on a busy machine.
THREADS = 1

#: The converted base is about 2 MB; a cache file far larger is not ours.
MAX_CACHED_BYTES = 64 * 2**20


class LiteBase:
    """Features of preprocessed inputs through a TensorFlow Lite interpreter, BATCH at a time."""

    def __init__(self, flatbuffer: bytes, threads: int = THREADS) -> None:
        tf = tfenv.import_tensorflow()
        # Held back: TF 2.19's warning that the interpreter moves to LiteRT (at creation) and C++'s
        # "Created TensorFlow Lite XNNPACK delegate" on fd 2 (at the first allocation: the delegate
        # is applied lazily). A failure is not replayed: the caller falls back to TensorFlow.
        with tfenv.quiet(replay=False):
            self._interpreter = tf.lite.Interpreter(model_content=flatbuffer, num_threads=threads)
            self._input = self._interpreter.get_input_details()[0]["index"]
            output = self._interpreter.get_output_details()[0]
            self._output, self._width = output["index"], int(output["shape"][-1])
            size = preprocess.SIZE
            self._interpreter.resize_tensor_input(self._input, [BATCH, size, size, 3])
            self._interpreter.allocate_tensors()

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        out = []
        for start in range(0, len(inputs), BATCH):
            chunk = inputs[start : start + BATCH]
            n = len(chunk)
            if n < BATCH:  # the interpreter's shape is fixed: pad, then drop the padding's rows
                chunk = np.concatenate([chunk, np.zeros((BATCH - n, *chunk.shape[1:]), np.float32)])
            self._interpreter.set_tensor(self._input, np.ascontiguousarray(chunk, np.float32))
            self._interpreter.invoke()  # releases the GIL: photos decode meanwhile
            out.append(self._interpreter.get_tensor(self._output)[:n].copy())
        return np.concatenate(out) if out else np.zeros((0, self._width), np.float32)


def convert(model: Any) -> bytes:
    """The Keras base (N, 224, 224, 3) -> (N, features) as a TensorFlow Lite flatbuffer."""
    tf = tfenv.import_tensorflow()
    size = preprocess.SIZE
    run = tf.function(lambda x: model(x, training=False))
    concrete = run.get_concrete_function(tf.TensorSpec([None, size, size, 3], tf.float32))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model)
    with tfenv.quiet(replay=False):  # its C++ logs 4 lines on fd 2 ("Ignored output_format", ...)
        return bytes(converter.convert())


def cached(path: Path, model: Callable[[], Any]) -> LiteBase | None:
    """The interpreter for the base, converted from ``model()`` once and kept at ``path``; None
    when this TensorFlow cannot convert or run it (the caller then uses TensorFlow itself)."""
    if path.is_file():
        try:
            return LiteBase(fileio.read_bytes(path, MAX_CACHED_BYTES))
        except Exception:  # noqa: BLE001 - a damaged cache file: convert again
            path.unlink(missing_ok=True)
    try:
        flatbuffer = convert(model())
        lite = LiteBase(flatbuffer)
    except Exception:  # noqa: BLE001 - any failure here costs speed only, never correctness
        return None
    with contextlib.suppress(OutputError):  # an unwritable cache: convert again next time
        fileio.write_bytes(path, flatbuffer)
    return lite

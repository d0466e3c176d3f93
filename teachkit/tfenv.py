"""Import TensorFlow the one way that works with tensorflowjs and Teachable Machine exports, quietly.

TF 2.19's `tf.keras` is Keras 3, but tensorflowjs and every Teachable Machine export speak
Keras 2 (`tf_keras`); mixing the two fails in odd places. TF_USE_LEGACY_KERAS=1, set before
TensorFlow is first imported, makes `tf.keras` the Keras 2 one.

Quiet by default: a teacher sees Teachkit's lines only. Measured on this project's machines (no
GPU), a `teachkit train` printed 14 lines of others' start-up noise around its report:
- `import tensorflow`: cuFFT/cuDNN/cuBLAS "Unable to register factory" errors, four "computation
  placer already registered", absl's "All log messages before absl::InitializeLog()"; then, at
  the first use of a device, "failed call to cuInit". Most are written by C++ through absl before
  absl is set up, which ignores TF_CPP_MIN_LOG_LEVEL: only taking file descriptor 2 away helps.
- converting the base to TensorFlow Lite: absl's notice again, "Ignored output_format", "Ignored
  drop_control_dependency", "MLIR V1 optimization pass is not enabled" (C++, fd 2 again);
- creating the Lite interpreter: "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." (C++)
  and a Python DeprecationWarning about LiteRT;
- `import tensorflowjs`: tensorflow-decision-forests' ydf advertisement (switched off by its own
  environment variable).
`quiet()` wraps exactly those calls. `configure(verbose=True)` (the CLI's `--verbose`) lets all of
it through, with TensorFlow's own log level left at its default.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from types import ModuleType

_verbose = False


def configure(verbose: bool) -> None:
    """Choose, before TensorFlow loads, whether its noise reaches the terminal (``--verbose``).

    Quiet also ignores Python warnings for the whole run, unless the user asked for some with
    ``-W`` or ``PYTHONWARNINGS``: Teachkit never speaks through warnings, and the libraries'
    (Keras, absl, Pillow's large-picture notice) are addressed to programmers.
    """
    global _verbose
    _verbose = verbose
    if not verbose and not sys.warnoptions:
        warnings.simplefilter("ignore")


def verbose() -> bool:
    return _verbose


@contextlib.contextmanager
def quiet(replay: bool = True) -> Iterator[None]:
    """Hold back what the enclosed call writes to stderr (C++ included) and its Python warnings.

    File descriptor 2 goes to a temporary file, not a pipe: a pipe nobody reads blocks the writer
    once it holds 64 KB. If the call fails, what it wrote is written out after all, ahead of the
    error, so a real problem is never hidden (``replay=False`` where the caller recovers from the
    failure by itself and the lines would only puzzle). Process-wide: use it only around calls that run
    while no other thread of ours writes to stderr (imports, the Lite model's creation).
    """
    if _verbose:
        yield
        return
    _flush()
    saved = os.dup(2)
    failed = False
    with tempfile.TemporaryFile() as held, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(held.fileno(), 2)
        try:
            yield
        except Exception:
            failed = True
            raise
        finally:
            _flush()  # Python's own buffered text belongs with what was held back
            os.dup2(saved, 2)
            os.close(saved)
            if failed and replay:
                held.seek(0)
                _write_stderr(held.read())


def _flush() -> None:
    if sys.stderr is not None:
        sys.stderr.flush()


def _write_stderr(data: bytes) -> None:
    while data:
        data = data[os.write(2, data) :]


def import_tensorflow() -> ModuleType:
    """TensorFlow with Keras 2 as `tf.keras`, its start-up chatter held back unless verbose."""
    if "tensorflow" not in sys.modules:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        if not _verbose:
            # Level 2 drops TensorFlow's INFO and WARNING lines (oneDNN, CPU features) and keeps
            # its ERRORs: after start-up those are real.
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # tensorflowjs imports tensorflow_decision_forests, whose advertisement needs IPython
        # whenever sys.stdout is not a real file (pytest's capture): off even when verbose.
        os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
        with quiet():
            import tensorflow as tf

            tf.config.list_physical_devices()  # looks for CUDA now (cuInit), not mid-report
    elif os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        raise RuntimeError("TensorFlow was imported before teachkit could select Keras 2 (set TF_USE_LEGACY_KERAS=1)")
    import tensorflow as tf

    if not _verbose:
        tf.get_logger().setLevel("ERROR")
        logging.getLogger("absl").setLevel(logging.ERROR)  # tf_keras warns through absl
    return tf


def import_tensorflowjs() -> ModuleType:
    """tensorflowjs (and the decision forests it imports), after TensorFlow, quietly."""
    import_tensorflow()
    if "tensorflowjs" not in sys.modules:
        with quiet():
            import tensorflowjs
    import tensorflowjs

    return tensorflowjs


def keras() -> ModuleType:
    """The Keras 2 module (`tf_keras`)."""
    import_tensorflow()
    import tf_keras

    return tf_keras

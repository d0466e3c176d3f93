"""Import TensorFlow the one way that works with tensorflowjs and Teachable Machine exports.

TF 2.19's `tf.keras` is Keras 3, but tensorflowjs and every Teachable Machine export speak
Keras 2 (`tf_keras`); mixing the two fails in odd places. TF_USE_LEGACY_KERAS=1, set before
TensorFlow is first imported, makes `tf.keras` the Keras 2 one.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType


def import_tensorflow() -> ModuleType:
    """TensorFlow with Keras 2 as `tf.keras`, and its start-up chatter silenced."""
    if "tensorflow" not in sys.modules:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        # tensorflowjs imports tensorflow_decision_forests, whose welcome message needs IPython
        # whenever stdout is not a terminal (a log file, a pipe, pytest).
        os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
    elif os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        raise RuntimeError("TensorFlow was imported before teachkit could select Keras 2 (set TF_USE_LEGACY_KERAS=1)")
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    return tf


def keras() -> ModuleType:
    """The Keras 2 module (`tf_keras`)."""
    import_tensorflow()
    import tf_keras

    return tf_keras

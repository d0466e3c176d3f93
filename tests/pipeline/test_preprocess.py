"""The shared preprocessing: its geometry, and NumPy computing exactly what the plain-Python definition says."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

from teachkit.core import preprocess
from teachkit.data import images
from teachkit.data.images import NumpyOps

SHARED = [Path(preprocess.__file__), Path(preprocess.__file__).with_name("decide.py")]


@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.name)
def test_shared_modules_import_only_the_standard_library(path: Path) -> None:
    """These files run unchanged in Pyodide, where there is no NumPy and no Pillow."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top == "__future__", f"{path.name} imports {name}"


@pytest.mark.parametrize(
    ("w", "h", "crop", "sizes"),
    [
        (224, 224, (0, 0, 224), (224,)),
        (640, 480, (80, 0, 480), (240, 224)),
        (480, 640, (0, 80, 480), (240, 224)),
        (4032, 3024, (504, 0, 3024), (1512, 756, 378, 224)),
        (100, 50, (25, 0, 50), (224,)),
        (448, 448, (0, 0, 448), (224,)),
    ],
)
def test_plan_crops_the_centre_square_and_halves_large_images(w, h, crop, sizes) -> None:
    p = preprocess.plan(w, h)
    assert p.crop == crop
    assert p.sizes == sizes
    assert p.sizes[-1] == preprocess.SIZE


def test_plan_refuses_an_empty_image() -> None:
    with pytest.raises(ValueError):
        preprocess.plan(0, 10)


@pytest.mark.parametrize(("w", "h", "size", "mirror"), [(53, 37, 11, False), (97, 120, 23, True), (64, 64, 16, False)])
def test_numpy_ops_match_the_plain_python_definition(w, h, size, mirror) -> None:
    rng = np.random.default_rng(w * h)
    pixels = rng.integers(0, 256, (h, w, 3)).astype(np.float32)
    p = preprocess.plan(w, h, size=size, mirror=mirror)
    reference = np.array(preprocess.run(p, pixels.tolist(), preprocess.ReferenceOps()))
    fast = preprocess.run(p, pixels, NumpyOps())
    assert fast.shape == (size, size, 3)
    np.testing.assert_allclose(fast, reference, atol=1e-5)


def test_halving_an_even_side_is_an_exact_2x2_average() -> None:
    x = np.arange(4 * 4 * 3, dtype=np.float32).reshape(4, 4, 3)
    half = NumpyOps().resize(x, 2)
    expected = x.reshape(2, 2, 2, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(half, expected)


def test_bilinear_matches_tensorflow_half_pixel_resize() -> None:
    """TF.js computes resizeBilinear(halfPixelCenters=true) as TensorFlow does; so must we."""
    from teachkit import tfenv

    tf = tfenv.import_tensorflow()
    x = np.random.default_rng(1).random((37, 53, 3)).astype(np.float32) * 255
    ours = images._resize_axis(images._resize_axis(x, 19, 0), 19, 1)
    theirs = tf.image.resize(x, (19, 19), method="bilinear", antialias=False).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-3)


def test_normalisation_is_teachable_machines() -> None:
    from PIL import Image

    x = images.to_input(Image.new("RGB", (300, 300), (0, 127, 254)))
    np.testing.assert_allclose(x[0, 0], [-1.0, 0.0, 1.0], atol=1e-6)


def test_spec_describes_the_numbers_used() -> None:
    spec = preprocess.spec()
    assert spec["size"] == 224 and spec["scale"] == pytest.approx(1 / 127) and spec["offset"] == -1.0
    assert spec["version"] == preprocess.VERSION

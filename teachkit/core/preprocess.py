"""One preprocessing, everywhere: the crop, resize and normalisation a model sees.

This file is pure Python (standard library only) because the very same file runs at build
time in CPython and in the page in Pyodide. It *defines* the preprocessing as a short plan of
array operations; each runtime executes that plan with its own array library (NumPy at build
time, TF.js in the browser), and `ReferenceOps` below executes it in plain Python so that
tests can prove every runtime does exactly the same arithmetic.

The recipe follows Teachable Machine's image library (cover-scale so the shorter side is 224,
centre crop, ``x / 127 - 1``), with one improvement: large images are first halved repeatedly
(each halving is an exact 2x2 average) so that a 12-megapixel phone photo is not aliased down
to 224 pixels in a single bilinear step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

#: Bump when any number or step below changes: it keys the build's embedding cache.
VERSION = "teachkit-preprocess-1"
SIZE = 224
#: Teachable Machine's own normalisation: x / 127 - 1 (its Keras snippet says 127.5; the
#: library that runs the exported model says 127, so models are trained on 127).
SCALE = 1.0 / 127.0
OFFSET = -1.0
#: Transparent pixels are composited over this colour (what a viewer shows on a white page).
BACKGROUND = (255, 255, 255)

T = TypeVar("T")


@dataclass(frozen=True)
class Plan:
    """What to do with one decoded image of a given size.

    ``crop`` is (left, top, side): the centred square. ``sizes`` are the successive square
    sizes the crop is resized to, each by bilinear interpolation with half-pixel centres; the
    last one is always the model's input size.
    """

    crop: tuple[int, int, int]
    sizes: tuple[int, ...]
    mirror: bool = False


def plan(width: int, height: int, size: int = SIZE, mirror: bool = False) -> Plan:
    """The plan for a ``width`` x ``height`` image (the centre square, halved, then resized)."""
    if width < 1 or height < 1:
        raise ValueError(f"an image must have pixels, got {width}x{height}")
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    sizes: list[int] = []
    current = side
    # Halve while a halving still leaves at least the target size: each step is an exact 2x2
    # average for an even side, so the pyramid anti-aliases like a mipmap.
    while current >= 2 * size:
        current //= 2
        sizes.append(current)
    if current != size or not sizes:
        sizes.append(size)
    return Plan(crop=(left, top, side), sizes=tuple(sizes), mirror=mirror)


def spec() -> dict[str, Any]:
    """The preprocessing as data, written into metadata.json for any other consumer."""
    return {
        "version": VERSION,
        "size": SIZE,
        "crop": "centre square of the shorter side",
        "resize": "repeated halving while side >= 2*size, then bilinear (half-pixel centres)",
        "normalise": "x * scale + offset on RGB values 0..255",
        "scale": SCALE,
        "offset": OFFSET,
        "alpha": "composited over white",
        "orientation": "EXIF orientation applied",
    }


class Ops(Protocol[T]):
    """The four array operations a plan needs; ``T`` is an H x W x 3 array of any library."""

    def crop(self, image: T, left: int, top: int, side: int) -> T: ...

    def resize(self, image: T, side: int) -> T: ...

    def mirror(self, image: T) -> T: ...

    def normalise(self, image: T, scale: float, offset: float) -> T: ...


def run(p: Plan, image: T, ops: Ops[T]) -> T:
    """Execute plan ``p`` on ``image`` with a runtime's ``ops``."""
    left, top, side = p.crop
    x = ops.crop(image, left, top, side)
    for s in p.sizes:
        x = ops.resize(x, s)
    if p.mirror:
        x = ops.mirror(x)
    return ops.normalise(x, SCALE, OFFSET)


def source_coordinates(out_size: int, in_size: int) -> list[tuple[int, int, float]]:
    """Bilinear sampling with half-pixel centres, as TensorFlow and TF.js compute it.

    For each output index: (lower source index, upper source index, weight of the upper).
    """
    scale = in_size / out_size
    coords = []
    for i in range(out_size):
        src = (i + 0.5) * scale - 0.5
        lower = max(math.floor(src), 0)
        upper = min(math.ceil(src), in_size - 1)
        coords.append((lower, max(upper, 0), src - math.floor(src)))
    return coords


Rows = list[list[list[float]]]


class ReferenceOps:
    """The plan in plain Python lists: slow, obvious, and the yardstick for the fast runtimes."""

    def crop(self, image: Rows, left: int, top: int, side: int) -> Rows:
        return [row[left : left + side] for row in image[top : top + side]]

    def resize(self, image: Rows, side: int) -> Rows:
        ys = source_coordinates(side, len(image))
        xs = source_coordinates(side, len(image[0]))
        out: Rows = []
        for y0, y1, wy in ys:
            top, bottom = image[y0], image[y1]
            row = []
            for x0, x1, wx in xs:
                pixel = []
                for c in range(3):
                    t = top[x0][c] + (top[x1][c] - top[x0][c]) * wx
                    b = bottom[x0][c] + (bottom[x1][c] - bottom[x0][c]) * wx
                    pixel.append(t + (b - t) * wy)
                row.append(pixel)
            out.append(row)
        return out

    def mirror(self, image: Rows) -> Rows:
        return [row[::-1] for row in image]

    def normalise(self, image: Rows, scale: float, offset: float) -> Rows:
        return [[[v * scale + offset for v in px] for px in row] for row in image]

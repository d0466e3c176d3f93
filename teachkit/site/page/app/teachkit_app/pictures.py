"""Pictures in: how big a source may be, and at what size to decode it.

``js/media.js`` measures and decodes (browser APIs); the rules are here, beside the preprocessing
they follow. Every refusal is an ``Unusable`` whose text completes a sentence about the picture
("holiday.jpg" / "The file" + ``reason`` + "."), so that nobody is shown a traceback.
"""

from __future__ import annotations

from typing import Any

import js

from teachkit.core import preprocess
from teachkit_app.jsutil import error_name

#: teachkit/photos.py's MAX_PIXELS: the build skips a larger file, the page refuses it (a test
#: checks that the two agree). Decoding 12000x12000 (144 megapixels) took Chromium to 6.6 GB.
MAX_PIXELS = 80_000_000
NOT_AN_IMAGE = "is not a picture the browser can open (damaged, or not an image)"


class Unusable(Exception):
    """A picture the page will not classify; ``reason`` completes a sentence about it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def sentence(self, subject: str) -> str:
        return f"{subject} {self.reason}."


def too_large(width: int, height: int) -> str | None:
    """Why a ``width`` x ``height`` picture is refused, or None."""
    if width * height <= MAX_PIXELS:
        return None
    return (
        f"is too large to open here ({width} x {height} pixels, {width * height / 1e6:.0f} megapixels; "
        f"the limit is {MAX_PIXELS // 1_000_000} megapixels)"
    )


def decode_size(width: int, height: int, size: int = preprocess.SIZE) -> tuple[int, int]:
    """The size to decode a ``width`` x ``height`` picture at: halved while its shorter side stays
    at least twice the model's input, as the build decodes large JPEGs (Pillow's draft, see
    teachkit/photos.py) and where the preprocessing would halve anyway (teachkit/preprocess.py)."""
    scale = 1
    while min(width, height) // (2 * scale) >= 2 * size:
        scale *= 2
    # ceil, as Pillow's draft rounds
    return -(-width // scale), -(-height // scale)


async def pixels(source: Any, size: int = preprocess.SIZE) -> Any:
    """A canvas with the source's pixels, decoded at ``decode_size``; raises ``Unusable``, or
    ``TypeError`` for a source that is not a picture at all (its message is a sentence)."""
    try:
        natural = await js.teachkitMedia.sizeOf(source)
    except Exception as e:
        raise _unusable(e) from None
    width, height = int(natural.width), int(natural.height)
    if width < 1 or height < 1:
        raise Unusable("has no pixels (it is 0 pixels wide or high)")
    refused = too_large(width, height)
    if refused:
        raise Unusable(refused)
    w, h = decode_size(width, height, size)
    try:
        return await js.teachkitMedia.toCanvas(source, w, h, natural)
    except Exception as e:
        raise _unusable(e) from None


def _unusable(error: Exception) -> Exception:
    name = error_name(error)
    if name == "TypeError":
        return TypeError(str(getattr(getattr(error, "js_error", None), "message", error)))
    if name == "NotAnImage":
        return Unusable(NOT_AN_IMAGE)
    # e.g. a RangeError or an out-of-memory from the canvas: still one sentence
    return Unusable(f"could not be opened ({name})")

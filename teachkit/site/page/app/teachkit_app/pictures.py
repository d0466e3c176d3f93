"""Pictures in: how big a source may be, at what size to decode it, and ``Pictures.open``, the
one function that opens a picture for the page's buttons and for ``window.teachkit.classify``.

``js/media.js`` measures and decodes (browser APIs); the rules are here, beside the preprocessing
they follow. Every refusal is an ``Unusable`` whose text completes a sentence about the picture
("holiday.jpg" / "The file" + ``reason`` + "."), so that nobody is shown a traceback.
"""

from __future__ import annotations

from typing import Any

from teachkit.core import preprocess
from teachkit_app.i18n import N_, _
from teachkit_app.jsutil import error_name

#: teachkit/data/photos.py's MAX_PIXELS: the build skips a larger file, the page refuses it (a test
#: checks that the two agree). Decoding 12000x12000 (144 megapixels) took Chromium to 6.6 GB.
MAX_PIXELS = 80_000_000
NOT_AN_IMAGE = N_("is not a picture the browser can open (damaged, or not an image)")
#: An <img> from another origin taints the canvas it is drawn on, and reading it throws
#: SecurityError. From file://, Chromium and WebKit give every file its own origin, so a picture
#: of the site's own folder is one too; Files and Blobs never are.
TAINTED = N_(
    "comes from another origin (from file:// every file is one), so the browser will not let this "
    "page read its pixels: pass the picture as a File or Blob (from a file input, drop or paste), "
    "or serve the site's folder from a web server"
)


class Unusable(Exception):
    """A picture the page will not classify; ``reason`` completes a sentence about it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def sentence(self, subject: str) -> str:
        # The reason is translated here, where the page's language is known; the subject (a file
        # name, or a translated "It") is the caller's. A reason already translated stays as it is.
        return _("%(subject)s %(reason)s.") % {"subject": subject, "reason": _(self.reason)}


class NotAPicture(Unusable):
    """Not any kind of picture (``teachkit.classify(42)``): ``reason`` is the whole sentence."""

    def sentence(self, subject: str) -> str:
        return self.reason


def too_large(width: int, height: int) -> str | None:
    """Why a ``width`` x ``height`` picture is refused, or None."""
    if width * height <= MAX_PIXELS:
        return None
    return _(
        "is too large to open here (%(width)d x %(height)d pixels, %(megapixels).0f megapixels; "
        "the limit is %(limit)d megapixels)"
    ) % {"width": width, "height": height, "megapixels": width * height / 1e6, "limit": MAX_PIXELS // 1_000_000}


def decode_size(width: int, height: int, size: int = preprocess.SIZE) -> tuple[int, int]:
    """The size to decode a ``width`` x ``height`` picture at: halved while its shorter side stays
    at least twice the model's input, as the build decodes large JPEGs (Pillow's draft, see
    teachkit/data/photos.py) and where the preprocessing would halve anyway (teachkit/core/preprocess.py)."""
    scale = 1
    while min(width, height) // (2 * scale) >= 2 * size:
        scale *= 2
    # ceil, as Pillow's draft rounds
    return -(-width // scale), -(-height // scale)


class Pictures:
    """Opening a picture: the one way for the page's buttons (file input, drop, paste) and for
    ``window.teachkit.classify``, so that a photo gives the same pixels whoever asks."""

    def __init__(self, media: Any, size: int = preprocess.SIZE) -> None:
        #: js/media.js, handed over by js/loader.js (the browser's decoding).
        self.media = media
        #: The model's input size: how far a large picture may be decoded smaller.
        self.size = size

    async def open(self, source: Any) -> Any:
        """A canvas with the source's pixels, decoded at ``decode_size``; raises ``Unusable``
        (``NotAPicture`` when the source is no kind of picture at all)."""
        try:
            natural = await self.media.sizeOf(source)
        except Exception as e:
            raise _unusable(e) from None
        width, height = int(natural.width), int(natural.height)
        if width < 1 or height < 1:
            raise Unusable(N_("has no pixels (it is 0 pixels wide or high)"))
        refused = too_large(width, height)
        if refused:
            raise Unusable(refused)
        w, h = decode_size(width, height, self.size)
        try:
            canvas = await self.media.toCanvas(source, w, h, natural)
        except Exception as e:
            raise _unusable(e) from None
        _check_readable(canvas)
        return canvas

    def thumbnail(self, canvas: Any) -> Any:
        """A small copy of an opened picture, for its card in the results."""
        return self.media.thumbnail(canvas)


def _check_readable(canvas: Any) -> None:
    """Raises ``Unusable`` when the canvas is tainted: one pixel read here, where the picture is
    known, rather than a SecurityError deep in TF.js (WebGL's texImage2D, wasm's getImageData)."""
    try:
        canvas.getContext("2d").getImageData(0, 0, 1, 1)
    except Exception as e:
        if error_name(e) == "SecurityError":
            raise Unusable(TAINTED) from None
        raise _unusable(e) from None


def _unusable(error: Exception) -> Unusable:
    """js/media.js's failures, by the error's name (its NotAnImage), as one sentence."""
    name = error_name(error)
    if name == "NotAnImage":
        js_error = getattr(error, "js_error", None)
        if js_error is not None and bool(getattr(js_error, "source", False)):
            return NotAPicture(str(js_error.message))
        return Unusable(NOT_AN_IMAGE)
    # e.g. a RangeError or an out-of-memory from the canvas: still one sentence
    return Unusable(_("could not be opened (%(error)s)") % {"error": name})

"""Photos in: find the class folders, and decode any photo a teacher may have into RGB pixels.

Every photo that cannot be used is skipped with a reason in plain words, never a crash.
"""

from __future__ import annotations

import hashlib
import io
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageFile, ImageOps

from teachkit import fileio
from teachkit.core import preprocess
from teachkit.errors import PhotoError, UnreadablePhoto

try:  # HEIC/HEIF photos from phones
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is a pinned dependency
    pillow_heif = None

#: Refuse anything larger: a decompression bomb must not take the machine down. 80 MP is far
#: above any phone camera (a 48 MP sensor photo is 48 MP).
MAX_PIXELS = 80_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False

#: Refuse a photo file larger than this before reading it (a photo is read whole, into memory).
#: Phone photos are far below it: a 48-50 MP HEIC or JPEG is 5-30 MB; so are PNG screenshots.
#: 100 MB still admits an uncompressed TIFF or BMP of about 33 megapixels, from a scanner.
MAX_FILE_BYTES = 100 * 2**20

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif"}
)


@dataclass(frozen=True)
class Skipped:
    """A file that is not used, and why, in words a teacher understands."""

    path: Path
    reason: str


@dataclass
class PhotoFolder:
    """A folder of photos, one sub-folder per class: what was found and what was passed over."""

    root: Path
    classes: dict[str, list[Path]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return list(self.classes)


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name in {"Thumbs.db", "desktop.ini", "__MACOSX"}


def is_text(name: str) -> bool:
    """Whether a name is valid text. A name whose bytes are not UTF-8 (made on an old system, or
    damaged) reaches Python with surrogates in it, which no JSON file or web page can hold."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(path: Path | str) -> str:
    """A path as valid text for JSON and pages: undecodable bytes become replacement characters."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


#: Why a photo whose name is not valid text is left out rather than used under a repaired name:
#: the model's metrics keep each held-out photo's path so that the card can show it again, and
#: a repaired name points at no file. Renaming it is the teacher's one-step fix.
BAD_NAME = "its name (or the name of a folder it is in) is not valid text; rename it to use it"


def scan(root: Path | str) -> PhotoFolder:
    """List the class folders of ``root`` and the image files in each (by file name only;
    decoding happens later and reports its own failures)."""
    root = Path(root)
    if not root.is_dir():
        raise PhotoError(f"There is no folder at {root}. Give the folder that holds one folder of photos per class.")
    if not is_text(str(root.resolve())):
        # Its name goes into the model (its default name, the metrics): refused now, not after training.
        raise PhotoError(
            f"The path of the photos folder {root} is not valid text (a name in it was made on another "
            "system or is damaged). Rename that folder, or copy the photos to a folder with a plain name."
        )
    found = PhotoFolder(root=root)
    subs = [sub for sub in sorted(root.iterdir(), key=lambda p: p.name) if not _is_hidden(sub.name)]
    for sub in subs:
        if sub.is_dir() and not is_text(sub.name):
            # The folder's name is the label, written into the model: refused before any work.
            raise PhotoError(
                f"The name of the class folder {sub.name!r} in {root} is not valid text (it was made on "
                "another system or is damaged). Rename the folder: its name becomes the class's label."
            )
    for sub in subs:
        if not sub.is_dir():
            found.skipped.append(Skipped(sub, "not in a class folder (put each photo in its class's folder)"))
            continue
        files: list[Path] = []
        for path in sorted(sub.rglob("*")):
            if any(_is_hidden(part) for part in path.relative_to(sub).parts):
                continue
            if path.is_dir():
                continue
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                found.skipped.append(Skipped(path, "not an image file"))
                continue
            if not is_text(os.path.realpath(path)):  # where a link leads is written too (the metrics)
                found.skipped.append(Skipped(path, BAD_NAME))
                continue
            files.append(path)
        # The label is the folder's name exactly; NFC so that a macOS-made name equals a typed one.
        label = unicodedata.normalize("NFC", sub.name)
        if files:
            found.classes[label] = files
        else:
            found.skipped.append(Skipped(sub, "empty class folder (no photos in it)"))
    return found


def require_classes(found: PhotoFolder) -> None:
    """Fail with a clear message when there is nothing to tell apart."""
    if len(found.classes) < 2:
        have = ", ".join(repr(x) for x in found.classes) or "none"
        raise PhotoError(
            f"{found.root} needs at least 2 class folders with photos in them (found: {have}). "
            "Make one folder per class, named after the class, and put its photos inside."
        )


def read(path: Path | str) -> bytes:
    """A photo file's bytes. Every read of a photo comes here: a named pipe or a device
    (``/dev/zero``) would hang or never end, so it is refused with a reason (``UnreadablePhoto``)
    before a byte is read, as is a file over ``MAX_FILE_BYTES``."""
    try:
        return fileio.read_bytes(Path(path), MAX_FILE_BYTES, "photo file")
    except ValueError as e:
        raise UnreadablePhoto(str(e)) from None


def digest(data: bytes) -> str:
    """A SHA-256 of a photo's bytes: the key of everything cached about it."""
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """The SHA-256 of a photo file; ``UnreadablePhoto`` with a reason for a file that cannot be read."""
    return digest(read(path))


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any mode to 8-bit RGB, with transparency composited over white (as at display time)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: keep the high byte, as browsers do, instead of clipping at 255.
        img = img.point(lambda v: v / 256).convert("L")
    elif img.mode == "F":
        img = img.convert("L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "La", "RGBa", "PA"):
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        background = Image.new("RGBA", img.size, (*preprocess.BACKGROUND, 255))
        return Image.alpha_composite(background, img).convert("RGB")
    return img.convert("RGB")


def decode(path: Path | str, draft: bool = True) -> Image.Image:
    """Decode one photo file into an RGB image, upright as a browser shows it.

    ``draft`` lets large JPEGs decode at 1/2, 1/4 or 1/8 size (in the DCT, so it is fast) while
    keeping at least twice the model's input size, where the preprocessing halves anyway.
    Raises ``UnreadablePhoto`` with a teacher-readable reason for a file that cannot be used.
    """
    return decode_bytes(read(path), draft)


def decode_bytes(data: bytes, draft: bool = True) -> Image.Image:
    """``decode`` of a photo already read (once, for both its digest and its pixels)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise UnreadablePhoto(f"the picture is too large ({img.width}x{img.height} pixels)")
            if draft and img.format == "JPEG":
                short = min(img.size)
                want = 2 * preprocess.SIZE
                if short > 2 * want:
                    img.draft("RGB", (img.width * want // short, img.height * want // short))
            img.seek(0)  # the first frame of a GIF or multi-page TIFF
            img.load()
            img = ImageOps.exif_transpose(img)
            return _to_rgb(img)
    except UnreadablePhoto:
        raise
    except Image.DecompressionBombError:
        raise UnreadablePhoto("the picture is too large (over 80 megapixels): it may be a decompression bomb") from None
    except Image.UnidentifiedImageError:
        raise UnreadablePhoto("not a picture Teachkit can read (the file is damaged or not an image)") from None
    except (OSError, SyntaxError, EOFError, ValueError) as e:
        raise UnreadablePhoto(f"the file is damaged or incomplete ({e})") from None

"""Screenshots of the classify page for the README: a site rendered from a Teachable Machine export,
a few of its sample photos classified through the file input, at desktop and phone sizes.

    .venv/bin/python scripts/screenshots.py                      # -> docs/screenshots/*.png
    .venv/bin/python scripts/screenshots.py --export path/to/export --photos a.jpg b.jpg

Uses the test suite's headless Chromium (tests/chromium.py: Playwright's own or Debian's). The site
is opened from file://, as from a USB stick; nothing is loaded from the network.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # teachkit and tests/chromium.py, when run from a checkout

EXPORT = ROOT.parent / "shared" / "fixtures" / "tm-exports" / "animals-4class"
OUT = ROOT / "docs" / "screenshots"
#: (file name, viewport, phone?)
SIZES = [("classify-desktop.png", (1280, 800), False), ("classify-phone.png", (360, 740), True)]
#: Kept small for the repository: a PNG over this is reduced to 256 colours.
MAX_BYTES = 300_000
READY_MS = 180_000


def sample_photos(export: Path) -> list[Path]:
    """The first sample photo of each class of a Teachable Machine export's samples/ folder."""
    samples = export / "samples"
    if not samples.is_dir():
        sys.exit(f"{export} has no samples/ folder: name the photos with --photos")
    return [
        min(p for p in d.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        for d in sorted(p for p in samples.iterdir() if p.is_dir())
    ]


def small_png(png: bytes) -> bytes:
    """The screenshot as is if small enough, else reduced to a 256-colour palette (photos and text
    stay legible, the file shrinks several times)."""
    from PIL import Image

    if len(png) <= MAX_BYTES:
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, "PNG", optimize=True
    )
    return out.getvalue()


def shoot(browser: Any, index: Path, photos: list[Path], viewport: tuple[int, int], phone: bool) -> bytes:
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, is_mobile=phone, has_touch=phone
    )
    try:
        page = context.new_page()
        page.goto(index.as_uri() + "?backend=wasm")
        page.wait_for_function("() => document.body.classList.contains('ready')", timeout=READY_MS)
        page.set_input_files("#photos", [str(p) for p in photos])
        page.wait_for_function(
            "(n) => document.querySelectorAll('#results .result').length === n", arg=len(photos), timeout=READY_MS
        )
        page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        return page.screenshot(type="png")
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--export", type=Path, default=EXPORT, help="a Teachable Machine export (folder or .zip)")
    parser.add_argument("--photos", type=Path, nargs="+", help="photos to classify (default: one sample per class)")
    parser.add_argument("--title", default="Which animal is it?", help="the site's title")
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go (default: docs/screenshots/)")
    args = parser.parse_args(argv)
    if not args.export.exists():
        sys.exit(f"{args.export} does not exist: name a Teachable Machine export with --export")
    photos = args.photos or sample_photos(args.export)

    from playwright.sync_api import sync_playwright

    from teachkit.site import build_site
    from tests import chromium

    with tempfile.TemporaryDirectory() as tmp:
        if not args.photos:  # the samples are all "0.jpg": named after their class for the cards
            for photo in photos:
                shutil.copyfile(photo, Path(tmp) / f"{photo.parent.name}{photo.suffix}")
            photos = [Path(tmp) / f"{p.parent.name}{p.suffix}" for p in photos]
        site = build_site(args.export, Path(tmp) / "dist", title=args.title)
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = chromium.launch(p)
            try:
                for name, viewport, phone in SIZES:
                    png = small_png(shoot(browser, site / "index.html", photos, viewport, phone))
                    (args.out / name).write_bytes(png)
                    print(f"{args.out / name}: {viewport[0]}x{viewport[1]}, {len(png) // 1000} KB")
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The Teach page's screenshot for the README: a site rendered from a Teachable Machine export,
three classes of its sample photos added, trained, one photo tried; the whole page at 1280 px.

    .venv/bin/python scripts/screenshot_teach.py          # -> docs/screenshots/teach.png

Opened from file:// in the test suite's headless Chromium, as scripts/screenshots.py does.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.screenshots import EXPORT, OUT, READY_MS, small_png  # noqa: E402

CLASSES = ("elephants", "butterflies", "chickens")
PER_CLASS = 12
ADD = """async ([i, items]) => teachkit.teach.addExamples(i, items.map((b64) =>
    new Blob([Uint8Array.fromBase64(b64)], {type: 'image/jpeg'})))"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT / "teach.png")
    args = parser.parse_args(argv)
    samples = EXPORT / "samples"
    if not samples.is_dir():
        sys.exit(f"{samples} is absent (the shared fixtures)")

    from playwright.sync_api import sync_playwright

    from teachkit.site import build_site
    from tests import chromium

    with tempfile.TemporaryDirectory() as tmp:
        site = build_site(EXPORT, Path(tmp) / "dist", title="Which animal is it?")
        with sync_playwright() as p:
            browser = chromium.launch(p)
            try:
                page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                page.goto((site / "teach.html").as_uri() + "?backend=wasm")
                page.wait_for_function("() => document.body.classList.contains('ready')", timeout=READY_MS)
                page.evaluate("() => teachkit.teach.addClass()")
                for i, label in enumerate(CLASSES):
                    page.evaluate("([i, name]) => teachkit.teach.renameClass(i, name)", [i, label])
                    photos = sorted((samples / label).glob("*.jpg"), key=lambda q: int(q.stem))[:PER_CLASS]
                    page.evaluate(ADD, [i, [base64.b64encode(q.read_bytes()).decode() for q in photos]])
                page.evaluate("() => teachkit.teach.train({seed: 0})")
                tried = sorted((samples / "butterflies").glob("*.jpg"), key=lambda q: int(q.stem))[40]
                page.set_input_files("#try-photos", [str(tried)])
                page.wait_for_function("() => document.querySelector('#try-results .result')", timeout=READY_MS)
                page.locator("#confusion button.cell").first.click()
                page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
                png = small_png(page.screenshot(type="png", full_page=True))
            finally:
                browser.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png)
    print(f"{args.out}: {len(png) // 1000} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

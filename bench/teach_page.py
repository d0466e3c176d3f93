"""The Teach page's webcam: adding an example (a camera frame to its kept embedding) against one
classification of a camera frame on the classify page's path, in the same page, same backend,
same frames, interleaved. Target (issue 10): at most 1.2x, so that recording never stutters the
preview.

    python bench/teach_page.py [--rounds 40] [--backend wasm] [--json out.json]

"Add" is what the record button's loop waits for per frame: the frame drawn to a canvas
(js/media.js), the frozen base's embedding (teach/embedder.py) while the browser encodes the JPEG
kept for the examples zip, the lesson's change and the thumbnail. The IndexedDB write that
follows runs in the background (teach/store.py's queue); it is printed beside, awaited after the
add, outside the ratio. "Classify" is model.Classifier.classify on the camera's
<video>: preprocessing, the full model (base + head), the "not sure" rule.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from common import BASE_EXPORT, Results, table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MEASURE = """
import asyncio, json
import js
from teachkit_app.model import Classifier
from teachkit_app.teach.main import state

teacher, started = state["teacher"], state["started"]
classifier = Classifier.from_started(teacher.tf, started)
video = js.document.getElementById("camera-video")
out = {"classify": [], "add": [], "keep": []}
for n in range(ROUNDS + 3):
    t0 = js.performance.now()
    await classifier.classify(video)
    t1 = js.performance.now()
    await teacher.add_picture(0, teacher.frame_picture(video))
    t2 = js.performance.now()
    await teacher.settled()
    t3 = js.performance.now()
    if n >= 3:  # the first ones warm the JPEG encoder and the keep up
        out["classify"].append(t1 - t0)
        out["add"].append(t2 - t1)
        out["keep"].append(t3 - t2)
    await asyncio.sleep(0.05)
json.dumps(out)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--backend", default="wasm")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from teachkit.site import build_site
    from tests import chromium
    from tests.site.conftest import StaticServer, wait_ready
    from tests.teach.camera_feed import write_y4m

    res = Results()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        dist = build_site(BASE_EXPORT, tmp / "dist")
        feed_photos = sorted((BASE_EXPORT / "samples" / "elephants").glob("*.jpg"))[:8]
        feed = write_y4m(feed_photos, tmp / "feed.y4m")
        server = StaticServer(dist).start()
        try:
            with sync_playwright() as pw:
                extra = ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={feed}"]
                browser = chromium.launch(pw, extra)
                context = browser.new_context(permissions=["camera"])
                page = context.new_page()
                page.goto(server.url + f"teach.html?backend={args.backend}")
                wait_ready(page)
                page.click("#camera-start")
                page.wait_for_function("() => document.getElementById('camera-video').readyState >= 2")
                code = MEASURE.replace("ROUNDS", str(args.rounds))
                out = json.loads(page.evaluate("(code) => teachkitPyodide.runPythonAsync(code)", code))
                backend = page.evaluate("() => teachkit.backend")
                browser.close()
        finally:
            server.stop()
    res.info["backend"] = backend
    res.add("teach.add_webcam_example_ms", "ms", out["add"], note="frame -> embedding + JPEG, in the lesson, shown")
    res.add("teach.keep_example_ms", "ms", out["keep"], note="then its JPEG and IndexedDB (in the background)")
    res.add("teach.classify_webcam_frame_ms", "ms", out["classify"], note="the classify page's path, same frames")
    ratio = res.ratio("teach.add / classify", "teach.add_webcam_example_ms", "teach.classify_webcam_frame_ms")
    res.target(f"Teach: add a webcam example <= 1.2x one classification ({backend})", ratio, 1.2, "x")
    print(table(res))
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Train speed of the Teach page beside Teachable Machine's own training, in one run.

    python bench/teach.py [--rounds 2] [--json FILE]

Both train a head on the same real embeddings (trashnet-subset photos, and for ten classes also
animals-4class photos with their mirror images, embedded by the build's base), in headless
Chromium on this machine:
- Teachkit: ``teachkit_app.teach.trainer.train`` in a rendered site's page (its Pyodide, TF.js
  4.22 on wasm, the app's wheel), the time it reports (``Trained.ms``: the split, both heads,
  the temperature, the rule and the held-out score);
- Teachable Machine: ``@teachablemachine/image`` 0.8.5 on TF.js 1.3.1 (bench/node_modules, as
  bench/site_speed.py uses them), ``createTeachable`` with a local checkpoint (the MobileNetV2 of
  a Teachable Machine export, cut at ``out_relu``: offline it cannot fetch Google's), then
  ``train({denseUnits: 100, epochs: 50, learningRate: 0.001, batchSize: 16})``, its website's
  settings, on its default backend. Its examples are the same embeddings, put in
  ``teachable.examples`` (what ``addExample`` stores after running the base on a picture): the
  base's time per picture is the same work on both sides and is not what is timed here.
Teachkit trains twice: on Teachable Machine's 1280 features (a teach-only site) and on the seven
depths' 2432 (a site of a model ``train`` made).
Rows: "2x50" (2 classes of 50) and "10x100"; targets: Teachkit within 3 s and 15 s (issue 10);
ratios: Teachkit's time over Teachable Machine's, medians of the rounds.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
from common import BASE_EXPORT, BENCH, ROOT, TRASHNET, Results, table

from tests.teach.snippets import embeddings_lesson

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

TM_FILES = {
    "tf.min.js": BENCH / "node_modules/@tensorflow/tfjs/dist/tf.min.js",
    "teachablemachine-image.min.js": BENCH / "node_modules/@teachablemachine/image/dist/teachablemachine-image.min.js",
}
SIZES = {"2x50": (2, 50), "10x100": (10, 100)}
TARGET_S = {"2x50": 3.0, "10x100": 15.0}
READY_TIMEOUT_MS = 180_000

TM_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>Teachable Machine's training</title>
<script src="tf.min.js"></script>
<script src="teachablemachine-image.min.js"></script>
<script>
  "use strict";
  // createTeachable with a local checkpoint, the examples' embeddings, then train() timed.
  globalThis.tmTrain = async (b64, counts) => {
    const all = new Float32Array(Uint8Array.fromBase64(b64).buffer);
    const width = all.length / counts.reduce((a, b) => a + b, 0);
    const labels = counts.map((_, i) => "class " + (i + 1));
    const teachable = await tmImage.createTeachable(
      { tfjsVersion: tf.version.tfjs, packageName: "@teachablemachine/image", modelName: "bench", labels },
      { checkpointUrl: "checkpoint/model.json", trainingLayer: "out_relu" });
    teachable.setLabels(labels);
    let k = 0;
    counts.forEach((n, c) => {
      for (let j = 0; j < n; j++, k++) teachable.examples[c].push(all.slice(k * width, (k + 1) * width));
    });
    const started = performance.now();
    await teachable.train({ denseUnits: 100, epochs: 50, learningRate: 0.001, batchSize: 16 });
    const ms = performance.now() - started;
    const backend = tf.getBackend();
    teachable.dispose();
    return { ms, backend, version: tf.version.tfjs };
  };
</script>
"""

OURS = (
    embeddings_lesson("benchTeach")
    + r"""
import json
from teachkit_app.teach import trainer
t = await trainer.train(js.tf, lesson, [f"class {i + 1}" for i in range(len(counts))], seed=0)
json.dumps({"ms": t.ms, "epochs": t.epochs, "epochs_run": t.epochs_run, "accuracy": t.heldout["accuracy"],
            "n": t.heldout["n"], "backend": str(js.tf.getBackend())})
"""
)


def _number(path: Path) -> int:
    found = re.search(r"(\d+)", path.stem)
    return int(found.group(1)) if found else 0


def lessons(depths: dict[str, int] | None = None) -> dict[str, tuple[np.ndarray, list[int]]]:
    """Each size's embeddings (rows class by class, float32) and its examples per class: from
    Teachable Machine's cut of the base (a teach-only site's), or read at ``depths`` (a site of a
    model ``train`` made: its Teach page learns on 2432 features)."""
    from teachkit.data import dataset, images, photos
    from teachkit.features import basemodel, embeddings

    base = basemodel.load(BASE_EXPORT, depths=depths)
    cache = embeddings.EmbeddingCache(ROOT / "models" / ".cache" / "embeddings", base)
    found = photos.scan(TRASHNET)
    infos, _ = dataset.inspect(found, ROOT / "models" / ".cache" / "photos")
    features, _, _ = embeddings.embed(infos, cache, set())
    by_class: list[np.ndarray] = []
    for label in found.labels:  # the first 100 photos of each class, in the order they were taken
        rows = sorted((i for i, info in enumerate(infos) if info.label == label), key=lambda i: _number(infos[i].path))
        by_class.append(features[rows[:100]])
    animals = BASE_EXPORT / "samples"
    for folder in sorted(p for p in animals.iterdir() if p.is_dir()):  # 50 photos and their mirror images
        pictures = [photos.decode(p) for p in sorted(folder.iterdir()) if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
        inputs = [images.to_input(p) for p in pictures[:50]]
        inputs += [x[:, ::-1] for x in inputs]
        by_class.append(embeddings.embed_inputs(base, np.stack(inputs)))
    out = {}
    for name, (n_classes, per) in SIZES.items():
        chosen = [c[:per] for c in by_class[:n_classes]]
        assert all(len(c) == per for c in chosen), f"{name}: not enough photos"
        out[name] = (np.concatenate(chosen).astype(np.float32), [per] * n_classes)
    return out


def checkpoint(dst: Path) -> None:
    """The base of a Teachable Machine export as the checkpoint TM's library loads for training:
    the MobileNetV2 model itself (its layer ``out_relu`` on top), without pooling or head."""
    from teachkit.core import tmformat

    base = tmformat.base_of(
        json.loads((BASE_EXPORT / "model.json").read_text()), (BASE_EXPORT / "weights.bin").read_bytes()
    )
    inner = next(x for x in tmformat._layers(base.layer) if x.get("class_name") in ("Model", "Functional"))
    topology = {
        "class_name": "Model",
        "config": inner["config"],
        "keras_version": base.keras_version,
        "backend": base.backend,
    }
    dst.mkdir(parents=True)
    manifest = [{"paths": ["weights.bin"], "weights": base.entries}]
    (dst / "model.json").write_text(json.dumps({"modelTopology": topology, "weightsManifest": manifest}))
    (dst / "weights.bin").write_bytes(base.data)


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    from teachkit.site import mime

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **mime.TYPES}

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    missing = [str(p) for p in TM_FILES.values() if not p.is_file()]
    if missing:
        print(f"Teachable Machine's library is missing ({', '.join(missing)}): run `npm ci` in bench/.")
        return 2
    from playwright.sync_api import sync_playwright

    from teachkit.features.basemodel import DEPTHS
    from teachkit.site import build_site
    from tests import chromium

    data = lessons()
    deep = lessons(DEPTHS)
    res = Results()
    # Timings here swing with what else runs on the 2 cores: the load is printed with the figures.
    res.info["load average at start"] = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        dist = build_site(BASE_EXPORT, Path(tmp) / "dist")
        tm = dist / "bench-tm"
        tm.mkdir()
        for name, src in TM_FILES.items():
            shutil.copyfile(src, tm / name)
        (tm / "train.html").write_text(TM_PAGE)
        checkpoint(tm / "checkpoint")
        server, url = serve(dist)
        try:
            with sync_playwright() as p:
                browser = chromium.launch(p)
                try:
                    for round_ in range(args.rounds):
                        for name, (rows, counts) in data.items():
                            payload = [base64.b64encode(rows.tobytes()).decode(), counts]
                            ours = run_ours(browser, url, payload)
                            wide = deep[name][0]
                            ours_deep = run_ours(browser, url, [base64.b64encode(wide.tobytes()).decode(), counts])
                            theirs = run_tm(browser, url, payload)
                            res.add(f"train {name} Teachkit (wasm)", "s", ours["ms"] / 1000)
                            res.add(f"train {name} Teachkit, seven depths (wasm)", "s", ours_deep["ms"] / 1000)
                            res.add(f"train {name} Teachable Machine ({theirs['backend']})", "s", theirs["ms"] / 1000)
                            res.info.setdefault(f"{name} Teachkit", []).append(ours)
                            res.info.setdefault(f"{name} Teachable Machine", []).append(theirs)
                            print(f"round {round_ + 1} {name}: Teachkit {ours}, Teachable Machine {theirs}", flush=True)
                finally:
                    browser.close()
        finally:
            server.shutdown()
    for name in SIZES:
        ours_key = f"train {name} Teachkit (wasm)"
        tm_key = next(k for k in res.figures if k.startswith(f"train {name} Teachable Machine"))
        res.ratio(f"train {name}: Teachkit / Teachable Machine", ours_key, tm_key)
        res.target(f"train {name} on wasm", res.median(ours_key), TARGET_S[name], "s")
        deep_key = f"train {name} Teachkit, seven depths (wasm)"
        res.target(f"train {name} on wasm, seven depths", res.median(deep_key), TARGET_S[name], "s")
    res.info["load average at end"] = os.getloadavg()
    print(table(res))
    print(f"load average (1, 5, 15 min): at start {res.info['load average at start']}, at end {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=1))
    return 0


def _page(browser: Any, address: str) -> tuple[Any, Any]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(address)
    return context, page


def run_ours(browser: Any, url: str, payload: list[Any]) -> dict[str, Any]:
    """One training in a fresh page of the site (Pyodide, TF.js on wasm, the app's wheel)."""
    context, page = _page(browser, url + "index.html?backend=wasm")
    try:
        page.evaluate(
            "(ms) => Promise.race([teachkit.ready, new Promise((_, no) => setTimeout(no, ms))])", READY_TIMEOUT_MS
        )
        page.evaluate("([embeddings, counts]) => { globalThis.benchTeach = {embeddings, counts}; }", payload)
        return json.loads(page.evaluate("(code) => teachkitPyodide.runPythonAsync(code)", OURS))
    finally:
        context.close()


def run_tm(browser: Any, url: str, payload: list[Any]) -> dict[str, Any]:
    """One training by Teachable Machine's library in a fresh page."""
    context, page = _page(browser, url + "bench-tm/train.html")
    try:
        return page.evaluate("([b64, counts]) => tmTrain(b64, counts)", payload)
    finally:
        context.close()


if __name__ == "__main__":
    raise SystemExit(main())

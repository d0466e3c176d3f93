"""The price of the multi-depth base in the page: one prediction, old model against new, same run.

    python bench/levers_cost.py [--rounds 40] [--backends wasm,webgl]

Exports two models with the same 6-class head shape: Teachable Machine's cut of the base (out_relu,
averaged: every Teachkit model before issue 11) and Teachkit's multi-depth base (basemodel.DEPTHS),
through `teachkit.model.export.layers_model`, as a build writes them. Headless Chromium loads
both with the site's pinned TF.js (4.22, from the npm cache the build keeps) on each backend and
times `model.predict` on one 224x224 input, the two models alternating, after a warm-up. Prints
each model's median and the ratio new/old per backend; the budget (issue 11) is 1.15x.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from teachkit import tfenv  # noqa: E402
from teachkit.features import basemodel  # noqa: E402
from teachkit.model import export  # noqa: E402
from teachkit.paths import user_cache  # noqa: E402

DEFAULT_BASE = ROOT.parent / "shared" / "fixtures" / "tm-exports" / "animals-4class"
TFJS = {
    "tensorflow-tfjs-4.22.0.tgz": ["package/dist/tf.min.js"],
    "tensorflow-tfjs-backend-wasm-4.22.0.tgz": [
        "package/dist/tf-backend-wasm.min.js",
        "package/dist/tfjs-backend-wasm-simd.wasm",
        "package/dist/tfjs-backend-wasm.wasm",
    ],
}
PAGE = """<!doctype html><meta charset="utf-8"><title>cost</title>
<script src="tf.min.js"></script><script src="tf-backend-wasm.min.js"></script>
<script>
globalThis.timeBoth = async (backend, rounds) => {
  if (backend === "wasm") tf.wasm.setWasmPaths(location.href.replace(/[^/]*$/, ""));
  await tf.setBackend(backend); await tf.ready();
  const models = { old: await tf.loadLayersModel("old/model.json"), new: await tf.loadLayersModel("new/model.json") };
  const x = tf.randomUniform([1, 224, 224, 3], -1, 1);
  const times = { old: [], new: [] };
  for (let k = 0; k < rounds + 3; k++) {
    for (const name of (k % 2 ? ["old", "new"] : ["new", "old"])) {
      const t0 = performance.now();
      const y = models[name].predict(x); await y.data(); y.dispose();
      if (k >= 3) times[name].push(performance.now() - t0);
    }
  }
  const median = (a) => { const s = [...a].sort((p, q) => p - q); return s[Math.floor(s.length / 2)]; };
  return { backend: tf.getBackend(), old: median(times.old), new: median(times.new) };
};
</script>"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # no line per request
        pass


def write_models(folder: Path, base_from: Path, depths: dict[str, int]) -> dict[str, int]:
    keras = tfenv.keras()
    sizes = {}
    for name, read_at in (("old", None), ("new", depths)):
        base = basemodel.load(base_from, depths=read_at)
        head = keras.Sequential(
            [
                keras.layers.Dense(100, activation="relu", input_shape=(base.features,), name="dense_hidden"),
                keras.layers.Dense(6, activation="softmax", use_bias=False, name="dense_classes"),
            ],
            name="head",
        )
        model_json, weights = export.layers_model(base, head)
        (folder / name).mkdir()
        (folder / name / "model.json").write_text(json.dumps(model_json))
        (folder / name / export.WEIGHTS).write_bytes(weights)
        sizes[name] = len(weights)
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--backends", default="wasm,webgl")
    parser.add_argument("--base-from", type=Path, default=DEFAULT_BASE)
    parser.add_argument("--depths", default=",".join(basemodel.DEPTHS), help="the new model's depths")
    args = parser.parse_args()
    import chromium
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        depths = {d: basemodel.DEPTHS[d] for d in args.depths.split(",")}
        sizes = write_models(folder, args.base_from, depths)
        for tarball, members in TFJS.items():
            with tarfile.open(user_cache() / "npm" / tarball) as tar:
                for member in members:
                    (folder / Path(member).name).write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
        (folder / "index.html").write_text(PAGE)
        handler = functools.partial(Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(f"weights.bin: old {sizes['old'] / 2**20:.2f} MB, new {sizes['new'] / 2**20:.2f} MB")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium.executable(p), args=chromium.ARGS)
            for backend in args.backends.split(","):
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
                got = page.evaluate("([b, r]) => timeBoth(b, r)", [backend, args.rounds])
                ratio = got["new"] / got["old"]
                print(f"{got['backend']:>6}: old {got['old']:.1f} ms, new {got['new']:.1f} ms, new/old {ratio:.2f}x")
                page.close()
            browser.close()
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

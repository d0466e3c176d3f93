"""Parts 2-5: the site in headless Chromium beside the pages a user would compare it with.

    python bench/site_speed.py [--quick]

One site is rendered (``teachkit.site.build_site``) for a real Teachable Machine export; the
comparison pages (bench/pages/) are written into it (dist/bench-*.html, dist/bench/) so that every page loads the
very same vendored bytes (Pyodide, TF.js, the model) from the same origin or folder:
- pyodide-plain.html: bare ``loadPyodide({indexURL})`` over http (raw files; cannot work from file://);
- pyodide.html: bare ``loadPyodide`` through the site's asset registry (works from file:// too);
- tfjs.html: the same model with TF.js alone, preprocessing in TF.js ops, no Pyodide (and the
  site's webcam loop: js/media.js's frame clock, TF.js reading the video);
- tm.html: Teachable Machine's sample page (tfjs 1.3.1 + @teachablemachine/image 0.8.5, npm ci in bench/).
Each run launches a fresh browser. Ready = navigation start to model loaded and warmed up (for
the bare Pyodide pages: ``loadPyodide`` resolved). Latency = upload (the file input's change
event) to the result's bars in the DOM, timed inside the page by the same harness for every page;
every page decodes the file, preprocesses, predicts and draws the site's result card (thumbnail,
name, verdict, bars) with the site's stylesheet, so that the pages do the same work.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import BASE_EXPORT, BENCH, TRASHNET, Results

from teachkit.site import assets
from tests import chromium  # common put the project root on the path

os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

#: The fake camera's frame rate: Chromium's default is 20 frames/s, which would cap the webcam
#: figure below the 30 frames/s target; at 60 the figure is what the prediction loop can do.
CAMERA_FPS = 60
#: The same for every run of every page: a fake camera (webcam frames/s), precise heap figures.
EXTRA_ARGS = [
    f"--use-fake-device-for-media-stream=fps={CAMERA_FPS}",
    "--use-fake-ui-for-media-stream",
    "--enable-precise-memory-info",
]
READY_TIMEOUT_MS = 120_000
BACKENDS = ("webgl", "wasm", "cpu")
PAGES = BENCH / "pages"
TM_FILES = {
    "tf.min.js": BENCH / "node_modules/@tensorflow/tfjs/dist/tf.min.js",
    "teachablemachine-image.min.js": BENCH / "node_modules/@teachablemachine/image/dist/teachablemachine-image.min.js",
}

# Installed before any page script: records when the site calls teachkitBridge.connect (ready) or
# fail, without touching the site's code.
SITE_HOOK = """
(() => {
  globalThis.__benchReady = null;
  globalThis.__benchError = null;
  let bridge;
  Object.defineProperty(globalThis, "teachkitBridge", {
    configurable: true,
    get() { return bridge; },
    set(v) {
      const connect = v.connect, fail = v.fail;
      v.connect = function (api) { globalThis.__benchReady = performance.now(); return connect.call(this, api); };
      v.fail = function (m) { globalThis.__benchError = String(m); return fail.call(this, m); };
      bridge = v;
    },
  });
})();
"""

# The upload harness, the same for every page: a File set on #photos, timed to the new <article>.
HARNESS = """
async (b64s) => {
  const files = b64s.map((b, i) => {
    const raw = atob(b);
    const bytes = new Uint8Array(raw.length);
    for (let j = 0; j < raw.length; j++) bytes[j] = raw.charCodeAt(j);
    return new File([bytes], `photo-${i}.jpg`, { type: "image/jpeg" });
  });
  globalThis.__benchFiles = files;
  globalThis.__benchUpload = (file) => {
    const input = document.getElementById("photos");
    const grid = document.getElementById("results");
    const before = grid.querySelectorAll("article").length;
    return new Promise((resolve) => {
      let t0;
      const mo = new MutationObserver(() => {
        if (grid.querySelectorAll("article").length > before) { mo.disconnect(); resolve(performance.now() - t0); }
      });
      mo.observe(grid, { childList: true });
      const dt = new DataTransfer();
      dt.items.add(file);
      input.files = dt.files;
      t0 = performance.now();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  };
  return files.length;
}
"""


# -- the site and the pages ---------------------------------------------------------------------
def _config(dist: Path) -> dict[str, Any]:
    html = (dist / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="teachkit-config">(.*?)</script>', html, re.S)
    if not m:
        raise RuntimeError("the rendered index.html has no teachkit-config")
    return json.loads(m.group(1))


def _script_tags(srcs: list[str]) -> str:
    return "\n".join(f'<script src="{s}"></script>' for s in srcs)


def _decoded(asset: Path) -> bytes:
    """The bytes a site's encoded asset (``NAME.js``, teachkit/site/assets.py) registers."""
    return assets.read_asset(asset.read_text(encoding="ascii"))[1]


def _plain_copies(dist: Path, config: dict[str, Any]) -> tuple[dict[str, str], str]:
    """The comparison pages cannot run the site's compressed scripts (TF.js; the site's loader does)
    and Teachable Machine's page loads model.json by URL, which the site ships only encoded: the
    same bytes, decoded into dist/bench/plain/. Returns {site script: plain script}, model folder."""
    plain = dist / "bench" / "plain"
    (plain / "model").mkdir(parents=True)
    scripts = {}
    for s in config["scripts"]:
        if s.get("run"):
            name = Path(s["run"]).name
            (plain / name).write_bytes(_decoded(dist / s["src"]))
            scripts[s["src"]] = f"bench/plain/{name}"
    model = dist / config["model"]["dir"]
    for asset in model.glob("*.js"):
        (plain / "model" / asset.name.removesuffix(".js")).write_bytes(_decoded(asset))
    return scripts, "bench/plain/model/"


def prepare(tmp: Path) -> tuple[Path, dict[str, Any]]:
    """Render the site, then write the comparison pages into dist/bench/."""
    from teachkit.site import build_site, vendor

    dist = build_site(BASE_EXPORT, tmp / "dist")
    config = _config(dist)
    out = dist / "bench"
    out.mkdir()
    shutil.copyfile(PAGES / "common.js", out / "common.js")
    plain, model_dir = _plain_copies(dist, config)
    scripts = [plain.get(s["src"], s["src"]) for s in config["scripts"]]
    python = [s for s in scripts if s.startswith("runtime/pyodide/")]
    tfjs = [
        s for s in scripts if s.startswith(("runtime/tfjs/", "bench/plain/")) or s.startswith(config["model"]["dir"])
    ]
    sub = {
        "pyodide.html": {"@SCRIPTS@": _script_tags(python)},
        "tfjs.html": {"@SCRIPTS@": _script_tags(tfjs)},
        "pyodide-plain.html": {},
        "tm.html": {"@MODEL_DIR@": model_dir},
    }
    bench_config = config
    for name, repl in sub.items():
        text = (PAGES / name).read_text(encoding="utf-8")
        repl = {"@CONFIG@": json.dumps(bench_config).replace("</", "<\\/"), **repl}
        for k, v in repl.items():
            text = text.replace(k, v)
        (dist / f"bench-{name}").write_text(text, encoding="utf-8")
    (out / "pyodide").mkdir()
    for path, data in vendor.runtime()["pyodide"].items():
        (out / "pyodide" / Path(path).name).write_bytes(data)
    (out / "tm").mkdir()
    for name, src in TM_FILES.items():
        if not src.is_file():
            raise RuntimeError(f"{src} is missing: run `npm ci` in bench/ (Teachable Machine's sample page)")
        shutil.copyfile(src, out / "tm" / name)
    return dist, config


@contextmanager
def server(dist: Path) -> Iterator[str]:
    from teachkit.site.serve import make_server

    httpd = make_server(dist, port=0)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def photos(n: int) -> list[str]:
    """n trashnet photos (all classes in turn), base64: what a pupil uploads."""
    classes = sorted(p for p in TRASHNET.iterdir() if p.is_dir())
    lists = [sorted(c.glob("*.jpg")) for c in classes]
    chosen = [lists[i % len(lists)][i // len(lists)] for i in range(n)]
    return [base64.b64encode(p.read_bytes()).decode("ascii") for p in chosen]


# -- one run -------------------------------------------------------------------------------------
class Browser:
    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()

    def launch(self) -> Any:
        """A fresh Chromium, found as the tests find it (tests.chromium)."""
        return chromium.launch(self._pw, EXTRA_ARGS)

    def close(self) -> None:
        self._pw.stop()


def run_page(
    br: Browser,
    url: str,
    site: bool,
    uploads: list[str] | None = None,
    camera_s: float = 0,
    memory: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One fresh browser on ``url``: ready time, then optionally uploads, webcam and memory
    (``crashed``, Playwright's line, when the renderer died: ``tests.chromium.crashed``; a crash
    is a result, not the end of the run)."""
    browser = br.launch()
    out: dict[str, Any] = {}
    try:
        ctx = browser.new_context(viewport={"width": 1000, "height": 800})
        page = ctx.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        requests: list[str] = []
        page.on("request", lambda q: requests.append(q.url))
        if site:
            page.add_init_script(SITE_HOOK)
        page.goto(url, wait_until="commit")
        try:
            page.wait_for_function(
                "() => globalThis.__benchReady != null || globalThis.__benchError != null",
                timeout=READY_TIMEOUT_MS,
                polling=50,
            )
        except Exception as e:  # a page that never gets ready is a result, not a crash
            if chromium.crashed(e):
                raise
            out["error"] = f"not ready after {READY_TIMEOUT_MS / 1000:.0f} s ({type(e).__name__})"
            out["console"] = console[-5:]
            return out
        got = page.evaluate("() => ({ready: globalThis.__benchReady, error: globalThis.__benchError})")
        if got["error"]:
            out["error"] = got["error"]
            return out
        out["ready_ms"] = got["ready"]
        out["requests"] = list(requests)
        out["console"] = [c for c in console if c.startswith("teachkit:")]
        if site:
            out["backend"] = page.evaluate("() => teachkit.backend")
        if uploads:
            page.evaluate(HARNESS, uploads)
            times = page.evaluate(
                "async () => { const t = []; for (const f of __benchFiles) t.push(await __benchUpload(f)); return t; }"
            )
            out["first_ms"] = times[0]
            out["steady_ms"] = times[1:]
        if camera_s:
            out["camera_fps"], out["camera_rate"] = camera(page, site, camera_s)
        if memory:
            out["memory"] = measure_memory(page, ctx, site, *memory)
    except Exception as e:
        if not chromium.crashed(e):
            raise
        out["crashed"] = str(e).strip().splitlines()[0]
    finally:
        browser.close()
    return out


CAMERA_RATE = """() => {
  const stream = document.getElementById("camera-video").srcObject;
  return stream ? stream.getVideoTracks()[0].getSettings().frameRate : null;
}"""


def camera(page: Any, site: bool, seconds: float) -> tuple[list[float], float | None]:
    """Predictions per second of the webcam loop (fake capture device), per one-second window;
    and the camera's own frame rate (its track's settings)."""
    if site:
        page.click("#camera-start")
        page.wait_for_function("() => Number(document.getElementById('live').dataset.frames || 0) >= 1", timeout=60_000)
        rate = page.evaluate(CAMERA_RATE)
        stamps = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            stamps.append(
                page.evaluate("() => [performance.now(), Number(document.getElementById('live').dataset.frames || 0)]")
            )
            time.sleep(1.0)
        stamps.append(
            page.evaluate("() => [performance.now(), Number(document.getElementById('live').dataset.frames || 0)]")
        )
        page.click("#camera-stop")
        return [(b[1] - a[1]) / ((b[0] - a[0]) / 1000) for a, b in zip(stamps, stamps[1:], strict=False)], rate
    got = page.evaluate(f"async () => await benchCamera({seconds})")
    stamps, rate = got["stamps"], got["rate"]
    if len(stamps) < 2:
        return [0.0], rate
    t0 = stamps[0]
    windows: dict[int, int] = {}
    for s in stamps[1:]:
        windows[int((s - t0) // 1000)] = windows.get(int((s - t0) // 1000), 0) + 1
    full = [windows.get(i, 0) for i in range(int((stamps[-1] - t0) // 1000))]
    return [float(v) for v in full] or [len(stamps) / ((stamps[-1] - t0) / 1000)], rate


MEMORY_JS = """
async () => {
  const m = tf.memory();
  const out = {tensors: m.numTensors, tfBytes: m.numBytes};
  const py = globalThis.teachkitPyodide;
  if (py) {
    try { out.pyObjects = py.runPython("import gc; gc.collect(); len(gc.get_objects())"); } catch (e) {}
    try { out.wasmHeap = py._module.HEAPU8.length; } catch (e) {}
  }
  return out;
}
"""


def measure_memory(page: Any, ctx: Any, site: bool, first: int, total: int) -> dict[str, Any]:
    """tf.memory(), the JS heap (after a forced GC) and Pyodide's heap: after warm-up, after
    ``first`` predictions and after ``total``."""
    cdp = ctx.new_cdp_session(page)
    page.evaluate(
        """async () => {
          const canvas = await benchPageCanvas();
          globalThis.__benchCanvas = canvas;
        }""".replace(
            "benchPageCanvas()",
            "(async () => { const f = __benchFiles[0]; "
            "const b = await createImageBitmap(f); const c = document.createElement('canvas'); "
            "c.width = b.width; c.height = b.height; c.getContext('2d').drawImage(b, 0, 0); return c; })()",
        )
    )
    classify = "teachkit.classify(__benchCanvas)" if site else "benchClassify(__benchCanvas)"

    def snap() -> dict[str, Any]:
        cdp.send("HeapProfiler.collectGarbage")
        s = page.evaluate(MEMORY_JS)
        s["jsHeap"] = cdp.send("Runtime.getHeapUsage")["usedSize"]
        return s

    snaps: dict[str, Any] = {"warm": snap()}
    # The model path alone (canvas in, probabilities out: no decoding, no DOM), timed per call.
    snaps["classify_ms"] = page.evaluate(
        f"async () => {{ const t = []; for (let i = 0; i < 30; i++) {{ const s = performance.now(); "
        f"await {classify}; t.push(performance.now() - s); }} return t; }}"
    )
    done = 30
    for mark in (first, total):
        page.evaluate(f"async () => {{ for (let i = 0; i < {mark - done}; i++) await {classify}; }}")
        done = mark
        snaps[str(mark)] = snap()
    return snaps


# -- size ----------------------------------------------------------------------------------------
PARTS = ("pyodide", "tfjs", "model", "app")


def _part(rel: str) -> str:
    """Which part of the site a file of dist/ belongs to: Pyodide, TF.js, the model, or the app
    (its wheel, pages, scripts, style)."""
    if rel.startswith("runtime/pyodide/"):
        return "pyodide"
    if rel.startswith("runtime/tfjs/"):
        return "tfjs"
    if rel.startswith("model-"):
        return "model"
    return "app"


def _add_sizes(res: Results, prefix: str, files: list[tuple[str, bytes]], raw: str = "disk") -> dict[str, list[int]]:
    """Per part: the files' bytes (``raw``: as on disk) and gzip-compressed (level 6, what a gzip server sends)."""
    parts: dict[str, list[int]] = {part: [0, 0] for part in PARTS}
    for rel, data in files:
        t = parts[_part(rel)]
        t[0] += len(data)
        t[1] += len(gzip.compress(data, compresslevel=6))
    for part, (n, gz) in parts.items():
        res.add(f"{prefix}.{part}.{raw}", "MB", n / 1e6)
        res.add(f"{prefix}.{part}.gzip", "MB", gz / 1e6)
    return parts


def sizes(dist: Path, res: Results) -> None:
    """dist/ on disk and gzip-compressed (as a server with gzip sends it), per part."""
    files = [
        (p.relative_to(dist).as_posix(), p.read_bytes())
        for p in sorted(dist.rglob("*"))
        if p.is_file() and p.relative_to(dist).parts[0] != "bench" and not p.name.startswith("bench-")
    ]
    parts = _add_sizes(res, "size", files)
    res.add("size.total.disk", "MB", sum(v[0] for v in parts.values()) / 1e6, note="dist/ on disk (the USB case)")
    res.add("size.total.gzip", "MB", sum(v[1] for v in parts.values()) / 1e6, note="transferred, gzip level 6")


def transferred(dist: Path, base: str, res: Results) -> None:
    """What the site's page actually downloads until ready (hosted), per part, gzip-compressed."""
    urls = res.info.pop("transferred", None)
    if not urls:
        return
    seen: dict[str, bytes] = {}
    for url in urls:
        rel = url[len(base) :].split("?")[0] if url.startswith(base) else None
        if rel is not None and rel not in seen and (dist / rel).is_file():
            seen[rel] = (dist / rel).read_bytes()
    parts = _add_sizes(res, "size.loaded", list(seen.items()), raw="raw")
    total_raw, total_gz = (sum(v[i] for v in parts.values()) for i in (0, 1))
    res.add("size.loaded.raw", "MB", total_raw / 1e6, note=f"the {len(seen)} files the page loads until ready")
    res.add("size.loaded.gzip", "MB", total_gz / 1e6, note="the same, as a gzip server sends them")


# -- the whole part ------------------------------------------------------------------------------
def _stage_times(console: list[str], ready_s: float) -> dict[str, float]:
    """The site's own loading-screen log, as seconds spent in each stage, per lane.

    The loader logs "teachkit: <seconds since it started> s: <lane>: <stage>" for its lanes
    (scripts, python, model: they run side by side) and "<lane>: done" when a lane is finished;
    a stage lasts until the next line of its lane (the last one until ready). Loading the scripts
    is one stage ("scripts"), whatever they hold."""
    lanes: dict[str, list[tuple[str, float]]] = {}
    for line in console:
        m = re.match(r"teachkit: ([\d.]+) s: (\w+): (.*)", line)
        if not m:
            continue
        t, lane, stage = float(m.group(1)), m.group(2), m.group(3).split("…")[0].strip()
        steps = lanes.setdefault(lane, [])
        if lane == "scripts" and stage != "done":
            stage = "load"
        if not steps or steps[-1][0] != stage:
            steps.append((stage, t))
    out = {}
    for lane, steps in lanes.items():
        ends = [t for _, t in steps[1:]] + [ready_s]
        for (stage, t), end in zip(steps, ends, strict=True):
            if stage != "done":
                out[f"{lane}: {stage}"] = round(end - t, 3)
    return out


def _record(res: Results, name: str, r: dict[str, Any], camera_s: float, mem: tuple[int, int]) -> None:
    res.add(f"{name}.ready", "s", r["ready_ms"] / 1000)
    if r.get("backend"):
        res.info[f"{name}.backend"] = r["backend"]
    if "first_ms" in r:
        res.add(f"{name}.first", "ms", r["first_ms"], note="first prediction after ready, one per run")
        res.add(f"{name}.steady", "ms", r["steady_ms"], note="upload to bars, per photo")
    if "camera_fps" in r:
        res.add(
            f"{name}.webcam",
            "frames/s",
            r["camera_fps"],
            lower_is_better=False,
            note=f"{camera_s:.0f} s, per 1 s window; fake camera at {r.get('camera_rate') or '?'} frames/s",
        )
    if "memory" in r:
        m = r["memory"]
        res.add(
            f"{name}.classify", "ms", m.pop("classify_ms"), note="classify(canvas) only: no decoding, no DOM (30 calls)"
        )
        res.info[f"{name}.memory"] = m
        a, b = str(mem[0]), str(mem[1])
        for key, unit, scale in (
            ("jsHeap", "MB", 1e6),
            ("tensors", "tensors", 1),
            ("wasmHeap", "MB", 1e6),
            ("pyObjects", "objects", 1),
        ):
            short = {"jsHeap": "jsheap", "wasmHeap": "pyheap", "pyObjects": "pyobjects"}.get(key, key)
            for mark in ("warm", a, b):
                if key in m[mark]:
                    res.add(
                        f"{name}.mem.{short}.{mark}",
                        unit,
                        m[mark][key] / scale,
                        note="after a forced GC" if key == "jsHeap" else "",
                    )


def run(res: Results, quick: bool, log: Any = print, rounds: int | None = None) -> None:
    """Every configuration once per round, rounds repeated: load changes on this shared machine
    then touch every configuration alike, and ratios compare like with like."""
    runs = rounds or (3 if quick else 5)
    per_run = 7 if quick else 10  # steady photos per run: 21 (quick) or 50 (full) per configuration
    camera_s = 5 if quick else 20
    mem = (100, 300) if quick else (100, 1000)
    backends = ("wasm",) if quick else BACKENDS
    res.info["site_model"] = str(BASE_EXPORT)
    res.info["memory_marks"] = list(mem)
    uploads = photos(1 + runs * per_run)
    with tempfile.TemporaryDirectory(prefix="teachkit-bench-site-") as tmp:
        dist, config = prepare(Path(tmp))
        sizes(dist, res)
        br = Browser()
        try:
            with server(dist) as base:
                modes = {"hosted": base, "file": dist.as_uri() + "/"}
                plan: list[tuple[str, str, str, str | None]] = []  # (key, page, mode, backend)
                for mode in modes:
                    if mode == "hosted":
                        plan.append(("pyodide-plain", "bench-pyodide-plain.html", mode, None))
                    if mode == "file" or not quick:  # hosted, the plain page is the baseline
                        plan.append(("pyodide", "bench-pyodide.html", mode, None))
                    plan.append(("tm", "bench-tm.html", mode, None))
                    for b in backends:
                        plan.append(("tfjs", "bench-tfjs.html", mode, b))
                        plan.append(("site", "index.html", mode, b))
                    if mode == "hosted":
                        plan.append(("site", "index.html", mode, "default"))
                failed: set[str] = set()
                stages: dict[str, list[dict[str, float]]] = {}
                crashes: dict[str, int] = {}
                for i in range(runs):
                    last = i == runs - 1
                    for key, rel, mode, backend in plan:
                        name = f"{key}.{mode}" + (f".{backend}" if backend else "")
                        if name in failed:
                            continue
                        query = f"?backend={backend}" if backend and backend != "default" else ""
                        url = modes[mode] + rel + query
                        has_model = key in ("tfjs", "tm", "site")
                        n = 2 if backend == "cpu" else per_run
                        batch = [uploads[0]] + uploads[1 + i * per_run : 1 + i * per_run + n] if has_model else None
                        cam = (
                            camera_s
                            if last and key in ("site", "tfjs") and mode == "hosted" and backend == "wasm"
                            else 0
                        )
                        memory = (
                            mem if last and key in ("site", "tfjs") and mode == "hosted" and backend == "wasm" else None
                        )
                        t = time.monotonic()
                        r = run_page(br, url, site=key == "site", uploads=batch, camera_s=cam, memory=memory)
                        if "crashed" in r:
                            outcome = f"the browser CRASHED ({r['crashed']}); run left out"
                        elif "ready_ms" in r:
                            outcome = f"ready {r['ready_ms'] / 1000:.2f} s"
                        else:
                            outcome = f"FAILS: {r.get('error')}"
                        log(f"  round {i + 1}/{runs} {name}: {outcome} ({time.monotonic() - t:.0f} s wall)")
                        if "crashed" in r:
                            crashes[name] = crashes.get(name, 0) + 1
                            continue
                        if "error" in r:
                            res.fail(f"{name}.ready", "s", r["error"][:90])
                            failed.add(name)
                            continue
                        _record(res, name, r, camera_s, mem)
                        if key == "site":
                            stages.setdefault(name, []).append(_stage_times(r.get("console", []), r["ready_ms"] / 1000))
                        if key == "site" and mode == "hosted" and backend == "wasm" and "transferred" not in res.info:
                            res.info["transferred"] = r.get("requests", [])
                for name, st in stages.items():
                    res.info[f"{name}.stages_s"] = st
                res.info["crashes"] = crashes
                for name, n in crashes.items():
                    log(f"  {name}: the browser crashed in {n} of {runs} runs")
                transferred(dist, base, res)
        finally:
            br.close()


def targets(res: Results) -> None:
    m = res.median
    for mode, bare in (("hosted", "pyodide-plain.hosted"), ("file", "pyodide.file")):
        r = res.ratio(f"ready site/bare-pyodide {mode} wasm", f"site.{mode}.wasm.ready", f"{bare}.ready")
        res.target(f"Ready {mode} (wasm) <= 1.3x bare loadPyodide", r, 1.3, "x")
    res.ratio("ready bare-pyodide registry/plain hosted", "pyodide.hosted.ready", "pyodide-plain.hosted.ready")
    for b in BACKENDS:
        for mode in ("hosted", "file"):
            if m(f"site.{mode}.{b}.steady") is not None:
                r = res.ratio(f"steady site/tfjs {mode} {b}", f"site.{mode}.{b}.steady", f"tfjs.{mode}.{b}.steady")
                if b == "wasm":
                    res.target(f"Steady latency {mode} (wasm) <= 1.15x TF.js alone", r, 1.15, "x")
            if m(f"site.{mode}.{b}.ready") is not None:
                res.ratio(f"ready site/tfjs {mode} {b}", f"site.{mode}.{b}.ready", f"tfjs.{mode}.{b}.ready")
    res.ratio("classify only site/tfjs hosted wasm", "site.hosted.wasm.classify", "tfjs.hosted.wasm.classify")
    res.ratio("steady tm(webgl)/site(wasm) hosted", "tm.hosted.steady", "site.hosted.wasm.steady")
    res.ratio("steady tm(webgl)/tfjs(wasm) hosted", "tm.hosted.steady", "tfjs.hosted.wasm.steady")
    res.target("Webcam (wasm, hosted) >= 30 frames/s", m("site.hosted.wasm.webcam"), 30, "frames/s", at_most=False)
    res.ratio("webcam site/tfjs hosted wasm", "site.hosted.wasm.webcam", "tfjs.hosted.wasm.webcam")
    for mode, b in (("hosted", "wasm"), ("hosted", "default"), ("file", "wasm")):
        site_ready = m(f"site.{mode}.{b}.ready")
        if site_ready is None:
            continue
        r = res.ratio(f"ready site {b}/tm {mode}", f"site.{mode}.{b}.ready", f"tm.{mode}.ready")
        tm_fails = m(f"tm.{mode}.ready") is None
        res.target(
            f"Ready {mode} ({b}) faster than Teachable Machine's page (ratio < 1)",
            0.0 if tm_fails else r,
            1.0,
            "x" + (" (0: TM's page cannot load)" if tm_fails else ""),
        )
    res.target("dist/ on disk <= 12 MB", m("size.total.disk"), 12, "MB")
    loaded = m("size.loaded.gzip")
    res.target(
        "dist/ gzip-compressed <= 9 MB" + (" (what the page loads)" if loaded else " (every file)"),
        loaded if loaded is not None else m("size.total.gzip"),
        9,
        "MB",
    )
    a, b = res.info.get("memory_marks", [100, 1000])
    for what, unit, limit in (
        ("jsheap", "MB", 1.0),
        ("tensors", "tensors", 0),
        ("pyheap", "MB", 0.0),
        ("pyobjects", "objects", 50),
    ):
        x, y = m(f"site.hosted.wasm.mem.{what}.{a}"), m(f"site.hosted.wasm.mem.{what}.{b}")
        res.target(f"Memory flat {a}->{b} predictions: {what} growth", None if x is None else y - x, limit, unit)


if __name__ == "__main__":
    from common import table

    r = Results()
    run(r, "--quick" in sys.argv)
    targets(r)
    print(table(r))
    print(json.dumps(r.info, indent=1))

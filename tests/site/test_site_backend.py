"""The backend chosen by measuring where the renderer's name says nothing (WebKit's "Apple GPU"),
remembered per browser; the per-photo time on the About page; a tainted picture's sentence; the
camera list hidden until a camera starts. Timings are never asserted: only which was kept."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest

from teachkit.site import vendor

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: WebGL naming no chip, as WebKit does: the page cannot tell whether it is drawn in software.
#: (Headless Chromium's WebGL is SwiftShader underneath.)
APPLE_GPU = """
(() => {
  for (const C of [WebGLRenderingContext, WebGL2RenderingContext]) {
    const get = C.prototype.getParameter;
    C.prototype.getParameter = function (p) {
      return p === 0x9246 ? "Apple GPU" : get.call(this, p);  // 0x9246: UNMASKED_RENDERER_WEBGL
    };
  }
})();
"""

#: WebGL that answers the page's question about its renderer, then never starts again (TF.js's
#: backend gets no context): a remembered WebGL that no longer works (a driver update, a setting).
WEBGL_GONE_AFTER_FIRST = """
(() => {
  let first = true; // the page's own question, on an HTML canvas; TF.js's WebGL 2 is offscreen
  for (const C of [HTMLCanvasElement, globalThis.OffscreenCanvas].filter(Boolean)) {
    const get = C.prototype.getContext;
    C.prototype.getContext = function (type, ...rest) {
      if (/webgl/i.test(type)) {
        if (!first || C !== HTMLCanvasElement) return null;
        first = false;
      }
      return get.call(this, type, ...rest);
    };
  }
})();
"""

CHOICE = re.compile(r"teachkit: backend: (\{.*\})$")
TIMING = "Timing the model on "


def storage_key() -> str:
    """The page's localStorage key for the animals model (224x224 RGB) with the pinned TF.js."""
    tfjs = next(p for p in vendor.read_lock() if p.name == "@tensorflow/tfjs")
    return f"teachkit.backend/{tfjs.version}/224x224x3"


def started(console: list[str]) -> dict:
    """What js/tfstart.js logged about its choice: {backend, how, ms, renderer}."""
    found = [json.loads(m[1]) for m in map(CHOICE.search, console) if m]
    assert found, "js/tfstart.js logged no choice"
    return found[-1]


def load(site, tools, url: str) -> list[str]:
    """Open ``url`` in the site's page until ready; the console lines of that load only."""
    before = len(site.console)
    site.page.goto(url)
    tools.wait_ready(site.page)
    return site.console[before:]


def remembered(site) -> dict:
    return json.loads(site.page.evaluate("(key) => localStorage.getItem(key)", storage_key()))


KINDS = [
    ("Apple GPU", "unknown"),
    ("Mozilla", "unknown"),
    ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)", "software"),
    ("llvmpipe (LLVM 15.0.7, 256 bits)", "software"),
    ("ANGLE (Intel, Intel(R) UHD Graphics 620 Direct3D11, D3D11)", "hardware"),
    ("ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)", "hardware"),
    ("ANGLE (Apple, ANGLE Metal Renderer: Apple M2, Unspecified Version)", "hardware"),
    ("Adreno (TM) 640", "hardware"),
    (None, "none"),
]


@pytest.mark.parametrize(("renderer", "kind"), KINDS)
def test_what_a_renderer_name_tells(hosted, renderer: str | None, kind: str) -> None:
    assert hosted.page.evaluate("(r) => teachkitTf.rendererKind(r)", renderer) == kind


def test_an_unknown_renderer_is_timed_and_the_faster_kept_remembered_and_shown(browser, tools, animals_server) -> None:
    url = animals_server.url
    site = tools.open_site(browser, url + "index.html", inside=url, init_script=APPLE_GPU)
    try:
        # first start: both timed, the faster kept and remembered
        first = started(site.console)
        assert first["renderer"] == "Apple GPU" and first["how"] == "measured", first
        assert set(first["ms"]) == {"webgl", "wasm"}, first
        fastest = min(first["ms"], key=first["ms"].get)
        assert first["backend"] == fastest == site.page.evaluate("teachkit.backend")
        assert site.page.inner_text("#backend") == fastest
        assert sum(TIMING in line for line in site.console) == 2
        assert remembered(site) == {"choice": fastest, "ms": first["ms"]}
        assert site.page.inner_text("#messages") == ""  # nothing failed: no note

        # the About page shows the time of the backend kept
        site.page.goto(url + "about.html")
        site.page.wait_for_load_state("load")
        line = site.page.locator("#per-photo")
        assert line.is_visible()
        name = {"webgl": "WebGL", "wasm": "WebAssembly"}[fastest]
        ms = max(1, math.floor(first["ms"][fastest] + 0.5))  # JavaScript's Math.round
        assert line.inner_text() == f"On this computer the model takes about {ms} ms per photo ({name})."

        # the next start takes the remembered choice without timing anything
        again = load(site, tools, url + "index.html")
        assert started(again) == {**first, "how": "remembered", "ms": {fastest: first["ms"][fastest]}}
        assert not any(TIMING in line for line in again)
        assert site.page.evaluate("teachkit.backend") == fastest

        # ?backend= still wins, and leaves the remembered choice alone
        other = "webgl" if fastest == "wasm" else "wasm"
        forced = load(site, tools, url + f"index.html?backend={other}")
        assert started(forced)["how"] == "forced" and site.page.evaluate("teachkit.backend") == other
        assert not any(TIMING in line for line in forced)
        assert remembered(site)["choice"] == fastest
        assert site.errors == [] and site.outside == []
    finally:
        site.close()


def test_a_remembered_backend_that_no_longer_starts_is_timed_again(browser, tools, animals_server) -> None:
    url = animals_server.url
    seed = f"localStorage.setItem({json.dumps(storage_key())}, JSON.stringify({{choice: 'webgl', ms: {{webgl: 5}}}}));"
    script = APPLE_GPU + WEBGL_GONE_AFTER_FIRST + seed
    site = tools.open_site(browser, url + "index.html", inside=url, init_script=script)
    try:
        choice = started(site.console)
        assert choice["how"] == "measured" and choice["backend"] == "wasm", choice
        assert set(choice["ms"]) == {"wasm"}  # WebGL was not timed: it did not start
        assert site.page.evaluate("teachkit.backend") == "wasm"
        assert "cannot use WebGL" in site.page.inner_text("#messages")
        assert remembered(site)["choice"] == "wasm"
        assert site.outside == []
    finally:
        site.close()


def test_the_renderer_name_decides_without_timing_where_it_can(hosted) -> None:
    """Headless Chromium names SwiftShader: wasm at once, nothing timed but the backend in use."""
    choice = started(hosted.console)
    assert choice["how"] == "forced" and set(choice["ms"]) <= {"wasm"}
    assert not any(TIMING in line for line in hosted.console)


def test_a_file_url_image_of_the_sites_folder_says_what_to_pass(
    browser, tools, animals_site, tm_exports, tmp_path
) -> None:
    """From file://, Chromium gives each file its own origin: an <img> of the site's folder taints
    the canvas. The sentence says what to pass instead."""
    dist = tmp_path / "dist"
    shutil.copytree(animals_site, dist)
    _, photo = tools.samples(tm_exports / "animals-4class", per_class=1)[0]
    shutil.copy(photo, dist / ("photo" + Path(photo).suffix))
    inside = dist.as_uri() + "/"
    site = tools.open_site(browser, inside + "index.html?backend=wasm", inside=inside)
    try:
        got = site.page.evaluate(
            """async (src) => {
              const img = new Image();
              img.src = src;
              await img.decode();
              try { return {result: await teachkit.classify(img)}; }
              catch (e) { return {name: e.constructor.name, message: String(e.message)}; }
            }""",
            "photo" + Path(photo).suffix,
        )
        assert got == {
            "name": "Error",
            "message": "The picture comes from another origin (from file:// every file is one), so the "
            "browser will not let this page read its pixels: pass the picture as a File or Blob (from a file "
            "input, drop or paste), or serve the site's folder from a web server.",
        }
        assert not re.search(r"[.!?:]\s+[A-Z]", got["message"])  # one sentence
        assert site.classify_file(photo)["label"]  # the same photo as a Blob is fine
    finally:
        site.close()


def test_the_camera_list_is_hidden_until_a_camera_starts(hosted) -> None:
    page = hosted.page
    assert page.is_visible("#camera-start")
    assert not page.is_visible("#camera-choice")
    # hidden by its attribute alone: shown the moment the camera code clears it
    page.evaluate("document.getElementById('camera-choice').hidden = false")
    try:
        assert page.is_visible("#camera-choice")
    finally:
        page.evaluate("document.getElementById('camera-choice').hidden = true")

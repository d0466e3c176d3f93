"""The page's start: TF.js, the model and its warm-up start while Python starts, and the backend
choice (WebGL, wasm, cpu; a WebGL drawn in software after wasm)."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: What the loader logs for each step: "teachkit: <seconds> s: <lane>: <step>".
STEP = re.compile(r"teachkit: ([\d.]+) s: (\w+): (.*)")


def steps(console: list[str]) -> list[tuple[float, str, str]]:
    return [(float(m[1]), m[2], m[3]) for m in map(STEP.match, console) if m]


def first(log: list[tuple[float, str, str]], lane: str, text: str) -> float:
    return next(t for t, ln, what in log if ln == lane and what.startswith(text))


def test_the_model_is_warm_before_python_has_started(hosted) -> None:
    """TF.js's start (backend, model, warm-up) runs while Python's scripts load and Pyodide starts,
    and the loading screen says so, step by step."""
    log = steps(hosted.console)
    assert [what.split("…")[0] for _, lane, what in log if lane == "model"] == [
        "Starting TensorFlow.js",
        "Loading the model",
        "Warming up the model",
        "done",
    ]
    assert first(log, "model", "Starting TensorFlow.js") < first(log, "python", "Starting the app")
    assert first(log, "model", "done") < first(log, "python", "Starting the app")
    assert hosted.page.evaluate("tf.getBackend()") == "wasm"


def test_the_page_gets_the_weights_as_the_model_holds_them(hosted, tm_exports) -> None:
    """The weights ship byte-shuffled (teachkit/site/assets.py); js/registry.js puts them back:
    the bytes TF.js is handed are the export's weights.bin."""
    import hashlib

    digest = hosted.page.evaluate(
        """async () => {
            const config = JSON.parse(document.getElementById("teachkit-config").textContent);
            const bytes = await teachkitAssets.bytes(config.model.dir + "weights.bin");
            const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
            return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
        }"""
    )
    assert digest == hashlib.sha256((tm_exports / "animals-4class" / "weights.bin").read_bytes()).hexdigest()


ORDERS = [
    # (?backend=, WebGL renderer) -> the order tried
    (None, "ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)", ["webgl", "wasm", "cpu"]),
    (
        None,
        "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)",
        ["wasm", "webgl", "cpu"],
    ),
    (None, "llvmpipe (LLVM 15.0.7, 256 bits)", ["wasm", "webgl", "cpu"]),
    (None, None, ["webgl", "wasm", "cpu"]),  # no WebGL at all: it fails and wasm follows
    ("webgl", "SwiftShader", ["webgl", "wasm", "cpu"]),  # asked for: tried first anyway
    ("cpu", "SwiftShader", ["cpu", "wasm", "webgl"]),
    ("nonsense", None, ["webgl", "wasm", "cpu"]),
]


@pytest.mark.parametrize(("wanted", "renderer", "order"), ORDERS)
def test_backend_order(hosted, wanted: str | None, renderer: str | None, order: list[str]) -> None:
    assert hosted.page.evaluate("([w, r]) => teachkitTf.backendOrder(w, r)", [wanted, renderer]) == order


def test_software_webgl_runs_the_model_on_wasm(browser, tools, animals_server) -> None:
    """Headless Chromium draws WebGL with SwiftShader: the page picks wasm, with no note (nothing failed)."""
    site = tools.open_site(browser, animals_server.url + "index.html", inside=animals_server.url)
    try:
        renderer = site.page.evaluate("teachkitTf.webglRenderer()")
        if renderer is None or "swiftshader" not in renderer.lower():
            pytest.skip(f"this Chromium's WebGL is not SwiftShader ({renderer})")
        assert site.page.evaluate("teachkit.backend") == "wasm"
        assert site.page.inner_text("#backend") == "wasm"
        assert site.page.inner_text("#messages") == ""
        assert site.errors == [] and site.outside == []
    finally:
        site.close()


#: WebGL's debug extension naming a graphics chip, as on a school laptop with one.
HARDWARE_GPU = """
(() => {
  for (const C of [WebGLRenderingContext, WebGL2RenderingContext]) {
    const get = C.prototype.getParameter;
    C.prototype.getParameter = function (p) {
      // 0x9246: UNMASKED_RENDERER_WEBGL
      return p === 0x9246 ? "ANGLE (Intel, Intel(R) UHD Graphics 620 Direct3D11, D3D11)" : get.call(this, p);
    };
  }
})();
"""


def test_webgl_on_a_graphics_chip_comes_first(browser, tools, animals_server, tm_exports) -> None:
    site = tools.open_site(
        browser, animals_server.url + "index.html", inside=animals_server.url, init_script=HARDWARE_GPU
    )
    try:
        assert "Intel" in site.page.evaluate("teachkitTf.webglRenderer()")
        assert site.page.evaluate("teachkit.backend") == "webgl"
        label, path = tools.samples(tm_exports / "animals-4class", per_class=1)[0]
        assert site.classify_file(path)["label"] == label
        assert site.errors == [] and site.outside == []
    finally:
        site.close()


def test_a_model_that_cannot_load_fails_the_start_with_a_message(browser, tools, animals_site, tmp_path) -> None:
    """A damaged model (its weights' size wrong) ends the start with a readable message and a
    rejected ``teachkit.ready``, not a page that waits forever."""
    import shutil

    dist = tmp_path / "dist"
    shutil.copytree(animals_site, dist)
    weights = next(dist.glob("model-*/weights.bin.js"))
    text, n = re.subn(r'(register\("[^"]+","[^"]+",)(\d+)', lambda m: f"{m[1]}{int(m[2]) + 1}", weights.read_text())
    assert n == 1
    weights.write_text(text)
    url = dist.as_uri() + "/"
    site = tools.open_site(browser, url + "index.html?backend=wasm", inside=url, wait=False)
    try:
        error = site.page.evaluate("teachkit.ready.then(() => 'ready', (e) => e.message)")
        assert error.startswith("The page could not start:") and "is damaged" in error, error
        assert site.page.evaluate("document.body.classList.contains('failed')")
        assert site.page.inner_text("#loading-status") == error
    finally:
        site.close()

"""Offline and hosted: file:// with the network blocked, each backend in turn, a host with the wrong
MIME type for .wasm, a browser without WebGL, one without wasm SIMD, and what the page requests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from teachkit.site import i18n, render, vendor

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def check_four(site, tools, tm_exports: Path, build_step=None) -> None:
    """One photo per class: the right answer, and (given ``build_step``) the build's probabilities."""
    pairs = tools.samples(tm_exports / "animals-4class", per_class=1)
    expected = build_step(tm_exports / "animals-4class", [p for _, p in pairs]) if build_step else None
    for i, (label, path) in enumerate(pairs):
        r = site.classify_file(path)
        assert r["label"] == label, path
        if expected:
            labels, probs = expected
            got = {x["label"]: x["probability"] for x in r["probabilities"]}
            assert max(abs(got[name] - probs[i][j]) for j, name in enumerate(labels)) <= 0.01, path


def test_file_url_with_every_outside_request_blocked(browser, tools, animals_site: Path, tm_exports: Path) -> None:
    inside = animals_site.as_uri() + "/"
    site = tools.open_site(browser, inside + "index.html", inside=inside)
    try:
        check_four(site, tools, tm_exports)
        assert site.outside == []
        assert site.page.evaluate("location.protocol") == "file:"
    finally:
        site.close()


@pytest.mark.parametrize("backend", ["webgl", "cpu"])
def test_each_backend_forced(browser, tools, animals_server, tm_exports: Path, build_step, backend: str) -> None:
    """Each backend gives the build's probabilities (wasm: the shared page, test_site_parity.py)."""
    site = tools.open_site(browser, animals_server.url + f"index.html?backend={backend}", inside=animals_server.url)
    try:
        assert site.page.evaluate("teachkit.backend") == backend
        assert site.page.inner_text("#backend") == backend
        check_four(site, tools, tm_exports, build_step)
        assert site.outside == []
    finally:
        site.close()


#: A browser without WebGL (old school laptops, blocklisted drivers): no WebGL context anywhere.
NO_WEBGL = """
for (const C of [HTMLCanvasElement, globalThis.OffscreenCanvas].filter(Boolean)) {
  const get = C.prototype.getContext;
  C.prototype.getContext = function (type, ...rest) {
    return /webgl/i.test(type) ? null : get.call(this, type, ...rest);
  };
}
"""


def test_no_webgl_on_a_host_serving_wasm_as_octet_stream(browser, tools, animals_site: Path, tm_exports: Path) -> None:
    """A browser without WebGL falls back to wasm (and says so), on a host that sends .wasm with the
    wrong MIME type. (wasm forced by ?backend=wasm: the shared page of test_site_browser.py.)"""
    server = tools.StaticServer(animals_site, wasm_type="application/octet-stream").start()
    site = tools.open_site(browser, server.url + "index.html", inside=server.url, init_script=NO_WEBGL)
    try:
        assert site.page.evaluate("teachkit.backend") == "wasm"
        assert "cannot use WebGL" in site.page.inner_text("#messages")
        check_four(site, tools, tm_exports)
        assert site.outside == []
    finally:
        site.close()
        server.stop()


#: A browser whose WebAssembly has no SIMD (Chrome before 91, Safari before 16.4): the SIMD probe
#: fails and the SIMD binary does not compile. It is known by its size: the page has one such module.
NO_SIMD = """
(() => {
  const SIMD_BYTES = %d;
  const W = WebAssembly;
  const { validate, compile, instantiate } = W;
  const size = (b) => (b instanceof ArrayBuffer || ArrayBuffer.isView(b) ? b.byteLength : -1);
  const view = (b) =>
    b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const noSimd = () => Promise.reject(new W.CompileError("this WebAssembly has no SIMD"));
  W.validate = (b) => (size(b) < 64 && view(b).includes(0xfd) ? false : validate(b));  // 0xfd: SIMD opcodes
  W.compile = (b) => (size(b) === SIMD_BYTES ? noSimd() : compile(b));
  W.instantiate = (b, imports) => (size(b) === SIMD_BYTES ? noSimd() : instantiate(b, imports));
  W.instantiateStreaming = async (r, imports) => W.instantiate(await (await r).arrayBuffer(), imports);
  W.compileStreaming = async (r) => W.compile(await (await r).arrayBuffer());
})();
"""


def test_no_webgl_and_no_wasm_simd_ends_on_cpu(browser, tools, animals_site: Path, tm_exports: Path) -> None:
    """The site ships only TF.js's SIMD wasm binary: without WebGL and without SIMD, WebGL and wasm
    both fail to start, and the page runs on cpu and says why."""
    tfjs_wasm = next(p for p in vendor.read_lock() if p.name == "@tensorflow/tfjs-backend-wasm")
    simd_bytes = len(vendor.files(tfjs_wasm)["dist/tfjs-backend-wasm-simd.wasm"])
    url = animals_site.as_uri() + "/"
    site = tools.open_site(browser, url + "index.html", inside=url, init_script=NO_WEBGL + NO_SIMD % simd_bytes)
    try:
        assert site.page.evaluate("teachkit.backend") == "cpu"
        messages = site.page.inner_text("#messages")
        assert "cannot use WebGL" in messages and "WebAssembly could not start" in messages
        assert any("no SIMD" in line for line in site.console)  # it failed for the reason emulated
        check_four(site, tools, tm_exports)
        assert site.outside == []
    finally:
        site.close()


def _config(site: Path) -> dict:
    html = (site / "index.html").read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="teachkit-config">(.*?)</script>', html).group(1))


def _loaded(browser, tools, url: str) -> list[str]:
    """The page's requests (paths under ``url``) until ready, on the default backend."""
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    try:
        page = context.new_page()
        page.goto(url + "index.html")
        tools.wait_ready(page)
        page.evaluate("teachkit.classify(new ImageData(8, 8))")
    finally:
        context.close()
    return [unquote(urlsplit(r[len(url) :]).path) for r in requests if r.startswith(url)]


def test_the_page_loads_every_file_once_and_nothing_else(browser, tools, animals_site: Path) -> None:
    """Hosted and from file://: each script of the page's config and nothing more, once; every file
    in dist/ is loaded except the about page and the host's settings. Nothing is shipped unused."""
    server = tools.StaticServer(animals_site).start()
    try:
        hosted = _loaded(browser, tools, server.url)
    finally:
        server.stop()
    from_file = _loaded(browser, tools, animals_site.as_uri() + "/")
    config = _config(animals_site)
    pages = {"index.html", "site.css", f"js/{render.LANG_SCRIPT}", *(f"js/{name}" for name in render.SCRIPTS)}
    expected = pages | {s["src"] for s in config["scripts"]}
    on_disk = {p.relative_to(animals_site).as_posix() for p in animals_site.rglob("*") if p.is_file()}
    for requests in (hosted, from_file):
        assert len(requests) == len(set(requests)), requests
        assert set(requests) == expected
    # The pages in the other languages are opened only by a pupil who wants them (js/lang.js).
    languages = {render.page_file(page, lang, "en") for page in render.PAGES for lang in i18n.LANGUAGES if lang != "en"}
    assert on_disk - expected == {"about.html", "teach.html", ".htaccess", render.MARKER} | languages

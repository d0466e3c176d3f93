"""Offline and hosted: file:// with the network blocked, each backend in turn, a host with the wrong
MIME type for .wasm, and a browser without WebGL."""

from __future__ import annotations

from pathlib import Path

import pytest

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

"""Offline and hosted: file:// with the network blocked, each backend in turn, a host with the wrong
MIME type for .wasm, and a browser without WebGL."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def check_four(site, tools, tm_exports: Path) -> None:
    for label, path in tools.samples(tm_exports / "animals-4class", per_class=1):
        assert site.classify_file(path)["label"] == label, path


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
def test_each_backend_forced(browser, tools, animals_server, tm_exports: Path, backend: str) -> None:
    """(wasm is forced in the next test, on a host that gets its MIME type wrong, and on the shared
    page of test_site_browser.py.)"""
    site = tools.open_site(browser, animals_server.url + f"index.html?backend={backend}", inside=animals_server.url)
    try:
        assert site.page.evaluate("teachkit.backend") == backend
        assert site.page.inner_text("#backend") == backend
        check_four(site, tools, tm_exports)
        assert site.outside == []
    finally:
        site.close()


def test_wasm_served_as_octet_stream(browser, tools, animals_site: Path, tm_exports: Path) -> None:
    server = tools.StaticServer(animals_site, wasm_type="application/octet-stream").start()
    site = tools.open_site(browser, server.url + "index.html?backend=wasm", inside=server.url)
    try:
        assert site.page.evaluate("teachkit.backend") == "wasm"
        check_four(site, tools, tm_exports)
        assert site.outside == []
    finally:
        site.close()
        server.stop()


#: A browser without WebGL (old school laptops, blocklisted drivers): no WebGL context anywhere.
NO_WEBGL = """
for (const C of [HTMLCanvasElement, globalThis.OffscreenCanvas].filter(Boolean)) {
  const get = C.prototype.getContext;
  C.prototype.getContext = function (type, ...rest) {
    return /webgl/i.test(type) ? null : get.call(this, type, ...rest);
  };
}
"""


def test_without_webgl_the_page_goes_on_with_wasm(browser, tools, animals_server, tm_exports: Path) -> None:
    site = tools.open_site(browser, animals_server.url + "index.html", inside=animals_server.url, init_script=NO_WEBGL)
    try:
        assert site.page.evaluate("teachkit.backend") == "wasm"
        assert "cannot use WebGL" in site.page.inner_text("#messages")
        check_four(site, tools, tm_exports)
    finally:
        site.close()

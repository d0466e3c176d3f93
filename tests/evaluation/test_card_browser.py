"""The model page in a real browser: a confusion-matrix cell opens the thumbnails of exactly the
held-out photos it counts, from file:// and over http, with no JavaScript and no console error."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teachkit.data import photos

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(trained_trashnet: Path, trashnet: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from teachkit.site import build_site

    # thumbnails are made only of photos under the folder named (never from metrics.json alone)
    return build_site(trained_trashnet, tmp_path_factory.mktemp("site") / "dist", photos=trashnet)


@pytest.fixture(scope="module")
def http_root(site: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))

    class Quiet(handler.func):  # type: ignore[name-defined,misc]
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _expected_cell(model: Path) -> tuple[str, set[str], Path]:
    """The off-diagonal cell with most photos, from metrics.json: its id, its photos, the photo root."""
    metrics = json.loads((model / "metrics.json").read_text())
    labels = metrics["labels"]
    cells: dict[tuple[int, int], set[str]] = {}
    for p in metrics["predictions"]:
        t = labels.index(p["label"])
        a = int(np.argmax(p["probabilities"]))
        cells.setdefault((t, a), set()).add(p["path"])
    (t, a), paths = max(((k, v) for k, v in cells.items() if k[0] != k[1]), key=lambda kv: (len(kv[1]), kv[0]))
    return f"cell-{t}-{a}", paths, Path(metrics["photos_root"])


def _same_picture(thumb: Path, original: Path) -> float:
    """Mean absolute difference (0-255) between a thumbnail and the photo it should show."""
    with Image.open(thumb) as t:
        small = t.convert("RGB")
        size = small.size
        a = np.asarray(small, dtype=np.float64)
    b = np.asarray(photos.decode(original).resize(size, Image.Resampling.BOX), dtype=np.float64)
    return float(np.abs(a - b).mean())


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_matrix_cell_opens_its_thumbnails(scheme: str, site: Path, trained_trashnet: Path, browser, request) -> None:
    base = site.as_uri() if scheme == "file" else request.getfixturevalue("http_root")
    cell_id, expected, root = _expected_cell(trained_trashnet)
    page = browser.new_page()
    problems: list[str] = []
    missing: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.goto(f"{base}/about.html")

    section = page.locator(f"#{cell_id}")
    assert not section.is_visible()  # closed until its cell is clicked
    page.locator(f'#confusion a[href="#{cell_id}"]').click()
    assert section.is_visible()
    shown = section.locator("figure").evaluate_all("fs => fs.map(f => f.title)")
    assert set(shown) == expected and len(shown) == len(expected)
    # The thumbnails load lazily, once their section is shown: wait until each has loaded or failed.
    section.locator("img").evaluate_all("is => Promise.all(is.map(i => i.decode().catch(() => null)))")
    loaded = section.locator("img").evaluate_all("is => is.map(i => i.complete && i.naturalWidth > 0)")
    assert loaded == [True] * len(expected)
    # each thumbnail is the photo its caption names
    srcs = section.locator("figure").evaluate_all(
        "fs => fs.map(f => [f.title, f.querySelector('img').getAttribute('src')])"
    )
    for path, src in srcs:
        original = root / path if (root / path).is_file() else Path(path)
        assert _same_picture(site / src, original) < 12, path
    # the other cells' photos stay closed
    others = page.locator(".cell-photos").evaluate_all("ds => ds.filter(d => d.offsetParent !== null).map(d => d.id)")
    assert others == [cell_id]
    # over http Chromium asks for /favicon.ico, which a static site need not have
    missing = [u for u in missing if not u.endswith("/favicon.ico")]
    assert missing == []
    if scheme == "file":
        assert problems == []
    else:
        assert [m for m in problems if "404" not in m] == [] and len(problems) <= 1
    page.close()

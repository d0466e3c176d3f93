"""The Teach page with a webcam, hosted, in real Chromium: fake camera feeds made from real photos
of two classes (Chromium's --use-file-for-fake-video-capture plays one file per browser, so each
class is filmed by its own browser start on one profile, as a pupil holding up one thing, then
another). Record each class by holding the button, the lesson kept across closed browsers, train
with the button, the held-out figure shown, and the live verdict following the feed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests import chromium
from tests.site.conftest import wait_ready
from tests.teach.camera_feed import write_y4m

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FEEDS = {"elephants": 0, "butterflies": 1}
HOLD_MS = 2500


@pytest.fixture(scope="module")
def feeds(tm_exports: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("feeds")
    out = {}
    for label in FEEDS:
        photos = sorted((tm_exports / "animals-4class" / "samples" / label).glob("*.jpg"), key=lambda p: int(p.stem))
        out[label] = write_y4m(photos[:8], folder / f"{label}.y4m")
    return out


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One browser profile for the module: what one browser keeps, the next one finds."""
    return tmp_path_factory.mktemp("profile")


@contextmanager
def filming(playwright_api: Any, profile: Path, feed: Path, url: str) -> Iterator[Any]:
    """The Teach page in a Chromium whose camera plays ``feed``; requests outside the site fail the test."""
    try:
        path = chromium.executable(playwright_api)
    except chromium.NoChromium as e:
        pytest.skip(str(e))
    args = [*chromium.ARGS, "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={feed}"]
    kwargs: dict[str, Any] = {"executable_path": path} if path else {}
    context = playwright_api.chromium.launch_persistent_context(
        str(profile), headless=True, args=args, permissions=["camera"], **kwargs
    )
    outside: list[str] = []
    errors: list[str] = []
    site = url.rsplit("/", 1)[0] + "/"

    def route(r: Any) -> None:
        if r.request.url.startswith(site):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        page.goto(url + "?backend=wasm")
        wait_ready(page)
        yield page
        assert not outside, outside
        assert not errors, errors
    finally:
        context.close()


def settle(page: Any) -> None:
    """Wait for the keep: camera pictures are encoded and written in the background."""
    code = "from teachkit_app.teach.main import state\nawait state['teacher'].settled()"
    page.evaluate("(code) => teachkitPyodide.runPythonAsync(code)", code)


def counts(page: Any) -> list[int]:
    return [c["count"] for c in page.evaluate("() => teachkit.teach.classes")]


def record(page: Any, i: int) -> int:
    """Hold class ``i``'s record button (the camera starts with it); returns the examples added."""
    before = counts(page)[i]
    button = page.locator("#classes > li").nth(i).locator("button.record")
    button.hover()
    page.mouse.down()
    page.wait_for_function("() => document.body.classList.contains('camera-on')", timeout=30_000)
    page.wait_for_timeout(HOLD_MS)
    page.mouse.up()
    assert button.get_attribute("aria-pressed") == "false"
    after = counts(page)[i]
    page.wait_for_timeout(600)  # a frame being embedded when the button went up
    assert counts(page)[i] - after <= 1, "recording went on after the button was released"
    return counts(page)[i] - before


def train_and_watch(page: Any, expected: str) -> str:
    """Train with the button, then the live verdict of the camera: ``expected`` for 5 frames."""
    page.click("#train")
    page.wait_for_selector("#train-result:not([hidden])", timeout=120_000)
    shown = page.locator("#heldout").inner_text()
    if not page.evaluate("() => document.body.classList.contains('camera-on')"):
        page.click("#camera-start")
    page.wait_for_function(
        """(label) => { const live = document.getElementById('live');
             if (live.dataset.label !== label) live.dataset.frames = '0';
             return Number(live.dataset.frames || 0) >= 5 && live.dataset.label === label; }""",
        arg=expected,
        timeout=60_000,
    )
    assert page.locator("#live-verdict").inner_text() == expected
    return shown


def test_record_each_class_train_and_the_live_verdict_follows_the_feed(
    playwright_api: Any, python_server: Any, python_site: Path, feeds: dict[str, Path], profile: Path
) -> None:
    assert (python_site / "teach.html").exists(), "the site has no teach.html"
    url = python_server.url + "teach.html"
    with filming(playwright_api, profile, feeds["elephants"], url) as page:
        page.evaluate("() => teachkit.teach.renameClass(0, 'elephants')")
        page.evaluate("() => teachkit.teach.renameClass(1, 'butterflies')")
        added = record(page, 0)
        # about 5 frames a second while held
        assert 6 <= added <= 20, added
        assert page.locator("#classes > li").nth(0).locator(".thumbs img").count() == added
        settle(page)
    with filming(playwright_api, profile, feeds["butterflies"], url) as page:
        assert counts(page) == [added, 0]  # kept by the closed browser
        assert record(page, 1) >= 6
        shown = train_and_watch(page, "butterflies")
        assert re.search(r"Right on \d+ of \d+ examples it did not learn from", shown), shown
        settle(page)
    with filming(playwright_api, profile, feeds["elephants"], url) as page:
        assert counts(page)[0] == added
        train_and_watch(page, "elephants")
        # Space held on the record button records too (the keyboard's press and hold).
        button = page.locator("#classes > li").nth(0).locator("button.record")
        button.focus()
        page.keyboard.down(" ")
        page.wait_for_timeout(HOLD_MS)
        page.keyboard.up(" ")
        assert counts(page)[0] > added

"""Accessibility, keyboard, phones and tablets: axe-core finds no violation on any page in any
state the page reaches (loading, failed, ready, results, error cards, camera on, camera refused,
the About page with and without the model card), every control works from the keyboard, the
verdict reaches screen readers through a polite live region, and the classify page fits a phone
and a tablet with touch-sized controls and the back camera."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 800}
#: What a pupil's finger needs (WCAG 2.5.5, Apple and Google's guidelines).
TOUCH_PX = 44

#: Records what the page asks getUserMedia for (the camera's facing mode).
RECORD_CONSTRAINTS = """(() => {
  const md = navigator.mediaDevices;
  globalThis.__constraints = [];
  if (!md) return;
  const original = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => { globalThis.__constraints.push(JSON.parse(JSON.stringify(c))); return original(c); };
})();"""

#: Every change of the verdict's live region, with its time.
RECORD_ANNOUNCEMENTS = """(() => {
  globalThis.__announced = [];
  document.addEventListener('DOMContentLoaded', () => {
    const el = document.getElementById('announce');
    if (el) new MutationObserver(() => __announced.push([performance.now(), el.textContent]))
      .observe(el, {childList: true, characterData: true, subtree: true});
  });
})();"""

RUN_AXE = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations'], rules: {'target-size': {enabled: true}}});
  if (!r.passes.length) throw new Error('axe checked nothing');
  return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help}: ` +
    v.nodes.map((n) => n.target.join(' ')).join(', '));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip(f"{AXE} is absent: run `make setup` (npm ci in tests/)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scripts(axe_source: str) -> str:
    # Init scripts run outside the page's Content-Security-Policy (an injected <script> tag, even
    # with axe's source inline, is blocked by it): the page keeps its real CSP under test.
    return "\n".join([axe_source, RECORD_CONSTRAINTS, RECORD_ANNOUNCEMENTS])


@pytest.fixture(scope="module")
def cam_browser(playwright_api: Any, tools: Any) -> Iterator[Any]:
    """Chromium with its fake camera (a test pattern), for every page of this module."""
    b = tools.launch(playwright_api, ["--use-fake-device-for-media-stream"])
    yield b
    b.close()


def violations(page: Any) -> list[str]:
    return page.evaluate(RUN_AXE)


def _classify_page(cam_browser: Any, tools: Any, animals_server: Any, scripts: str, **device: Any) -> Any:
    """The classify page on wasm, axe ready to inject, the camera allowed, on ``device``."""
    return tools.open_site(
        cam_browser,
        animals_server.url + "index.html?backend=wasm",
        inside=animals_server.url,
        init_script=scripts,
        permissions=["camera"],
        **device,
    )


@pytest.fixture(scope="module")
def desk(cam_browser: Any, tools: Any, animals_server: Any, scripts: str) -> Iterator[Any]:
    site = _classify_page(cam_browser, tools, animals_server, scripts, viewport=DESKTOP)
    yield site
    site.close()


@pytest.fixture(scope="module")
def phone(cam_browser: Any, tools: Any, animals_server: Any, scripts: str) -> Iterator[Any]:
    """A phone: small screen, touch, coarse pointer."""
    site = _classify_page(cam_browser, tools, animals_server, scripts, viewport=PHONE, is_mobile=True, has_touch=True)
    yield site
    site.close()


def show_results(site: Any, tools: Any, tm_exports: Path, tmp_path: Path) -> None:
    """Two photos and a file that is no picture, through the file input."""
    photos = [p for _, p in tools.samples(tm_exports / "animals-4class", per_class=1)[:2]]
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    site.page.click("#clear-results")
    site.page.set_input_files("#photos", [str(p) for p in photos] + [str(text)])
    site.page.wait_for_function("() => document.querySelectorAll('#results .result').length === 3", timeout=60_000)


def test_loading_and_failed_pages(cam_browser: Any, animals_server: Any, scripts: str) -> None:
    """The loading screen (held there: the model's script never arrives), then the failure."""
    context = cam_browser.new_context()
    context.add_init_script(scripts)
    held: list[Any] = []

    def route(r: Any) -> None:
        if "/model-" in r.request.url and not held:
            held.append(r)  # neither answered nor failed: the page keeps loading
        else:
            r.continue_()

    try:
        page = context.new_page()
        page.route("**/*", route)
        page.goto(animals_server.url + "index.html?backend=wasm", wait_until="commit")
        for _ in range(600):  # route handlers run while the test waits
            if held:
                break
            page.wait_for_timeout(100)
        assert held, "the model's script was never requested"
        page.wait_for_function("() => document.getElementById('loading-status').textContent.length > 0")
        assert violations(page) == []
        held[0].abort()
        page.wait_for_selector("body.failed", timeout=60_000)
        assert violations(page) == []
    finally:
        context.close()


def test_ready_page(desk: Any) -> None:
    assert violations(desk.page) == []


def test_results_errors_and_their_announcement(desk: Any, tools: Any, tm_exports: Path, tmp_path: Path) -> None:
    page = desk.page
    show_results(desk, tools, tm_exports, tmp_path)
    assert violations(page) == []
    # colour is never the only signal: each bar has its number as text
    values = page.eval_on_selector_all("#results .bar-value", "els => els.map(e => e.textContent)")
    assert values and all(re.fullmatch(r"\d+%", v) for v in values)
    # the verdicts are announced once, politely, in one live region (not the whole grid)
    live = page.eval_on_selector("#announce", "el => [el.getAttribute('aria-live'), el.textContent]")
    assert live[0] == "polite"
    verdicts = page.eval_on_selector_all("#results .result:not(.error) .verdict", "els => els.map(e => e.textContent)")
    assert all(v in live[1] for v in verdicts), (live, verdicts)
    assert page.get_attribute("#results", "aria-live") is None


def test_keyboard_drives_the_page(desk: Any, tools: Any, tm_exports: Path) -> None:
    """Tab reaches every control in reading order, each with a visible focus; Enter opens the file
    chooser, Space presses buttons."""
    page = desk.page
    page.click("#clear-results")
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    order = []
    for _ in range(30):  # to "Clear results", the last of the controls
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement;
                if (el === document.body) return null;
                const shown = getComputedStyle(el.id === 'photos' ? el.labels[0] : el);
                return [el.id || el.textContent.trim(), el.matches(':focus-visible'),
                        shown.outlineStyle !== 'none' && parseFloat(shown.outlineWidth) >= 2]; }"""
        )
        if focused:
            order.append(focused)
            if focused[0] == "clear-results":
                break
    names = [name for name, _, _ in order]
    wanted = ["Classify", "About this model", "photos", "camera-start", "clear-results"]
    assert [n for n in names if n in wanted] == wanted, names
    assert all(visible and outline for _, visible, outline in order), order
    # Enter (else Space) on the focused "Choose photos" opens the file chooser; under load Chromium
    # was once seen to drop the first key press on the file input, hence the second key.
    choosers: list[Any] = []

    def on_chooser(chooser: Any) -> None:
        choosers.append(chooser)

    page.on("filechooser", on_chooser)
    page.focus("#photos")
    for key in ("Enter", "Space"):
        page.keyboard.press(key)
        for _ in range(100):
            if choosers:
                break
            page.wait_for_timeout(100)
        if choosers:
            break
    page.remove_listener("filechooser", on_chooser)
    assert choosers, "neither Enter nor Space opened the file chooser"
    label, photo = tools.samples(tm_exports / "animals-4class", per_class=1)[0]
    choosers[0].set_files(str(photo))
    page.wait_for_selector("#results .result", timeout=60_000)
    # Space on "Clear results"
    page.focus("#clear-results")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelectorAll('#results .result').length === 0")
    # the camera, on and off, from the keyboard; Stop comes next in the order when it shows
    page.focus("#camera-start")
    page.keyboard.press("Enter")
    page.wait_for_selector("body.camera-on", timeout=60_000)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "camera-stop"
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.body.classList.contains('camera-on')")


def test_camera_on_and_its_announcements(desk: Any) -> None:
    """Live bars at every frame, but the live region speaks only when the verdict changes, at
    most once every two seconds."""
    page = desk.page
    page.evaluate("__announced.length = 0")
    frames = int(page.get_attribute("#live", "data-frames") or 0)
    page.click("#camera-start")
    page.wait_for_function(
        "(n) => Number(document.getElementById('live').dataset.frames || 0) >= n", arg=frames + 3, timeout=60_000
    )
    assert violations(page) == []
    page.wait_for_timeout(3000)
    shown = int(page.get_attribute("#live", "data-frames")) - frames
    announced = page.evaluate("__announced.filter(([, text]) => text)")
    page.click("#camera-stop")
    assert announced, "the camera's verdict was never announced"
    assert len(announced) < shown, (announced, shown)
    times = [t for t, _ in announced]
    assert all(b - a >= 1900 for a, b in zip(times, times[1:], strict=False)), announced
    assert page.get_attribute("#live-verdict", "aria-live") is None


def test_camera_refused(desk: Any) -> None:
    page = desk.page
    desk.context.clear_permissions()
    try:
        page.evaluate("document.querySelectorAll('#messages .message').forEach((m) => m.dataset.old = 1)")
        page.click("#camera-start")
        page.wait_for_selector("#messages .message.error:not([data-old])", timeout=30_000)
        assert not page.evaluate("document.body.classList.contains('camera-on')")
        assert violations(page) == []
    finally:
        desk.context.grant_permissions(["camera"])


def test_about_pages(cam_browser: Any, animals_site: Path, trained_site: Path, scripts: str) -> None:
    """A Teachable Machine export's About page, and a Teachkit model's with its card."""
    context = cam_browser.new_context(viewport=DESKTOP)
    context.add_init_script(scripts)
    try:
        page = context.new_page()
        for site in (animals_site, trained_site):
            page.goto((site / "about.html").as_uri())
            assert violations(page) == [], site
        assert page.query_selector("#model-card") is not None
        page.click("#confusion a")  # a cell's photos, shown as the link's target
        assert violations(page) == []
        for size in (PHONE, TABLET):  # the card's tables and charts fit a phone (417 px wide before)
            page.set_viewport_size(size)
            fits = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            assert fits[0] <= fits[1], (size, fits)
            assert violations(page) == []
    finally:
        context.close()


def test_phone_and_tablet_layouts(phone: Any, tools: Any, tm_exports: Path, tmp_path: Path) -> None:
    page = phone.page
    show_results(phone, tools, tm_exports, tmp_path)
    for size in (PHONE, TABLET, PHONE):
        page.set_viewport_size(size)
        fits = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert fits[0] <= fits[1], (size, fits)
    assert violations(page) == []
    small = page.evaluate(
        """(px) => [...document.querySelectorAll('button, select, label.button, nav a')]
            .filter((el) => el.getClientRects().length)
            .map((el) => [el.id || el.textContent.trim(), el.getBoundingClientRect()])
            .filter(([, r]) => r.width < px || r.height < px)
            .map(([name, r]) => `${name}: ${r.width}x${r.height}`)""",
        TOUCH_PX,
    )
    assert small == []


def test_phones_use_the_back_camera(phone: Any, desk: Any) -> None:
    for site, facing in ((phone, "environment"), (desk, "user")):
        page = site.page
        page.evaluate("__constraints.length = 0")
        page.click("#camera-start")
        page.wait_for_selector("body.camera-on", timeout=60_000)
        page.click("#camera-stop")
        asked = page.evaluate("__constraints")
        assert asked and asked[0]["video"]["facingMode"] == facing, asked

"""The webcam through Chromium's fake capture device, fed a video made of fixture photos; and a
camera the browser refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT, FPS = 320, 240, 10
CLASS = "elephants"


def write_y4m(photos: list[Path], out: Path, frames_each: int = 5) -> Path:
    """A raw YUV4MPEG2 video (what Chromium's fake camera plays, looping): each photo centred on a
    grey 320x240 frame for ``frames_each`` frames."""
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for path in photos:
            frame = Image.new("RGB", (WIDTH, HEIGHT), (128, 128, 128))
            img = Image.open(path).convert("RGB").resize((HEIGHT, HEIGHT))
            frame.paste(img, ((WIDTH - HEIGHT) // 2, 0))
            ycc = np.asarray(frame.convert("YCbCr"), dtype=np.uint8)
            y = ycc[:, :, 0]
            cb = ycc[:, :, 1].reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)
            cr = ycc[:, :, 2].reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)
            for _ in range(frames_each):
                f.write(b"FRAME\n" + y.tobytes() + cb.tobytes() + cr.tobytes())
    return out


@pytest.fixture(scope="module")
def camera_browser(playwright_api: Any, tools: Any, tm_exports: Path, tmp_path_factory: pytest.TempPathFactory):
    photos = sorted((tm_exports / "animals-4class" / "samples" / CLASS).glob("*.jpg"))[:6]
    video = write_y4m(photos, tmp_path_factory.mktemp("camera") / "elephants.y4m")
    b = tools.launch(
        playwright_api, ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
    )
    yield b
    b.close()


#: Lets a test hide the page as switching tabs does (headless pages are always visible).
HIDEABLE = """
Object.defineProperty(Document.prototype, 'hidden', {get: () => Boolean(globalThis.__hidden), configurable: true});
globalThis.hidePage = () => { globalThis.__hidden = true; document.dispatchEvent(new Event('visibilitychange')); };
"""


def wait_frames(page: Any, n: int) -> None:
    page.evaluate(
        """(n) => new Promise((resolve, reject) => {
            const live = document.getElementById('live');
            const messages = document.getElementById('messages');
            const t = setTimeout(() => reject(new Error('no frames: ' + messages.textContent)), 60000);
            const check = () => {
                if (Number(live.dataset.frames || 0) >= n) { clearTimeout(t); resolve(); }
                else setTimeout(check, 100);
            };
            check();
        })""",
        n,
    )


@pytest.fixture(scope="module")
def camera_site(camera_browser: Any, tools: Any, animals_server: Any) -> Iterator[Any]:
    site = tools.open_site(
        camera_browser,
        animals_server.url + "index.html?backend=wasm",
        inside=animals_server.url,
        permissions=["camera"],
        init_script=HIDEABLE,
    )
    yield site
    site.close()


def test_webcam_shows_the_right_class_then_releases_the_camera(camera_site: Any) -> None:
    page = camera_site.page
    tensors = page.evaluate("tf.memory().numTensors")
    page.click("#camera-start")
    wait_frames(page, 30)
    assert page.inner_text("#live-verdict") == CLASS
    assert page.eval_on_selector_all("#live-bars .bar-row", "els => els.length") == 4
    # the preview is mirrored for the pupil; the model sees the frame as taken
    assert page.evaluate("getComputedStyle(document.getElementById('camera-video')).transform") != "none"
    assert page.evaluate("document.body.classList.contains('camera-on')")
    page.click("#camera-stop")
    released = page.evaluate(
        """async () => {
            await new Promise((r) => setTimeout(r, 300));
            return document.getElementById('camera-video').srcObject === null
                && !document.body.classList.contains('camera-on');
        }"""
    )
    assert released
    frames = int(page.get_attribute("#live", "data-frames"))
    page.wait_for_timeout(500)
    assert int(page.get_attribute("#live", "data-frames")) == frames, "predictions went on after stop"
    assert page.evaluate("tf.memory().numTensors") == tensors
    assert camera_site.outside == []


def test_camera_released_when_the_page_is_hidden(camera_site: Any) -> None:
    page = camera_site.page
    start = int(page.get_attribute("#live", "data-frames") or 0)
    page.click("#camera-start")
    wait_frames(page, start + 5)
    page.evaluate("hidePage()")
    assert page.evaluate("document.getElementById('camera-video').srcObject === null")
    assert "stopped because the page was hidden" in page.inner_text("#messages")
    page.evaluate("globalThis.__hidden = false")


def test_camera_needs_a_secure_context(camera_browser: Any, tools: Any, animals_server: Any) -> None:
    """As on plain http:// from another computer (the test server is loopback, always secure)."""
    site = tools.open_site(
        camera_browser,
        animals_server.url + "index.html?backend=wasm",
        inside=animals_server.url,
        init_script="Object.defineProperty(globalThis, 'isSecureContext', {value: false});",
    )
    try:
        site.page.click("#camera-start")
        site.page.wait_for_selector("#messages .message.error", timeout=30_000)
        assert "only works on a secure page" in site.page.inner_text("#messages")
    finally:
        site.close()


def test_camera_refused(camera_site: Any, tools: Any, tm_exports: Path) -> None:
    """The permission withdrawn (headless Chromium then refuses, as a pupil clicking "Block")."""
    page = camera_site.page
    camera_site.context.clear_permissions()
    page.click("#clear-results")
    page.click("#camera-start")
    page.wait_for_selector("#messages .message.error", timeout=30_000)
    assert "camera was refused" in page.inner_text("#messages")
    assert not page.evaluate("document.body.classList.contains('camera-on')")
    # the page goes on
    label, path = tools.samples(tm_exports / "animals-4class", per_class=1)[0]
    assert camera_site.classify_file(path)["label"] == label


#: Counts the frames the camera showed (the browser's own video frame callbacks) and the frames the
#: page predicted, over ``ms`` milliseconds of a running camera.
FRAMES_AND_PREDICTIONS = """async (ms) => {
    const video = document.getElementById('camera-video');
    const live = document.getElementById('live');
    const shown = () => new Promise((r) => video.requestVideoFrameCallback((_now, m) => r(m.presentedFrames)));
    const f0 = await shown(), p0 = Number(live.dataset.frames);
    await new Promise((r) => setTimeout(r, ms));
    const f1 = await shown(), p1 = Number(live.dataset.frames);
    return {frames: f1 - f0, predictions: p1 - p0};
}"""

PYTHON_OBJECTS = "teachkitPyodide.runPython('import gc; gc.collect(); len(gc.get_objects())')"


def test_webcam_predicts_each_camera_frame_at_most_once(camera_site: Any) -> None:
    """The camera plays at 10 frames/s and a prediction takes less than 100 ms: a loop clocked by
    the screen (60 per second) would predict frames again; this one waits for new frames. Python's
    objects stay flat over the frames."""
    page = camera_site.page
    camera_site.context.grant_permissions(["camera"])  # test_camera_refused may have withdrawn it
    start = int(page.get_attribute("#live", "data-frames") or 0)
    page.click("#camera-start")
    wait_frames(page, start + 3)
    page.click("#camera-stop")
    objects = page.evaluate(PYTHON_OBJECTS)
    start = int(page.get_attribute("#live", "data-frames"))
    page.click("#camera-start")
    wait_frames(page, start + 1)
    counts = page.evaluate(FRAMES_AND_PREDICTIONS, 3000)
    page.click("#camera-stop")
    assert 0 < counts["predictions"] <= counts["frames"] + 1, counts
    grown = page.evaluate(PYTHON_OBJECTS) - objects
    assert grown < 100, f"{grown} more Python objects after {counts['predictions']} predictions"


#: The frame clock of js/media.js on a video whose frames the test makes one by one.
FRAME_CLOCK = """async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 48;
    const ctx = canvas.getContext('2d');
    const stream = canvas.captureStream(0);  // a frame only when asked for
    const track = stream.getVideoTracks()[0];
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = stream;
    document.body.append(video);
    let hue = 0;
    const frame = () => {
        ctx.fillStyle = `hsl(${(hue += 40)} 80% 50%)`;
        ctx.fillRect(0, 0, 64, 48);
        track.requestFrame();
    };
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const within = (p, ms) => Promise.race([p, sleep(ms).then(() => 'still waiting')]);
    frame();
    await video.play();
    const clock = teachkitMedia.frameClock(video);
    const out = {};
    frame();
    out.aFrame = await within(clock.next(), 10000);
    const pending = clock.next();
    out.noNewFrame = await within(pending, 700);
    frame();
    out.newFrame = await within(pending, 10000);
    frame(); await sleep(300); frame(); await sleep(300);  // two frames while "predicting"
    out.arrivedMeanwhile = await within(clock.next(), 50);
    out.onlyOnce = await within(clock.next(), 700);
    const last = clock.next();
    clock.stop();
    out.stopped = await within(last, 1000);
    out.afterStop = await within(clock.next(), 1000);
    track.stop();
    video.remove();
    return out;
}"""


def test_frame_clock_hands_out_each_frame_once(hosted: Any) -> None:
    assert hosted.page.evaluate(FRAME_CLOCK) == {
        "aFrame": True,
        "noNewFrame": "still waiting",  # no new frame: the last one is not handed out again
        "newFrame": True,
        "arrivedMeanwhile": True,  # a frame came while busy: at once, no waiting
        "onlyOnce": "still waiting",  # and only once, however many came
        "stopped": False,
        "afterStop": False,
    }

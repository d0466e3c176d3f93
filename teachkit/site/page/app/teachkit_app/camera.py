"""The webcam: start, stop, choose a camera, live bars.

The preview is mirrored (CSS, like a mirror) but the model sees the frame as the camera took it,
unless the model says it was trained on mirrored frames. The loop predicts each new camera frame at
most once: when a prediction ends, the newest frame if one arrived meanwhile (older ones are
skipped), else the next one (js/media.js frameClock).
The camera is released when stopped and when the page is hidden.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import js

from teachkit_app import results
from teachkit_app.i18n import N_, _
from teachkit_app.jsutil import error_name, present, to_object
from teachkit_app.model import Classifier, Result

#: Marked for the catalog here, translated when shown (``_``).
REFUSED = N_(
    "The camera was refused. Allow it for this page (the camera icon in the address bar), "
    "then press Start camera again."
)
MESSAGES = {
    "NotAllowedError": REFUSED,
    "SecurityError": REFUSED,
    "NotFoundError": N_("No camera was found. Plug one in, or choose photos instead."),
    "OverconstrainedError": N_("That camera is not available any more. Choose another one."),
    "NotReadableError": N_("The camera is busy (another program or tab is using it). Close that, then try again."),
    "AbortError": N_("The camera could not start. Try again, or choose photos instead."),
}
#: The live verdict is announced when it changes, at most this often (seconds): a screen reader
#: reading every frame would never stop talking.
ANNOUNCE_EVERY = 2.0
INSECURE = N_(
    "The camera only works on a secure page: open the site from an https:// address, with "
    "`teachkit serve` on this computer, or straight from its folder (index.html)."
)


def facing() -> str:
    """The back camera on phones and tablets (a finger, not a mouse: the pupil points the device at
    things), the one facing the pupil on computers."""
    return "environment" if js.window.matchMedia("(pointer: coarse)").matches else "user"


class CameraFeed:
    """The camera itself, for the classify page's live bars and the Teach page alike: start it (a
    sentence for each way it can fail), stop it, choose another, offer the choice. Each page's
    subclass runs its own ``_loop`` over the frames."""

    def __init__(self, media: Any, elements: dict[str, Any], say: Callable[[str], None]) -> None:
        self.media = media  # js/media.js, handed over by js/loader.js: the frame clock
        self.el = elements
        self.say = say
        self.stream: Any = None
        self.running = False
        self.task: asyncio.Task[None] | None = None
        self.device_id = ""
        self.clock: Any = None  # the running loop's frame clock (js/media.js frameClock)

    def available(self) -> bool:
        return bool(js.window.isSecureContext) and present(getattr(js.navigator, "mediaDevices", None))

    async def start(self) -> bool:
        """True once the camera runs (at once if it already did); else the pupil was told why not."""
        if self.running:
            return True
        if not self.available():
            self.say(_(INSECURE))
            return False
        video: dict[str, Any] = {"width": {"ideal": 640}, "height": {"ideal": 480}}
        if self.device_id:
            video["deviceId"] = {"exact": self.device_id}
        else:
            video["facingMode"] = facing()
        try:
            self.stream = await js.navigator.mediaDevices.getUserMedia(to_object({"video": video, "audio": False}))
        except Exception as e:
            name = error_name(e)
            if name in MESSAGES:
                self.say(_(MESSAGES[name]))
            else:
                self.say(_("The camera could not start (%(error)s).") % {"error": name})
            return False
        preview = self.el["video"]
        preview.srcObject = self.stream
        # A mirror for the camera facing the pupil; the back camera's picture as the eye sees it.
        settings = self.stream.getVideoTracks()[0].getSettings()
        preview.classList.toggle("mirrored", getattr(settings, "facingMode", None) != "environment")
        await preview.play()
        self.running = True
        self._started()
        js.document.body.classList.add("camera-on")
        await self._list_cameras()
        self.task = asyncio.ensure_future(self._loop())
        return True

    def _started(self) -> None:
        """What a page resets when its camera (re)starts."""

    def stop(self) -> None:
        """Stop the loop and release the camera (its light goes off)."""
        self.running = False
        if self.clock is not None:
            self.clock.stop()  # a loop waiting for a frame ends now
            self.clock = None
        if self.stream is not None:
            for track in self.stream.getTracks():
                track.stop()
            self.stream = None
        self.el["video"].srcObject = None
        js.document.body.classList.remove("camera-on")

    async def choose(self, device_id: str) -> None:
        self.device_id = device_id
        if self.running:
            self.stop()
            if self.task is not None:
                await self.task
            await self.start()

    async def _list_cameras(self) -> None:
        """Offer a choice when there are several cameras (front and back on a tablet)."""
        devices = await js.navigator.mediaDevices.enumerateDevices()
        cameras = [d for d in devices if d.kind == "videoinput"]
        select = self.el["choice"]
        options = []
        for i, d in enumerate(cameras):
            option = js.document.createElement("option")
            option.value = d.deviceId
            option.textContent = d.label or _("Camera %(number)d") % {"number": i + 1}
            options.append(option)
        select.replaceChildren(*options)
        current = self.stream.getVideoTracks()[0].getSettings().deviceId if self.stream else ""
        if current:
            select.value = current
        select.hidden = len(cameras) < 2

    async def _loop(self) -> None:
        raise NotImplementedError


class Camera(CameraFeed):
    """The classify page's webcam: the prediction loop and its live bars."""

    def __init__(
        self, classifier: Classifier, media: Any, elements: dict[str, Any], say: Callable[[str], None]
    ) -> None:
        super().__init__(media, elements, say)
        self.classifier = classifier
        self.frames = 0
        self.said: tuple[str | None, float] | None = None  # the last verdict announced, and when

    def _started(self) -> None:
        self.said = None

    async def _loop(self) -> None:
        video = self.el["video"]
        mirror = self.classifier.mirror_camera
        # Each new camera frame once, the newest first; TF.js reads the video element itself
        # (no canvas copy of the frame of ours in between).
        clock = self.media.frameClock(video)
        self.clock = clock
        try:
            while self.running:
                if not await clock.next() or not self.running:
                    continue
                if video.readyState < 2:
                    continue
                try:
                    result = await self.classifier.classify(video, mirror=mirror)
                except Exception as e:
                    if self.running:
                        message = _("The camera picture could not be classified (%(error)s).")
                        self.say(message % {"error": error_name(e)})
                        self.stop()
                    return
                if not self.running:
                    return
                self.frames += 1
                results.show_verdict(self.el["verdict"], result)
                results.fill_bars(self.el["bars"], result)
                self._announce(result)
                self.el["live"].dataset.frames = str(self.frames)
                self.el["live"].dataset.label = result.label or ""
        finally:
            # A JsProxy has no destroy(): calling it raised AttributeError as the camera stopped,
            # a console error on every stop. The JS clock is freed with its last reference.
            clock.stop()
            if self.clock is clock:  # a restarted camera has a clock of its own by now
                self.clock = None

    def _announce(self, result: Result) -> None:
        """Tell screen readers the verdict when it changes, at most every ANNOUNCE_EVERY seconds."""
        now = time.monotonic()
        if self.said is not None and (self.said[0] == result.label or now - self.said[1] < ANNOUNCE_EVERY):
            return
        self.said = (result.label, now)
        results.announce(self.el.get("announce"), results.verdict_text(result))

"""The Teach page's webcam: one camera for recording examples and for trying the model.

Press and hold a class's "Hold to record" button: a few frames a second become examples of that
class (Teachable Machine's "Hold to record"). Otherwise, once the model is trained, each new frame
is classified (the live bars). The preview is mirrored like a mirror; the examples and the model
see the frame as the camera took it. One loop does both, so a frame is never recorded and
classified at once, and TF.js never runs two predictions side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import js

from teachkit_app.camera import INSECURE, MESSAGES, facing
from teachkit_app.i18n import _
from teachkit_app.jsutil import error_name, present, to_object

#: Frames recorded per second while the button is held: Teachable Machine records about 24, most
#: of them near-copies; a few a second give as many different poses with fewer copies to hold out
#: together (recipe.burst_groups keeps near-copies on one side of the split anyway).
RECORD_FPS = 5


class Webcam:
    """Start, stop, choose a camera; record into a class while held; classify each frame otherwise."""

    def __init__(
        self,
        media: Any,
        elements: dict[str, Any],
        say: Callable[[str], None],
        record: Callable[[int, Any], Awaitable[None]],
        live: Callable[[Any], Awaitable[None]],
    ) -> None:
        self.media = media  # js/media.js: the frame clock
        self.el = elements
        self.say = say
        self.record = record  # (class index, video) -> the frame as an example
        self.live = live  # (video) -> classified and shown (does nothing until trained)
        self.stream: Any = None
        self.running = False
        self.recording: int | None = None  # the class being recorded
        self.task: asyncio.Task[None] | None = None
        self.clock: Any = None
        self.device_id = ""
        self.last_recorded = 0.0

    def available(self) -> bool:
        return bool(js.window.isSecureContext) and present(getattr(js.navigator, "mediaDevices", None))

    async def start(self) -> bool:
        """True once the camera runs (at once if it already did)."""
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
            failed = _("The camera could not start (%(error)s).") % {"error": name}
            self.say(_(MESSAGES[name]) if name in MESSAGES else failed)
            return False
        preview = self.el["video"]
        preview.srcObject = self.stream
        settings = self.stream.getVideoTracks()[0].getSettings()
        preview.classList.toggle("mirrored", getattr(settings, "facingMode", None) != "environment")
        await preview.play()
        self.running = True
        js.document.body.classList.add("camera-on")
        await self._list_cameras()
        self.task = asyncio.ensure_future(self._loop())
        return True

    def stop(self) -> None:
        self.running = False
        self.recording = None
        if self.clock is not None:
            self.clock.stop()
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

    async def hold(self, i: int) -> None:
        """The record button is pressed: record class ``i`` until ``release``."""
        if await self.start():
            self.recording = i
            self.last_recorded = 0.0

    def release(self) -> None:
        self.recording = None

    async def _list_cameras(self) -> None:
        devices = await js.navigator.mediaDevices.enumerateDevices()
        cameras = [d for d in devices if d.kind == "videoinput"]
        select = self.el["choice"]
        options = []
        for n, d in enumerate(cameras):
            option = js.document.createElement("option")
            option.value = d.deviceId
            option.textContent = d.label or _("Camera %(number)d") % {"number": n + 1}
            options.append(option)
        select.replaceChildren(*options)
        current = self.stream.getVideoTracks()[0].getSettings().deviceId if self.stream else ""
        if current:
            select.value = current
        select.hidden = len(cameras) < 2

    async def _loop(self) -> None:
        video = self.el["video"]
        clock = self.media.frameClock(video)
        self.clock = clock
        try:
            while self.running:
                if not await clock.next() or not self.running or video.readyState < 2:
                    continue
                try:
                    if self.recording is not None:
                        now = float(js.performance.now())
                        if now - self.last_recorded >= 1000 / RECORD_FPS:
                            self.last_recorded = now
                            await self.record(self.recording, video)
                    else:
                        await self.live(video)
                except Exception as e:  # the page says why; the camera goes on
                    js.console.error(f"teachkit: webcam frame: {e!r}")
                    self.recording = None
                    self.say(_("The camera picture could not be used (%(error)s).") % {"error": error_name(e)})
        finally:
            clock.stop()
            if self.clock is clock:
                self.clock = None

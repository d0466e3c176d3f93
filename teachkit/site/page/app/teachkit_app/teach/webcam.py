"""The Teach page's webcam: one camera for recording examples and for trying the model.

Press and hold a class's "Hold to record" button: a few frames a second become examples of that
class (Teachable Machine's "Hold to record"). Otherwise, once the model is trained, each new frame
is classified (the live bars). The preview is mirrored like a mirror; the examples and the model
see the frame as the camera took it. One loop does both, so a frame is never recorded and
classified at once, and TF.js never runs two predictions side by side.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import js

from teachkit_app.camera import CameraFeed
from teachkit_app.i18n import _
from teachkit_app.jsutil import error_name

#: Frames recorded per second while the button is held: Teachable Machine records about 24, most
#: of them near-copies; a few a second give as many different poses with fewer copies to hold out
#: together (recipe.burst_groups keeps near-copies on one side of the split anyway).
RECORD_FPS = 5


class Webcam(CameraFeed):
    """Record into a class while held; classify each frame otherwise (the camera: ``CameraFeed``)."""

    def __init__(
        self,
        media: Any,
        elements: dict[str, Any],
        say: Callable[[str], None],
        record: Callable[[int, Any], Awaitable[None]],
        live: Callable[[Any], Awaitable[None]],
    ) -> None:
        super().__init__(media, elements, say)
        self.record = record  # (class index, video) -> the frame as an example
        self.live = live  # (video) -> classified and shown (does nothing until trained)
        self.recording: int | None = None  # the class being recorded
        self.last_recorded = 0.0

    def stop(self) -> None:
        self.recording = None
        super().stop()

    async def hold(self, i: int) -> None:
        """The record button is pressed: record class ``i`` until ``release``."""
        if await self.start():
            self.recording = i
            self.last_recorded = 0.0

    def release(self) -> None:
        self.recording = None

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

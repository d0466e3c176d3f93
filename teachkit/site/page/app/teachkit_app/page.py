"""Wiring the page's controls: choose photos, drop, paste, the webcam buttons, messages.

Every failure becomes a message a pupil can read, and the page keeps working after it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import js

from teachkit_app import results
from teachkit_app.camera import Camera
from teachkit_app.i18n import _
from teachkit_app.jsutil import error_name, present
from teachkit_app.model import Classifier
from teachkit_app.pictures import Pictures, Unusable
from teachkit_app.wiring import Wired

MAX_MESSAGES = 5


def _by_id(name: str) -> Any:
    el = js.document.getElementById(name)
    if not present(el):
        raise RuntimeError(f"the page has no #{name} element")
    return el


class Page(Wired):
    """The classifier page: its controls, its messages, its results grid."""

    def __init__(self, classifier: Classifier, pictures: Pictures, media: Any) -> None:
        """``pictures`` opens photos (shared with ``window.teachkit``); ``media`` is js/media.js,
        handed over by js/loader.js, for the webcam's frame clock."""
        self.classifier = classifier
        self.pictures = pictures
        self.messages = _by_id("messages")
        self.grid = _by_id("results")
        announcer = js.document.getElementById("announce")
        self.announcer = announcer if present(announcer) else None
        self.camera = Camera(
            classifier,
            media,
            {
                "video": _by_id("camera-video"),
                "choice": _by_id("camera-choice"),
                "verdict": _by_id("live-verdict"),
                "bars": _by_id("live-bars"),
                "live": _by_id("live"),
                "announce": self.announcer,
            },
            self.say,
        )
        self._proxies: list[Any] = []  # kept for the page's lifetime: listeners stay attached
        self._tasks: set[asyncio.Task[Any]] = set()  # asyncio keeps only weak references

    # -- messages ---------------------------------------------------------------------------
    def say(self, text: str, kind: str = "error") -> None:
        """Show ``text`` (plain text, never markup) at the top of the messages list."""
        p = js.document.createElement("p")
        p.className = f"message {kind}"
        p.setAttribute("role", "alert" if kind == "error" else "status")
        p.textContent = text
        self.messages.prepend(p)
        while self.messages.children.length > MAX_MESSAGES:
            self.messages.lastElementChild.remove()

    # -- photos -----------------------------------------------------------------------------
    async def classify_files(self, files: Any) -> None:
        """Classify each file and add its card to the grid (newest first)."""
        files = [files.item(i) for i in range(files.length)] if hasattr(files, "item") else list(files)
        if not files:
            return
        verdicts = []  # announced together once the photos are done, not card by card
        for f in files:
            name = str(f.name) if getattr(f, "name", None) else _("pasted picture")
            try:
                canvas = await self.pictures.open(f)
            except Unusable as e:
                self.say(e.sentence(name))
                self.grid.prepend(results.error_card(name, e.sentence(_("It"))))
                continue
            try:
                result = await self.classifier.classify(canvas)
            except Exception as e:
                self.say(_("%(name)s could not be classified (%(error)s).") % {"name": name, "error": error_name(e)})
                continue
            self.grid.prepend(results.card(name, self.pictures.thumbnail(canvas), result))
            verdicts.append(f"{name}: {results.verdict_text(result)}")
        if verdicts:
            results.announce(self.announcer, "; ".join(verdicts))

    def _report(self, task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            js.console.error(str(task.exception()))
            self.say(_("Something went wrong: %(error)s") % {"error": task.exception()})

    def wire(self) -> None:
        """Attach every control's listener."""
        picker = _by_id("photos")

        def on_pick(_event: Any) -> None:
            files = picker.files
            self._run(self._then_clear(self.classify_files(files), picker))

        self._listen(picker, "change", on_pick)

        drop = js.document.body

        def on_dragover(event: Any) -> None:
            event.preventDefault()
            drop.classList.add("dragging")

        def on_dragleave(_event: Any) -> None:
            drop.classList.remove("dragging")

        def on_drop(event: Any) -> None:
            event.preventDefault()
            drop.classList.remove("dragging")
            files = event.dataTransfer.files if present(event.dataTransfer) else None
            if files is None or files.length == 0:
                self.say(_("Only pictures can be dropped here (drop image files, not links or text)."))
                return
            self._run(self.classify_files(files))

        def on_paste(event: Any) -> None:
            data = event.clipboardData
            files = data.files if present(data) else None
            if files is None or files.length == 0:
                return  # pasting text into a field: not ours
            event.preventDefault()
            self._run(self.classify_files(files))

        self._listen(js.document, "dragover", on_dragover)
        self._listen(js.document, "dragleave", on_dragleave)
        self._listen(js.document, "drop", on_drop)
        self._listen(js.document, "paste", on_paste)

        self._listen(_by_id("camera-start"), "click", lambda _e: self._run(self.camera.start()))
        self._listen(_by_id("camera-stop"), "click", lambda _e: self.camera.stop())
        choice = _by_id("camera-choice")
        self._listen(choice, "change", lambda _e: self._run(self.camera.choose(str(choice.value))))

        def on_visibility(_event: Any) -> None:
            if js.document.hidden and self.camera.running:
                self.camera.stop()
                self.say(_("The camera was stopped because the page was hidden."), kind="info")

        self._listen(js.document, "visibilitychange", on_visibility)
        self._listen(_by_id("clear-results"), "click", lambda _e: self.grid.replaceChildren())

    async def _then_clear(self, coro: Any, picker: Any) -> None:
        await coro
        picker.value = ""  # choosing the same photo again fires "change" again

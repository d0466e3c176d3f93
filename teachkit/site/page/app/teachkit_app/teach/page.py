"""The Teach page's controls: the classes and their examples, the webcam, Train and its result,
Try it, Save and open, Start over.

The lesson's operations are ``teacher.Teacher``'s (the script API calls the same ones); this
module only draws and listens. Names are the pupil's words and reach the page as text only
(``textContent``, an input's ``value``). Every failure becomes a sentence in the messages, and
the page keeps working.
"""

from __future__ import annotations

import asyncio
from typing import Any

import js
from pyodide.ffi import to_js

from teachkit_app import results
from teachkit_app.i18n import _, ngettext
from teachkit_app.jsutil import error_name, present
from teachkit_app.pictures import Pictures, Unusable
from teachkit_app.teach import advice, files
from teachkit_app.teach.lesson import Example, TeachClass, TeachError
from teachkit_app.teach.teacher import Teacher
from teachkit_app.teach.webcam import Webcam
from teachkit_app.wiring import Wired

MAX_MESSAGES = 5
#: Thumbnails shown per class (the newest); the count says how many there are.
MAX_THUMBS = 48


def _by_id(name: str) -> Any:
    el = js.document.getElementById(name)
    if not present(el):
        raise RuntimeError(f"the page has no #{name} element")
    return el


def _el(tag: str, cls: str = "", text: str | None = None, **attrs: str) -> Any:
    el = js.document.createElement(tag)
    if cls:
        el.className = cls
    if text is not None:
        el.textContent = text
    for name, value in attrs.items():
        el.setAttribute(name.rstrip("_").replace("_", "-"), value)
    return el


def _percent(x: float) -> str:
    return f"{100 * x:.0f}%"


class TeachPage(Wired):
    """The page's elements and listeners; ``wire`` connects them to a ``Teacher``."""

    def __init__(self, media: Any, pictures: Pictures) -> None:
        self.media = media
        self.pictures = pictures
        self.messages = _by_id("messages")
        self.announcer = _by_id("announce")
        self.classes_list = _by_id("classes")
        self.teacher: Teacher | None = None
        self.webcam: Webcam | None = None
        self.assets: Any = None
        self.model_dir = ""
        #: The class the pupil last worked on: pasted pictures go there.
        self.current = 0
        #: example id -> its thumbnail's blob: URL (revoked when the example goes).
        self.urls: dict[str, str] = {}
        #: Class id -> its card's parts and its shown thumbnails (example id -> [li, img, has a src]).
        self.cards: dict[str, dict[str, Any]] = {}
        #: Example ids per class when the shown result was trained (the confusion cells' photos).
        self.trained_ids: list[list[str]] = []
        self._proxies: list[Any] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- messages ------------------------------------------------------------------------------
    def say(self, text: str, kind: str = "error") -> None:
        p = _el("p", f"message {kind}", text)
        p.setAttribute("role", "alert" if kind == "error" else "status")
        self.messages.prepend(p)
        while self.messages.children.length > MAX_MESSAGES:
            self.messages.lastElementChild.remove()

    def announce(self, text: str) -> None:
        results.announce(self.announcer, text)

    # -- plumbing ------------------------------------------------------------------------------
    def _report(self, task: asyncio.Future[Any]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        if isinstance(error, TeachError):
            self.say(str(error))
            return
        js.console.error(f"teachkit: {error!r}")
        self.say(_("Something went wrong: %(error)s") % {"error": error_name(error)})

    def _safely(self, action: Any) -> None:
        """Run a quick action of the pupil's; a TeachError becomes a message."""
        try:
            action()
        except TeachError as e:
            self.say(str(e))

    # -- wiring --------------------------------------------------------------------------------
    def wire(self, teacher: Teacher, assets: Any, model_dir: str) -> None:
        self.teacher = teacher
        self.assets = assets
        self.model_dir = model_dir
        teacher.listeners.append(self.on_change)
        self.webcam = Webcam(
            self.media,
            {"video": _by_id("camera-video"), "choice": _by_id("camera-choice")},
            self.say,
            self.record_frame,
            self.live_frame,
        )
        webcam = self.webcam
        self._listen(_by_id("camera-start"), "click", lambda _e: self._run(webcam.start()))
        self._listen(_by_id("camera-stop"), "click", lambda _e: webcam.stop())
        choice = _by_id("camera-choice")
        self._listen(choice, "change", lambda _e: self._run(webcam.choose(str(choice.value))))

        def on_visibility(_event: Any) -> None:
            if js.document.hidden and webcam.running:
                webcam.stop()
                self.say(_("The camera was stopped because the page was hidden."), kind="info")

        self._listen(js.document, "visibilitychange", on_visibility)
        self._listen(_by_id("add-class"), "click", lambda _e: self._safely(self._add_class))
        self._listen(_by_id("train"), "click", lambda _e: self._run(self.train()))
        try_photos = _by_id("try-photos")

        def on_try(_event: Any) -> None:
            self._run(self.try_files([try_photos.files.item(n) for n in range(try_photos.files.length)], try_photos))

        self._listen(try_photos, "change", on_try)
        self._listen(_by_id("start-over"), "click", lambda _e: self._start_over())
        self._listen(_by_id("download-model"), "click", lambda _e: self._run(self.download_model()))
        self._listen(_by_id("download-examples"), "click", lambda _e: self._run(self.download_examples()))
        opener = _by_id("open-file")

        def on_open(_event: Any) -> None:
            if opener.files.length:
                self._run(self.open_file(opener.files.item(0), opener))

        self._listen(opener, "change", on_open)
        self._listen(js.document, "dragover", lambda e: e.preventDefault())
        self._listen(js.document, "drop", self._on_drop)
        self._listen(js.document, "paste", self._on_paste)

    def _add_class(self) -> None:
        assert self.teacher is not None
        i = self.teacher.add_class()
        self.current = i
        field = js.document.querySelector(f'#classes > li:nth-child({i + 1}) input[type="text"]')
        if present(field):
            field.focus()
            field.select()

    def _start_over(self) -> None:
        assert self.teacher is not None
        if not js.window.confirm(_("Delete every class and every example, and start over?")):
            return
        self.teacher.reset()
        self._show_result(None)
        self.say(_("Everything was deleted: a new lesson starts."), kind="info")

    # -- drawing the classes -------------------------------------------------------------------
    def on_change(self, what: str, i: int | None = None) -> None:
        if what in ("load", "classes"):
            self.draw_classes()
        elif what in ("examples", "images"):
            self.update_examples(i)
        trained = self.teacher.lesson.trained if self.teacher is not None else None
        if what != "trained":
            self._mark_outdated()
        elif trained is not None and not trained.heldout:  # an opened model: nothing measured here
            self._show_result(None)
            js.document.body.classList.add("trained")

    def draw_classes(self) -> None:
        assert self.teacher is not None
        alive = {e.id for c in self.teacher.lesson.classes for e in c.examples}
        for gone in [k for k in self.urls if k not in alive]:
            js.window.URL.revokeObjectURL(self.urls.pop(gone))
        self.cards = {}
        items = [self._class_card(k, c) for k, c in enumerate(self.teacher.lesson.classes)]
        self.classes_list.replaceChildren(*items)
        self.current = min(self.current, len(items) - 1)
        self.update_examples()

    def _class_card(self, k: int, cls: TeachClass) -> Any:
        li = _el("li", "teach-class")
        li.dataset.classId = cls.id
        field_id = f"name-{cls.id}"
        head = _el("div", "class-head")
        head.append(_el("label", "visually-hidden", _("Name of class %(number)d") % {"number": k + 1}, for_=field_id))
        name = _el("input", "class-name-field", None, id=field_id, type="text", autocomplete="off")
        name.value = cls.name
        name.setAttribute("maxlength", "60")
        head.append(name)
        count = _el("span", "count")
        count.setAttribute("aria-live", "off")
        head.append(count)
        li.append(head)

        tools = _el("div", "class-tools")
        record = _el("button", "record", _("Hold to record"), type="button")
        record.setAttribute("aria-describedby", "record-hint")
        tools.append(record)
        photos_id = f"photos-{cls.id}"
        picker = _el("input", "class-photos", None, id=photos_id, type="file", accept="image/*")
        picker.multiple = True
        tools.append(picker)
        tools.append(_el("label", "button", _("Add photos"), for_=photos_id))
        clear = _el("button", "clear-class", _("Clear"), type="button")
        tools.append(clear)
        remove = _el("button", "remove-class", _("Delete class"), type="button")
        tools.append(remove)
        li.append(tools)
        thumbs = _el("ul", "thumbs")
        thumbs.setAttribute("aria-label", _("Examples of %(name)s") % {"name": cls.name})
        li.append(thumbs)
        more = _el("p", "more")
        li.append(more)
        self.cards[cls.id] = {"card": li, "count": count, "list": thumbs, "more": more, "items": {}}

        index = lambda: self._index_of(li)  # noqa: E731 - the card's place now, not when drawn
        teacher = self.teacher
        assert teacher is not None and self.webcam is not None
        webcam = self.webcam

        def rename(_e: Any) -> None:
            try:
                teacher.rename_class(index(), str(name.value))
            except TeachError as e:
                self.say(str(e))
                name.value = teacher.lesson.classes[index()].name

        self._listen(name, "change", rename)
        self._listen(li, "focusin", lambda _e: setattr(self, "current", index()))
        self._listen(li, "pointerdown", lambda _e: setattr(self, "current", index()))

        def press(event: Any) -> None:
            event.preventDefault()
            if present(getattr(event, "pointerId", None)) and hasattr(record, "setPointerCapture"):
                record.setPointerCapture(event.pointerId)
            record.classList.add("recording")
            record.setAttribute("aria-pressed", "true")
            self._run(webcam.hold(index()))

        def release(_event: Any) -> None:
            record.classList.remove("recording")
            record.setAttribute("aria-pressed", "false")
            webcam.release()

        def key_down(event: Any) -> None:
            if event.key in (" ", "Enter") and not event.repeat:
                press(event)

        def key_up(event: Any) -> None:
            if event.key in (" ", "Enter"):
                release(event)

        self._listen(record, "pointerdown", press)
        for event in ("pointerup", "pointercancel", "lostpointercapture", "blur"):
            self._listen(record, event, release)
        self._listen(record, "keydown", key_down)
        self._listen(record, "keyup", key_up)
        record.setAttribute("aria-pressed", "false")

        def picked(_e: Any) -> None:
            chosen = [picker.files.item(n) for n in range(picker.files.length)]
            self._run(self._add_then_clear(index(), chosen, picker))

        self._listen(picker, "change", picked)
        self._listen(clear, "click", lambda _e: self._safely(lambda: teacher.clear_class(index())))

        def remove_class(_e: Any) -> None:
            c = teacher.lesson.classes[index()]
            if c.examples and not js.window.confirm(
                _("Delete %(name)s and its %(n)d examples?") % {"name": c.name, "n": len(c.examples)}
            ):
                return
            self._safely(lambda: teacher.remove_class(index()))

        self._listen(remove, "click", remove_class)
        self._listen(li, "drop", lambda e: self._on_drop(e, index()))
        return li

    def _index_of(self, li: Any) -> int:
        children = self.classes_list.children
        for n in range(children.length):
            if children.item(n) == li:
                return n
        raise TeachError(_("That class was deleted."))

    def update_examples(self, only: int | None = None) -> None:
        """Counts and thumbnails of every class (or of class ``only``), without redrawing the
        cards (a held record button, a name being typed stay as they are). What is shown is
        tracked in Python: a recorded frame adds one thumbnail and touches nothing else (reading
        the thumbnails back from the page cost a few ms per frame, measured in bench/teach_page.py)."""
        assert self.teacher is not None
        alive = {e.id for c in self.teacher.lesson.classes for e in c.examples}
        for k, cls in enumerate(self.teacher.lesson.classes):
            if (only is not None and k != only) or cls.id not in self.cards:
                continue
            parts = self.cards[cls.id]
            n = len(cls.examples)
            parts["count"].textContent = ngettext("%(n)d example", "%(n)d examples", n) % {"n": n}
            parts["card"].dataset.count = str(n)
            shown = cls.examples[-MAX_THUMBS:]
            wanted = {e.id for e in shown}
            thumbs: dict[str, Any] = parts["items"]
            for gone in [i for i in thumbs if i not in wanted]:
                thumbs.pop(gone)[0].remove()
                if gone not in alive and gone in self.urls:
                    js.window.URL.revokeObjectURL(self.urls.pop(gone))
            first = n - len(shown) + 1
            for number, example in enumerate(shown, start=first):
                entry = thumbs.get(example.id)
                if entry is None:
                    li, img = self._thumb(k, cls, example, number)
                    thumbs[example.id] = [li, img, bool(example.image)]
                    parts["list"].append(li)  # the newest: at the end
                elif example.image and not entry[2]:
                    entry[1].src = self._url(example)  # a camera picture's JPEG, encoded since
                    entry[2] = True
            more = n - len(shown)
            parts["more"].textContent = _("and %(n)d older examples") % {"n": more} if more > 0 else ""

    def _url(self, example: Example) -> str:
        if example.id not in self.urls:
            blob = js.Blob.new(to_js([to_js(example.image)]))
            self.urls[example.id] = str(js.window.URL.createObjectURL(blob))
        return self.urls[example.id]

    def _thumb(self, k: int, cls: TeachClass, example: Example, number: int) -> tuple[Any, Any]:
        li = _el("li", "thumb-item")
        li.dataset.exampleId = example.id
        img = _el("img", "example")
        if example.image:  # else set once its JPEG is encoded (update_examples)
            img.src = self._url(example)
        img.alt = _("Example %(number)d of %(name)s") % {"number": number, "name": cls.name}
        li.append(img)
        button = _el("button", "delete-example", "×", type="button")
        button.setAttribute("aria-label", _("Delete example %(number)d") % {"number": number})
        teacher = self.teacher
        assert teacher is not None
        card = self.classes_list.children.item(k)

        def delete(_e: Any) -> None:
            self._safely(lambda: teacher.remove_example(self._index_of(card), example.id))

        self._listen(button, "click", delete)
        li.append(button)
        return li, img

    # -- adding examples -----------------------------------------------------------------------
    async def add_files(self, i: int, chosen: list[Any]) -> int:
        """Photos into class ``i``; a picture that is none is said, the others go in."""
        assert self.teacher is not None
        added = 0
        for f in chosen:
            name = str(f.name) if getattr(f, "name", None) else _("pasted picture")
            try:
                picture = await self.teacher.open_picture(f)
            except Unusable as e:
                self.say(e.sentence(name))
                continue
            await self.teacher.add_picture(i, picture)
            added += 1
        if added:
            cls = self.teacher.lesson.classes[i]
            self.announce(
                ngettext("%(n)d photo added to %(name)s.", "%(n)d photos added to %(name)s.", added)
                % {"n": added, "name": cls.name}
            )
        return added

    async def _add_then_clear(self, i: int, chosen: list[Any], picker: Any) -> None:
        try:
            await self.add_files(i, chosen)
        finally:
            picker.value = ""

    def _on_drop(self, event: Any, i: int | None = None) -> None:
        if i is not None:
            event.stopPropagation()
        event.preventDefault()
        dropped = event.dataTransfer.files if present(event.dataTransfer) else None
        if dropped is None or dropped.length == 0:
            self.say(_("Only pictures can be dropped here (drop image files, not links or text)."))
            return
        if i is None:
            self.say(_("Drop photos on a class to add them to it."))
            return
        self.current = i
        self._run(self.add_files(i, [dropped.item(n) for n in range(dropped.length)]))

    def _on_paste(self, event: Any) -> None:
        data = event.clipboardData
        pasted = data.files if present(data) else None
        if pasted is None or pasted.length == 0:
            return  # text into a name field: not ours
        event.preventDefault()
        self._run(self.add_files(self.current, [pasted.item(n) for n in range(pasted.length)]))

    async def record_frame(self, i: int, video: Any) -> None:
        """One webcam frame into class ``i`` (the recording loop calls it a few times a second)."""
        assert self.teacher is not None
        try:
            await self.teacher.add_picture(i, self.teacher.frame_picture(video))
        except (TeachError, Unusable) as e:
            assert self.webcam is not None
            self.webcam.release()
            self.say(e.sentence(_("The camera picture")) if isinstance(e, Unusable) else str(e))

    # -- training ------------------------------------------------------------------------------
    async def train(self) -> None:
        await self.train_with(0)

    async def train_with(self, seed: int) -> None:
        """Train (the button, or ``teachkit.teach.train``), with the progress bar, then the result."""
        assert self.teacher is not None
        button, bar, status = _by_id("train"), _by_id("train-progress"), _by_id("train-status")
        if self.teacher.busy.locked():
            return
        button.disabled = True
        bar.hidden = False
        bar.value = 0
        status.textContent = _("Training…")

        def progress(fraction: float) -> None:
            bar.value = float(fraction)

        try:
            trained = await self.teacher.train(seed=seed, progress=progress)
        except TeachError as e:
            status.textContent = str(e)
            self.say(str(e))
            return
        finally:
            button.disabled = False
            bar.hidden = True
        self.trained_ids = [[e.id for e in c.examples] for c in self.teacher.lesson.classes]
        self._show_result(trained)

    def _mark_outdated(self) -> None:
        section = _by_id("train-result")
        if not section.hidden and self.teacher is not None and self.teacher.lesson.trained is None:
            section.classList.add("outdated")
            _by_id("train-status").textContent = _("The examples changed: press Train again.")

    def _show_result(self, trained: Any) -> None:
        section = _by_id("train-result")
        section.classList.remove("outdated")
        status = _by_id("train-status")
        js.document.body.classList.toggle("trained", trained is not None)
        if trained is None:
            section.hidden = True
            status.textContent = ""
            return
        held = trained.heldout
        summary = _(
            "Right on %(correct)d of %(n)d examples it did not learn from (%(accuracy)s). "
            "Those examples were held out: the model never saw them while learning."
        ) % {"correct": held["correct"], "n": held["n"], "accuracy": _percent(held["accuracy"])}
        status.textContent = _("Trained in %(seconds).1f s.") % {"seconds": trained.ms / 1000}
        heldout = _by_id("heldout")
        heldout.textContent = summary
        heldout.dataset.correct = str(held["correct"])
        heldout.dataset.n = str(held["n"])
        self._per_class(trained)
        self._confusion(trained)
        _by_id("cell-examples").replaceChildren()
        assert self.teacher is not None
        tips = advice.advise(self.teacher.tf, self.teacher.lesson)
        _by_id("advice").replaceChildren(*[_el("li", "", tip) for tip in tips])
        _by_id("advice-heading").hidden = not tips
        section.hidden = False
        self.announce(summary)

    def _per_class(self, trained: Any) -> None:
        body = _by_id("per-class").querySelector("tbody")
        rows = []
        for label in trained.labels:
            row = trained.heldout["perClass"][label]
            tr = _el("tr")
            tr.append(_el("th", "", label, scope="row"))
            tr.append(_el("td", "", _("%(correct)d of %(n)d") % {"correct": row["correct"], "n": row["n"]}))
            tr.append(_el("td", "", _percent(row["recall"])))
            rows.append(tr)
        body.replaceChildren(*rows)

    def _confusion(self, trained: Any) -> None:
        table = _by_id("confusion")
        labels = trained.labels
        head = _el("tr")
        head.append(_el("td"))
        for label in labels:
            head.append(_el("th", "", label, scope="col"))
        table.querySelector("thead").replaceChildren(head)
        rows = []
        for truth, counts in enumerate(trained.heldout["confusion"]):
            tr = _el("tr")
            tr.append(_el("th", "", labels[truth], scope="row"))
            for answer, n in enumerate(counts):
                td = _el("td", "right" if truth == answer else ("wrong" if n else ""))
                if n:
                    button = _el("button", "cell", str(n), type="button")
                    button.setAttribute(
                        "aria-label",
                        ngettext(
                            "%(n)d example of %(truth)s answered %(answer)s: show it",
                            "%(n)d examples of %(truth)s answered %(answer)s: show them",
                            n,
                        )
                        % {"n": n, "truth": labels[truth], "answer": labels[answer]},
                    )
                    self._listen(button, "click", lambda _e, t=truth, a=answer: self._show_cell(trained, t, a))
                    td.append(button)
                else:
                    td.textContent = "0"
                tr.append(td)
            rows.append(tr)
        table.querySelector("tbody").replaceChildren(*rows)

    def _show_cell(self, trained: Any, truth: int, answer: int) -> None:
        """The held-out examples of one cell of the confusion matrix, as pictures."""
        assert self.teacher is not None
        box = _by_id("cell-examples")
        labels = trained.labels
        heading = _el(
            "p",
            "cell-heading",
            _("Examples of %(truth)s that the model answered %(answer)s:")
            % {"truth": labels[truth], "answer": labels[answer]},
        )
        items = []
        by_id = {e.id: e for c in self.teacher.lesson.classes for e in c.examples}
        for cls_index, example_index, predicted in trained.heldout["examples"]:
            if cls_index != truth or predicted != answer:
                continue
            ids = self.trained_ids[cls_index] if cls_index < len(self.trained_ids) else []
            example = by_id.get(ids[example_index]) if example_index < len(ids) else None
            if example is None:
                continue  # deleted since
            li = _el("li")
            img = _el("img", "example", None, src=self._url(example))
            img.alt = _("Example %(number)d of %(name)s") % {"number": example_index + 1, "name": labels[truth]}
            li.append(img)
            items.append(li)
        listing = _el("ul", "thumbs")
        listing.replaceChildren(*items)
        box.replaceChildren(heading, listing)

    # -- trying --------------------------------------------------------------------------------
    async def live_frame(self, video: Any) -> None:
        """The live verdict of a webcam frame, once the model is trained."""
        assert self.teacher is not None
        if self.teacher.lesson.trained is None or self.teacher.busy.locked():
            return
        result = await self.teacher.classify(video)
        live = _by_id("live")
        results.show_verdict(_by_id("live-verdict"), result)
        results.fill_bars(_by_id("live-bars"), result)
        live.dataset.frames = str(int(getattr(live.dataset, "frames", None) or 0) + 1)
        live.dataset.label = result.label or ""

    async def try_files(self, chosen: list[Any], picker: Any) -> None:
        assert self.teacher is not None
        grid = _by_id("try-results")
        verdicts = []
        try:
            if self.teacher.lesson.trained is None:
                self.say(_("Train the model first, then try it."))
                return
            for f in chosen:
                name = str(f.name) if getattr(f, "name", None) else _("pasted picture")
                try:
                    canvas = await self.pictures.open(f)
                except Unusable as e:
                    self.say(e.sentence(name))
                    grid.prepend(results.error_card(name, e.sentence(_("It"))))
                    continue
                result = await self.teacher.classify(canvas)
                grid.prepend(results.card(name, self.pictures.thumbnail(canvas), result))
                verdicts.append(f"{name}: {results.verdict_text(result)}")
        finally:
            picker.value = ""
        if verdicts:
            self.announce("; ".join(verdicts))

    # -- save and open -------------------------------------------------------------------------
    async def download_model(self) -> None:
        assert self.teacher is not None
        data = await files.model_zip(self.teacher, self.assets, self.model_dir)
        files.download(data, files.MODEL_ZIP)

    async def download_examples(self) -> None:
        assert self.teacher is not None
        files.download(await files.examples_zip(self.teacher), files.EXAMPLES_ZIP)

    async def open_file(self, f: Any, picker: Any) -> None:
        assert self.teacher is not None
        try:
            said = await files.open_zip(self.teacher, (await f.arrayBuffer()).to_bytes(), self.assets, self.model_dir)
            self.say(said, kind="info")
        finally:
            picker.value = ""

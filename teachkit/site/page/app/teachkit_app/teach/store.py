"""The lesson's keep: every change of the lesson written to IndexedDB (js/teachstore.js), and the
lesson read back when the page opens, so that a reload or a closed tab loses nothing.

Writes are queued and run one after another in the background: the page never waits for the
disk, and the order of changes is the order they were made (a class renamed, then deleted).
A keep that fails (private mode, a full disk) is said once; the lesson still works in memory.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import js
from pyodide.ffi import to_js

from teachkit_app.i18n import _
from teachkit_app.jsutil import to_object
from teachkit_app.teach.lesson import Example, Lesson, TeachClass


@dataclass
class Kept:
    """What the keep held: the lesson, and the examples whose embedding came from another base
    (the site's model changed since): the page embeds them again from their kept pictures."""

    lesson: Lesson
    stale: list[tuple[int, Example]]


class Store:
    """The lesson in IndexedDB. ``base`` names the frozen base the embeddings come from."""

    def __init__(self, keep: Any, base: str, say: Callable[[str], None]) -> None:
        self.keep = keep  # js/teachstore.js, handed over by js/loader.js
        self.db: Any = None
        self.base = base
        self.say = say
        self._queue: asyncio.Queue[Callable[[], Any]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._failed = False
        self._order = time.time() * 1000

    async def load(self) -> Kept:
        """The kept lesson, or a fresh one ("Class 1", "Class 2") when nothing was kept."""
        try:
            self.db = await self.keep.open()
            kept = await self.db.load()
        except Exception as e:
            self._fail(e)
            return Kept(Lesson.fresh(), [])
        lesson = Lesson()
        by_id: dict[str, int] = {}
        for record in kept.classes:
            by_id[str(record.id)] = len(lesson.classes)
            lesson.classes.append(TeachClass(str(record.name), [], str(record.id)))
        stale = []
        for record in kept.examples:
            k = by_id.get(str(record.classId))
            if k is None:
                continue
            image = bytes((await self.keep.bytesOf(record.image)).to_py())
            embedding = [float(v) for v in record.embedding.to_py()] if record.embedding else []
            colour = tuple(float(v) for v in record.colour) if getattr(record, "colour", None) else None
            example = Example(str(record.id), embedding, image, str(record.filename), colour)
            lesson.classes[k].examples.append(example)
            if str(getattr(record, "base", "")) != self.base or not embedding:
                stale.append((k, example))
        if not lesson.classes:
            lesson = Lesson.fresh()
            self.save_classes(lesson)
        return Kept(lesson, stale)

    # -- changes ------------------------------------------------------------------------------
    def save_classes(self, lesson: Lesson) -> None:
        """The class list (names, order); classes no longer in it go, with their examples."""
        classes = to_object([{"id": c.id, "name": c.name} for c in lesson.classes])
        self._enqueue(lambda: self.db.putClasses(classes))

    def save_example(self, cls: TeachClass, example: Example, image_type: str) -> None:
        self._order += 1
        record = to_object(
            {
                "id": example.id,
                "classId": cls.id,
                "order": self._order,
                "filename": example.filename,
                "type": image_type,
                "base": self.base,
                "colour": list(example.colour) if example.colour else None,
            }
        )
        record.bytes = to_js(example.image)
        record.embedding = to_js(example.embedding)
        self._enqueue(lambda: self.db.putExample(record))

    def save_embeddings(self, examples: list[Example]) -> None:
        items = js.window.Array.new()
        for e in examples:
            item = to_object({"id": e.id, "base": self.base})
            item.embedding = to_js(e.embedding)
            items.push(item)
        self._enqueue(lambda: self.db.putEmbeddings(items))

    def delete_examples(self, examples: list[Example]) -> None:
        ids = to_object([e.id for e in examples])
        self._enqueue(lambda: self.db.deleteExamples(ids))

    def clear(self) -> None:
        self._enqueue(lambda: self.db.clear())

    async def flushed(self) -> None:
        """Returns once every change so far is on disk (the tests and "Start over" wait for it)."""
        await self._queue.join()

    # -- the queue ----------------------------------------------------------------------------
    def _enqueue(self, write: Callable[[], Any]) -> None:
        if self.db is None:
            return
        self._queue.put_nowait(write)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._work())

    async def _work(self) -> None:
        while not self._queue.empty():
            write = self._queue.get_nowait()
            try:
                await write()
            except Exception as e:
                self._fail(e)
            finally:
                self._queue.task_done()

    def _fail(self, error: Exception) -> None:
        js.console.warn(f"teachkit: the keep failed: {error!r}")
        if not self._failed:
            self._failed = True
            self.say(
                _(
                    "This browser does not keep the lesson (a private window, or no space left): "
                    "download the examples before you close the page."
                )
            )

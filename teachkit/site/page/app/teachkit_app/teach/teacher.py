"""The lesson's operations, one way for the page's controls and for ``window.teachkit.teach``:
add pictures (embedded at once, kept), rename and remove, train, classify with the new head.

Every change is kept (``store``) and announced to the listeners (the page redraws); a refusal is
a ``TeachError`` with one sentence a pupil understands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import js
from pyodide.ffi import create_once_callable, to_js

from teachkit.core import decide
from teachkit_app.i18n import _
from teachkit_app.model import Result
from teachkit_app.pictures import Pictures
from teachkit_app.teach.embedder import Embedder
from teachkit_app.teach.lesson import Example, Lesson, TeachClass, TeachError
from teachkit_app.teach.store import Store

#: A picked photo is kept as it is up to this size (the examples zip then has the pupil's own
#: file); a bigger one, or a kind the build does not read, as a JPEG of the decoded picture.
KEEP_ORIGINAL_BYTES = 1_500_000
ORIGINAL_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
JPEG_QUALITY = 0.9


@dataclass(frozen=True)
class Picture:
    """A picture ready to become an example: its pixels (a canvas) and the bytes to keep."""

    canvas: Any
    data: bytes | None  # None: a JPEG of the canvas, made while the picture is embedded
    type: str
    extension: str
    #: What the base embeds when not the canvas: the webcam's <video> itself, as the classify
    #: page reads it (its frame is the canvas's: both are read in one JavaScript task).
    pixels: Any = None


def encode_jpeg(canvas: Any, quality: float = JPEG_QUALITY) -> asyncio.Future[Any]:
    """The canvas's JPEG as a Blob, encoded by the browser while Python goes on (the embedding is
    computed meanwhile: measured 5.6 ms of a webcam frame's 38 ms when awaited in turn)."""
    future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()

    def done(blob: Any) -> None:
        if not future.done():
            future.set_result(blob)

    canvas.toBlob(create_once_callable(done), "image/jpeg", quality)
    return future


async def jpeg_bytes(encoding: asyncio.Future[Any]) -> bytes:
    blob = await encoding
    if blob is None:
        raise TeachError(_("The picture could not be stored."))
    return (await blob.arrayBuffer()).to_bytes()


async def canvas_bytes(canvas: Any, quality: float = JPEG_QUALITY) -> bytes:
    """The canvas as JPEG bytes."""
    return await jpeg_bytes(encode_jpeg(canvas, quality))


class Teacher:
    """The lesson, its base, its keep and its trained head."""

    def __init__(self, tf: Any, embedder: Embedder, pictures: Pictures, media: Any, store: Store) -> None:
        self.tf = tf
        self.embedder = embedder
        self.pictures = pictures
        self.media = media
        self.store = store
        self.lesson = Lesson.fresh()
        self.listeners: list[Callable[[str], None]] = []
        #: Trainings and predictions run one at a time (a pupil clicking Train twice).
        self.busy = asyncio.Lock()
        #: Camera pictures whose JPEG is still being encoded (then kept).
        self.pending: set[asyncio.Task[None]] = set()

    async def load(self) -> None:
        """The kept lesson; examples embedded by another base are embedded again from their pictures."""
        kept = await self.store.load()
        self.lesson = kept.lesson
        if kept.stale:
            for _k, example in kept.stale:
                canvas = await self.pictures.open(js.Blob.new(to_js([to_js(example.image)])))
                embedded = await self.embedder.embed(canvas)
                example.embedding, example.colour = embedded.embedding, embedded.colour
            self.store.save_embeddings([e for _k, e in kept.stale])
        self.changed("load")

    def changed(self, what: str, i: int | None = None) -> None:
        """Tell the listeners: ``what`` changed ("load", "classes", "examples", "trained"), of
        class ``i`` only when given."""
        for listener in self.listeners:
            listener(what, i)

    # -- classes ------------------------------------------------------------------------------
    def add_class(self, name: Any = None) -> int:
        i = self.lesson.add_class(name)
        self.store.save_classes(self.lesson)
        self.changed("classes")
        return i

    def rename_class(self, i: Any, name: Any) -> None:
        self.lesson.rename_class(i, name)
        self.store.save_classes(self.lesson)
        self.changed("classes")

    def remove_class(self, i: Any) -> None:
        self.lesson.remove_class(i)
        self.store.save_classes(self.lesson)
        self.changed("classes")

    def clear_class(self, i: Any) -> None:
        self.store.delete_examples(self.lesson.clear_class(i))
        self.changed("examples")

    def remove_example(self, i: Any, example_id: str) -> None:
        gone = self.lesson.remove_example(i, example_id)
        if gone is not None:
            self.store.delete_examples([gone])
            self.changed("examples")

    def reset(self) -> None:
        """Start over: every class and example goes, "Class 1" and "Class 2" are back."""
        self.store.clear()
        self.lesson = Lesson.fresh()
        self.store.save_classes(self.lesson)
        self.changed("load")

    # -- examples -----------------------------------------------------------------------------
    async def open_picture(self, source: Any) -> Picture:
        """A source (File, Blob, <img>, <canvas>, ImageData, the webcam's <video>) as a Picture;
        ``pictures.Unusable`` when it is none."""
        canvas = await self.pictures.open(source)
        if js.Blob.prototype.isPrototypeOf(source):
            kind = str(source.type or "")
            if kind in ORIGINAL_TYPES and int(source.size) <= KEEP_ORIGINAL_BYTES:
                data = (await source.arrayBuffer()).to_bytes()
                return Picture(canvas, data, kind, ORIGINAL_TYPES[kind])
        return Picture(canvas, None, "image/jpeg", "jpg")

    def frame_picture(self, video: Any) -> Picture:
        """The webcam's current frame as a Picture: drawn once on a plain canvas for its JPEG (a
        canvas the page reads pixels from, as pictures.open makes, cost 3 ms more per frame), and
        embedded from the <video>, as the classify page classifies it."""
        canvas = js.document.createElement("canvas")
        canvas.width, canvas.height = int(video.videoWidth), int(video.videoHeight)
        canvas.getContext("2d").drawImage(video, 0, 0)
        return Picture(canvas, None, "image/jpeg", "jpg", pixels=video)

    async def add_picture(self, i: int, picture: Picture) -> Example:
        """One picture into class ``i``: embedded now, kept, shown."""
        self.lesson.index(i)
        encoding = encode_jpeg(picture.canvas) if picture.data is None else None
        embedded = await self.embedder.embed(picture.canvas if picture.pixels is None else picture.pixels)
        k = self.lesson.index(i)  # the class may have gone meanwhile
        data = picture.data if picture.data is not None else b""
        example = self.lesson.add_example(k, embedded.embedding, data, picture.extension, embedded.colour)
        cls = self.lesson.classes[k]
        if encoding is None:
            self.store.save_example(cls, example, picture.type)
        else:
            # The browser encodes the JPEG in its idle time: the example is in the lesson (and
            # can be trained on) at once, its picture and its keep follow. Awaiting the JPEG
            # here made a webcam example cost 1.8x a classification instead of about 1x.
            task = asyncio.ensure_future(self._keep_encoded(cls, example, encoding))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
        self.changed("examples", k)
        return example

    async def _keep_encoded(self, cls: TeachClass, example: Example, encoding: asyncio.Future[Any]) -> None:
        try:
            example.image = await jpeg_bytes(encoding)
        except TeachError:
            js.console.warn("teachkit: a camera picture could not be encoded; its example is not kept")
            return
        # Deleted meanwhile (a class cleared while recording): not written back into the keep.
        if any(c is cls for c in self.lesson.classes) and any(e is example for e in cls.examples):
            self.store.save_example(cls, example, "image/jpeg")
            self.changed("images", self.lesson.classes.index(cls))

    async def settled(self) -> None:
        """Returns once every picture added so far has its bytes and is kept (the zips, the
        script API and the tests wait for it)."""
        while self.pending:
            await asyncio.gather(*list(self.pending), return_exceptions=True)
        await self.store.flushed()

    # -- training and trying ------------------------------------------------------------------
    def check_trainable(self) -> None:
        """The pupil's own mistakes, said before any work (the trainer checks them again)."""
        if len(self.lesson.classes) < 2:
            raise TeachError(_("Make at least two classes: the model learns to tell classes apart."))
        for c in self.lesson.classes:
            if not c.examples:
                raise TeachError(_("%(name)s has no examples yet: add some, or delete the class.") % {"name": c.name})

    async def train(self, seed: int = 0, progress: Callable[[float], None] | None = None) -> Any:
        """The head on the kept embeddings (teach/trainer.py, the build's recipe); returns Trained."""
        self.check_trainable()
        from teachkit_app.teach import trainer  # imported when first used: the page starts sooner

        async with self.busy:
            trained = await trainer.train(
                self.tf, self.lesson.embeddings(), self.lesson.names(), seed=seed, progress=progress
            )
        self.lesson.trained = trained
        self.changed("trained")
        return trained

    def use(self, trained: Any) -> None:
        """``trained`` as the lesson's model (an opened model zip's head)."""
        self.lesson.trained = trained
        self.changed("trained")

    def _forward(self, pixels: Any, mirror: bool) -> Any:
        x = self.embedder.prepare(pixels, mirror)
        return self.lesson.trained.predict(self.tf, self.embedder.forward(x)).reshape(to_js([-1]))

    async def classify(self, pixels: Any, mirror: bool = False) -> Result:
        """What the trained head says of a picture, as the classify page shows a result."""
        trained = self.lesson.trained
        if trained is None:
            raise TeachError(_("Train the model first, then try it."))
        start = js.performance.now()
        y = self.tf.tidy(create_once_callable(lambda: self._forward(pixels, mirror)))
        try:
            data = y.dataSync() if self.embedder.synchronous else await y.data()
            probs = [float(v) for v in data.to_py().tolist()]
        finally:
            y.dispose()
        index = decide.decide(probs, trained.rule)
        return Result(
            label=None if index is None else trained.labels[index],
            ranked=decide.ranked(trained.labels, probs),
            backend=str(self.tf.getBackend()),
            ms=float(js.performance.now() - start),
        )

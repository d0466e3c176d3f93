"""``window.teachkit.teach``: the lesson for teachers' own pages and for the tests.

Each function answers ``{value}`` or ``{error}`` (one sentence, which js/api.js throws as the
Error's message: never a traceback; the details go to the console). The work is ``Teacher``'s,
the very operations the page's buttons run.
"""

from __future__ import annotations

from typing import Any

import js

from teachkit_app.i18n import _
from teachkit_app.jsutil import error_name, present, proxied_object, to_object
from teachkit_app.pictures import Unusable
from teachkit_app.teach import files
from teachkit_app.teach.lesson import TeachError
from teachkit_app.teach.teacher import Teacher


def _value(value: Any) -> Any:
    return to_object({"value": value})


def _error(text: str) -> Any:
    return to_object({"error": text})


class TeachApi:
    def __init__(self, teacher: Teacher, assets: Any, model_dir: str, page: Any = None) -> None:
        self.teacher = teacher
        self.assets = assets
        self.model_dir = model_dir
        self.page = page  # the Teach page, when there is one: it shows what the API trains
        self._proxies: list[Any] = []

    # -- the lesson ---------------------------------------------------------------------------
    def classes(self) -> Any:
        return to_object(self.teacher.lesson.summary())

    def _sync(self, action: Any) -> Any:
        try:
            return _value(action())
        except TeachError as e:
            return _error(str(e))
        except Exception as e:
            js.console.error(f"teachkit.teach: {e!r}")
            return _error(_("That did not work (%(error)s).") % {"error": error_name(e)})

    def add_class(self, name: Any = None) -> Any:
        return self._sync(lambda: self.teacher.add_class(None if not present(name) else name))

    def rename_class(self, i: Any, name: Any) -> Any:
        return self._sync(lambda: self.teacher.rename_class(i, name))

    def remove_class(self, i: Any) -> Any:
        return self._sync(lambda: self.teacher.remove_class(i))

    async def reset(self) -> Any:
        self.teacher.reset()
        if self.page is not None:
            self.page._show_result(None)
        await self.teacher.store.flushed()
        return _value(None)

    async def add_examples(self, i: Any, sources: Any) -> Any:
        """How many of ``sources`` were added to class ``i``. Unusable sources are skipped; when
        none could be added, the first one's sentence is the error."""
        try:
            k = self.teacher.lesson.index(i)
        except TeachError as e:
            return _error(str(e))
        items = list(sources) if js.window.Array.isArray(sources) else [sources]
        added, first_error = 0, None
        for n, source in enumerate(items):
            subject = _("The file") if js.Blob.prototype.isPrototypeOf(source) else _("The picture")
            if len(items) > 1:
                subject = _("Picture %(number)d") % {"number": n + 1}
            try:
                picture = await self.teacher.open_picture(source)
                await self.teacher.add_picture(k, picture)
                added += 1
            except Unusable as e:
                first_error = first_error or e.sentence(subject)
            except TeachError as e:
                return _error(str(e))
            except Exception as e:
                js.console.error(f"teachkit.teach.addExamples: {e!r}")
                first_error = first_error or _("%(name)s could not be added (%(error)s).") % {
                    "name": subject,
                    "error": error_name(e),
                }
        await self.teacher.settled()
        if added == 0 and first_error:
            return _error(first_error)
        if first_error and self.page is not None:
            self.page.say(first_error)
        return _value(added)

    # -- training and trying ------------------------------------------------------------------
    async def train(self, options: Any = None) -> Any:
        seed = 0
        if present(options) and present(getattr(options, "seed", None)):
            seed = int(options.seed)
        try:
            if self.page is not None:
                await self.page.train_with(seed)
                trained = self.teacher.lesson.trained
                if trained is None:
                    raise TeachError(str(js.document.getElementById("train-status").textContent))
            else:
                trained = await self.teacher.train(seed=seed)
        except TeachError as e:
            return _error(str(e))
        held = trained.heldout
        return _value(
            {
                "heldout": {"accuracy": held["accuracy"], "n": held["n"], "correct": held["correct"]},
                "perClass": held["perClass"],
                "confusion": held["confusion"],
                "labels": list(trained.labels),
                "epochs": trained.epochs,
                "ms": trained.ms,
            }
        )

    async def _classify(self, source: Any) -> dict[str, Any]:
        """{label, probabilities, backend, ms} with the trained head, or {error}."""
        subject = _("The file") if js.Blob.prototype.isPrototypeOf(source) else _("The picture")
        try:
            canvas = await self.teacher.pictures.open(source)
            result = await self.teacher.classify(canvas)
        except Unusable as e:
            return {"error": e.sentence(subject)}
        except TeachError as e:
            return {"error": str(e)}
        except Exception as e:
            js.console.error(f"teachkit.teach.classify: {e!r}")
            text = _("%(name)s could not be classified (%(error)s).")
            return {"error": text % {"name": subject, "error": error_name(e)}}
        return result.to_api()

    async def classify(self, source: Any) -> Any:
        out = await self._classify(source)
        return to_object(out if "error" in out else {"value": out})

    async def classify_for_page_api(self, source: Any) -> Any:
        """``teachkit.classify`` on the Teach page (js/api.js's shape: the result, or {error})."""
        return to_object(await self._classify(source))

    # -- save and open ------------------------------------------------------------------------
    async def export_model(self) -> Any:
        try:
            data = await files.model_zip(self.teacher, self.assets, self.model_dir)
        except TeachError as e:
            return _error(str(e))
        return self._blob(data)

    async def export_examples(self) -> Any:
        try:
            data = await files.examples_zip(self.teacher)
        except TeachError as e:
            return _error(str(e))
        return self._blob(data)

    def _blob(self, data: bytes) -> Any:
        out = js.Object.new()
        out.value = files.zip_blob(data)
        return out

    async def open(self, blob: Any) -> Any:
        if not present(blob) or not js.Blob.prototype.isPrototypeOf(blob):
            return _error(_("teachkit.teach.open needs a Blob or File of a zip."))
        try:
            said = await files.open_zip(
                self.teacher, (await blob.arrayBuffer()).to_bytes(), self.assets, self.model_dir
            )
        except TeachError as e:
            return _error(str(e))
        await self.teacher.store.flushed()
        return _value(said)

    # -- the bridge ---------------------------------------------------------------------------
    def labels(self) -> Any:
        trained = self.teacher.lesson.trained
        return to_object(list(trained.labels) if trained is not None else self.teacher.lesson.names())

    def to_js(self) -> Any:
        """What js/api.js connects: ``classify``, ``backend`` and ``labels`` as on the classify
        page (with the newly trained model), and ``teach``."""
        teach = {
            "classes": self.classes,
            "addClass": self.add_class,
            "renameClass": self.rename_class,
            "removeClass": self.remove_class,
            "addExamples": self.add_examples,
            "train": self.train,
            "classify": self.classify,
            "exportModel": self.export_model,
            "exportExamples": self.export_examples,
            "open": self.open,
            "reset": self.reset,
        }
        impl = {
            "classify": self.classify_for_page_api,
            "backend": lambda: str(self.teacher.tf.getBackend()),
            "labels": self.labels,
        }
        obj = self._object(impl)
        obj.teach = self._object(teach)
        return obj

    def _object(self, funcs: dict[str, Any]) -> Any:
        return proxied_object(funcs, self._proxies)

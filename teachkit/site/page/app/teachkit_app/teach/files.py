"""Save and open on the Teach page: the zips are ``zips``' (Python's ``zipfile``); this module
gathers what they need (the site's model files from the registry, the lesson), hands the pupil a
download, and puts an opened zip's pictures into the lesson through ``Teacher`` (embedded, kept).
"""

from __future__ import annotations

import json
from typing import Any

import js
from pyodide.ffi import create_once_callable, to_js

from teachkit.core import decide
from teachkit_app.i18n import _, ngettext
from teachkit_app.pictures import Unusable
from teachkit_app.teach import trainer, zips
from teachkit_app.teach.lesson import MAX_NAME, TeachError
from teachkit_app.teach.teacher import Teacher

MODEL_ZIP = "teachkit-model.zip"
EXAMPLES_ZIP = "teachkit-examples.zip"
#: A picture's type by its first bytes: kept as it is when the page keeps originals (teacher.py).
MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


async def base_files(assets: Any, model_dir: str) -> zips.BaseFiles:
    """The site's model folder as the registry serves it (what tfstart.js loaded)."""
    files: dict[str, bytes] = {}
    for name in ("model.json", "metadata.json"):
        files[name] = (await assets.bytes(model_dir + name)).to_bytes()
    for group in json.loads(files["model.json"]).get("weightsManifest", []):
        for path in group.get("paths", []):
            files[str(path)] = (await assets.bytes(model_dir + str(path))).to_bytes()
    return zips.BaseFiles.from_files(files)


def _blob(data: bytes, kind: str = "application/zip") -> Any:
    return js.Blob.new(to_js([to_js(data)]), js.JSON.parse(json.dumps({"type": kind})))


async def model_zip(teacher: Teacher, assets: Any, model_dir: str) -> bytes:
    trained = teacher.lesson.trained
    if trained is None:
        raise TeachError(_("Train the model first, then download it."))
    # Examples per class of the model (an opened model's classes may hold none here).
    sizes = {c.name.casefold(): len(c.examples) for c in teacher.lesson.classes}
    counts = [sizes.get(label.casefold(), 0) for label in trained.labels]
    return zips.model_zip(await base_files(assets, model_dir), trained, counts)


async def examples_zip(teacher: Teacher) -> bytes:
    await teacher.settled()  # every camera picture's JPEG
    if not any(c.examples for c in teacher.lesson.classes):
        raise TeachError(_("There are no examples to download yet."))
    return zips.examples_zip(teacher.lesson)


def download(data: bytes, filename: str) -> None:
    """The browser's download of ``data`` as ``filename`` (a link clicked; nothing is sent)."""
    url = js.window.URL.createObjectURL(_blob(data))
    link = js.document.createElement("a")
    link.href = url
    link.download = filename
    link.hidden = True
    js.document.body.append(link)
    link.click()
    link.remove()
    js.window.setTimeout(create_once_callable(lambda: js.window.URL.revokeObjectURL(url)), 60_000)


def zip_blob(data: bytes) -> Any:
    return _blob(data)


async def open_zip(teacher: Teacher, data: bytes, assets: Any, model_dir: str) -> str:
    """An examples zip into the lesson (each folder into the class of its name, made when
    missing), or a model zip to try (``open_model``); returns what happened, in a sentence."""
    opened = zips.open_zip(data)
    if isinstance(opened, zips.OpenedModel):
        return open_model(teacher, opened, await base_files(assets, model_dir))
    added, skipped = 0, len(opened.skipped)
    # An empty lesson ("Class 1", "Class 2" after Start over) becomes the zip's classes.
    wanted = {name.casefold() for name, _pictures in opened.classes}
    empty = not any(c.examples for c in teacher.lesson.classes)
    unused = [c for c in teacher.lesson.classes if empty and c.name.casefold() not in wanted]
    for name, pictures in opened.classes:
        name = name[:MAX_NAME]
        names = [c.casefold() for c in teacher.lesson.names()]
        i = names.index(name.casefold()) if name.casefold() in names else teacher.add_class(name)
        for _filename, picture in pictures:
            kind = next((t for magic, t in MAGIC if picture.startswith(magic)), "")
            try:
                ready = await teacher.open_picture(_blob(picture, kind))
            except Unusable:
                skipped += 1
                continue
            await teacher.add_picture(i, ready)
            added += 1
    for cls in unused:
        if not cls.examples and cls in teacher.lesson.classes and len(teacher.lesson.classes) > 2:
            teacher.remove_class(teacher.lesson.classes.index(cls))
    said = ngettext("%(n)d example was added.", "%(n)d examples were added.", added) % {"n": added}
    if skipped:
        left_out = ngettext(
            "%(n)d file was not a picture and was left out.",
            "%(n)d files were not pictures and were left out.",
            skipped,
        )
        said += " " + left_out % {"n": skipped}
    return said


def open_model(teacher: Teacher, opened: zips.OpenedModel, base: zips.BaseFiles) -> str:
    """A model zip (ours or Teachable Machine's) as the model Try it uses: its head on this page's
    base (every Teachable Machine export carries the same frozen MobileNetV2). Its classes join the
    lesson (empty; nothing of the lesson is lost); training again replaces it."""
    head = opened.head(base)  # a TeachError when it was made on another base
    names = [n.casefold() for n in teacher.lesson.names()]
    for label in opened.labels:
        if label.casefold() not in names:
            teacher.add_class(label[:MAX_NAME])
    teacher.use(
        trainer.Trained(
            labels=list(opened.labels),
            hidden_kernel=head.hidden_kernel,
            hidden_bias=head.hidden_bias,
            classes_kernel=head.classes_kernel,
            features=head.features,
            temperature=1.0,
            rule=decide.Rule.from_metadata(opened.metadata),
            heldout={},
            epochs=0,
            ms=0.0,
        )
    )
    return _(
        "The model was opened: try it with the camera or with photos. "
        "Train to replace it with one made from your examples."
    )

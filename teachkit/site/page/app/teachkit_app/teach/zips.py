"""Save and open: the model zip, the examples zip, and opening either, with Python's ``zipfile``.

- ``model_zip``: Teachable Machine's export (``model.json``, ``weights.bin``, ``metadata.json``)
  of the site's frozen base with the head the pupil trained (``teachkit.core.tmformat``), which
  ``teachkit site``, ``teachkit evaluate``, TF.js and Teachable Machine's library load.
- ``examples_zip``: one folder per class, the pictures as they were kept: ``teachkit train``
  takes the unzipped folder as its photos.
- ``open_zip``: either kind back (or a Teachable Machine export), after the build's own checks
  (``teachkit.core.zipcheck``: no path outside, no link, size and count limits, a zip bomb refused
  from its directory before anything is inflated; ``teachkit.core.modelcheck`` on a model).
  Nothing of the lesson changes here: a refusal is a ``TeachError`` and the caller keeps what it had.

Standard library only (no ``js``), so CPython imports and tests it too.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import teachkit
from teachkit.core import modelcheck, tmformat, zipcheck
from teachkit_app.i18n import _
from teachkit_app.teach.lesson import TeachError

#: What a zip may hold: the most examples a lesson keeps (20 classes, a few hundred pictures each)
#: and more than a model's three files; unpacked, at most 300 MB (a lesson of 2000 webcam frames
#: is about 60 MB; a model 2.3 MB), which Pyodide's memory holds twice over.
MAX_FILES = 5000
MAX_BYTES = 300 * 2**20
#: The build's limit for one photo (teachkit.data.photos: 100 MB).
MAX_PHOTO_BYTES = 100 * 2**20
#: The build's limit for model.json and metadata.json (teachkit.model.files; a real one is 92 KB).
MAX_JSON_BYTES = 16 * 2**20
#: The pictures the page decodes (createImageBitmap in every browser), by their first bytes.
IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)
#: Files zip tools add that are nobody's photos: skipped without a word.
JUNK_PARTS = ("__MACOSX",)
JUNK_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini")
#: Characters no folder name may hold on Windows, macOS or Linux.
NOT_IN_FOLDER_NAMES = '/\\:*?"<>|'


@dataclass(frozen=True)
class BaseFiles:
    """The site's model folder, as the registry serves it: model.json, weights.bin, metadata.json."""

    model_json: bytes
    weights: bytes
    metadata: bytes

    @classmethod
    def from_files(cls, files: dict[str, bytes]) -> BaseFiles:
        return cls(files["model.json"], files[tmformat.WEIGHTS], files["metadata.json"])

    def base(self) -> tmformat.Base:
        """The frozen base: a full site's first part, or a teach-only site's whole model."""
        model, meta = json.loads(self.model_json), json.loads(self.metadata)
        user = meta.get("userMetadata") or {}
        features = user.get("features") if user.get("teachOnly") else None
        return tmformat.base_of(model, self.weights, features)


@dataclass
class OpenedExamples:
    """An examples zip: (class name, [(file name, bytes)]) in the zip's order, and what was skipped."""

    classes: list[tuple[str, list[tuple[str, bytes]]]]
    #: (name in the zip, why), in words for the pupil: files that are not pictures, too large...
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class OpenedModel:
    """A model zip, ours or Teachable Machine's: its files, checked as the build checks them."""

    files: dict[str, bytes]  # model.json, metadata.json and the weight files, by name
    metadata: dict[str, Any]
    labels: list[str]
    is_teachkit: bool

    def head(self, base: BaseFiles) -> tmformat.Head:
        """Its head, to answer with on this page's base; a ``TeachError`` when it was made on
        another base (every Teachable Machine export and Teachkit model share one: ImageNet
        MobileNetV2 alpha 0.35, the same bytes in each)."""
        model = json.loads(self.files["model.json"])
        paths = [p for group in model["weightsManifest"] for p in group["paths"]]
        weights = b"".join(self.files[p] for p in paths)
        other = _("This model was made on another base model than this page's, so it cannot answer here.")
        try:
            if tmformat.base_of(model, weights).data != base.base().data:
                raise TeachError(other)
            return tmformat.head_of(model, weights)
        except tmformat.NotABase:
            raise TeachError(other) from None


# -- Saving --------------------------------------------------------------------------------------


def _zip(entries: Sequence[tuple[str, bytes | None]], stored: Sequence[str] = ()) -> bytes:
    """A zip of (name, bytes) entries, None for a folder; dated now, as a download is. Names in
    ``stored`` (and folders) are stored, the rest deflated."""
    now = time.localtime()[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name if data is not None else name.rstrip("/") + "/", date_time=now)
            info.external_attr = (0o755 if data is None else 0o644) << 16
            keep = data is None or name in stored
            info.compress_type = zipfile.ZIP_STORED if keep else zipfile.ZIP_DEFLATED
            zf.writestr(info, data or b"")
    return buf.getvalue()


def model_zip(
    base: BaseFiles,
    trained: Any,
    counts: Sequence[int] | None = None,
    name: str = "teachkit-model",
    tfjs_version: str = "",
) -> bytes:
    """The trained head on the site's base, as a Teachable Machine export zip.

    ``trained`` is ``teach.trainer.Trained``; ``counts`` the examples per class (metadata's
    ``classCounts``); ``tfjs_version`` the page's TF.js (default: the version the base says)."""
    frozen = base.base()
    labels = list(trained.labels)
    if int(trained.features) != frozen.features:
        raise TeachError(_("This model was trained on another base model than this page's; train it again here."))
    model, weights = tmformat.with_head(
        frozen, trained.hidden_kernel, trained.hidden_bias, trained.classes_kernel, len(labels)
    )
    site_meta = json.loads(base.metadata)
    heldout = trained.heldout or {}
    user: dict[str, Any] = {"notSure": trained.rule.to_metadata(), "mirror": False}
    if counts is not None:
        user["classCounts"] = dict(zip(labels, (int(n) for n in counts), strict=True))
    if "accuracy" in heldout:
        user["heldout"] = {"accuracy": float(heldout["accuracy"]), "n": int(heldout.get("n", 0))}
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    tfjs = tfjs_version or str(site_meta.get("tfjsVersion", ""))
    meta = tmformat.metadata(labels, name, user, tfjs, teachkit.__version__, stamp)
    # What is saved is checked as any model a teacher brings: a head that does not fit fails here.
    modelcheck.validate(model, meta, {tmformat.WEIGHTS: len(weights)}, where=name)
    return _zip(
        [
            ("model.json", json.dumps(model).encode("utf-8")),
            (tmformat.WEIGHTS, weights),
            ("metadata.json", json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8")),
        ],
        # float32 weights deflate by 8% only (2.00 MB against 2.16 MB), and deflating them made
        # model_zip take 0.3-2.5 s in Pyodide against 50-95 ms stored (measured): stored.
        stored=[tmformat.WEIGHTS],
    )


def folder_name(name: str) -> str:
    """A class name as a folder name every system accepts: the characters no folder may hold,
    control characters and leading dots (hidden) replaced by "_"; the name otherwise kept."""
    text = "".join("_" if ch in NOT_IN_FOLDER_NAMES or ord(ch) < 32 or ord(ch) == 127 else ch for ch in name)
    text = text.strip().rstrip(".")
    if text.startswith("."):
        text = "_" + text[1:]
    return text or "_"


def examples_zip(lesson: Any) -> bytes:
    """Every class's pictures in a folder named as the class (``teachkit train`` reads the
    unzipped folder); an empty class is an empty folder."""
    entries: list[tuple[str, bytes | None]] = []
    taken: set[str] = set()
    for cls in lesson.classes:
        folder = folder_name(cls.name)
        stem, k = folder, 2
        while folder.casefold() in taken:  # two names that only differed in a "/"
            folder, k = f"{stem} ({k})", k + 1
        taken.add(folder.casefold())
        entries.append((folder, None))
        files: set[str] = set()
        for n, example in enumerate(cls.examples, 1):
            file = folder_name(PurePosixPath(example.filename).name) if example.filename else ""
            if not file or file in files:
                file = f"{n:04d}.jpg"
            files.add(file)
            entries.append((f"{folder}/{file}", bytes(example.image)))
    # Pictures are compressed already: stored, the zip is as fast to write as to copy.
    return _zip(entries, stored=[name for name, _ in entries])


# -- Opening -------------------------------------------------------------------------------------


def _refusal(e: zipcheck.Refused) -> TeachError:
    """A refused zip in the pupil's words (the build's sentence is for a teacher's terminal)."""
    name = e.member
    words = {
        "count": _("This zip holds too many files: Teachkit opens zips of at most %(n)d files.") % {"n": MAX_FILES},
        "path": _("This zip has a file that would land outside its folder (%(name)s), so it was not opened.")
        % {"name": name},
        "link": _("This zip has a link to somewhere else in it (%(name)s), so it was not opened.") % {"name": name},
        "encrypted": _("This zip is locked with a password. Make the zip again without a password."),
        "method": _("This zip is packed in a way Teachkit cannot read. Make it again as an ordinary zip."),
        "twice": _("This zip holds %(name)s twice, so it is damaged.") % {"name": name},
        "size": _("This zip would unpack to more than %(mb)d MB, which is too much to open here.")
        % {"mb": MAX_BYTES // 2**20},
        "bomb": _("This zip holds a file that would swell to an enormous size (a zip bomb), so it was not opened."),
        "damaged": _("This zip is damaged (%(name)s), so nothing of it was used.") % {"name": name},
    }
    return TeachError(words.get(e.kind, _("This zip cannot be opened.")))


def _json(data: bytes) -> Any:
    def no_constants(word: str) -> Any:
        raise ValueError(f"{word} is not a number")

    return json.loads(data.decode("utf-8"), parse_constant=no_constants)


def _image_kind(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((kind for magic, kind in IMAGE_MAGIC if data.startswith(magic)), None)


def open_zip(data: bytes, name: str = "The zip") -> OpenedExamples | OpenedModel:
    """An examples zip or a model zip (ours or a Teachable Machine export), checked as the build
    checks a zip; a ``TeachError`` in the pupil's words for anything else."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise TeachError(_("This file is not a zip file.")) from None
    with zf:
        members = zf.infolist()
        try:
            zipcheck.check_members(members, name, MAX_FILES, MAX_BYTES)
        except zipcheck.Refused as e:
            raise _refusal(e) from None
        files = [m for m in members if not m.is_dir() and not _junk(m.filename)]
        names = {m.filename for m in files}
        models = [m for m in files if PurePosixPath(m.filename).name == "model.json"]
        if len(models) > 1:
            raise TeachError(_("This zip holds more than one model; open one model at a time."))
        if models:
            return _open_model(zf, files, models[0], name)
        other = modelcheck.describe_other_export(names)
        if other:
            raise TeachError(
                _("This zip is not a model for the web (it holds %(what)s). Export the model for TensorFlow.js.")
                % {"what": other}
            )
        return _open_examples(zf, files, [m for m in members if m.is_dir()], name)


def _junk(filename: str) -> bool:
    path = PurePosixPath(filename)
    return any(part in JUNK_PARTS for part in path.parts) or path.name in JUNK_NAMES


def _open_model(zf: zipfile.ZipFile, files: list[zipfile.ZipInfo], model: zipfile.ZipInfo, name: str) -> OpenedModel:
    folder = PurePosixPath(model.filename).parent
    beside = {PurePosixPath(m.filename).name: m for m in files if PurePosixPath(m.filename).parent == folder}
    if "metadata.json" not in beside:
        raise TeachError(_("This model zip has no metadata.json beside its model.json, so it cannot be used."))
    try:
        for n in ("model.json", "metadata.json"):
            if beside[n].file_size > MAX_JSON_BYTES:
                raise modelcheck.Invalid(f"{n} is {beside[n].file_size // 2**20} MB, far more than a model's")
        raw = {n: zipcheck.read(zf, beside[n], name) for n in ("model.json", "metadata.json")}
        model_json, meta = _json(raw["model.json"]), _json(raw["metadata.json"])
        paths = modelcheck.validate(model_json, meta, where=name)
        missing = [p for p in paths if p not in beside]
        if missing:
            raise TeachError(_("This model zip has no %(name)s, so it cannot be used.") % {"name": missing[0]})
        # The sizes the directory declares first: a weights file of the wrong size is never inflated.
        modelcheck.validate(model_json, meta, {p: beside[p].file_size for p in paths}, where=name)
        out = {**raw, **{p: zipcheck.read(zf, beside[p], name) for p in paths}}
        modelcheck.validate(model_json, meta, {p: len(out[p]) for p in paths}, where=name)
        modelcheck.check_finite(model_json, out, where=name)
    except zipcheck.Refused as e:
        raise _refusal(e) from None
    # modelcheck.Invalid is a ValueError, as bad JSON is; JSON nested thousands deep is a RecursionError
    except (ValueError, RecursionError) as e:
        raise TeachError(_("The model in this zip cannot be used: %(why)s") % {"why": str(e)[:300]}) from None
    labels = [str(x) for x in meta["labels"]]
    return OpenedModel(out, meta, labels, meta.get("packageName") == "teachkit")


def _open_examples(
    zf: zipfile.ZipFile, files: list[zipfile.ZipInfo], folders: list[zipfile.ZipInfo], name: str
) -> OpenedExamples:
    """Class folders at the top, or inside one folder (what zipping a photos folder gives)."""
    paths = [PurePosixPath(m.filename) for m in files]
    tops = {p.parts[0] for p in paths}
    strip = 1 if paths and len(tops) == 1 and all(len(p.parts) >= 3 for p in paths) else 0
    classes: dict[str, list[tuple[str, bytes]]] = {}
    for m in folders:
        parts = PurePosixPath(m.filename).parts[strip:]
        if len(parts) == 1:
            classes.setdefault(parts[0], [])
    skipped: list[tuple[str, str]] = []
    for m in files:
        parts = PurePosixPath(m.filename).parts[strip:]
        if len(parts) < 2:
            skipped.append((m.filename, _("not in a class folder")))
            continue
        if parts[-1].startswith("."):
            skipped.append((m.filename, _("a hidden file")))
            continue
        if m.file_size > MAX_PHOTO_BYTES:
            skipped.append((m.filename, _("too large for a photo")))
            continue
        try:
            data = zipcheck.read(zf, m, name)
        except zipcheck.Refused as e:
            raise _refusal(e) from None
        if _image_kind(data) is None:
            skipped.append((m.filename, _("not a picture")))
            continue
        classes.setdefault(parts[0], []).append(("/".join(parts[1:]), data))
    if not any(classes.values()):
        raise TeachError(_("This zip holds no model and no pictures in class folders, so there was nothing to open."))
    return OpenedExamples(list(classes.items()), skipped)

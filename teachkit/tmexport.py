"""Read a model folder: ours, or a Teachable Machine image export (a folder or its .zip).

A zip is checked before anything is written: no path outside the target folder, no links, a
size limit. Exports Teachkit cannot run (pose, audio, Keras/TFLite downloads, the "tiny"
greyscale model) are refused with a message that says what they are.
"""

from __future__ import annotations

import contextlib
import json
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from teachkit.errors import ModelError

REQUIRED = ("model.json", "metadata.json")
MAX_ZIP_BYTES = 200 * 1024 * 1024  # unpacked; a real image export is about 2.3 MB
MAX_ZIP_MEMBERS = 100
DEFAULT_IMAGE_SIZE = 224


@dataclass(frozen=True)
class ModelFiles:
    """A readable model folder: model.json, its weight files, and normalised metadata."""

    dir: Path
    metadata: dict[str, Any]
    topology: dict[str, Any]

    @property
    def labels(self) -> list[str]:
        return list(self.metadata["labels"])

    @property
    def name(self) -> str:
        return str(self.metadata.get("modelName") or self.dir.name)

    @property
    def is_teachkit(self) -> bool:
        return self.metadata.get("packageName") == "teachkit"


def _describe_other_export(names: set[str]) -> str | None:
    """What a folder or zip that is not a TF.js image export is, if it is recognisably something."""
    lower = {PurePosixPath(n).name.lower() for n in names}
    if any(n.endswith(".tflite") for n in lower):
        return "a TensorFlow Lite export (Teachable Machine's 'TensorFlow Lite' tab)"
    if any(n.endswith((".h5", ".keras")) for n in lower):
        return "a Keras export (Teachable Machine's 'TensorFlow' tab, Keras)"
    if "saved_model.pb" in lower:
        return "a TensorFlow SavedModel export"
    return None


def _safe_extract(zip_path: Path, target: Path) -> Path:
    """Extract a zip into ``target`` after checking every member; return the folder holding model.json."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ModelError(f"{zip_path} is not a zip file Teachkit can open ({e}).") from None
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise ModelError(f"{zip_path} holds {len(members)} files; a Teachable Machine export holds 3.")
        total = 0
        for m in members:
            name = PurePosixPath(m.filename)
            if name.is_absolute() or ".." in name.parts or "\\" in m.filename or ":" in m.filename:
                raise ModelError(f"{zip_path} has a file with an unsafe path ({m.filename!r}); nothing was extracted.")
            if stat.S_ISLNK(m.external_attr >> 16):
                raise ModelError(f"{zip_path} has a link in it ({m.filename!r}); nothing was extracted.")
            total += m.file_size
        if total > MAX_ZIP_BYTES:
            raise ModelError(
                f"{zip_path} unpacks to {total // 2**20} MB, far more than a model; nothing was extracted."
            )
        names = {m.filename for m in members if not m.is_dir()}
        other = _describe_other_export(names)
        if other:
            raise ModelError(f"{zip_path} is {other}. Teachkit needs the 'TensorFlow.js' image export (model.json).")
        tops = [n for n in names if PurePosixPath(n).name == "model.json"]
        if len(tops) != 1:
            raise ModelError(f"{zip_path} has no model.json: it is not a Teachable Machine image export.")
        for m in members:
            if m.is_dir():
                continue
            dest = target.joinpath(*PurePosixPath(m.filename).parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(m) as src, open(dest, "wb") as out:
                remaining = m.file_size
                while chunk := src.read(1 << 20):
                    remaining -= len(chunk)
                    if remaining < 0:  # the header lied about the size
                        raise ModelError(f"{zip_path} is damaged (a file is larger than it says).")
                    out.write(chunk)
        return target.joinpath(*PurePosixPath(tops[0]).parts[:-1])


def _input_shape(topology: Any) -> list[Any] | None:
    """The first batch_input_shape in a Keras topology (nested models included)."""
    if isinstance(topology, dict):
        if "batch_input_shape" in topology:
            return topology["batch_input_shape"]
        values = topology.values()
    elif isinstance(topology, list):
        values = topology
    else:
        return None
    for v in values:
        found = _input_shape(v)
        if found is not None:
            return found
    return None


def normalise_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """Fill what older Teachable Machine formats leave out (tmVersion 1.x and 2.1.x: no imageSize)."""
    meta = dict(raw)
    meta.setdefault("imageSize", DEFAULT_IMAGE_SIZE)
    if not isinstance(meta.get("userMetadata"), dict):
        meta["userMetadata"] = {}
    return meta


def read_folder(folder: Path) -> ModelFiles:
    """Check a model folder and read its metadata; refuse what Teachkit cannot run."""
    if not folder.is_dir():
        raise ModelError(f"There is no model at {folder}.")
    names = {p.name for p in folder.iterdir()}
    other = _describe_other_export(names)
    if other and "model.json" not in names:
        raise ModelError(f"{folder} is {other}. Teachkit needs the 'TensorFlow.js' image export (model.json).")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise ModelError(f"{folder} is not a model folder: {', '.join(missing)} missing.")
    try:
        model = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"{folder}: model.json or metadata.json is damaged ({e}).") from None
    if "wordLabels" in meta or "modelSettings" in meta and "posenet" in json.dumps(meta["modelSettings"]):
        kind = "an audio model" if "wordLabels" in meta else "a pose model"
        raise ModelError(f"{folder} is {kind} from Teachable Machine; Teachkit works with image models.")
    topology = model.get("modelTopology")
    if not isinstance(topology, dict) or "weightsManifest" not in model:
        raise ModelError(f"{folder}/model.json is not a TF.js layers model.")
    labels = meta.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise ModelError(f"{folder}/metadata.json has no list of class labels.")
    shape = _input_shape(topology)
    if shape is None or len(shape) != 4:
        raise ModelError(f"{folder}/model.json does not take images as input.")
    if shape[1:] != [224, 224, 3]:
        h, w, c = shape[1:]
        colour = "greyscale" if c == 1 else f"{c}-channel"
        raise ModelError(
            f"{folder} is a {w}x{h} {colour} model (Teachable Machine's 'tiny' image model, made for "
            "microcontrollers). Teachkit runs the standard image model: in Teachable Machine, choose "
            "'Standard image model' and export it for TensorFlow.js."
        )
    for group in model["weightsManifest"]:
        for p in group.get("paths", []):
            if not (folder / p).is_file() or "/" in p or "\\" in p:
                raise ModelError(f"{folder}: the weight file {p!r} named in model.json is missing.")
    return ModelFiles(dir=folder, metadata=normalise_metadata(meta), topology=topology)


@contextlib.contextmanager
def open_model(path: Path | str) -> Iterator[ModelFiles]:
    """A model from a folder or an export zip; a zip is unpacked, checked, into a temporary folder."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="teachkit-model-") as tmp:
            yield read_folder(_safe_extract(path, Path(tmp)))
        return
    if path.is_file():
        raise ModelError(f"{path} is a file; give a model folder or a Teachable Machine export .zip.")
    yield read_folder(path)

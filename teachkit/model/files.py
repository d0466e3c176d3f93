"""Read a model folder: ours, or a Teachable Machine image export (a folder or its .zip).

A zip is checked before anything is written: no path outside the target folder, no links, a
size limit. Exports Teachkit cannot run (pose, audio, Keras/TFLite downloads, the "tiny"
greyscale model) are refused with a message that says what they are.

``validate`` is the one check of a model (structure, types, shapes, labels against outputs, the
weights' byte count) that ``site``, ``evaluate`` and ``train --base-from`` go through. It and
``check_finite`` use the standard library alone and read no file, so the page's "Open" can run
this very module in Pyodide on the files a teacher drops; ``read_folder`` does the reading.
"""

from __future__ import annotations

import contextlib
import json
import math
import stat
import struct
import sys
import tempfile
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from teachkit import fileio
from teachkit.core import modelinfo
from teachkit.core.modelinfo import DEFAULT_IMAGE_SIZE, ModelInfo
from teachkit.errors import ModelError

REQUIRED = ("model.json", "metadata.json")
MAX_ZIP_BYTES = 200 * 1024 * 1024  # unpacked; a real image export is about 2.3 MB
MAX_ZIP_MEMBERS = 100
MAX_JSON_BYTES = 16 * 1024 * 1024  # a real model.json is 92 KB, metadata.json under 1 KB
MAX_WEIGHTS_BYTES = MAX_ZIP_BYTES  # a real weights.bin is 2.2 MB
MAX_NAME_BYTES = 255  # the longest file name (one path component) Linux, macOS and Windows allow
#: Bytes per value of the dtypes TF.js writes in a manifest, and of its quantised storage.
DTYPE_BYTES = {"float32": 4, "int32": 4, "bool": 1}
QUANTISED_BYTES = {"uint8": 1, "uint16": 2, "float16": 2}
#: Files of a model folder that are never weights: a manifest naming one is refused.
NOT_WEIGHTS = {"model.json", "metadata.json", "metrics.json", "dataset-report.json"}
#: Compression methods Python's zipfile reads (stored, deflate, bzip2, lzma).
ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


@dataclass(frozen=True)
class ModelFiles:
    """A readable model folder: model.json, its weight files, and normalised metadata.

    ``files`` holds the bytes of model.json and of every weight file exactly as they were
    validated, so a caller that copies them (the site) need not read them again.
    """

    dir: Path
    metadata: dict[str, Any]
    topology: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def info(self) -> ModelInfo:
        """Labels, picture size, mirroring and the "not sure" rule, with their defaults."""
        return ModelInfo.from_metadata(self.metadata, fallback_name=self.dir.name)

    @property
    def labels(self) -> list[str]:
        return list(self.info.labels)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def is_teachkit(self) -> bool:
        return self.info.is_teachkit


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


# -- Zips ----------------------------------------------------------------------------------------


def _check_members(zip_path: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse, before a byte is written, every member that could escape, clash or not be read."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise ModelError(f"{zip_path} holds {len(members)} files; a Teachable Machine export holds 3.")
    total = 0
    files: set[str] = set()
    folders: set[str] = set()
    for m in members:
        name = PurePosixPath(m.filename)
        if name.is_absolute() or ".." in name.parts or "\\" in m.filename or ":" in m.filename:
            raise ModelError(f"{zip_path} has a file with an unsafe path ({m.filename!r}); nothing was extracted.")
        if stat.S_ISLNK(m.external_attr >> 16):
            raise ModelError(f"{zip_path} has a link in it ({m.filename!r}); nothing was extracted.")
        if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in name.parts):
            raise ModelError(f"{zip_path} has a file whose name is too long to be written ({m.filename[:60]!r}...).")
        if m.flag_bits & 0x1:
            raise ModelError(f"{zip_path} is encrypted ({m.filename!r}); export the model again without a password.")
        if m.compress_type not in ZIP_METHODS:
            raise ModelError(
                f"{zip_path} uses a compression method Teachkit cannot read ({m.filename!r}); "
                "zip the files again with ordinary (deflate) compression."
            )
        key = name.as_posix()
        if key in files or (not m.is_dir() and key in folders):
            raise ModelError(f"{zip_path} holds {m.filename!r} twice (or as a file and a folder); it is damaged.")
        (folders if m.is_dir() else files).add(key)
        folders.update(p.as_posix() for p in name.parents if p.as_posix() != ".")
        total += m.file_size
    clash = files & folders
    if clash:
        raise ModelError(f"{zip_path} holds {sorted(clash)[0]!r} as a file and as a folder; nothing was extracted.")
    if total > MAX_ZIP_BYTES:
        raise ModelError(f"{zip_path} unpacks to {total // 2**20} MB, far more than a model; nothing was extracted.")


def _safe_extract(zip_path: Path, target: Path) -> Path:
    """Extract a zip into ``target`` after checking every member; return the folder holding model.json."""
    try:
        fileio.check_regular(zip_path, "zip file")  # zipfile only seeks: no size limit needed, but no pipe
        zf = zipfile.ZipFile(zip_path)
    # zipfile raises these for damaged directories (ValueError: a name that is not UTF-8)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise ModelError(f"{zip_path} is not a zip file Teachkit can open ({e}).") from None
    with zf:
        members = zf.infolist()
        _check_members(zip_path, members)
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
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                _extract_one(zf, m, dest, zip_path)
            # A bad CRC, a deflate stream that is not one, a file cut short, a method this Python
            # lacks: the zip is damaged, whatever zipfile calls it.
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as e:
                raise ModelError(f"{zip_path} is damaged ({m.filename!r}: {e}); nothing of it was used.") from None
            except OSError as e:
                raise ModelError(f"{zip_path}: {m.filename!r} cannot be extracted ({e.strerror or e}).") from None
        return target.joinpath(*PurePosixPath(tops[0]).parts[:-1])


def _extract_one(zf: zipfile.ZipFile, m: zipfile.ZipInfo, dest: Path, zip_path: Path) -> None:
    """Copy one member in chunks, never more bytes than its header declares."""
    with zf.open(m) as src, open(dest, "wb") as out:
        remaining = m.file_size
        while chunk := src.read(1 << 20):
            remaining -= len(chunk)
            if remaining < 0:  # the header lied about the size (zipfile stops there too)
                raise ModelError(f"{zip_path} is damaged (a file is larger than it says).")
            out.write(chunk)


# -- The one validation (standard library only, no file reading) ---------------------------------


def _kind(value: Any) -> str:
    """What a JSON value is, in words."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "a list", dict: "an object", type(None): "null"}.get(type(value), "something else")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON tree, in document order; a loop, not recursion (deep JSON is hostile)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _input_shape(topology: Any) -> Any:
    """The first batch_input_shape in a Keras topology (nested models included), or None."""
    return next((node["batch_input_shape"] for node in _walk(topology) if "batch_input_shape" in node), None)


def _outputs(topology: Any) -> Any:
    """The units of the last Dense layer: the number of classes (Teachable Machine's and
    Teachkit's heads end with Dense(N, softmax)); None when there is no Dense layer."""
    units = None
    for node in _walk(topology):
        if node.get("class_name") == "Dense" and isinstance(node.get("config"), dict):
            units = node["config"].get("units")
    return units


def _check_weight_name(p: Any, mj: str) -> None:
    """A manifest path must be a plain weight file's name beside model.json (TF.js fetches it as a
    relative URL; the site and the zip reader copy it), never another file of the model."""
    if not isinstance(p, str):
        raise ModelError(f"{mj} names a weight file that is not a file name ({_kind(p)}: {p!r}).")
    if "/" in p or "\\" in p or ".." in p or "\0" in p or ":" in p:
        raise ModelError(f"{mj} names the weight file {p!r}, which is a path; weight files lie beside model.json.")
    if p in NOT_WEIGHTS or not p.lower().endswith(".bin") or len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise ModelError(f"{mj} names {p!r} as a weight file; weight files are the .bin files beside model.json.")


def _manifest(manifest: Any, mj: str) -> list[tuple[list[str], list[dict[str, Any]], int]]:
    """Each weight group: its files, its tensors and the bytes they take."""
    if not isinstance(manifest, list) or not manifest:
        raise ModelError(f"{mj} is damaged: its weightsManifest is {_kind(manifest)}, not a list of weight groups.")
    groups = []
    seen: set[str] = set()
    for group in manifest:
        if not isinstance(group, dict):
            raise ModelError(f"{mj} is damaged: a weight group in its weightsManifest is {_kind(group)}.")
        paths, entries = group.get("paths"), group.get("weights")
        if not isinstance(paths, list) or not paths:
            raise ModelError(f"{mj} is damaged: a weight group's paths are {_kind(paths)}, not a list of files.")
        for p in paths:
            _check_weight_name(p, mj)
            if p in seen:
                raise ModelError(f"{mj} names the weight file {p!r} twice; it is damaged.")
            seen.add(p)
        if not isinstance(entries, list):
            raise ModelError(f"{mj} is damaged: a weight group's weights are {_kind(entries)}, not a list.")
        size = 0
        for e in entries:
            size += _entry_bytes(e, mj)
        groups.append((paths, entries, size))
    return groups


def _entry_bytes(e: Any, mj: str) -> int:
    """The bytes one tensor of the manifest takes in its weight file."""
    if not isinstance(e, dict) or not isinstance(e.get("name"), str):
        raise ModelError(f"{mj} is damaged: a weight in its weightsManifest has no name.")
    shape, dtype, quant = e.get("shape"), e.get("dtype"), e.get("quantization")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ModelError(f"{mj} is damaged: the shape of the weight {e['name']!r} is not a list of sizes.")
    if dtype not in DTYPE_BYTES:
        raise ModelError(f"{mj}: the weight {e['name']!r} has the type {dtype!r}, which Teachkit does not read.")
    width = DTYPE_BYTES[dtype]
    if quant is not None:
        if not isinstance(quant, dict) or quant.get("dtype") not in QUANTISED_BYTES:
            raise ModelError(f"{mj}: the weight {e['name']!r} is quantised in a way Teachkit does not read.")
        width = QUANTISED_BYTES[quant["dtype"]]
    return math.prod(shape) * width


def _check_metadata(md: dict[str, Any], where: str) -> None:
    """The types metadata.json must have: what the build, the page and "not sure" read."""
    mdn = f"{where}/metadata.json"
    if "wordLabels" in md or "modelSettings" in md and "posenet" in json.dumps(md["modelSettings"]):
        kind = "an audio model" if "wordLabels" in md else "a pose model"
        raise ModelError(f"{where} is {kind} from Teachable Machine; Teachkit works with image models.")
    labels = md.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise ModelError(f"{mdn} has no list of class labels (its labels are {_kind(labels)}).")
    size = md.get("imageSize", DEFAULT_IMAGE_SIZE)
    if not _is_number(size) or size != DEFAULT_IMAGE_SIZE:
        raise ModelError(
            f"{mdn} says its pictures are {size!r} pixels wide (imageSize); Teachkit's image models take "
            f"{DEFAULT_IMAGE_SIZE}x{DEFAULT_IMAGE_SIZE} pictures."
        )
    user = md.get("userMetadata")
    if user is None:
        return
    if not isinstance(user, dict):
        raise ModelError(f"{mdn} is damaged: its userMetadata is {_kind(user)}, not an object.")
    if "mirror" in user and not isinstance(user["mirror"], bool):
        raise ModelError(f"{mdn} is damaged: userMetadata.mirror is {_kind(user['mirror'])}, not true or false.")
    rule = user.get("notSure")
    if rule is None:
        return
    if not isinstance(rule, dict):
        raise ModelError(f"{mdn} is damaged: its 'not sure' rule (userMetadata.notSure) is {_kind(rule)}.")
    for key in ("threshold", "margin"):
        if key in rule and not (_is_number(rule[key]) and 0 <= rule[key] <= 1):
            raise ModelError(
                f"{mdn} is damaged: the 'not sure' {key} is {rule[key]!r}; it must be a number from 0 to 1."
            )


def validate(
    model_json: Any, metadata: Any, weight_sizes: dict[str, int] | None = None, where: str = "The model"
) -> list[str]:
    """Check a model's parsed model.json and metadata.json (and, given ``weight_sizes``, the byte
    count of each weight file); return the weight files' names. Raises ``ModelError`` with a
    sentence naming the file. ``where`` names the model folder (or zip) in those sentences."""
    mj, mdn = f"{where}/model.json", f"{where}/metadata.json"
    if not isinstance(metadata, dict):
        raise ModelError(f"{mdn} holds {_kind(metadata)}, not the object a model's metadata is (labels, image size).")
    _check_metadata(metadata, where)
    if not isinstance(model_json, dict) or not isinstance(model_json.get("modelTopology"), dict):
        what = _kind(model_json) if not isinstance(model_json, dict) else "an object without a modelTopology"
        raise ModelError(f"{mj} holds {what}, not a TF.js layers model.")
    topology = model_json["modelTopology"]
    groups = _manifest(model_json.get("weightsManifest"), mj)

    shape = _input_shape(topology)
    if shape is None:
        raise ModelError(f"{mj} does not take images as input (it has no input shape).")
    if not isinstance(shape, list) or len(shape) != 4 or not all(d is None or isinstance(d, int) for d in shape):
        raise ModelError(f"{mj} is damaged: its input shape is {shape!r}, not [batch, height, width, channels].")
    if shape[1:] != [DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE, 3]:
        h, w, c = shape[1:]
        colour = "greyscale" if c == 1 else f"{c}-channel"
        raise ModelError(
            f"{where} is a {w}x{h} {colour} model (Teachable Machine's 'tiny' image model, made for "
            "microcontrollers). Teachkit runs the standard image model: in Teachable Machine, choose "
            "'Standard image model' and export it for TensorFlow.js."
        )

    units = _outputs(topology)
    if not isinstance(units, int) or isinstance(units, bool) or units < 1:
        raise ModelError(f"{mj} has no Dense output layer with a number of classes: it is not an image classifier.")
    labels = metadata["labels"]
    if len(labels) != units:
        raise ModelError(
            f"{mdn} names {len(labels)} classes ({', '.join(labels)[:200]}), but the model in model.json "
            f"has {units} outputs; the two files come from different models."
        )

    if weight_sizes is not None:
        for paths, _entries, expected in groups:
            got = sum(weight_sizes[p] for p in paths)
            if got != expected:
                files = " and ".join(f"{where}/{p}" for p in paths)
                state = "is empty" if got == 0 else f"holds {got} bytes"
                raise ModelError(
                    f"{files} {state}, but model.json's weights need {expected} bytes: "
                    "the file is truncated or belongs to another model."
                )
    return [p for paths, _, _ in groups for p in paths]


def check_finite(model_json: dict[str, Any], weights: dict[str, bytes], where: str = "The model") -> None:
    """Refuse weights holding NaN or infinity (every answer would be NaN). Call after ``validate``
    with the sizes of ``weights``. Pure Python: summing an array('f') is NaN or infinite exactly
    when a value is (float32 values cannot overflow a double sum); about 3 ms for the 2.2 MB
    weights.bin of a Teachable Machine export (measured here), against 25 ms testing each value."""
    for group in model_json["weightsManifest"]:
        data = b"".join(weights[p] for p in group["paths"])
        offset = 0
        for e in group["weights"]:
            quant = e.get("quantization")
            width = QUANTISED_BYTES[quant["dtype"]] if quant else DTYPE_BYTES[e["dtype"]]
            end = offset + math.prod(e["shape"]) * width
            floats = quant["dtype"] == "float16" if quant else e["dtype"] == "float32"
            code = ("e" if quant else "f") if floats else ""
            if code and not _finite(data[offset:end], code):
                files = " and ".join(f"{where}/{p}" for p in group["paths"])
                raise ModelError(
                    f"{files} holds NaN or infinite numbers (in the weight {e['name']!r}): the model is damaged "
                    "and would answer nothing but NaN."
                )
            offset = end


def _finite(data: bytes, code: str) -> bool:
    """Whether little-endian float32 ('f') or float16 ('e') values are all finite."""
    if code == "e":  # rare (quantised models): array has no float16, struct does
        return all(math.isfinite(v) for (v,) in struct.iter_unpack("<e", data))
    values = array("f")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return math.isfinite(sum(values))


# -- Reading a folder ----------------------------------------------------------------------------


def _read(folder: Path, name: str, limit: int, where: str) -> bytes:
    """A model file's bytes: a regular file inside the model folder (links followed, but never out
    of it: a weights.bin linked to /etc/passwd must not reach a public site), within ``limit``."""
    path = folder / name
    try:
        real = path.resolve(strict=True)
        inside = real.is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):  # missing, a dangling link, a link loop
        raise ModelError(f"{where}/{name} is missing or cannot be read.") from None
    if not inside:
        raise ModelError(f"{where}/{name} is a link to a file outside the model folder; Teachkit will not read it.")
    try:
        return fileio.read_bytes(path, limit, what="file")
    except ValueError as e:
        raise ModelError(f"{where}/{name} cannot be used: {e}.") from None


def _parse(data: bytes, name: str, where: str) -> Any:
    try:
        return fileio.parse_json(data)
    except ValueError as e:
        raise ModelError(f"{where}/{name} is damaged: it is not JSON ({str(e)[:120]}).") from None


def read_folder(folder: Path, shown: str | None = None) -> ModelFiles:
    """Check a model folder, its files and its weights; refuse what Teachkit cannot run.

    ``shown`` is how messages name the folder (a zip's name rather than its temporary folder)."""
    where = shown or str(folder)
    if not folder.is_dir():
        raise ModelError(f"There is no model at {where}.")
    try:
        names = {p.name for p in folder.iterdir()}
    except OSError as e:
        raise ModelError(f"The model folder {where} cannot be read ({e.strerror or e}).") from None
    other = _describe_other_export(names)
    if other and "model.json" not in names:
        raise ModelError(f"{where} is {other}. Teachkit needs the 'TensorFlow.js' image export (model.json).")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise ModelError(f"{where} is not a model folder: {', '.join(missing)} missing.")
    raw = {n: _read(folder, n, MAX_JSON_BYTES, where) for n in REQUIRED}
    model = _parse(raw["model.json"], "model.json", where)
    meta = _parse(raw["metadata.json"], "metadata.json", where)
    paths = validate(model, meta, where=where)
    files = {"model.json": raw["model.json"]}
    budget = MAX_WEIGHTS_BYTES
    for p in paths:
        files[p] = _read(folder, p, budget, where)
        budget = max(0, budget - len(files[p]))
    validate(model, meta, {p: len(files[p]) for p in paths}, where=where)
    check_finite(model, files, where=where)
    return ModelFiles(dir=folder, metadata=modelinfo.normalised(meta), topology=model["modelTopology"], files=files)


@contextlib.contextmanager
def open_model(path: Path | str) -> Iterator[ModelFiles]:
    """A model from a folder or an export zip; a zip is unpacked, checked, into a temporary folder.

    A model folder that a killed build left aside (between the two renames of its swap) is put
    back first: the last good model is the one to open.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        fileio.recover(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory(prefix="teachkit-model-") as tmp:
            folder = _safe_extract(path, Path(tmp))
            inner = folder.relative_to(tmp).as_posix()
            yield read_folder(folder, shown=str(path) if inner == "." else f"{path}/{inner}")
        return
    if path.is_file():
        raise ModelError(f"{path} is a file; give a model folder or a Teachable Machine export .zip.")
    if path.exists() and not path.is_dir():
        raise ModelError(f"{path} is not a folder or a file (a pipe, a device or a socket).")
    yield read_folder(path)

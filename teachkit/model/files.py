"""Read a model folder: ours, or a Teachable Machine image export (a folder or its .zip).

A zip is checked before anything is written: no path outside the target folder, no links, a
size limit. Exports Teachkit cannot run (pose, audio, Keras/TFLite downloads, the "tiny"
greyscale model) are refused with a message that says what they are.

``validate`` is the one check of a model (structure, types, shapes, labels against outputs, the
weights' byte count) that ``site``, ``evaluate`` and ``train --base-from`` go through. It and
``check_finite`` are ``teachkit.core.modelcheck``'s, and a zip's members are checked by
``teachkit.core.zipcheck``: standard library only, so the Teach page's "Open" runs the very same
checks in Pyodide on a zip a pupil opens; ``read_folder`` does the reading.
"""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from teachkit import fileio
from teachkit.core import modelcheck, modelinfo, outlier, zipcheck
from teachkit.core.modelinfo import ModelInfo
from teachkit.errors import ModelError

REQUIRED = ("model.json", "metadata.json")
MAX_ZIP_BYTES = 200 * 1024 * 1024  # unpacked; a real image export is about 2.3 MB
MAX_ZIP_MEMBERS = 100
MAX_JSON_BYTES = 16 * 1024 * 1024  # a real model.json is 92 KB, metadata.json under 1 KB
MAX_WEIGHTS_BYTES = MAX_ZIP_BYTES  # a real weights.bin is 2.2 MB
#: "None of these": the summary of the training photos' embeddings (``userMetadata.outliers``).
OUTLIERS_FILE = modelinfo.OUTLIERS_FILE
MAX_OUTLIERS_BYTES = 4 * 1024 * 1024  # 6 classes' summary is about 85 KB


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

    @property
    def outliers(self) -> dict[str, Any] | None:
        """The "none of these" summary (checked when the folder was read), or None without one."""
        data = self.files.get(OUTLIERS_FILE)
        return None if data is None else fileio.parse_json(data)


# -- Zips ----------------------------------------------------------------------------------------


def _check_members(zip_path: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse, before a byte is written, every member that could escape, clash, swell or not be
    read (``core.zipcheck``: the page's "Open" runs the same checks)."""
    try:
        zipcheck.check_members(members, str(zip_path), MAX_ZIP_MEMBERS, MAX_ZIP_BYTES)
    except zipcheck.Refused as e:
        raise ModelError(str(e)) from None


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
        other = modelcheck.describe_other_export(names)
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


# -- The one validation (teachkit.core.modelcheck: the page's "Open" runs the same) -------------


def validate(
    model_json: Any, metadata: Any, weight_sizes: dict[str, int] | None = None, where: str = "The model"
) -> list[str]:
    """``core.modelcheck.validate`` (structure, types, shapes, labels against outputs, each weight
    file's byte count) with its refusal as a ``ModelError``; returns the weight files' names."""
    try:
        return modelcheck.validate(model_json, metadata, weight_sizes, where)
    except modelcheck.Invalid as e:
        raise ModelError(str(e)) from None


def check_finite(model_json: dict[str, Any], weights: dict[str, bytes], where: str = "The model") -> None:
    """``core.modelcheck.check_finite`` (no NaN or infinite weights) with its refusal as a ``ModelError``."""
    try:
        modelcheck.check_finite(model_json, weights, where)
    except modelcheck.Invalid as e:
        raise ModelError(str(e)) from None


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
    other = modelcheck.describe_other_export(names)
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
    summary = _outliers(folder, meta, where)
    if summary is not None:
        files[OUTLIERS_FILE] = summary
    return ModelFiles(dir=folder, metadata=modelinfo.normalised(meta), topology=model["modelTopology"], files=files)


def _outliers(folder: Path, meta: dict[str, Any], where: str) -> bytes | None:
    """outliers.json's bytes when metadata.json names it (``userMetadata.outliers``), checked by
    ``core.outlier.check`` and against the model's labels; None when the model has none."""
    named = meta.get("userMetadata", {}).get("outliers") if isinstance(meta.get("userMetadata"), dict) else None
    if named is None:
        return None
    if named != OUTLIERS_FILE:
        raise ModelError(f"{where}/metadata.json is damaged: userMetadata.outliers must be '{OUTLIERS_FILE}'.")
    data = _read(folder, OUTLIERS_FILE, MAX_OUTLIERS_BYTES, where)
    summary = _parse(data, OUTLIERS_FILE, where)
    try:
        outlier.check(summary)
    except outlier.Invalid as e:
        raise ModelError(f"{where}/{OUTLIERS_FILE} is damaged: {e}.") from None
    if summary["labels"] != list(meta["labels"]):
        raise ModelError(f"{where}/{OUTLIERS_FILE} is for other classes than the model's.")
    return data


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

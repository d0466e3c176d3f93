"""Hostile model folders, zips and metrics.json (issue 13): each one is refused with one sentence
naming the file (a ``ModelError``; exit code 2 and no traceback through the command line), and
a model from elsewhere never pulls the teacher's own photos into a site's model card.

Every case starts from a real Teachable Machine export (animals-4class) copied and corrupted, so
the cases are real; none imports TensorFlow but the one marked slow.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import struct
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from teachkit import cli
from teachkit.core.decide import Rule
from teachkit.errors import ModelError
from teachkit.evaluation import evaluate
from teachkit.model import files as tmexport
from teachkit.model import predict
from teachkit.model.files import open_model
from teachkit.site import card_page

EXPORT_FILES = ("model.json", "metadata.json", "weights.bin")


@pytest.fixture
def model(base_export: Path, tmp_path: Path) -> Path:
    """A writable copy of the real export (its files only, not its sample photos)."""
    folder = tmp_path / "animals"
    folder.mkdir()
    for name in EXPORT_FILES:
        (folder / name).write_bytes((base_export / name).read_bytes())
    return folder


def _json(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text())


def _put(folder: Path, name: str, value: Any) -> None:
    (folder / name).write_text(json.dumps(value))


def _edit(name: str, change: Callable[[Any], Any]) -> Callable[[Path], None]:
    """A corruption: ``change`` gets the parsed file and returns (or edits in place) its new content."""

    def apply(folder: Path) -> None:
        value = _json(folder, name)
        new = change(value)
        _put(folder, name, value if new is None else new)

    return apply


def _raw(name: str, data: bytes) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / name).write_bytes(data)

    return apply


def _manifest_path(path: Any) -> Callable[[Path], None]:
    return _edit("model.json", lambda m: m["weightsManifest"][0].__setitem__("paths", [path]))


def _not_sure(**rule: Any) -> Callable[[Path], None]:
    return _edit("metadata.json", lambda m: m.__setitem__("userMetadata", {"notSure": {"threshold": 0.5} | rule}))


def _labels(n: int) -> Callable[[Path], None]:
    return _edit("metadata.json", lambda m: m.__setitem__("labels", [f"class {i}" for i in range(n)]))


def _input_shape(value: Any) -> Callable[[Path], None]:
    def change(m: dict) -> None:
        text = json.dumps(m).replace(
            '"batch_input_shape": [null, 224, 224, 3]', f'"batch_input_shape": {json.dumps(value)}'
        )
        m.clear()
        m.update(json.loads(text))

    return _edit("model.json", change)


def _weights(change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / "weights.bin"
        path.write_bytes(change(path.read_bytes()))

    return apply


def _poison(value: float) -> Callable[[bytes], bytes]:
    """Weights with their last float32 (a batch-norm statistic, last in the manifest) set to ``value``."""
    return lambda data: data[:-4] + struct.pack("<f", value)


def _symlink(target: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / "weights.bin").unlink()
        (folder / "weights.bin").symlink_to(target)

    return apply


def _fifo(folder: Path) -> None:
    (folder / "weights.bin").unlink()
    os.mkfifo(folder / "weights.bin")


def _folder_as_weights(folder: Path) -> None:
    (folder / "weights.bin").unlink()
    (folder / "weights.bin").mkdir()


def _no_dense(m: dict) -> dict:
    return json.loads(json.dumps(m).replace('"class_name": "Dense"', '"class_name": "Dnse"'))


# (case id, corruption, the file the sentence must name, words it must hold)
FOLDER_CASES = [
    ("metadata-a-list", _raw("metadata.json", b'["chickens"]'), "metadata.json", "holds a list"),
    ("metadata-a-number", _raw("metadata.json", b"42"), "metadata.json", "holds a number"),
    ("model-a-list", _raw("model.json", b"[]"), "model.json", "holds a list"),
    ("model-not-json", _raw("model.json", b'{"modelTopology": '), "model.json", "not JSON"),
    ("model-deeply-nested", _raw("model.json", b"[" * 100_000), "model.json", "not JSON"),
    ("metadata-not-utf8", _raw("metadata.json", b'{"labels": ["\xff"]}'), "metadata.json", "not JSON"),
    ("metadata-over-the-size-limit", _raw("metadata.json", b"{}" + b" " * (17 << 20)), "metadata.json", "too large"),
    (
        "manifest-not-a-list",
        _edit("model.json", lambda m: m.__setitem__("weightsManifest", {})),
        "model.json",
        "weightsManifest",
    ),
    ("manifest-path-a-number", _manifest_path(7), "model.json", "not a file name"),
    ("manifest-path-model-json", _manifest_path("model.json"), "model.json", "'model.json' as a weight file"),
    ("manifest-path-metadata", _manifest_path("metadata.json"), "model.json", "as a weight file"),
    ("manifest-path-not-a-bin", _manifest_path("notes.txt"), "model.json", "as a weight file"),
    ("manifest-path-slash", _manifest_path("sub/weights.bin"), "model.json", "is a path"),
    ("manifest-path-backslash", _manifest_path("sub\\weights.bin"), "model.json", "is a path"),
    ("manifest-path-dotdot", _manifest_path("../animals/weights.bin"), "model.json", "is a path"),
    ("manifest-path-missing-file", _manifest_path("other.bin"), "other.bin", "missing"),
    (
        "manifest-shape-not-sizes",
        _edit("model.json", lambda m: m["weightsManifest"][0]["weights"][0].__setitem__("shape", "3")),
        "model.json",
        "shape",
    ),
    (
        "manifest-dtype-unknown",
        _edit("model.json", lambda m: m["weightsManifest"][0]["weights"][0].__setitem__("dtype", "float64")),
        "model.json",
        "float64",
    ),
    ("threshold-a-string", _not_sure(threshold="0.5"), "metadata.json", "'not sure' threshold"),
    ("threshold-a-list", _not_sure(threshold=[0.5]), "metadata.json", "'not sure' threshold"),
    ("threshold-above-1", _not_sure(threshold=1.5), "metadata.json", "from 0 to 1"),
    ("margin-a-string", _not_sure(margin="x"), "metadata.json", "'not sure' margin"),
    ("margin-below-0", _not_sure(margin=-0.1), "metadata.json", "from 0 to 1"),
    (
        "threshold-nan-literal",
        _raw("metadata.json", b'{"labels": ["a"], "userMetadata": {"notSure": {"threshold": NaN}}}'),
        "metadata.json",
        "not JSON",
    ),
    (
        "not-sure-a-list",
        _edit("metadata.json", lambda m: m.__setitem__("userMetadata", {"notSure": [0.5]})),
        "metadata.json",
        "'not sure' rule",
    ),
    (
        "user-metadata-a-string",
        _edit("metadata.json", lambda m: m.__setitem__("userMetadata", "x")),
        "metadata.json",
        "userMetadata",
    ),
    (
        "mirror-a-string",
        _edit("metadata.json", lambda m: m.__setitem__("userMetadata", {"mirror": "false"})),
        "metadata.json",
        "mirror",
    ),
    (
        "labels-a-string",
        _edit("metadata.json", lambda m: m.__setitem__("labels", "chickens")),
        "metadata.json",
        "labels",
    ),
    ("input-shape-a-string", _input_shape("224x224"), "model.json", "input shape"),
    ("input-shape-an-object", _input_shape({"h": 224}), "model.json", "input shape"),
    ("3-labels-for-4-outputs", _labels(3), "metadata.json", "3 classes.*4 outputs"),
    ("6-labels-for-4-outputs", _labels(6), "metadata.json", "6 classes.*4 outputs"),
    ("no-dense-output", _edit("model.json", _no_dense), "model.json", "no Dense output"),
    ("weights-truncated", _weights(lambda d: d[: len(d) // 2]), "weights.bin", "holds 1077416 bytes.*truncated"),
    ("weights-one-byte-short", _weights(lambda d: d[:-1]), "weights.bin", "truncated"),
    ("weights-too-long", _weights(lambda d: d + b"\0" * 4), "weights.bin", "another model"),
    ("weights-empty", _weights(lambda d: b""), "weights.bin", "is empty"),
    (
        "image-size-100000",
        _edit("metadata.json", lambda m: m.__setitem__("imageSize", 100000)),
        "metadata.json",
        "100000 pixels",
    ),
    (
        "image-size-a-string",
        _edit("metadata.json", lambda m: m.__setitem__("imageSize", "224")),
        "metadata.json",
        "'224' pixels",
    ),
    ("weights-link-to-etc-passwd", _symlink("/etc/passwd"), "weights.bin", "link to a file outside"),
    ("weights-link-to-dev-zero", _symlink("/dev/zero"), "weights.bin", "link to a file outside"),
    ("weights-link-loop", _symlink("weights.bin"), "weights.bin", "missing or cannot be read"),
    ("weights-a-fifo", _fifo, "weights.bin", "not a regular file"),
    ("weights-a-folder", _folder_as_weights, "weights.bin", "is a folder"),
    ("weights-nan", _weights(_poison(math.nan)), "weights.bin", "NaN or infinite.*Conv_1_bn/moving_variance"),
    ("weights-infinity", _weights(_poison(-math.inf)), "weights.bin", "NaN or infinite"),
]


@pytest.mark.parametrize(("corrupt", "file", "words"), [c[1:] for c in FOLDER_CASES], ids=[c[0] for c in FOLDER_CASES])
def test_a_hostile_model_folder_is_refused_in_one_sentence(
    model: Path, corrupt: Callable[[Path], None], file: str, words: str
) -> None:
    corrupt(model)
    with pytest.raises(ModelError) as refused, open_model(model):
        pass
    message = str(refused.value)
    assert f"{model}/{file}" in message, message
    assert re.search(words, message), message
    assert "\n" not in message and len(message) < 400, message


def test_a_link_inside_the_model_folder_is_followed(model: Path) -> None:
    """Links that stay inside the folder are fine (a model folder laid out with links)."""
    (model / "weights.bin").rename(model / "real.bin")
    (model / "weights.bin").symlink_to("real.bin")
    with open_model(model) as m:
        assert m.labels == ["chickens", "butterflies", "spiders", "elephants"]
        assert len(m.files["weights.bin"]) == (model / "real.bin").stat().st_size


def test_the_validation_is_pure_python_and_checks_byte_counts(model: Path) -> None:
    """``validate`` takes parsed JSON and sizes (what the page's "Open" has), reads nothing."""
    model_json, meta = _json(model, "model.json"), _json(model, "metadata.json")
    size = (model / "weights.bin").stat().st_size
    assert tmexport.validate(model_json, meta, {"weights.bin": size}, where="dropped") == ["weights.bin"]
    with pytest.raises(ModelError, match="^dropped/weights.bin holds 10 bytes"):
        tmexport.validate(model_json, meta, {"weights.bin": 10}, where="dropped")


def test_the_finite_check_is_quick(model: Path) -> None:
    """The NaN check in pure Python on a real 2.2 MB weights.bin: a few ms (budget 100 ms)."""
    import time

    model_json = _json(model, "model.json")
    weights = {"weights.bin": (model / "weights.bin").read_bytes()}
    started = time.perf_counter()
    tmexport.check_finite(model_json, weights)
    assert time.perf_counter() - started < 0.1


# -- Zips ----------------------------------------------------------------------------------------


def _raw_zip(path: Path, members: list[tuple[str | bytes, bytes, dict[str, int]]]) -> Path:
    """A zip written byte by byte, so its headers can say what a hostile one says: each member is
    (name, its stored bytes, header fields: method, flags, crc, size (uncompressed))."""
    out, central = bytearray(), bytearray()
    for name, payload, fields in members:
        raw_name = name if isinstance(name, bytes) else name.encode()
        method, flags = fields.get("method", 0), fields.get("flags", 0)
        crc, size = fields.get("crc", zlib.crc32(payload)), fields.get("size", len(payload))
        offset = len(out)
        head = (flags, method, 0, 0, crc, len(payload), size, len(raw_name))
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *head, 0) + raw_name + payload
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *head, 0, 0, 0, 0, 0o100644 << 16, offset)
        central += raw_name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def _export_members(folder: Path) -> list[tuple[str | bytes, bytes, dict[str, int]]]:
    return [(n, (folder / n).read_bytes(), {}) for n in EXPORT_FILES]


def _bomb() -> tuple[bytes, int]:
    """1 GB of zeros deflated (1 MB), and its CRC: one 16 MB block, fully flushed, repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = b"\0" * (1 << 24)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(64):
        crc = zlib.crc32(zeros, crc)
    return block * 64 + b"\x03\x00", crc


def _zip_case(case: str, export: Path, path: Path) -> Path:
    files = _export_members(export)
    if case == "bad-crc":
        name, data, _ = files[2]
        files[2] = (name, data, {"crc": zlib.crc32(data) ^ 1})
    elif case == "lying-size-bomb":
        bomb, crc = _bomb()
        files[2] = ("weights.bin", bomb, {"method": 8, "crc": crc, "size": 2_154_832})
    elif case == "encrypted":
        name, data, _ = files[2]
        files[2] = (name, data, {"flags": 0x1})
    elif case == "unsupported-method":
        name, data, _ = files[2]
        files[2] = (name, data, {"method": 99})  # AES: what WinZip's "encrypt" writes
    elif case == "file-folder-clash":
        files += [("notes", b"a file", {}), ("notes/b.txt", b"under it", {})]
    elif case == "folder-then-file-clash":
        files += [("notes/b.txt", b"under it", {}), ("notes", b"a file", {})]
    elif case == "name-too-long":
        files.append(("x" * 300 + ".txt", b"x", {}))
    elif case == "same-name-twice":
        files.append(("weights.bin", b"other", {}))
    elif case == "name-not-utf8":
        files.append((b"\xff\xfe.txt", b"x", {"flags": 0x800}))
    elif case == "metadata-a-list":
        files[1] = ("metadata.json", b"[]", {})
    return _raw_zip(path, files)


ZIP_CASES = [
    ("bad-crc", "damaged.*weights.bin"),
    ("lying-size-bomb", "damaged.*weights.bin"),
    ("encrypted", "encrypted.*weights.bin"),
    ("unsupported-method", "compression method.*weights.bin"),
    ("file-folder-clash", "'notes'.*as a file and as a folder"),
    ("folder-then-file-clash", "'notes'.*(twice|as a file and as a folder)"),
    ("name-too-long", "name is too long"),
    ("same-name-twice", "'weights.bin' twice"),
    ("name-not-utf8", "not a zip file Teachkit can open"),
    ("metadata-a-list", r"export.zip/metadata.json holds a list"),
]


@pytest.mark.parametrize(("case", "words"), ZIP_CASES, ids=[c[0] for c in ZIP_CASES])
def test_a_hostile_zip_is_refused_and_nothing_is_left(
    base_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, words: str
) -> None:
    z = _zip_case(case, base_export, tmp_path / "export.zip")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where open_model unpacks
    with pytest.raises(ModelError) as refused, open_model(z):
        pass
    message = str(refused.value)
    assert str(z) in message and re.search(words, message), message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip", "tmp"]  # nothing written beside
    assert list(scratch.iterdir()) == []  # and the unpacking folder is gone


def test_a_real_export_zipped_byte_by_byte_is_read(base_export: Path, tmp_path: Path) -> None:
    """The hand-made zips above are real zips: the same writer with honest headers gives a model."""
    z = _raw_zip(tmp_path / "export.zip", _export_members(base_export))
    with open_model(z) as m:
        assert m.labels[0] == "chickens"


# -- Through the command line: exit code 2, one sentence, no traceback --------------------------


@pytest.mark.parametrize(
    ("case", "command", "file"),
    [
        ("3-labels-for-4-outputs", "site", "metadata.json"),
        ("weights-link-to-etc-passwd", "site", "weights.bin"),
        ("image-size-100000", "site", "metadata.json"),
        ("manifest-path-model-json", "site", "model.json"),
        ("weights-truncated", "evaluate", "weights.bin"),
        ("weights-nan", "evaluate", "weights.bin"),
        ("metadata-a-list", "evaluate", "metadata.json"),
    ],
)
def test_the_command_line_says_one_sentence(
    model: Path,
    base_export: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    command: str,
    file: str,
) -> None:
    dict((c[0], c[1]) for c in FOLDER_CASES)[case](model)
    out = tmp_path / "dist"
    argv = (
        ["site", str(model), "--out", str(out)]
        if command == "site"
        else ["evaluate", str(model), str(base_export / "samples")]
    )
    assert cli.main(argv) == 2
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err and "Accuracy" not in printed.out
    assert printed.err.strip().startswith("teachkit:") and f"{model}/{file}" in printed.err
    assert not out.exists()


def test_a_hostile_zip_through_the_command_line(
    base_export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    z = _zip_case("bad-crc", base_export, tmp_path / "export.zip")
    assert cli.main(["site", str(z), "--out", str(tmp_path / "dist")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "export.zip is damaged" in err


# -- A model that answers NaN never gets an accuracy --------------------------------------------


class _NaNModel:
    def __call__(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        return np.full((len(inputs), 4), np.nan, np.float32)


def _nan_predictor() -> predict.Predictor:
    labels = ["chickens", "butterflies", "spiders", "elephants"]
    return predict.Predictor(model=_NaNModel(), labels=labels, rule=Rule(), source="animals")


def test_a_model_answering_nan_is_refused_not_measured(base_export: Path, tmp_path: Path) -> None:
    photos_dir = tmp_path / "room"
    for label in ("chickens", "spiders"):
        (photos_dir / label).mkdir(parents=True)
        for f in sorted((base_export / "samples" / label).iterdir())[:2]:
            shutil.copy(f, photos_dir / label / f.name)
    with pytest.raises(ModelError, match="^animals answers NaN"):
        _nan_predictor().predict_inputs(np.zeros((2, 224, 224, 3), np.float32))
    with pytest.raises(ModelError, match="NaN"):
        evaluate.evaluate(base_export, photos_dir, predictor=_nan_predictor())


@pytest.mark.slow
def test_nan_weights_that_slip_past_the_check_are_caught_by_predict(
    model: Path, base_export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real model, loaded by tensorflowjs with NaN in its output layer: predict refuses."""
    _weights(_poison(math.nan))(model)
    monkeypatch.setattr(tmexport, "check_finite", lambda *a, **k: None)
    predictor = predict.load(model)
    with pytest.raises(ModelError, match="NaN"):
        predictor.predict_paths(sorted((base_export / "samples" / "chickens").iterdir())[:2])


def test_evaluate_json_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`evaluate --json` goes through fileio.write_json (atomic, NaN refused)."""
    from teachkit import fileio

    written: list[Path] = []
    monkeypatch.setattr(fileio, "write_json", lambda path, value, indent=1: written.append(path))
    record = {
        "labels": ["a", "b"],
        "predictions": [{"path": "a/1.jpg", "label": "a", "probabilities": [0.9, 0.1]}],
        "trained_on_this_folder": False,
        "unmatched": {},
        "skipped": [],
        "matched": {"a": "a"},
        "not_sure": {"threshold": 0.5, "margin": 0.0},
        "evaluated_on": "test-dir",
    }
    monkeypatch.setattr(evaluate, "evaluate", lambda model, photos_dir: record)
    import io

    assert evaluate.run_evaluate(tmp_path / "m", tmp_path / "p", tmp_path / "e.json", out=io.StringIO()) == 0
    assert written == [tmp_path / "e.json"]


# -- metrics.json: a damaged one gives no card and a warning, never a traceback -----------------

METRICS = {
    "labels": ["apple", "leaf"],
    "evaluated_on": "held-out",
    "predictions": [
        {"path": "apple/in.jpg", "label": "apple", "probabilities": [0.8, 0.2]},
        {"path": "leaf/in.jpg", "label": "leaf", "probabilities": [0.3, 0.7]},
    ],
}

METRICS_CASES = [
    ("not-json", b"{not json", "not JSON"),
    ("a-list", b"[]", "holds a list"),
    ("a-number", b"3", "not an object"),
    ("nan-literal", json.dumps(METRICS).replace("0.8", "NaN").encode(), "not JSON"),
    ("no-labels", json.dumps({"predictions": []}).encode(), "no list of class labels"),
    ("no-predictions", json.dumps({"labels": ["a"]}).encode(), "no list of predictions"),
    ("unknown-label", json.dumps(METRICS | {"labels": ["apple", "pear"]}).encode(), "prediction"),
    (
        "probabilities-text",
        json.dumps({**METRICS, "predictions": [{"path": "a", "label": "apple", "probabilities": "x"}]}).encode(),
        "prediction",
    ),
    ("rule-extra-key", json.dumps(METRICS | {"not_sure": {"threshold": 0.5, "x": 1}}).encode(), "'not sure' rule"),
    ("history-text", json.dumps(METRICS | {"history": {"loss": "low"}}).encode(), "history"),
    ("counts-text", json.dumps(METRICS | {"counts": {"apple": "many"}}).encode(), "counts"),
    ("temperature-zero", json.dumps(METRICS | {"recipe": {"temperature": 0}}).encode(), "recipe"),
    ("sweep-text", json.dumps(METRICS | {"not_sure_sweep": ["x"]}).encode(), "sweep"),
]


@pytest.mark.parametrize(("data", "words"), [c[1:] for c in METRICS_CASES], ids=[c[0] for c in METRICS_CASES])
def test_a_damaged_metrics_json_gives_no_card_and_a_warning(tmp_path: Path, data: bytes, words: str) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "metrics.json").write_bytes(data)
    warnings: list[str] = []
    assert card_page.card_context(model, tmp_path / "site", warn=warnings.append) is None
    assert len(warnings) == 1 and f"{model}/metrics.json is damaged" in warnings[0] and words in warnings[0]
    assert not (tmp_path / "site").exists()


def test_a_metrics_json_that_is_a_fifo_does_not_hang(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "model"
    model.mkdir()
    os.mkfifo(model / "metrics.json")
    assert card_page.card_context(model, tmp_path / "site") is None
    assert "metrics.json is damaged (the file is not a regular file" in capsys.readouterr().err


# -- The card's thumbnails: only photos under the folder the teacher named -----------------------


def _photo(path: Path, colour: tuple[int, int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), colour).save(path)
    return path


def test_card_thumbnails_come_only_from_the_named_photos_folder(tmp_path: Path) -> None:
    blue, red = (20, 40, 230), (230, 20, 20)
    photos_dir = tmp_path / "photos"
    _photo(photos_dir / "apple" / "in.jpg", blue)
    secret = _photo(tmp_path / "Pictures" / "secret.jpg", red)  # the teacher's own, never to be published
    (photos_dir / "leaf").mkdir()
    (photos_dir / "leaf" / "link.jpg").symlink_to(secret)
    os.mkfifo(photos_dir / "leaf" / "pipe.jpg")
    rows = [("apple/in.jpg", "apple"), (str(secret), "leaf"), ("../Pictures/secret.jpg", "leaf")]
    rows += [("leaf/link.jpg", "leaf"), ("leaf/pipe.jpg", "leaf"), ("Pictures/secret.jpg", "leaf")]
    metrics = {
        "labels": ["apple", "leaf"],
        "photos_root": str(tmp_path / "Pictures"),  # a model from elsewhere points at private photos
        "predictions": [{"path": p, "label": label, "probabilities": [0.6, 0.4]} for p, label in rows],
    }
    model = tmp_path / "model"
    model.mkdir()
    (model / "metrics.json").write_text(json.dumps(metrics))

    ctx = card_page.card_context(model, tmp_path / "site", photos=photos_dir)
    thumbs = sorted((tmp_path / "site" / "card" / "thumbs").iterdir())
    assert len(thumbs) == 1  # apple/in.jpg alone
    with Image.open(thumbs[0]) as t:
        r, g, b = t.convert("RGB").getpixel((5, 5))
    assert b > 150 and r < 100  # the blue photo from the folder, not the red private one
    srcs = {p["path"]: p["src"] for c in ctx["cell_photos"] for p in c["photos"]}
    assert srcs["apple/in.jpg"] and not any(v for k, v in srcs.items() if k != "apple/in.jpg")
    assert "5 of the photos could not be found" in ctx["thumbs_note"]

    no_photos = card_page.card_context(model, tmp_path / "site2")
    assert not (tmp_path / "site2" / "card" / "thumbs").exists()
    assert no_photos["thumbs_note"] == card_page.NO_PHOTOS_FOLDER
    assert all(p["src"] is None for c in no_photos["cell_photos"] for p in c["photos"])

"""Save and open (issue 10), in CPython: the page's zips.py and the core's checks it runs.

zips.py is standard library only, so CPython imports the very file Pyodide runs. The model zip is
checked by the build's own reader and run by TensorFlow (the build's predictor); the examples zip
by the build's photo scan; hostile zips by open_zip. The browser tests are in
test_teach_files_browser.py.
"""

from __future__ import annotations

import io
import json
import math
import stat
import sys
import zipfile
import zlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from teachkit.core import decide, modelcheck, tmformat, zipcheck
from teachkit.site.sources import APP

sys.path.insert(0, str(APP.parent))  # teachkit_app, as the wheel installs it in the page

from teachkit_app.teach import zips  # noqa: E402
from teachkit_app.teach.lesson import Lesson, TeachError  # noqa: E402


@dataclass
class Trained:
    """What teach/trainer.py's Trained gives zips.py (TEACH-INTERFACES.md's fields)."""

    labels: list[str]
    hidden_kernel: list[float]
    hidden_bias: list[float]
    classes_kernel: list[float]
    features: int
    rule: decide.Rule = field(default_factory=decide.Rule)
    heldout: dict[str, Any] = field(default_factory=dict)
    temperature: float = 1.0


def _export(folder: Path) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in ("model.json", "weights.bin", "metadata.json")}


def _head(files: dict[str, bytes]) -> tuple[list[float], list[float], list[float], int]:
    """An export's head weights read from its manifest: its three dense_* tensors (kernel, bias,
    kernel; Teachable Machine names them dense_DenseNN, Teachkit dense_hidden/dense_classes)."""
    model = json.loads(files["model.json"])
    values, offset = {}, 0
    entries = [e for g in model["weightsManifest"] for e in g["weights"]]
    for e in entries:
        size = 4 * math.prod(e["shape"])
        values[e["name"]] = array("f", files["weights.bin"][offset : offset + size]).tolist()
        offset += size
    head = [e for e in entries if e["name"].startswith("dense")]
    assert [len(e["shape"]) for e in head] == [2, 1, 2]
    hk, hb, ck = (values[e["name"]] for e in head)
    return hk, hb, ck, head[2]["shape"][1]


@pytest.fixture(scope="module")
def animals(base_export: Path) -> dict[str, bytes]:
    return _export(base_export)


@pytest.fixture(scope="module")
def animals_trained(animals: dict[str, bytes]) -> Trained:
    """The animals export's own head, as a Trained: a model zip of it must be that model again."""
    hk, hb, ck, n = _head(animals)
    labels = json.loads(animals["metadata.json"])["labels"]
    assert n == len(labels) == 4
    return Trained(labels, hk, hb, ck, 1280, decide.Rule(0.6, 0.1), {"accuracy": 0.75, "n": 8, "correct": 6})


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


# -- The layout -----------------------------------------------------------------------------------


@pytest.mark.parametrize("export", ["animals-4class", "edible-3class", "google-official-2class"])
def test_a_tm_export_taken_apart_and_put_together_is_its_own_weights(tm_exports: Path, export: str) -> None:
    """Its base with its own head gives its weights.bin byte for byte: TM's manifest order kept."""
    files = _export(tm_exports / export)
    hk, hb, ck, n = _head(files)
    base = tmformat.base_of(json.loads(files["model.json"]), files["weights.bin"])
    assert base.features == 1280 and len(base.entries) == 260
    model, weights = tmformat.with_head(base, hk, hb, ck, n)
    assert weights == files["weights.bin"]
    alone, alone_weights = tmformat.base_model(base)
    again = tmformat.base_of(alone, alone_weights, features=1280)
    assert again.data == base.data and again.layer == base.layer


# -- The model zip --------------------------------------------------------------------------------


def test_the_model_zip_is_a_tm_export_the_build_opens(
    animals: dict[str, bytes], animals_trained: Trained, tmp_path: Path
) -> None:
    from teachkit.model.files import open_model

    data = zips.model_zip(zips.BaseFiles.from_files(animals), animals_trained, counts=[10, 11, 12, 13], name="pets")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["metadata.json", "model.json", "weights.bin"]
        assert zf.read("weights.bin") == animals["weights.bin"]
        meta = json.loads(zf.read("metadata.json"))
    assert meta["labels"] == animals_trained.labels and meta["packageName"] == "teachkit"
    user = meta["userMetadata"]
    assert user["notSure"] == {"threshold": 0.6, "margin": 0.1}
    assert user["classCounts"] == dict(zip(animals_trained.labels, [10, 11, 12, 13], strict=True))
    assert user["heldout"] == {"accuracy": 0.75, "n": 8}
    assert set(meta) >= {"tfjsVersion", "tmVersion", "packageVersion", "modelName", "timeStamp", "imageSize"}
    (tmp_path / "pets.zip").write_bytes(data)
    with open_model(tmp_path / "pets.zip") as m:  # the build's reader: site, evaluate, --base-from
        assert m.labels == animals_trained.labels and m.is_teachkit and m.info.rule == decide.Rule(0.6, 0.1)
    opened = zips.open_zip(data)
    assert isinstance(opened, zips.OpenedModel) and opened.labels == animals_trained.labels


def test_a_model_zip_on_a_teach_only_base_is_the_same_model(
    animals: dict[str, bytes], animals_trained: Trained
) -> None:
    base = tmformat.base_of(json.loads(animals["model.json"]), animals["weights.bin"])
    model, weights = tmformat.base_model(base)
    meta = {"labels": [], "userMetadata": {"teachOnly": True, "features": 1280}}
    teach_only = zips.BaseFiles(json.dumps(model).encode(), weights, json.dumps(meta).encode())
    full = zips.model_zip(zips.BaseFiles.from_files(animals), animals_trained)
    alone = zips.model_zip(teach_only, animals_trained)
    for name in ("model.json", "weights.bin"):
        assert zipfile.ZipFile(io.BytesIO(full)).read(name) == zipfile.ZipFile(io.BytesIO(alone)).read(name)


def test_a_head_of_another_base_is_refused_in_words(animals: dict[str, bytes], animals_trained: Trained) -> None:
    other = Trained(**{**animals_trained.__dict__, "features": 1024})
    with pytest.raises(TeachError, match="another base model"):
        zips.model_zip(zips.BaseFiles.from_files(animals), other)


@pytest.mark.slow
def test_the_model_zip_answers_as_the_export_it_came_from(
    animals: dict[str, bytes], animals_trained: Trained, base_export: Path, tmp_path: Path
) -> None:
    """Run by TensorFlow through the build's predictor: the same probabilities on real photos."""
    from teachkit.model import predict

    samples = sorted((base_export / "samples").rglob("*.jpg"))[:8]
    assert samples
    (tmp_path / "m.zip").write_bytes(zips.model_zip(zips.BaseFiles.from_files(animals), animals_trained))
    ours, _ = predict.load(tmp_path / "m.zip").predict_paths(samples)
    theirs, _ = predict.load(base_export).predict_paths(samples)
    assert abs(ours - theirs).max() < 1e-5


# -- The examples zip -----------------------------------------------------------------------------


def _lesson(trashnet: Path, names: tuple[str, ...] = ("glass", "paper / card"), n: int = 3) -> Lesson:
    lesson = Lesson()
    for k, name in enumerate(names):
        lesson.add_class(name)
        src = sorted((trashnet / ("glass", "paper")[k]).glob("*.jpg"))[:n] if k < 2 else []
        for path in src:
            lesson.add_example(k, [0.0], path.read_bytes())
    return lesson


def test_the_examples_zip_is_a_photos_folder_the_build_scans(trashnet: Path, tmp_path: Path) -> None:
    from teachkit.data import photos

    lesson = _lesson(trashnet, ("glass", "paper / card", "empty"))
    data = zips.examples_zip(lesson)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path / "photos")
    found = photos.scan(tmp_path / "photos")
    assert sorted(found.labels) == ["glass", "paper _ card"]  # a "/" cannot be in a folder's name
    assert (tmp_path / "photos" / "empty").is_dir()
    opened = zips.open_zip(data)
    assert isinstance(opened, zips.OpenedExamples)
    assert [(name, [d for _, d in files]) for name, files in opened.classes] == [
        (zips.folder_name(c.name), [e.image for e in c.examples]) for c in lesson.classes
    ]


def test_an_examples_zip_inside_one_folder_opens_and_names_what_it_skips(trashnet: Path) -> None:
    jpg = next(iter(sorted((trashnet / "glass").glob("*.jpg")))).read_bytes()
    data = _zip(
        {
            "photos/cats/1.jpg": jpg,
            "photos/cats/notes.txt": b"hello",
            "photos/dogs/2.jpg": jpg,
            "photos/dogs/.hidden.jpg": jpg,
            "__MACOSX/photos/cats/._1.jpg": b"junk",
        }
    )
    opened = zips.open_zip(data)
    assert isinstance(opened, zips.OpenedExamples)
    assert [(n, [f for f, _ in files]) for n, files in opened.classes] == [("cats", ["1.jpg"]), ("dogs", ["2.jpg"])]
    assert dict(opened.skipped) == {
        "photos/cats/notes.txt": "not a picture",
        "photos/dogs/.hidden.jpg": "a hidden file",
    }


# -- Opening what a pupil brings ------------------------------------------------------------------


def test_a_real_tm_export_zipped_opens(tm_exports: Path) -> None:
    files = _export(tm_exports / "animals-4class")
    opened = zips.open_zip(_zip({f"tm-my-image-model/{n}": d for n, d in files.items()}))
    assert isinstance(opened, zips.OpenedModel) and not opened.is_teachkit
    assert opened.labels == ["chickens", "butterflies", "spiders", "elephants"]
    assert opened.files["weights.bin"] == files["weights.bin"]


def _bomb() -> bytes:
    """A 1 GB file of zeros that deflates to about 1 MB, honestly declared."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = b"\0" * (1 << 24)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    body = block * 64 + b"\x03\x00"
    crc = 0
    for _ in range(64):
        crc = zlib.crc32(zeros, crc)
    name = b"class/big.jpg"
    size = 64 << 24
    local = (
        b"PK\x03\x04"
        + (20).to_bytes(2, "little")
        + b"\0\0"
        + (8).to_bytes(2, "little")
        + b"\0\0\0\0"
        + crc.to_bytes(4, "little")
        + len(body).to_bytes(4, "little")
        + size.to_bytes(4, "little")
        + len(name).to_bytes(2, "little")
        + b"\0\0"
        + name
    )
    central = (
        b"PK\x01\x02"
        + (20).to_bytes(2, "little") * 2
        + b"\0\0"
        + (8).to_bytes(2, "little")
        + b"\0\0\0\0"
        + crc.to_bytes(4, "little")
        + len(body).to_bytes(4, "little")
        + size.to_bytes(4, "little")
        + len(name).to_bytes(2, "little")
        + b"\0\0" * 4
        + b"\0\0\0\0" * 2
        + name
    )
    offset = len(local) + len(body)
    end = (
        b"PK\x05\x06\0\0\0\0"
        + (1).to_bytes(2, "little") * 2
        + len(central).to_bytes(4, "little")
        + offset.to_bytes(4, "little")
        + b"\0\0"
    )
    return local + body + central + end


def _with_link() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("class/sneaky.jpg")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


HOSTILE = [
    ("path-up", lambda: _zip({"../x.jpg": b"\xff\xd8\xff", "a/b.jpg": b"\xff\xd8\xff"}), "outside its folder"),
    ("path-absolute", lambda: _zip({"/abs/x.jpg": b"\xff\xd8\xff"}), "outside its folder"),
    ("bomb", _bomb, "zip bomb"),
    ("too-many", lambda: _zip({f"c/{k}.jpg": b"" for k in range(zips.MAX_FILES + 1)}), "too many files"),
    ("link", _with_link, "link"),
    ("not-a-zip", lambda: b"\xff\xd8\xff a photo, not a zip", "not a zip file"),
    ("only-text", lambda: _zip({"c/readme.txt": b"x"}), "no model and no pictures"),
    ("tflite", lambda: _zip({"model.tflite": b"x", "labels.txt": b"a"}), "TensorFlow Lite"),
]


@pytest.mark.parametrize(("case", "make", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_bad_zip_is_refused_in_one_sentence(case: str, make: Any, words: str) -> None:
    with pytest.raises(TeachError, match=words) as refused:
        zips.open_zip(make())
    assert "\n" not in str(refused.value) and str(refused.value).endswith(".")


def test_the_bomb_is_refused_from_its_directory_before_inflating() -> None:
    zf = zipfile.ZipFile(io.BytesIO(_bomb()))
    with pytest.raises(zipcheck.Refused) as refused:
        zipcheck.check_members(zf.infolist(), "z", 100, 2**40)  # no size limit: the ratio alone
    assert refused.value.kind == "bomb" and refused.value.member == "class/big.jpg"


def test_a_damaged_model_in_a_zip_is_refused_by_the_builds_check(animals: dict[str, bytes]) -> None:
    short = {**animals, "weights.bin": animals["weights.bin"][:-4]}
    with pytest.raises(TeachError, match="truncated or belongs to another model"):
        zips.open_zip(_zip(short))
    nan = bytearray(animals["weights.bin"])
    nan[0:4] = array("f", [float("nan")]).tobytes()
    with pytest.raises(TeachError, match="NaN"):
        zips.open_zip(_zip({**animals, "weights.bin": bytes(nan)}))
    with pytest.raises(modelcheck.Invalid):
        modelcheck.validate(json.loads(animals["model.json"]), {"labels": ["a"]})


def test_an_opened_model_gives_its_head_for_this_pages_base(
    tm_exports: Path, animals: dict[str, bytes], animals_trained: Trained
) -> None:
    """Every TM export carries the same base, byte for byte: a model opened on the page can answer
    with the page's base and its own head, which is the head it was saved with."""
    saved = zips.open_zip(zips.model_zip(zips.BaseFiles.from_files(animals), animals_trained))
    assert isinstance(saved, zips.OpenedModel)
    head = saved.head(zips.BaseFiles.from_files(_export(tm_exports / "edible-3class")))
    assert head.features == 1280 and head.n_classes == 4
    hk, hb, ck = (
        array("f", x).tolist()
        for x in (animals_trained.hidden_kernel, animals_trained.hidden_bias, animals_trained.classes_kernel)
    )
    assert (head.hidden_kernel, head.hidden_bias, head.classes_kernel) == (hk, hb, ck)
    other = _export(tm_exports / "edible-3class")
    other["weights.bin"] = bytes(4) + other["weights.bin"][4:]  # another base: its first weight differs
    with pytest.raises(TeachError, match="another base model"):
        saved.head(zips.BaseFiles.from_files(other))


def test_hostile_model_files_are_refused_before_their_weights_are_read(animals: dict[str, bytes]) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000  # nested past any recursion limit
    with pytest.raises(TeachError, match="cannot be used"):
        zips.open_zip(_zip({**animals, "model.json": deep}))
    huge = _zip({**animals, "weights.bin": animals["weights.bin"] + bytes(10 << 20)})
    with pytest.raises(TeachError, match="truncated or belongs to another model"):
        zips.open_zip(huge)

"""Reading Teachable Machine exports: every real one, zips read safely, and clear refusals."""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from teachkit.model import files as tmexport
from teachkit.model.files import ModelError, open_model


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("animals-4class", ["chickens", "butterflies", "spiders", "elephants"]),
        ("edible-3class", ["Drinkable", "Edible", "Poisonous"]),
        ("google-official-2class", ["Class 1", "Class 2"]),  # tmVersion 1.1.0: no imageSize, no packageName
    ],
)
def test_real_exports_are_read(tm_exports: Path, name: str, labels: list[str]) -> None:
    with open_model(tm_exports / name) as m:
        assert m.labels == labels
        assert m.metadata["imageSize"] == 224
        assert not m.is_teachkit


def test_the_tiny_greyscale_model_is_refused_clearly(tm_exports: Path) -> None:
    with (
        pytest.raises(ModelError, match="96x96 greyscale.*Standard image model"),
        open_model(tm_exports / "google-tiny-grayscale"),
    ):
        pass


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def _export_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_a_real_export_zip_is_read(tm_exports: Path, tmp_path: Path) -> None:
    z = _zip(tmp_path / "tm.zip", _export_files(tm_exports / "edible-3class"))
    with open_model(z) as m:
        assert m.labels == ["Drinkable", "Edible", "Poisonous"]
        assert (m.dir / "weights.bin").is_file()
        extracted = m.dir
    assert not extracted.exists()  # the temporary folder is gone afterwards


@pytest.mark.parametrize("evil", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt"])
def test_zip_paths_outside_the_target_are_refused_before_writing(tm_exports: Path, tmp_path: Path, evil: str) -> None:
    files = _export_files(tm_exports / "edible-3class") | {evil: b"x"}
    z = _zip(tmp_path / "evil.zip", files)
    with pytest.raises(ModelError, match="unsafe path"), open_model(z):
        pass
    assert not (tmp_path / "evil.txt").exists()


def test_zip_with_a_link_is_refused(tm_exports: Path, tmp_path: Path) -> None:
    z = tmp_path / "link.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in _export_files(tm_exports / "edible-3class").items():
            zf.writestr(name, data)
        info = zipfile.ZipInfo("sneaky")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ModelError, match="link"), open_model(z):
        pass


def test_zip_too_large_is_refused(tm_exports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tmexport, "MAX_ZIP_BYTES", 1_000_000)
    z = _zip(tmp_path / "big.zip", _export_files(tm_exports / "edible-3class"))
    with pytest.raises(ModelError, match="unpacks to"), open_model(z):
        pass


@pytest.mark.parametrize(
    ("files", "what"),
    [
        ({"model.tflite": b"x", "labels.txt": b"a"}, "TensorFlow Lite"),
        ({"keras_model.h5": b"x", "labels.txt": b"a"}, "Keras"),
        ({"readme.txt": b"x"}, "no model.json"),
    ],
)
def test_other_exports_are_named(tmp_path: Path, files: dict[str, bytes], what: str) -> None:
    with pytest.raises(ModelError, match=what), open_model(_zip(tmp_path / "other.zip", files)):
        pass


def test_audio_and_pose_models_are_named(tm_exports: Path, tmp_path: Path) -> None:
    for extra, kind in (({"wordLabels": ["a"]}, "audio"), ({"modelSettings": {"posenet": {}}}, "pose")):
        folder = tmp_path / kind
        shutil.copytree(tm_exports / "edible-3class", folder, ignore=shutil.ignore_patterns("samples"))
        folder.chmod(0o755)
        meta = folder / "metadata.json"
        meta.chmod(0o644)
        meta.write_text(json.dumps(json.loads(meta.read_text()) | extra))
        with pytest.raises(ModelError, match=kind), open_model(folder):
            pass


def test_not_a_zip_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a zip"), open_model(tmp_path / "x.zip"):
        pass
    with pytest.raises(ModelError, match="no model at"), open_model(tmp_path / "nothing"):
        pass

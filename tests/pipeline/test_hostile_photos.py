"""Hostile photo folders (issue 13): each gets a plain sentence, never a hang or a traceback.

A hang must fail, not stall CI: the command line runs in a subprocess with a timeout, and
library calls run under ``deadline`` (an alarm that raises). No TensorFlow, no training.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from PIL import Image

from teachkit.data import dataset, photos, report
from teachkit.errors import PhotoError

ROOT = Path(__file__).resolve().parents[2]
PIPE = "not a regular file (a pipe, a device or a socket)"

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(signal, "SIGALRM"), reason="POSIX only")


class Hung(BaseException):
    """Not an ``OSError`` (as ``TimeoutError`` is): code that skips unreadable files must not swallow it."""


@contextlib.contextmanager
def deadline(seconds: float = 30) -> Iterator[None]:
    """Fail the block if it runs longer than ``seconds``: an alarm interrupts even a blocked open(),
    and repeats every second in case something caught it anyway."""

    def hung(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"still running after {seconds} s: it hangs")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def teachkit(*args: str | Path) -> subprocess.CompletedProcess:
    """The command line as a teacher runs it; a hang becomes ``TimeoutExpired`` (a failure)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TEACHKIT_QUIET": "1"},
        timeout=60,
    )


def make_photos(root: Path, classes: dict[str, int]) -> Path:
    """Small distinct photos (noise, so no two are near-copies): enough for a report without errors."""
    rng = random.Random(13)
    for label, n in classes.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            img = Image.frombytes("RGB", (48, 40), rng.randbytes(48 * 40 * 3))
            img.save(root / label / f"{i}.jpg")
    return root


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_photos(tmp_path / "photos", {"apple": 6, "leaf": 6})


def _plain(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr


@posix_only
def test_a_pipe_named_jpg_is_skipped_by_check(folder: Path) -> None:
    os.mkfifo(folder / "apple" / "x.jpg")
    result = teachkit("check", folder)
    _plain(result)
    assert result.returncode == 0, result.stderr
    assert PIPE in " ".join(result.stdout.split()) and "apple/x.jpg" in result.stdout


@posix_only
def test_a_pipe_named_jpg_is_skipped_when_reading_for_training(folder: Path, tmp_path: Path) -> None:
    pipe = folder / "leaf" / "x.jpg"
    os.mkfifo(pipe)
    with deadline():
        infos, unreadable = dataset.inspect(photos.scan(folder), tmp_path / "cache")
        with pytest.raises(ValueError, match="not a regular file"):
            photos.decode(pipe)  # what predict, evaluate and the card read through
    assert len(infos) == 12 and pipe not in {i.path for i in infos}
    assert [(s.path, s.reason) for s in unreadable] == [(pipe, f"the photo file is {PIPE}")]


@pytest.mark.skipif(not Path("/dev/zero").exists() or not hasattr(signal, "SIGALRM"), reason="needs /dev/zero")
def test_a_link_to_dev_zero_is_skipped(folder: Path, tmp_path: Path) -> None:
    link = folder / "apple" / "z.jpg"
    link.symlink_to("/dev/zero")
    with deadline():
        infos, unreadable = dataset.inspect(photos.scan(folder), tmp_path / "cache")
    assert len(infos) == 12
    assert [s.path for s in unreadable] == [link] and PIPE in unreadable[0].reason
    result = teachkit("check", folder)
    _plain(result)
    assert result.returncode == 0 and "apple/z.jpg" in result.stdout


def test_a_photo_file_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    with open(big, "wb") as f:
        f.truncate(photos.MAX_FILE_BYTES + 1)  # sparse: costs no disk and no time
    with deadline(), pytest.raises(ValueError, match="too large"):
        photos.decode(big)


def test_a_class_folder_whose_name_is_not_text_is_refused_before_any_work(folder: Path, tmp_path: Path) -> None:
    bad = os.fsencode(folder) + b"/caf\xff"
    os.mkdir(bad)
    for i in range(6):
        Image.new("RGB", (40, 40), (i * 40, 0, 0)).save(os.fsdecode(bad + f"/{i}.jpg".encode()))
    with pytest.raises(PhotoError, match="not valid text.*Rename the folder"):
        photos.scan(folder)
    for command in (["check", folder], ["train", folder, "--models-dir", tmp_path / "models"]):
        result = teachkit(*command)
        _plain(result)
        assert result.returncode == 2, result.stderr
        assert "'caf\\udcff'" in result.stderr and "Rename the folder" in result.stderr
    assert not (tmp_path / "models").exists()  # refused before anything was written


def test_a_file_whose_name_is_not_text_is_skipped_and_listed_as_valid_text(folder: Path, tmp_path: Path) -> None:
    bad = os.fsencode(folder / "apple") + b"/bad\xfe.jpg"
    with open(bad, "wb") as f:
        f.write((folder / "apple" / "0.jpg").read_bytes())
    found = photos.scan(folder)
    assert os.fsdecode(bad) not in map(str, found.classes["apple"])
    assert [s.reason for s in found.skipped] == [photos.BAD_NAME]
    result = teachkit("check", folder, "--json", tmp_path / "report.json")
    _plain(result)
    assert result.returncode == 0, result.stderr
    assert "not valid text" in " ".join(result.stdout.split())
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    (unreadable,) = [f for f in data["findings"] if f["code"] == "unreadable"]
    assert unreadable["files"] == ["apple/bad\ufffd.jpg"]
    # What train writes beside the model (dataset-report.json) is the same JSON: it encodes.
    json.dumps(report.check(found, *dataset.inspect(found, None)).to_json(), ensure_ascii=False).encode("utf-8")


def test_escape_codes_in_names_are_shown_not_obeyed(folder: Path, tmp_path: Path) -> None:
    (folder / "apple" / "\x1b[2Jevil.jpg").write_bytes(b"damaged")
    make_photos(folder, {"\x1b[31mred": 6})
    result = teachkit("check", folder, "--json", tmp_path / "r.json")
    _plain(result)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    assert "apple/\\x1b[2Jevil.jpg" in result.stdout and "\\x1b[31mred" in result.stdout
    # The JSON keeps the real names (JSON escapes them itself).
    assert "\x1b[31mred" in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["classes"]


def test_a_class_whose_every_photo_is_unreadable_ends_in_a_sentence(folder: Path, tmp_path: Path) -> None:
    (folder / "cup").mkdir()
    for i in range(6):
        (folder / "cup" / f"{i}.jpg").write_bytes(b"not a photo")
    for command in (["check", folder], ["train", folder, "--models-dir", tmp_path / "models"]):
        result = teachkit(*command)
        _plain(result)
        assert result.returncode == 2, (command[0], result.stderr)
        assert "'cup' has only 0 usable photo(s)" in result.stdout  # the report says which and why
        assert "not a picture Teachkit can read" in " ".join(result.stdout.split())
        assert f"The photos in {folder}" in result.stderr
    assert not (tmp_path / "models" / "photos").exists()


@pytest.mark.parametrize("classes", [{}, {"apple": 6}], ids=["no class", "one class"])
def test_check_with_fewer_than_two_classes_exits_2(tmp_path: Path, classes: dict[str, int]) -> None:
    root = make_photos(tmp_path / "photos", classes)
    root.mkdir(exist_ok=True)
    result = teachkit("check", root)
    _plain(result)
    assert result.returncode == 2
    assert "needs at least 2 class folders" in result.stderr


@posix_only
def test_damaged_entries_in_the_photo_cache_are_redone(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, _ = dataset.inspect(photos.scan(folder), cache)
    entries = sorted(cache.glob("*/*.json"))
    entries[0].unlink()
    os.mkfifo(entries[0])  # a pipe where an entry was: must not hang the next build
    entries[1].write_text("[1, 2]")
    entries[2].write_text(json.dumps({**json.loads(entries[2].read_text()), "thumb": "AAAA"}))
    with deadline():
        again, unreadable = dataset.inspect(photos.scan(folder), cache)
    assert again == first and unreadable == []

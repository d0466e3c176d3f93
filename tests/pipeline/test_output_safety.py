"""Nothing a teacher owns is lost: where Teachkit writes, what it refuses to replace, and what an
interrupted run leaves behind (issue 13). No training here: every refusal happens before any work,
so these run in seconds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from teachkit import fileio
from tests.support import KILLED_AT_SWAP, main_err, one_sentence

ROOT = Path(__file__).resolve().parents[2]


def _photos(root: Path, classes: tuple[str, ...] = ("a", "b"), n: int = 6) -> Path:
    for k, cls in enumerate(classes):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (64, 64), (40 * k + i, 90, 200 - 20 * i)).save(root / cls / f"{i}.png")
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- the model's folder ---------------------------------------------------------------------------


def test_models_dir_dot_never_replaces_the_photos(tmp_path: Path, capsys, monkeypatch) -> None:
    """`cd work && teachkit train photos --models-dir .`: the model's default name is the photos
    folder's, so models/NAME would be the photos folder itself."""
    photos = _photos(tmp_path / "photos")
    before = _tree(photos)
    monkeypatch.chdir(tmp_path)
    code, err = main_err(capsys, "train", "photos", "--models-dir", ".")
    assert code == 2
    one_sentence(err)
    assert "photos folder" in err
    assert _tree(photos) == before


def test_a_folder_that_holds_the_photos_is_not_replaced(tmp_path: Path, capsys) -> None:
    photos = _photos(tmp_path / "work" / "photos")
    before = _tree(photos)
    code, err = main_err(capsys, "train", str(photos), "--models-dir", str(tmp_path), "--name", "work")
    assert code == 2
    one_sentence(err)
    assert _tree(photos) == before


@pytest.mark.parametrize("name", [".", "..", "../../x", "/abs/path", ".cache", "", "a\x1b[2Jb", "x/y", "a\\b"])
def test_a_name_that_is_not_a_plain_folder_name_is_refused(name: str, tmp_path: Path, capsys) -> None:
    photos = _photos(tmp_path / "photos")
    models = tmp_path / "deep" / "models"
    models.mkdir(parents=True)
    (models / "other").mkdir()
    (models / "other" / "keep.txt").write_text("mine")
    everything = _tree(tmp_path)
    code, err = main_err(capsys, "train", str(photos), "--models-dir", str(models), "--name", name)
    assert code == 2
    one_sentence(err)
    assert "\x1b" not in err
    assert _tree(tmp_path) == everything
    assert not Path("/abs/path").exists()


def test_a_users_folder_named_like_the_model_is_left_alone(tmp_path: Path, capsys) -> None:
    photos = _photos(tmp_path / "photos")
    homework = tmp_path / "models" / "Homework"
    homework.mkdir(parents=True)
    (homework / "essay.docx").write_bytes(b"my essay")
    code, err = main_err(capsys, "train", str(photos), "--models-dir", str(tmp_path / "models"), "--name", "Homework")
    assert code == 2
    one_sentence(err)
    assert "essay.docx" in err
    assert (homework / "essay.docx").read_bytes() == b"my essay"


def test_a_teachable_machine_export_in_the_models_folder_is_left_alone(tm_exports: Path, tmp_path: Path) -> None:
    from teachkit.errors import OutputError
    from teachkit.model import export

    target = tmp_path / "models" / "animals"
    target.mkdir(parents=True)
    for name in ("model.json", "metadata.json", "weights.bin"):
        (target / name).write_bytes((tm_exports / "animals-4class" / name).read_bytes())
    with pytest.raises(OutputError, match="did not train"):
        export.check_target(target)


def test_a_teachkit_model_may_be_replaced(tmp_path: Path) -> None:
    from teachkit.model import export

    target = tmp_path / "m"
    target.mkdir()
    (target / "metadata.json").write_text(json.dumps({"packageName": "teachkit", "labels": ["a", "b"]}))
    (target / "metrics.json").write_text("{}")
    export.check_target(target, keep=[tmp_path / "photos"])


# -- interrupted runs: a real kill -9 exactly at the rename that swaps the new output in ------------


def test_a_killed_staging_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "out"
    stale = tmp_path / ".out.tmp-999999999-abc"  # a pid that is not running
    stale.mkdir()
    (stale / fileio.STAGING_MARK).write_bytes(b"")
    (stale / "half.html").write_text("x")
    theirs = tmp_path / ".out.tmp-notours"
    theirs.mkdir()
    (theirs / "keep").write_text("x")
    with fileio.staged_folder(target) as staging:
        (staging / "index.html").write_text("new")
    assert not stale.exists()
    assert (theirs / "keep").exists()  # no mark: not Teachkit's to delete
    assert (target / "index.html").read_text() == "new" and not (target / fileio.STAGING_MARK).exists()


def test_a_model_killed_at_the_swap_is_put_back(tmp_path: Path) -> None:
    """The swap of a model folder, killed between its two renames (export.write_model through
    fileio.staged_folder), then the next run's recovery."""
    target = tmp_path / "models" / "m"
    target.mkdir(parents=True)
    (target / "metadata.json").write_text(json.dumps({"packageName": "teachkit"}))
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from teachkit import fileio
        with fileio.staged_folder(Path({str(target)!r})) as s:
            (s / "metadata.json").write_text("new")
        """
    )
    script = KILLED_AT_SWAP.replace("from teachkit import cli\nsys.exit(cli.main(sys.argv[3:]))", code)
    result = subprocess.run(
        [sys.executable, "-c", script, "-", "m"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert not target.exists()
    fileio.recover(target)
    assert json.loads((target / "metadata.json").read_text()) == {"packageName": "teachkit"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["m"]


def test_a_model_left_aside_by_a_kill_opens_as_the_last_good_one(tm_exports: Path, tmp_path: Path) -> None:
    """`teachkit site models/m` right after a build was killed between the swap's two renames."""
    import shutil

    from teachkit.model.files import open_model

    aside = tmp_path / ".m.old"
    shutil.copytree(tm_exports / "animals-4class", aside)
    (aside / fileio.STAGING_MARK).write_bytes(b"")
    with open_model(tmp_path / "m") as files:
        assert files.labels and files.dir == tmp_path / "m"
    assert not aside.exists() and not (tmp_path / "m" / fileio.STAGING_MARK).exists()


def test_a_model_of_teachkit_0_1_killed_at_the_swap_is_put_back(tmp_path: Path) -> None:
    from teachkit.model import export

    old = tmp_path / ".m-old"
    old.mkdir()
    (old / "metadata.json").write_text(json.dumps({"packageName": "teachkit"}))
    export._recover_legacy(tmp_path / "m")
    assert (tmp_path / "m" / "metadata.json").is_file()


# -- output paths: refused before any work, in one sentence ---------------------------------------


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    return f


@pytest.mark.parametrize(
    "args",
    [
        lambda photos, f: ["check", str(photos), "--json", str(photos)],  # a folder
        lambda photos, f: ["check", str(photos), "--json", str(f / "report.json")],  # under a file
        lambda photos, f: ["evaluate", str(photos), str(photos), "--json", str(photos)],
        lambda photos, f: ["site", str(photos), "--out", str(f / "dist")],
        lambda photos, f: ["site", str(photos), "--out", "/proc/teachkit-dist"],
        lambda photos, f: ["train", str(photos), "--models-dir", str(f)],
        lambda photos, f: ["build", str(photos), "--models-dir", str(f.parent), "--out", str(f)],
        lambda photos, f: ["serve", str(photos), "--port", "70000"],
        lambda photos, f: ["train", str(photos), "--epochs", "0"],
        lambda photos, f: ["train", str(photos), "--holdout", "1.5"],
    ],
    ids=[
        "check-json-folder",
        "check-json-under-file",
        "evaluate-json-folder",
        "site-out-under-file",
        "site-out-proc",
        "models-dir-file",
        "build-out-file",
        "serve-port",
        "epochs-0",
        "holdout-1.5",
    ],
)
def test_an_output_that_cannot_be_written_isone_sentence(args, tmp_path: Path, a_file: Path, capsys) -> None:
    photos = _photos(tmp_path / "photos")
    before = _tree(tmp_path)
    code, err = main_err(capsys, *args(photos, a_file))
    assert code == 2
    one_sentence(err)
    assert _tree(tmp_path) == before

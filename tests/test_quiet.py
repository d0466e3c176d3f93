"""Quiet by default: `teachkit check` and `teachkit train` print Teachkit's lines and nothing else.

The commands run as a teacher runs them (`python build.py ...`, a fresh process), with none of the
environment variables that quieten TensorFlow (conftest sets two for the other tests): Teachkit
must do it by itself. Teachkit's lines are described positively, so any new line from a library
(TensorFlow's C++ log, absl, TensorFlow Lite, ydf, a Python warning) fails here by name.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from teachkit import cli, tfenv

ROOT = Path(__file__).resolve().parents[1]

#: Every line `check` and `train` print on the test's dataset (stdout and stderr).
TEACHKIT_LINES = [
    r"",
    # the dataset report
    r"Dataset report for .+",
    r"  class +photos +unusable +brightness +colour +background +\(balanced\)",
    r"  \S+ +\d+ +\d+( +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+)?",  # a class's row, or "all"
    r"  \(the last columns: how much the photos of a class vary .+\)",
    r"  Advice: \d+ to \d+ photos per class .+",
    r"  (ERROR  |WARNING|info   )  \S.*",  # a finding's title
    r" {11}\S.*",  # its explanation and files, indented under the title
    r"  No problems found\.",
    r"  \d+ error\(s\), \d+ warning\(s\)\.",
    # training
    r"Base model: MobileNetV2 from .+",
    r"Embedded \d+ new photo\(s\); \d+ came from the cache\.",
    r"Trained a model for \d+ classes in \d+ s\.",
    r"  \S+: \d+ photos \(\d+ held out\), recognised \d+% of its held-out photos",
    r"Accuracy: [\d.]+% on \d+ photos it never trained on \(\d+ right\)\.",
    r'"Not sure" \((strict|balanced|off)\) below \d+% confidence \(or a top-2 margin under \d+%\)\.',
    r'"None of these" above a distance of [\d.]+ from the training photos \(\d+% of the .+ turned away\)\.',
    r"The model is in .+/",
]
OURS = re.compile("|".join(f"(?:{p})" for p in TEACHKIT_LINES))

#: A line TensorFlow itself writes (its C++ log, through absl or its own format).
TENSORFLOW_LINE = re.compile(r"^(?:\d{4}-\d\d-\d\d [\d:.]+: [IWE] |[IWE]\d{4} [\d:.]+ +\d+ \S+\.cc:\d+\])")

CLASSES = ("cardboard", "glass", "metal")
PER_CLASS = 8


@pytest.fixture(scope="module")
def small(trashnet: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 classes x 8 trashnet photos, linked."""
    root = tmp_path_factory.mktemp("quiet") / "small"
    for label in CLASSES:
        (root / label).mkdir(parents=True)
        for photo in sorted((trashnet / label).iterdir())[:PER_CLASS]:
            (root / label / photo.name).symlink_to(photo)
    return root


@pytest.fixture(scope="module")
def env(base_export: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A teacher's environment: nothing that quietens TensorFlow, a cache of its own (so the base
    is converted to TensorFlow Lite here, the noisiest path), the animals export as the base."""
    quieting = ("TF_", "TFDF_", "ABSL_", "GLOG_", "PYTHONWARNINGS", "TEACHKIT_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(quieting)}
    cache = tmp_path_factory.mktemp("quiet-cache")
    return {**clean, "TEACHKIT_BASE": str(base_export), "TEACHKIT_CACHE": str(cache)}


def _run(args: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "build.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


def _foreign(lines: list[str]) -> list[str]:
    return [line for line in lines if not OURS.fullmatch(line)]


def test_check_and_train_print_only_teachkit_lines(small: Path, env: dict[str, str], tmp_path: Path) -> None:
    code, lines = _run(["check", str(small)], env)
    assert code == 0, "\n".join(lines)
    assert any(line.startswith("Dataset report for") for line in lines)
    assert _foreign(lines) == [], "check printed lines that are not Teachkit's"

    train = ["train", str(small), "--models-dir", str(tmp_path / "models"), "--epochs", "3", "--no-augment"]
    code, lines = _run(train, env)
    assert code == 0, "\n".join(lines)
    assert any(line.startswith("Embedded 24 new photo(s)") for line in lines), "the embeddings were cached"
    assert any(line.startswith("The model is in") for line in lines)
    assert _foreign(lines) == [], "train printed lines that are not Teachkit's"

    # --verbose, after the command this time, lets TensorFlow speak again (the cache is warm now).
    code, lines = _run([*train, "--verbose"], env)
    assert code == 0, "\n".join(lines)
    assert any(TENSORFLOW_LINE.match(line) for line in lines), "--verbose showed no TensorFlow line"


# -- the pieces, in process -----------------------------------------------------------------------


def test_quiet_holds_back_fd2_and_replays_it_on_failure(capfd: pytest.CaptureFixture[str]) -> None:
    with tfenv.quiet():
        os.write(2, b"noise from C++\n")
        print("noise from Python", file=sys.__stderr__, flush=True)  # the real fd 2 (capfd swaps sys.stderr)
    assert capfd.readouterr().err == ""

    with pytest.raises(RuntimeError), tfenv.quiet():
        os.write(2, b"the reason it failed\n")
        raise RuntimeError("failed")
    assert capfd.readouterr().err == "the reason it failed\n"

    with pytest.raises(RuntimeError), tfenv.quiet(replay=False):
        os.write(2, b"recovered from by the caller\n")
        raise RuntimeError("failed")
    assert capfd.readouterr().err == ""

    print("after", file=sys.stderr)  # fd 2 is back
    assert capfd.readouterr().err == "after\n"


def test_verbose_lets_fd2_through(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tfenv, "_verbose", True)
    with tfenv.quiet():
        os.write(2, b"shown\n")
    assert capfd.readouterr().err == "shown\n"


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--verbose", "train", "photos"], "train"),
        (["train", "photos", "--verbose"], "train"),
        (["--verbose", "photos"], "build"),
        (["check", "photos"], "check"),
    ],
)
def test_verbose_before_or_after_the_command(argv: list[str], command: str) -> None:
    args = cli.make_parser().parse_args(cli._normalise_argv(argv))
    assert args.command == command
    assert args.verbose is (argv != ["check", "photos"])

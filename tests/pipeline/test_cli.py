"""The command line as a teacher meets it: help, the check, clear errors, the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from teachkit import cli

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


@pytest.mark.parametrize("command", [*cli.SUBCOMMANDS])
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main([command, "--help"])
    assert e.value.code == 0
    assert "usage: teachkit" in capsys.readouterr().out


def test_photos_folder_alone_means_build() -> None:
    args = cli.make_parser().parse_args(cli._normalise_argv(["photos/", "--epochs", "3"]))
    assert args.command == "build" and args.photos == Path("photos") and args.epochs == 3


def test_train_options_have_the_documented_defaults() -> None:
    args = cli.make_parser().parse_args(["train", "p"])
    assert (args.holdout, args.seed, args.augment, args.fine_tune, args.models_dir) == (
        0.15,
        0,
        True,
        False,
        Path("models"),
    )
    args = cli.make_parser().parse_args(["train", "p", "--no-augment", "--fine-tune", "--test-dir", "t"])
    assert (args.augment, args.fine_tune, args.test_dir) == (False, True, Path("t"))


def test_a_missing_folder_is_a_plain_message_not_a_traceback(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "There is no folder" in result.stderr and "Traceback" not in result.stderr


def test_one_class_is_a_plain_message(tmp_path: Path) -> None:
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "a.jpg").write_bytes(b"x")
    result = run("train", str(tmp_path), "--models-dir", str(tmp_path / "models"))
    assert result.returncode == 2
    assert "at least 2 class folders" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "models").exists()  # nothing written


def test_offline_without_a_base_names_both_remedies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keras' ImageNet download is replaced by the failure it has offline; the message is under test."""
    from teachkit import tfenv
    from teachkit.features import basemodel

    keras = tfenv.keras()

    def offline(*a, **kw):
        raise OSError("URL fetch failure: [Errno 101] Network is unreachable")

    monkeypatch.setattr(keras.applications, "MobileNetV2", offline)
    monkeypatch.delenv(basemodel.ENV, raising=False)
    with pytest.raises(basemodel.ModelError, match="TEACHKIT_BASE") as e:
        basemodel.load(None)
    # what the teacher reads: the command line names the option's flag too
    assert "--base-from" in cli.describe(e.value) and "TEACHKIT_BASE" in cli.describe(e.value)


def test_base_from_the_environment(base_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from teachkit.features import basemodel

    monkeypatch.setenv(basemodel.ENV, str(base_export))
    base = basemodel.load(None)
    assert base.model.output_shape == (None, basemodel.FEATURES) and str(base_export) in base.source


@pytest.mark.slow
def test_demo_trains_on_drawn_photos(base_export: Path, tmp_path: Path) -> None:
    result = run(
        "demo",
        "--cache-dir",
        str(tmp_path / "demo"),
        "--models-dir",
        str(tmp_path / "models"),
        "--base-from",
        str(base_export),
        "--out",
        str(tmp_path / "dist"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Accuracy:" in result.stdout and (tmp_path / "models" / "demo" / "model.json").is_file()
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["circle", "square", "triangle"]
    assert (tmp_path / "dist" / "index.html").is_file()

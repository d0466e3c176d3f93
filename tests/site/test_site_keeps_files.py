"""A teacher's own files in a rendered site survive the next render, and a render killed at the
swap is put back by the next run (issue 13)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from teachkit import cli, fileio
from tests.support import KILLED_AT_SWAP, main_err, one_sentence

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(animals_site: Path, tmp_path: Path) -> Path:
    import shutil

    dist = tmp_path / "dist"
    shutil.copytree(animals_site, dist, symlinks=True)
    return dist


def test_a_teachers_own_page_survives_a_new_render(site: Path, tm_exports: Path, capsys) -> None:
    (site / "my-game.html").write_text("<p>my game</p>")
    (site / "games").mkdir()
    (site / "games" / "level1.js").write_text("level()")
    code = cli.main(["site", str(tm_exports / "edible-3class"), "--out", str(site)])
    assert code == 0
    assert (site / "my-game.html").read_text() == "<p>my game</p>"
    assert (site / "games" / "level1.js").read_text() == "level()"
    assert "my-game.html" in capsys.readouterr().out
    # ... and the one after that: the manifest does not list them, so they stay the teacher's.
    assert cli.main(["site", str(tm_exports / "animals-4class"), "--out", str(site)]) == 0
    assert (site / "my-game.html").read_text() == "<p>my game</p>"


def test_a_page_teachkit_wrote_and_the_teacher_changed_is_not_replaced(site: Path, tm_exports: Path, capsys) -> None:
    (site / "index.html").write_text("<p>my edits</p>")
    code, err = main_err(capsys, "site", str(tm_exports / "edible-3class"), "--out", str(site))
    assert code == 2
    one_sentence(err)
    assert "index.html" in err
    assert (site / "index.html").read_text() == "<p>my edits</p>"


def test_a_teachers_file_with_a_name_the_site_needs_is_not_replaced(site: Path, tm_exports: Path, capsys) -> None:
    (site / "my.html").write_text("x")
    manifest = json.loads((site / ".teachkit-site").read_text())
    del manifest["files"]["about.html"]  # as if the teacher had made about.html before Teachkit did
    (site / ".teachkit-site").write_text(json.dumps(manifest))
    about = (site / "about.html").read_bytes()
    code, err = main_err(capsys, "site", str(tm_exports / "edible-3class"), "--out", str(site))
    assert code == 2
    one_sentence(err)
    assert "about.html" in err and (site / "about.html").read_bytes() == about


def test_a_site_of_teachkit_0_1_keeps_the_teachers_pages(site: Path, tm_exports: Path) -> None:
    """Sites rendered before the manifest: their marker is one line of text."""
    (site / ".teachkit-site").write_text("rendered by teachkit 0.1.0; safe to delete with its folder\n")
    for page in site.glob("teach*.html"):  # 0.1.0 had no Teach page
        page.unlink()
    (site / "my-game.html").write_text("mine")
    assert cli.main(["site", str(tm_exports / "edible-3class"), "--out", str(site)]) == 0
    assert (site / "my-game.html").read_text() == "mine"


def test_a_teach_page_of_the_teachers_in_a_site_of_teachkit_0_1_is_not_replaced(
    site: Path, tm_exports: Path, capsys
) -> None:
    """0.1.0 wrote no teach.html: one there is the teacher's, and the new site's needs its name."""
    (site / ".teachkit-site").write_text("rendered by teachkit 0.1.0; safe to delete with its folder\n")
    for page in site.glob("teach*.html"):
        page.unlink()
    (site / "teach.html").write_text("my lesson plan")
    code, err = main_err(capsys, "site", str(tm_exports / "edible-3class"), "--out", str(site))
    assert code == 2
    one_sentence(err)
    assert "teach.html" in err and (site / "teach.html").read_text() == "my lesson plan"


def _killed(cwd: Path, out_name: str, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", KILLED_AT_SWAP, "-", out_name, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == -signal.SIGKILL, result.stderr


def test_a_site_killed_at_the_swap_is_put_back_and_no_debris_stays(site: Path, tm_exports: Path) -> None:
    index = (site / "index.html").read_bytes()
    _killed(site.parent, site.name, "site", str(tm_exports / "edible-3class"), "--out", str(site))
    assert not site.exists()  # the kill came between the two renames
    debris = sorted(p.name for p in site.parent.iterdir() if p.name.startswith(".dist"))
    assert debris  # the old site aside, and the new one beside it
    fileio.recover(site)  # what the next run does first
    assert (site / "index.html").read_bytes() == index
    assert not [p for p in site.parent.iterdir() if p.name.startswith(".dist")]
    assert not (site / fileio.STAGING_MARK).exists()

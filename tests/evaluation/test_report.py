"""The dataset report on generated folders made to contain each problem, on a clean one, and on
the real fixtures (whose findings are checked to be true)."""

from __future__ import annotations

import io
import json
import random
import shutil
from pathlib import Path

import pytest

from teachkit.data import report
from teachkit.errors import PhotoError

CLEAN = {"apple": 24, "leaf": 24, "cup": 24}


def _report(root: Path) -> report.Report:
    return report.check(*report.load(root))


def test_clean_dataset_raises_no_alarm(make_photos) -> None:
    rep = _report(make_photos(CLEAN))
    assert rep.findings == [], [f.title for f in rep.findings]
    assert set(rep.classes) == set(CLEAN)
    # the variety it measured is well above the thresholds, not just above them
    for c in rep.classes.values():
        assert c["brightness_spread"] > 2 * report.LIGHT_BRIGHTNESS_SPREAD
        assert c["background_spread"] > 2 * report.BACKGROUND_SPREAD


def test_too_few_and_few_photos(make_photos) -> None:
    rep = _report(make_photos({"apple": 24, "leaf": 3, "cup": 12}))
    by_code = {f.code: f for f in rep.findings}
    assert by_code["too_few"].severity == "error" and by_code["too_few"].label == "leaf"
    assert by_code["few"].severity == "warning" and by_code["few"].label == "cup"
    assert "50 to 200" in by_code["too_few"].explanation


def test_imbalance(make_photos) -> None:
    rep = _report(make_photos({"apple": 60, "leaf": 24, "cup": 24}))
    assert rep.codes() == {"imbalance"}
    assert "'apple' has 60" in rep.findings[0].title
    assert _report(make_photos({"apple": 48, "leaf": 24}, name="two")).codes() == set()  # exactly 2x is fine


def test_duplicate_across_classes_names_both_files(make_photos) -> None:
    root = make_photos(CLEAN)
    shutil.copy(root / "apple" / "apple003.jpg", root / "leaf" / "leaf_x.jpg")
    rep = _report(root)
    assert rep.codes() == {"duplicate_across"}
    (finding,) = rep.findings
    assert finding.severity == "warning"
    assert sorted(p.name for p in finding.groups[0]) == ["apple003.jpg", "leaf_x.jpg"]
    as_json = rep.to_json()["findings"][0]
    assert sorted(as_json["groups"][0]) == ["apple/apple003.jpg", "leaf/leaf_x.jpg"]


def test_resized_copy_across_classes(make_photos) -> None:
    from PIL import Image

    root = make_photos(CLEAN)
    with Image.open(root / "cup" / "cup005.jpg") as img:
        img.resize((480, 360)).save(root / "apple" / "big.jpg", quality=80)
    rep = _report(root)
    assert rep.codes() == {"near_duplicate_across"}


def test_one_lighting_and_background_for_one_class(make_photos) -> None:
    root = make_photos(CLEAN, background={"cup": (0.1, 0.3, 0.8)}, light={"cup": (0.9, 0.1)})
    rep = _report(root)
    flagged = {(f.code, f.label) for f in rep.warnings + rep.errors}
    assert flagged == {("one_lighting", "cup"), ("one_background", "cup")}
    # one scene for every photo also makes some of them near-copies (an info): true, if any
    assert rep.codes("info") <= {"near_duplicate"}
    text = next(f for f in rep.findings if f.code == "one_lighting").explanation
    assert "Measured" in text and "where the model will be used" in text


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_background_under_changing_light(make_photos, seed: int) -> None:
    # one background, lit brighter and dimmer, warmer and colder from photo to photo
    rep = _report(make_photos(CLEAN, seed=seed, background={"leaf": (0.55, 0.4, 0.7)}))
    assert {(f.code, f.label) for f in rep.warnings + rep.errors} == {("one_background", "leaf")}


def test_plain_sheets_of_different_colours_are_varied_backgrounds(make_photos, draw) -> None:
    root = make_photos({"apple": 24, "cup": 24})
    rng = random.Random(5)
    (root / "leaf").mkdir()
    for i in range(24):  # the same saturation and brightness, a different colour each time
        draw(rng, "leaf", background=(rng.random(), 0.6, 0.8)).save(root / "leaf" / f"{i}.jpg", quality=90)
    rep = _report(root)
    assert "one_background" not in rep.codes(), rep.classes["leaf"]


def test_unreadable_files_are_reported_with_why(make_photos) -> None:
    root = make_photos(CLEAN)
    (root / "apple" / "broken.jpg").write_bytes(b"not a picture at all")
    whole = (root / "leaf" / "leaf000.jpg").read_bytes()
    (root / "leaf" / "cut.jpg").write_bytes(whole[: len(whole) // 3])
    (root / "cup" / "notes.txt").write_text("hello")
    rep = _report(root)
    bad = next(f for f in rep.findings if f.code == "unreadable")
    assert sorted(p.name for p in bad.files) == ["broken.jpg", "cut.jpg"]
    assert "Why:" in bad.explanation
    assert rep.classes["apple"]["unreadable"] == 1 and rep.classes["apple"]["usable"] == 24
    assert "not_photos" in rep.codes("info")


def test_small_and_long_photos(make_photos) -> None:
    root = make_photos(CLEAN)
    make_photos({"apple": 2}, name="extra", size={"apple": (200, 150)})
    for i, p in enumerate(sorted((root.parent / "extra" / "apple").iterdir())):
        shutil.move(p, root / "apple" / f"small{i}.jpg")
    from PIL import Image

    with Image.open(root / "cup" / "cup000.jpg") as img:
        img.resize((700, 240)).save(root / "cup" / "wide.jpg")
    rep = _report(root)
    assert {f.code for f in rep.warnings} == {"small", "hard_crop"}
    small = next(f for f in rep.findings if f.code == "small")
    assert sorted(p.name for p in small.files) == ["small0.jpg", "small1.jpg"]


def test_run_check_exit_codes_and_json(make_photos, tmp_path: Path, capsys) -> None:
    root = make_photos(CLEAN)
    assert report.run_check(root, strict=True, json_path=tmp_path / "r.json") == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["counts"] == {"errors": 0, "warnings": 0, "info": 0}
    shutil.copy(root / "apple" / "apple000.jpg", root / "leaf" / "dup.jpg")
    assert report.run_check(root, strict=False, json_path=None) == 0
    # A report that would stop a build ends in a sentence (the command line's exit 2), after the
    # report itself and its JSON.
    with pytest.raises(PhotoError, match="1 warning.*strict"):
        report.run_check(root, strict=True, json_path=tmp_path / "r.json")
    assert "Labelling mistake" in capsys.readouterr().out
    assert json.loads((tmp_path / "r.json").read_text())["counts"]["warnings"] == 1
    for p in list((root / "leaf").iterdir())[3:]:
        p.unlink()
    with pytest.raises(PhotoError, match="1 error"):
        report.run_check(root, strict=False, json_path=None)
    assert "'leaf' has only" in capsys.readouterr().out


def test_print_is_a_readable_table(make_photos) -> None:
    rep = _report(make_photos({"apple": 24, "leaf": 3}))
    out = io.StringIO()
    rep.print(out)
    text = out.getvalue()
    assert "apple" in text and "ERROR" in text and "1 error(s)" in text


def test_trashnet_findings_are_true(trashnet: Path) -> None:
    """The real findings on trashnet-subset: its one cross-class copy (glass115 = metal91, the
    same bytes) and its white posterboard; no lighting alarm (its photos were taken under
    changing light) and no false 'same photo' pairs among the plain-background photos."""
    rep = _report(trashnet)
    assert rep.errors == []
    dup = next(f for f in rep.findings if f.code == "duplicate_across")
    assert [sorted(p.name for p in g) for g in dup.groups] == [["glass115.jpg", "metal91.jpg"]]
    assert (trashnet / "glass/glass115.jpg").read_bytes() == (trashnet / "metal/metal91.jpg").read_bytes()
    assert "near_duplicate_across" not in rep.codes()
    assert "one_lighting" not in rep.codes()
    (backgrounds,) = [f for f in rep.findings if f.code == "one_background"]
    assert set(backgrounds.labels) == {"cardboard", "glass", "metal", "paper", "plastic", "trash"}


def test_tm_samples_raise_no_false_variety_alarm(tm_exports: Path) -> None:
    """Photos taken in varied places (web photos; phone photos indoors and out)."""
    for name in ("animals-4class", "edible-3class"):
        rep = _report(tm_exports / name / "samples")
        assert not rep.codes() & {"one_lighting", "one_background", "too_few", "few"}, name

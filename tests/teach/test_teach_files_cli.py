"""`teachkit teach` (issue 10): a site for teaching only, the USB stick a teacher hands out.

Its model folder is the frozen base alone (cut out of a real Teachable Machine export), it has the
Teach page in every language and nothing else a pupil opens, it loads nothing from outside its
folder, and it keeps render.py's promises: the teacher's files kept, a page of ours the teacher
changed refused, a folder of the teacher's never replaced; bad options end in one sentence, exit 2.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest

from teachkit import cli
from teachkit.core import tmformat
from teachkit.site import assets, i18n, render
from tests.support import main_err, one_sentence


@pytest.fixture(scope="module")
def teach_site(base_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("teach") / "stick"
    assert cli.main(["teach", "--out", str(out), "--base-from", str(base_export), "--title", "Lab 3"]) == 0
    return out


def _asset(script: Path) -> bytes:
    """A file the registry serves, read back from its script (``assets.read_asset``)."""
    return assets.read_asset(script.read_text())[1]


def _model_folder(site: Path) -> tuple[dict, dict, bytes]:
    config = json.loads(
        re.search(r'id="teachkit-config">(.*?)</script>', (site / "teach.html").read_text(), re.S).group(1)
    )
    encoded = {s["src"][: -len(".js")] for s in config["scripts"] if s["group"] == "model"}
    folder = config["model"]["dir"]
    assert encoded == {folder + name for name in ("model.json", "weights.bin", "metadata.json")}
    files = {name: _asset(site / f"{folder}{name}.js") for name in ("model.json", "weights.bin", "metadata.json")}
    return json.loads(files["model.json"]), json.loads(files["metadata.json"]), files["weights.bin"]


def test_a_teach_site_holds_the_teach_page_and_the_bare_base(teach_site: Path, base_export: Path) -> None:
    pages = {p.name for p in teach_site.glob("*.html")}
    assert pages == {render.page_file(p, lang, "en") for p in ("index.html", "teach.html") for lang in i18n.LANGUAGES}
    model, meta, weights = _model_folder(teach_site)
    assert meta["labels"] == [] and meta["userMetadata"]["teachOnly"] is True
    assert meta["userMetadata"]["features"] == 1280 and meta["packageName"] == "teachkit"
    # The export's base, byte for byte, and nothing of its head.
    export = json.loads((base_export / "model.json").read_text())
    base = tmformat.base_of(export, (base_export / "weights.bin").read_bytes())
    assert weights == base.data
    assert not any(e["name"].startswith("dense") for g in model["weightsManifest"] for e in g["weights"])


def test_its_header_shows_teach_alone_and_index_leads_there(teach_site: Path) -> None:
    html = (teach_site / "teach.html").read_text()
    nav = re.search(r"<nav>(.*?)</nav>", html, re.S).group(1)
    assert re.findall(r'<a href="([^"]+)"', nav) == ["teach.html"]
    assert "<h1>Lab 3</h1>" in html
    index = (teach_site / "index.nl.html").read_text()
    assert 'http-equiv="refresh" content="0; url=teach.nl.html"' in index
    for page in teach_site.glob("*.html"):  # offline: nothing from outside the folder
        text = page.read_text()
        assert "http://" not in text and "https://" not in text, page.name


def test_a_site_of_a_model_links_its_three_pages(animals_site_files: Path) -> None:
    nav = re.search(r"<nav>(.*?)</nav>", (animals_site_files / "teach.fr.html").read_text(), re.S).group(1)
    assert re.findall(r'<a href="([^"]+)"', nav) == ["index.fr.html", "teach.fr.html", "about.fr.html"]
    assert 'aria-current="page">' in nav.split("teach.fr.html")[1].split("</a>")[0]


@pytest.fixture(scope="module")
def animals_site_files(tm_exports: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("full") / "dist"
    assert cli.main(["site", str(tm_exports / "animals-4class"), "--out", str(out)]) == 0
    return out


def test_a_teach_site_keeps_the_teachers_files_and_refuses_changed_pages(
    teach_site: Path, base_export: Path, tmp_path: Path, capsys
) -> None:
    site = tmp_path / "stick"
    shutil.copytree(teach_site, site, symlinks=True)
    (site / "worksheet.html").write_text("<p>mine</p>")
    assert cli.main(["teach", "--out", str(site), "--base-from", str(base_export)]) == 0
    assert (site / "worksheet.html").read_text() == "<p>mine</p>"
    # From teach-only to a site of a model and back: the teacher's page stays through both.
    assert cli.main(["site", str(base_export), "--out", str(site)]) == 0
    assert (site / "about.html").is_file() and (site / "worksheet.html").is_file()
    capsys.readouterr()
    (site / "teach.html").write_text("<p>my edits</p>")
    code, err = main_err(capsys, "teach", "--out", str(site), "--base-from", str(base_export))
    assert code == 2
    one_sentence(err)
    assert "teach.html" in err and (site / "teach.html").read_text() == "<p>my edits</p>"


def test_bad_options_end_in_one_sentence_and_change_nothing(
    base_export: Path, tm_exports: Path, tmp_path: Path, capsys
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    cases = [
        (["--out", str(tmp_path / "a"), "--base-from", str(tmp_path / "missing")], "missing"),
        (["--out", str(tmp_path / "b"), "--base-from", str(base_export), "--lang", "xx"], "xx"),
        (["--out", str(mine), "--base-from", str(base_export)], "not a site Teachkit rendered"),
        (["--out", str(tmp_path / "c"), "--base-from", str(tm_exports / "google-tiny-grayscale")], "tiny"),
        (["--out", str(tmp_path / "d"), "--base-from", str(base_export / "weights.bin")], "weights.bin"),
    ]
    for args, words in cases:
        code, err = main_err(capsys, "teach", *args)
        assert code == 2, args
        one_sentence(err)
        assert words in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_without_an_export_the_base_is_keras_converted_as_a_build_converts_it(
    base_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --base-from and no $TEACHKIT_BASE: the base `teachkit train` would use (Keras' ImageNet
    MobileNetV2), converted by TF.js's converter. Keras' weights cannot be downloaded here, so the
    one Keras model every export carries stands in for them: converted, it is the export's base,
    tensor by tensor."""
    from teachkit.features import basemodel
    from teachkit.site import teachbase

    monkeypatch.delenv(basemodel.ENV, raising=False)
    real = basemodel.load
    monkeypatch.setattr(teachbase.basemodel, "load", lambda chosen=None, memo=None: real(base_export))
    out = tmp_path / "stick"
    assert cli.main(["teach", "--out", str(out)]) == 0
    model, meta, weights = _model_folder(out)
    assert meta["userMetadata"] == {**meta["userMetadata"], "teachOnly": True, "features": 1280}

    def tensors(model_json: dict, data: bytes) -> dict[str, bytes]:
        out, offset = {}, 0
        for e in (e for g in model_json["weightsManifest"] for e in g["weights"]):
            size = 4 * math.prod(e["shape"])
            out[e["name"]] = data[offset : offset + size]
            offset += size
        return out

    export = json.loads((base_export / "model.json").read_text())
    base = tmformat.base_of(export, (base_export / "weights.bin").read_bytes())
    expected = tensors(*tmformat.base_model(base))
    got = tensors(model, weights)
    assert set(got) == set(expected)
    assert all(got[name] == expected[name] for name in expected)

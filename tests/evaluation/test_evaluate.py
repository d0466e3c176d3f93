"""`evaluate` on real Teachable Machine exports and their sample photos: the numbers recomputed
from its predictions, the answers checked against an independent Teachable-Machine-style run of
the same model, and the folder matching (case, unknown classes, broken files)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teachkit.evaluation import card, evaluate
from teachkit.site import card_page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def edible(tm_exports: Path) -> Path:
    return tm_exports / "edible-3class"


@pytest.fixture(scope="module")
def predictor(edible: Path):
    from teachkit.model import predict

    return predict.load(edible)


@pytest.fixture(scope="module")
def record(edible: Path, predictor) -> dict:
    return evaluate.evaluate(edible, edible / "samples", predictor=predictor)


def _tm_input(path: Path) -> np.ndarray:
    """Teachable Machine's preprocessing, written out here: shorter side to 224 (ceil), centre
    crop 224x224, then x / 127 - 1."""
    with Image.open(path) as img:
        img = img.convert("RGB")
        scale = 224 / min(img.size)
        w, h = math.ceil(img.width * scale), math.ceil(img.height * scale)
        img = img.resize((w, h), Image.Resampling.BILINEAR)
        left, top = (w - 224) // 2, (h - 224) // 2
        img = img.crop((left, top, left + 224, top + 224))
    return np.asarray(img, dtype=np.float32) / 127.0 - 1.0


def test_evaluate_counts_every_sample_and_its_card_is_right(record: dict, edible: Path) -> None:
    labels = record["labels"]
    assert labels == json.loads((edible / "metadata.json").read_text())["labels"]
    per_folder = {d.name: len(list(d.iterdir())) for d in (edible / "samples").iterdir()}
    assert len(record["predictions"]) == sum(per_folder.values())
    assert record["unmatched"] == {} and record["skipped"] == []
    truth = [labels.index(p["label"]) for p in record["predictions"]]
    answer = [int(np.argmax(p["probabilities"])) for p in record["predictions"]]
    for p in record["predictions"]:
        assert sum(p["probabilities"]) == pytest.approx(1.0, abs=1e-4)
        assert (edible / "samples" / p["path"]).is_file()
        assert p["path"].split("/")[0] == p["label"]
    s = card.summary(record)
    assert s["correct"] == sum(t == a for t, a in zip(truth, answer, strict=True))
    assert s["evaluated_on"] == "test-dir"
    # a TM export carries no tuned rule: the standard one is applied and its sweep is only shown
    assert (s["not_sure"]["threshold"], s["not_sure"]["margin"]) == (0.5, 0.0)
    assert s["not_sure"]["sweep_on"] == "these photos"


def test_evaluate_agrees_with_a_teachable_machine_style_run(record: dict, edible: Path) -> None:
    """The same export run by tensorflowjs' own loader on inputs prepared as Teachable Machine
    prepares them: the same answers (but for a photo or two at a near tie) and accuracy."""
    import tensorflowjs as tfjs

    model = tfjs.converters.load_keras_model(str(edible / "model.json"))
    paths = [edible / "samples" / p["path"] for p in record["predictions"]]
    x = np.stack([_tm_input(p) for p in paths])
    theirs = np.concatenate([np.asarray(model(x[i : i + 32], training=False)) for i in range(0, len(x), 32)])
    ours = np.array([p["probabilities"] for p in record["predictions"]])
    truth = np.array([record["labels"].index(p["label"]) for p in record["predictions"]])
    assert np.mean(theirs.argmax(1) == ours.argmax(1)) >= 0.98
    assert abs(int((theirs.argmax(1) == truth).sum()) - int((ours.argmax(1) == truth).sum())) <= 2
    assert np.median(np.abs(theirs - ours).max(axis=1)) < 0.05


def test_folders_are_matched_by_name_and_the_rest_reported(edible: Path, tmp_path: Path, capsys) -> None:
    photos_dir = tmp_path / "room"
    for folder, source in (("edible", "Edible"), ("Poisonous", "Poisonous"), ("cats", "Drinkable")):
        (photos_dir / folder).mkdir(parents=True)
        for f in sorted((edible / "samples" / source).iterdir())[:3]:
            shutil.copy(f, photos_dir / folder / f.name)
    (photos_dir / "Poisonous" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    from teachkit import cli

    out_json = tmp_path / "evaluation.json"
    assert cli.main(["evaluate", str(edible), str(photos_dir), "--json", str(out_json)]) == 0
    data = json.loads(out_json.read_text())
    assert data["matched"] == {"edible": "Edible", "Poisonous": "Poisonous"}
    assert data["unmatched"] == {"cats": 3}
    assert [Path(s["path"]).name for s in data["skipped"]] == ["broken.jpg"]
    assert len(data["predictions"]) == 6
    assert data["card"]["n"] == 6
    printed = capsys.readouterr().out
    assert "'cats'" in printed and "has no class" in printed and "taken as the class 'Edible'" in printed


def test_photos_linked_from_elsewhere_are_evaluated(edible: Path, tmp_path: Path, predictor) -> None:
    """A class folder of links to photos kept elsewhere (a teacher's usual way to reuse photos):
    each photo is named where the folder shows it (this ended in a traceback before)."""
    folder = tmp_path / "linked"
    for sub in sorted(p for p in (edible / "samples").iterdir() if p.is_dir()):
        (folder / sub.name).mkdir(parents=True)
        for photo in sorted(sub.iterdir())[:3]:
            (folder / sub.name / photo.name).symlink_to(photo)
    got = evaluate.evaluate(edible, folder, predictor=predictor)
    assert got["predictions"] and all(not p["path"].startswith("/") for p in got["predictions"])
    assert {p["path"].split("/")[0] for p in got["predictions"]} == {p.name for p in folder.iterdir()}


def test_no_matching_folder_is_a_clear_error(edible: Path, tmp_path: Path, predictor) -> None:
    from teachkit.data.photos import PhotoError

    (tmp_path / "dogs").mkdir()
    shutil.copy(next((edible / "samples" / "Edible").iterdir()), tmp_path / "dogs" / "a.jpg")
    with pytest.raises(PhotoError, match="None of the folders"):
        evaluate.evaluate(edible, tmp_path, predictor=predictor)


@pytest.mark.browser
def test_evaluate_gives_the_accuracy_the_page_gives(edible: Path, predictor, tmp_path: Path, browser) -> None:
    """The built page (Pyodide + TF.js, opened from file://) classifies a sample folder: the same
    answers, hence the same accuracy, as `evaluate` on that folder."""
    import base64

    from teachkit.site import build_site

    folder = tmp_path / "photos"
    for label in record_labels(edible):
        (folder / label).mkdir(parents=True)
        for f in sorted((edible / "samples" / label).iterdir())[::6]:  # every 6th: 15 per class
            shutil.copy(f, folder / label / f.name)
    ours = evaluate.evaluate(edible, folder, predictor=predictor)
    site = build_site(edible, tmp_path / "dist")
    photos_b64 = [base64.b64encode((folder / p["path"]).read_bytes()).decode() for p in ours["predictions"]]
    page = browser.new_page()
    page.goto(site.as_uri() + "/index.html?backend=wasm")
    results = page.evaluate(
        """async (photos) => {
                await teachkit.ready;
                const out = [];
                for (const b64 of photos) {
                    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                    const r = await teachkit.classify(new Blob([bytes], { type: "image/jpeg" }));
                    const byLabel = Object.fromEntries(r.probabilities.map((p) => [p.label, p.probability]));
                    out.push(teachkit.labels.map((l) => byLabel[l]));
                }
                return out;
            }""",
        photos_b64,
    )
    page.close()
    labels = ours["labels"]
    truth = np.array([labels.index(p["label"]) for p in ours["predictions"]])
    in_python = np.array([p["probabilities"] for p in ours["predictions"]])
    in_page = np.array(results)
    assert in_page.shape == in_python.shape
    assert (in_page.argmax(1) == in_python.argmax(1)).all()
    assert (in_page.argmax(1) == truth).mean() == card.summary(ours)["accuracy"]
    assert np.abs(in_page - in_python).max() < 0.02


def record_labels(export: Path) -> list[str]:
    return [d.name for d in sorted((export / "samples").iterdir()) if d.is_dir()]


def test_the_card_of_an_evaluation_renders(record: dict, edible: Path, tmp_path: Path) -> None:
    """No training record, no tuned rule: the card still renders, with every photo's thumbnail
    (taken from the photos folder named, the one that was evaluated)."""
    from teachkit.site import render

    ctx = card_page.context(card.summary(record), tmp_path, photos=edible / "samples")
    html = render.environment("en").get_template("model_card.html").render(card=ctx)
    assert "photos from a separate test folder" in html
    assert "nothing was chosen with them" in html
    assert html.count("<img ") == len(record["predictions"])
    assert len(list((tmp_path / "card" / "thumbs").iterdir())) == len(record["predictions"])

"""Save and open in real Chromium (issue 10): the zips the Teach page makes, used by the build.

A site of `teachkit teach` (the bare base of a real Teachable Machine export) is opened once,
hosted, on wasm, and one lesson is taught through `teachkit.teach`: three classes of 30 real
trashnet photos, Train, Download model, Download examples. The model zip is the very zip CPython's
zips.py makes of the same head; `teachkit evaluate` on the photos the page held out gives the
page's figure; `teachkit site` renders it and its classify page (TF.js) answers as `evaluate` on
photos of neither; Teachable Machine's own library loads it. The examples zip trains with
`teachkit train`. Bad zips opened through the API are refused in a sentence and the lesson stays.
"""

from __future__ import annotations

import base64
import io
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from teachkit import cli
from teachkit.site.sources import APP
from tests.site.conftest import StaticServer, open_site, wait_ready
from tests.teach.conftest import LESSON

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sys.path.insert(0, str(APP.parent))
from teachkit_app.teach import zips  # noqa: E402

CLASSES = ("cardboard", "glass", "metal")
TRAIN, HELD = 30, 10  # photos per class: the first 30 train the head, the last 10 measure it


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _photos(trashnet: Path, root: Path, which: slice) -> Path:
    for cls in CLASSES:
        (root / cls).mkdir(parents=True)
        for src in sorted((trashnet / cls).glob("*.jpg"))[which]:
            (root / cls / src.name).symlink_to(src)
    return root


@pytest.fixture(scope="module")
def folders(trashnet: Path, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("teach-files")
    return SimpleNamespace(
        root=root,
        train=_photos(trashnet, root / "train", slice(0, TRAIN)),
        held=_photos(trashnet, root / "held", slice(-HELD, None)),
    )


@pytest.fixture(scope="module")
def teach_only(base_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stick") / "dist"
    assert cli.main(["teach", "--out", str(out), "--base-from", str(base_export)]) == 0
    return out


@pytest.fixture(scope="module")
def teach_page(browser: Any, teach_only: Path) -> Iterator[Any]:
    server = StaticServer(teach_only).start()
    site = open_site(browser, server.url + "teach.html?backend=wasm", inside=server.url)
    yield site
    site.close()
    server.stop()


def run_python(site: Any, code: str) -> Any:
    return site.page.evaluate("(code) => teachkitPyodide.runPythonAsync(code)", code)


#: What the page trained and the site's base, out of Pyodide (floats through JSON: exact).
TRAINED = """
import base64, json
import js
from teachkit_app.teach.main import state
trained = state["teacher"].lesson.trained
config = json.loads(str(js.document.getElementById("teachkit-config").textContent))
base = {}
for name in ("model.json", "weights.bin", "metadata.json"):
    response = await js.fetch(config["model"]["dir"] + name)  # the registry answers
    base[name] = base64.b64encode((await response.arrayBuffer()).to_bytes()).decode()
json.dumps({
    "labels": list(trained.labels), "features": int(trained.features),
    **{k: [float(x) for x in getattr(trained, k)] for k in ("hidden_kernel", "hidden_bias", "classes_kernel")},
    "rule": [trained.rule.threshold, trained.rule.margin],
    "heldout": {k: trained.heldout[k] for k in ("accuracy", "n", "correct", "examples")},
    "base": base,
})
"""


@pytest.fixture(scope="module")
def lesson(teach_page: Any, folders: SimpleNamespace) -> SimpleNamespace:
    """One lesson in the page: three classes of 30 real photos, Train (seed 0), Download model,
    Download examples; what the page trained, read from its Python."""
    paths = {cls: sorted((folders.train / cls).iterdir()) for cls in CLASSES}
    classes = [[cls, [_b64(p.read_bytes()) for p in paths[cls]]] for cls in CLASSES]
    try:
        out = teach_page.page.evaluate(LESSON, [classes, 0])
    except Exception as e:  # the page's console says why
        raise AssertionError(f"{e}\nthe page's errors: {teach_page.errors[-5:]}") from None
    trained = json.loads(run_python(teach_page, TRAINED))
    model = folders.root / "lesson-model.zip"
    model.write_bytes(base64.b64decode(out["model"]))
    return SimpleNamespace(
        paths=paths,
        result=out["result"],
        model=model,
        examples=base64.b64decode(out["examples"]),
        trained=trained,
        base={k: base64.b64decode(v) for k, v in trained.pop("base").items()},
    )


def _read(source: Path | bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_the_page_makes_the_model_zip_cpython_makes(lesson: SimpleNamespace) -> None:
    """zips.py run by Pyodide on the page's trained head = zips.py run by CPython on the same head."""
    from teachkit.core import decide

    t = lesson.trained
    trained = SimpleNamespace(**{k: v for k, v in t.items() if k != "rule"}, rule=decide.Rule(*t["rule"]))
    built = zips.model_zip(zips.BaseFiles.from_files(lesson.base), trained, [TRAIN] * len(CLASSES))
    ours, theirs = _read(lesson.model), _read(built)
    assert ours["model.json"] == theirs["model.json"] and ours["weights.bin"] == theirs["weights.bin"]
    meta, again = json.loads(ours["metadata.json"]), json.loads(theirs["metadata.json"])
    assert {k: v for k, v in meta.items() if k != "timeStamp"} == {k: v for k, v in again.items() if k != "timeStamp"}
    assert meta["labels"] == list(CLASSES) and meta["userMetadata"]["classCounts"] == dict.fromkeys(CLASSES, TRAIN)
    assert meta["userMetadata"]["heldout"]["accuracy"] == lesson.result["heldout"]["accuracy"]


def test_teachkit_evaluate_on_the_photos_the_page_held_out_gives_the_pages_figure(
    lesson: SimpleNamespace, tmp_path: Path
) -> None:
    photos = tmp_path / "held"
    held = lesson.trained["heldout"]["examples"]
    for cls_index, example_index, *_ in held:
        cls = CLASSES[cls_index]
        (photos / cls).mkdir(parents=True, exist_ok=True)
        (photos / cls / lesson.paths[cls][example_index].name).symlink_to(lesson.paths[cls][example_index])
    report = tmp_path / "evaluation.json"
    assert cli.main(["evaluate", str(lesson.model), str(photos), "--json", str(report)]) == 0
    card = json.loads(report.read_text())["card"]
    page = lesson.result["heldout"]
    print(f"page: {page['correct']}/{page['n']}; teachkit evaluate: {card['correct']}/{card['n']}")
    assert card["n"] == page["n"] == len(held)
    assert abs(card["correct"] - page["correct"]) <= 1


def test_the_model_zip_measures_and_runs_as_the_build_says(
    browser: Any, lesson: SimpleNamespace, folders: SimpleNamespace, tmp_path: Path
) -> None:
    """`teachkit evaluate` on the held-out photos, and the classify page of `teachkit site` on
    the same photos (TF.js loading the zip's model): the same accuracy, photo by photo."""
    report = tmp_path / "evaluation.json"
    assert cli.main(["evaluate", str(lesson.model), str(folders.held), "--json", str(report)]) == 0
    evaluated = json.loads(report.read_text())
    accuracy = evaluated["card"]["accuracy"]
    built = {
        p["path"]: evaluated["labels"][max(range(len(CLASSES)), key=p["probabilities"].__getitem__)]
        for p in evaluated["predictions"]
    }
    assert accuracy >= 0.6  # a real head on real photos (3 classes: chance is 0.33)
    site = tmp_path / "dist"
    assert cli.main(["site", str(lesson.model), "--out", str(site)]) == 0
    server = StaticServer(site).start()
    page = open_site(browser, server.url + "index.html?backend=wasm", inside=server.url)
    try:
        right, same = 0, 0
        for cls in CLASSES:
            for photo in sorted((folders.held / cls).iterdir()):
                got = {x["label"]: x["probability"] for x in page.classify_file(photo)["probabilities"]}
                top = max(got, key=got.get)
                right += top == cls
                same += top == built[f"{cls}/{photo.name}"]
        assert not page.errors and not page.outside
    finally:
        page.close()
        server.stop()
    n = len(CLASSES) * HELD
    print(f"teachkit evaluate: {accuracy:.3f}; the site of the zip (TF.js): {right}/{n}; same answer {same}/{n}")
    assert abs(right / n - accuracy) <= 1 / n + 1e-9  # at most one photo apart (browser decoding)
    assert same >= n - 1


TM_PAGE = """<!doctype html><meta charset="utf-8"><title>TM</title>
<script src="tf.min.js"></script><script src="teachablemachine-image.min.js"></script>"""


def test_teachable_machines_library_loads_the_model_zip(
    browser: Any, lesson: SimpleNamespace, folders: SimpleNamespace, tmp_path: Path
) -> None:
    from tests.site.test_tm_library import LIBRARY

    if not all(p.is_file() for p in LIBRARY.values()):
        pytest.skip("Teachable Machine's library is not installed in bench/node_modules (npm ci in bench/)")
    root = tmp_path / "tm"
    root.mkdir()
    (root / "index.html").write_text(TM_PAGE)
    for name, src in LIBRARY.items():
        (root / name).write_bytes(src.read_bytes())
    (root / "m").mkdir()
    for name, data in _read(lesson.model).items():  # beside the page, as a teacher uploads them
        (root / "m" / name).write_bytes(data)
    server = StaticServer(root).start()
    page = open_site(browser, server.url + "index.html", inside=server.url, wait=False)
    try:
        page.page.wait_for_function("typeof tmImage !== 'undefined'")
        photos = [_b64(p.read_bytes()) for cls in CLASSES for p in sorted((folders.held / cls).iterdir())[:3]]
        labels = page.page.evaluate(
            """async (photos) => {
              const model = await tmImage.load("m/model.json", "m/metadata.json");
              const tops = [];
              for (const b64 of photos) {
                const img = new Image();
                img.src = URL.createObjectURL(new Blob([Uint8Array.fromBase64(b64)], {type: "image/jpeg"}));
                await img.decode();
                const p = await model.predict(img);
                tops.push(p.reduce((a, b) => (b.probability > a.probability ? b : a)).className);
              }
              return {labels: model.getClassLabels(), tops};
            }""",
            photos,
        )
    finally:
        page.close()
        server.stop()
    assert labels["labels"] == list(CLASSES) and len(labels["tops"]) == 9
    assert set(labels["tops"]) <= set(CLASSES)


def test_the_examples_zip_from_the_page_trains_with_teachkit_train(
    lesson: SimpleNamespace, base_export: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(io.BytesIO(lesson.examples)) as zf:
        zf.extractall(tmp_path / "examples")
    for cls in CLASSES:  # the pictures as the pupil gave them, in their class's folder
        got = sorted(p.read_bytes() for p in (tmp_path / "examples" / cls).iterdir())
        assert got == sorted(p.read_bytes() for p in lesson.paths[cls])
    models = tmp_path / "models"
    args = ["train", str(tmp_path / "examples"), "--base-from", str(base_export), "--models-dir", str(models)]
    assert cli.main([*args, "--epochs", "3", "--no-augment", "--name", "lesson"]) == 0
    meta = json.loads((models / "lesson" / "metadata.json").read_text())
    assert meta["labels"] == sorted(CLASSES) and meta["userMetadata"]["classCounts"] == dict.fromkeys(CLASSES, TRAIN)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


OPEN = """async ([b64]) => {
  const t = teachkit.teach;
  const before = JSON.stringify(t.classes);
  let said = null, error = null;
  try { said = await t.open(new Blob([Uint8Array.fromBase64(b64)], {type: "application/zip"})); }
  catch (e) { error = String(e.message || e); }
  return {said, error, same: JSON.stringify(t.classes) === before};
}"""


def test_bad_zips_opened_in_the_page_are_refused_and_nothing_is_lost(teach_page: Any, tm_exports: Path) -> None:
    from tests.teach.test_teach_files_zips import _bomb

    jpg = b"\xff\xd8\xff\xe0 not really"
    cases = {
        "../x": (_zip({"../x.jpg": jpg}), "outside its folder"),
        "/abs": (_zip({"/abs/x.jpg": jpg}), "outside its folder"),
        "bomb": (_bomb(), "zip bomb"),
        "too many": (_zip({f"c/{k}.txt": b"" for k in range(zips.MAX_FILES + 1)}), "too many files"),
        "non-image": (_zip({"c/readme.txt": b"hello"}), "no pictures"),
        "not a zip": (b"hello", "not a zip"),
    }
    for case, (data, words) in cases.items():
        got = teach_page.page.evaluate(OPEN, [_b64(data)])
        assert got["error"] and words in got["error"] and got["same"], (case, got)
    assert not teach_page.errors and not teach_page.outside  # hosted: nothing from outside the site


OPEN_TM = """
import base64, json
import js
from teachkit_app.teach import zips
opened = zips.open_zip(base64.b64decode(str(js.globalThis.testZip)))
json.dumps({"kind": type(opened).__name__, "labels": getattr(opened, "labels", None),
            "bytes": {k: len(v) for k, v in getattr(opened, "files", {}).items()}})
"""


def test_a_real_teachable_machine_export_zipped_opens_in_the_page(teach_page: Any, tm_exports: Path) -> None:
    export = tm_exports / "animals-4class"
    files = {
        f"tm-my-image-model/{n}": (export / n).read_bytes() for n in ("model.json", "weights.bin", "metadata.json")
    }
    teach_page.page.evaluate("(b64) => { globalThis.testZip = b64; }", _b64(_zip(files)))
    got = json.loads(run_python(teach_page, OPEN_TM))
    assert got["kind"] == "OpenedModel"
    assert got["labels"] == ["chickens", "butterflies", "spiders", "elephants"]
    assert got["bytes"]["weights.bin"] == (export / "weights.bin").stat().st_size


def test_the_teach_site_works_from_file(browser: Any, teach_only: Path) -> None:
    site = open_site(browser, teach_only.as_uri() + "/index.html", inside=teach_only.as_uri(), wait=False)
    try:
        site.page.wait_for_url("**/teach.html", timeout=30_000)
        wait_ready(site.page)
        assert site.page.evaluate("teachkit.teach.classes.length") == 2
        assert not site.outside and not site.errors
    finally:
        site.close()


OPEN_AND_CLASSIFY = """async ([zip, photos]) => {
  const t = teachkit.teach;
  const said = await t.open(new Blob([Uint8Array.fromBase64(zip)], {type: "application/zip"}));
  const rows = [];
  for (const b64 of photos) {
    const r = await t.classify(new Blob([Uint8Array.fromBase64(b64)], {type: "image/jpeg"}));
    rows.push(Object.fromEntries(r.probabilities.map((p) => [p.label, p.probability])));
  }
  return {said, rows, classes: t.classes.map((c) => c.name)};
}"""


def test_a_teachable_machine_export_opened_in_the_page_answers_as_the_build(
    teach_page: Any, lesson: SimpleNamespace, tm_exports: Path
) -> None:
    """Open takes a real TM export's zip: its head on the page's base answers Try it with the
    export's own probabilities (the build's, through TensorFlow) within the classify page's 0.01."""
    from teachkit.model import predict

    export = tm_exports / "animals-4class"
    files = {
        f"tm-my-image-model/{n}": (export / n).read_bytes() for n in ("model.json", "weights.bin", "metadata.json")
    }
    paths = [p for _, p in sorted((d.name, p) for d in (export / "samples").iterdir() for p in sorted(d.iterdir())[:2])]
    got = teach_page.page.evaluate(OPEN_AND_CLASSIFY, [_b64(_zip(files)), [_b64(p.read_bytes()) for p in paths]])
    built = predict.load(export)
    expected, _ = built.predict_paths(paths)
    page = np.array([[row[label] for label in built.labels] for row in got["rows"]])
    print(f"opened TM export in the page vs the build: |dp| <= {np.abs(page - expected).max():.4f}")
    assert np.abs(page - expected).max() <= 0.01
    assert set(built.labels) <= set(got["classes"]) and set(CLASSES) <= set(got["classes"])  # nothing lost

"""Save and open in real Chromium (issue 10): the zips the Teach page makes, used by the build.

A site of `teachkit teach` (the bare base of a real Teachable Machine export) is opened once,
hosted, on wasm. In it, Python (Pyodide) makes the model zip of a head trained by TensorFlow on
real trashnet photos: it is the very zip CPython's zips.py makes; `teachkit evaluate` measures it;
`teachkit site` renders it and the classify page (TF.js) gives the same accuracy on the same photos;
Teachable Machine's own library loads it. The examples zip the page's API gives trains with
`teachkit train`. Bad zips opened through the API are refused in a sentence and the lesson stays.
With teach/trainer.py present, a model trained in the page itself goes the same way.
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
from tests.teach.conftest import embed_folder

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
def head(folders: SimpleNamespace, base_export: Path) -> dict[str, Any]:
    """A TM head (Dense 100 relu, Dense 3 softmax, no bias) trained by TensorFlow on the base's
    embeddings of the 90 training photos: Trained's fields, as the page's trainer gives them."""
    from teachkit import tfenv

    data = embed_folder(folders.train, base_export, folders.root / "cache")
    tf = tfenv.import_tensorflow()
    keras = tfenv.keras()
    tf.random.set_seed(0)
    model = keras.Sequential(
        [
            keras.layers.Dense(100, activation="relu", input_shape=(1280,)),
            keras.layers.Dense(len(data.labels), activation="softmax", use_bias=False),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy")
    model.fit(np.asarray(data.features), np.asarray(data.classes), epochs=30, batch_size=16, verbose=0)
    hk, hb, ck = (np.asarray(w, np.float32) for w in model.get_weights())
    return {
        "labels": list(data.labels),
        "hidden_kernel": hk.ravel().tolist(),  # row-major [1280 x 100]
        "hidden_bias": hb.tolist(),
        "classes_kernel": ck.ravel().tolist(),
        "features": 1280,
        "threshold": 0.5,
        "margin": 0.05,
        "heldout": {"accuracy": 0.9, "n": 9, "correct": 8},
    }


def _trained(head: dict[str, Any]) -> Any:
    from teachkit.core import decide

    return SimpleNamespace(
        **{k: v for k, v in head.items() if k not in ("threshold", "margin")},
        rule=decide.Rule(head["threshold"], head["margin"]),
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


MODEL_ZIP = """
import base64, json
from types import SimpleNamespace
import js
from teachkit.core import decide
from teachkit_app.teach import zips

config = json.loads(str(js.document.getElementById("teachkit-config").textContent))
files = {}
for name in ("model.json", "weights.bin", "metadata.json"):
    response = await js.fetch(config["model"]["dir"] + name)  # the registry answers
    files[name] = (await response.arrayBuffer()).to_bytes()
head = js.globalThis.testHead.to_py()
rule = decide.Rule(head.pop("threshold"), head.pop("margin"))
trained = SimpleNamespace(**head, rule=rule)
data = zips.model_zip(zips.BaseFiles.from_files(files), trained, counts=[30, 30, 30], name="rubbish",
                      tfjs_version="4.22.0")
base = {k: base64.b64encode(v).decode() for k, v in files.items()}
json.dumps({"zip": base64.b64encode(data).decode(), "base": base})
"""


@pytest.fixture(scope="module")
def page_zip(teach_page: Any, head: dict[str, Any], folders: SimpleNamespace) -> SimpleNamespace:
    teach_page.page.evaluate("(head) => { globalThis.testHead = head; }", head)
    out = json.loads(run_python(teach_page, MODEL_ZIP))
    path = folders.root / "rubbish.zip"
    path.write_bytes(base64.b64decode(out["zip"]))
    base = {k: base64.b64decode(v) for k, v in out["base"].items()}
    return SimpleNamespace(path=path, base=base)


def _read(source: Path | bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_the_page_makes_the_model_zip_cpython_makes(page_zip: SimpleNamespace, head: dict[str, Any]) -> None:
    ours = _read(page_zip.path)
    built = zips.model_zip(
        zips.BaseFiles.from_files(page_zip.base), _trained(head), [30, 30, 30], name="rubbish", tfjs_version="4.22.0"
    )
    theirs = _read(built)
    assert ours["model.json"] == theirs["model.json"] and ours["weights.bin"] == theirs["weights.bin"]
    meta, again = json.loads(ours["metadata.json"]), json.loads(theirs["metadata.json"])
    assert {k: v for k, v in meta.items() if k != "timeStamp"} == {k: v for k, v in again.items() if k != "timeStamp"}
    assert meta["labels"] == list(CLASSES) and meta["userMetadata"]["classCounts"] == dict.fromkeys(CLASSES, 30)


def test_the_model_zip_measures_and_runs_as_the_build_says(
    browser: Any, page_zip: SimpleNamespace, folders: SimpleNamespace, tmp_path: Path
) -> None:
    """`teachkit evaluate` on the held-out photos, and the classify page of `teachkit site` on
    the same photos (TF.js loading the zip's model): the same accuracy, photo by photo."""
    report = tmp_path / "evaluation.json"
    assert cli.main(["evaluate", str(page_zip.path), str(folders.held), "--json", str(report)]) == 0
    evaluated = json.loads(report.read_text())
    accuracy = evaluated["card"]["accuracy"]
    built = {
        p["path"]: evaluated["labels"][max(range(len(CLASSES)), key=p["probabilities"].__getitem__)]
        for p in evaluated["predictions"]
    }
    assert accuracy >= 0.6  # a real head on real photos (3 classes: chance is 0.33)
    site = tmp_path / "dist"
    assert cli.main(["site", str(page_zip.path), "--out", str(site)]) == 0
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
    browser: Any, page_zip: SimpleNamespace, folders: SimpleNamespace, tmp_path: Path
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
    for name, data in _read(page_zip.path).items():  # beside the page, as a teacher uploads them
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


EXPORT_EXAMPLES = """async ([classes]) => {
  const t = teachkit.teach;
  t.reset && await t.reset();
  while (t.classes.length < classes.length) t.addClass();
  for (let i = 0; i < classes.length; i++) {
    t.renameClass(i, classes[i][0]);
    const blobs = classes[i][1].map((b64) => new Blob([Uint8Array.fromBase64(b64)], {type: "image/jpeg"}));
    await t.addExamples(i, blobs);
  }
  const blob = await t.exportExamples();
  return new Uint8Array(await blob.arrayBuffer()).toBase64();
}"""


def test_the_examples_zip_from_the_page_trains_with_teachkit_train(
    teach_page: Any, folders: SimpleNamespace, base_export: Path, tmp_path: Path
) -> None:
    classes = [
        [cls, [_b64(p.read_bytes()) for p in sorted((folders.train / cls).iterdir())[:6]]] for cls in CLASSES[:2]
    ]
    data = base64.b64decode(teach_page.page.evaluate(EXPORT_EXAMPLES, [classes]))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path / "examples")
    assert sorted(p.name for p in (tmp_path / "examples").iterdir()) == sorted(CLASSES[:2])
    models = tmp_path / "models"
    args = ["train", str(tmp_path / "examples"), "--base-from", str(base_export), "--models-dir", str(models)]
    assert cli.main([*args, "--epochs", "3", "--no-augment", "--name", "lesson"]) == 0
    meta = json.loads((models / "lesson" / "metadata.json").read_text())
    assert meta["labels"] == list(CLASSES[:2]) and meta["userMetadata"]["classCounts"] == dict.fromkeys(CLASSES[:2], 6)


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
    assert not teach_page.errors


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


TRAIN_AND_EXPORT = """async ([classes, seed]) => {
  const t = teachkit.teach;
  await t.reset();
  while (t.classes.length < classes.length) t.addClass();
  for (let i = 0; i < classes.length; i++) {
    t.renameClass(i, classes[i][0]);
    const blobs = classes[i][1].map((b64) => new Blob([Uint8Array.fromBase64(b64)], {type: "image/jpeg"}));
    await t.addExamples(i, blobs);
  }
  const result = await t.train({seed});
  const blob = await t.exportModel();
  return {result, zip: new Uint8Array(await blob.arrayBuffer()).toBase64()};
}"""

HELD_OUT = """
import json
from teachkit_app.teach.main import state
json.dumps(state["teacher"].lesson.trained.heldout["examples"])
"""


def test_a_model_trained_in_the_page_measures_in_the_build_as_in_the_page(
    teach_page: Any, folders: SimpleNamespace, tmp_path: Path
) -> None:
    """The whole lesson: photos in, Train, Download model; `teachkit evaluate` on the photos the
    page held out gives the page's held-out accuracy."""
    if not (APP / "teach" / "trainer.py").is_file():
        pytest.skip("teach/trainer.py (the page's trainer) is not in this tree yet")
    per_class = TRAIN
    paths = {cls: sorted((folders.train / cls).iterdir())[:per_class] for cls in CLASSES}
    classes = [[cls, [_b64(p.read_bytes()) for p in paths[cls]]] for cls in CLASSES]
    out = teach_page.page.evaluate(TRAIN_AND_EXPORT, [classes, 0])
    held = json.loads(run_python(teach_page, HELD_OUT))
    (tmp_path / "model.zip").write_bytes(base64.b64decode(out["zip"]))
    photos = tmp_path / "held"
    for cls_index, example_index, *_ in held:
        cls = CLASSES[cls_index]
        (photos / cls).mkdir(parents=True, exist_ok=True)
        (photos / cls / paths[cls][example_index].name).symlink_to(paths[cls][example_index])
    report = tmp_path / "evaluation.json"
    assert cli.main(["evaluate", str(tmp_path / "model.zip"), str(photos), "--json", str(report)]) == 0
    card = json.loads(report.read_text())["card"]
    page = out["result"]["heldout"]
    print(f"page: {page['correct']}/{page['n']}; teachkit evaluate: {card['correct']}/{card['n']}")
    assert card["n"] == page["n"] == len(held)
    assert abs(card["correct"] - page["correct"]) <= 1

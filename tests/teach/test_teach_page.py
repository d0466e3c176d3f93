"""The Teach page from file:// (a USB stick), in real Chromium, through its controls and its
script API (``teachkit.teach``): real photos of two classes in, trained, the held-out figure shown
and clickable, the lesson kept over a reload and a closed tab, bad input told in a sentence while
the page keeps working, and axe-core finding nothing."""

from __future__ import annotations

import base64
import math
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.site.conftest import open_site, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
PER_CLASS = 14
CLASSES = ("elephants", "butterflies")
TOUCH_PX = 44

#: Blobs from base64, in the page: what a pupil's file input or drop hands over.
ADD = """async ([i, items]) => teachkit.teach.addExamples(i, items.map(([b64, type]) =>
    new Blob([Uint8Array.fromBase64(b64)], {type})))"""
#: A call that rejects: its Error's message.
REJECTED = """async (code) => { try { await (0, eval)(code); return null; } catch (e) { return e.message; } }"""


def blobs(paths: list[Path]) -> list[list[str]]:
    return [[base64.b64encode(p.read_bytes()).decode(), "image/jpeg"] for p in paths]


def photos(tm_exports: Path, label: str, start: int, n: int) -> list[Path]:
    folder = tm_exports / "animals-4class" / "samples" / label
    return sorted(folder.glob("*.jpg"), key=lambda p: int(p.stem))[start : start + n]


@pytest.fixture(scope="module")
def teach_url(python_site: Path) -> str:
    page = python_site / "teach.html"
    assert page.exists(), "the site has no teach.html (teachkit/site/render.py renders it into every site)"
    return page.as_uri()


@pytest.fixture(scope="module")
def site(browser: Any, teach_url: str) -> Iterator[Any]:
    """teach.html from file://, axe-core injected (outside the page's CSP, as test_site_a11y does)."""
    init = AXE.read_text(encoding="utf-8") if AXE.exists() else None
    opened = open_site(browser, teach_url + "?backend=wasm", inside=teach_url.rsplit("/", 1)[0] + "/", init_script=init)
    yield opened
    opened.close()


def classes(site: Any) -> list[dict[str, Any]]:
    return site.page.evaluate("() => teachkit.teach.classes")


def rejected(site: Any, code: str) -> str | None:
    return site.page.evaluate(REJECTED, code)


def test_a_lesson_starts_with_two_classes_and_names_are_text(site: Any) -> None:
    assert classes(site) == [{"name": "Class 1", "count": 0}, {"name": "Class 2", "count": 0}]
    # Renamed in the page as a pupil does: type, then leave the field.
    name = site.page.locator("#classes > li").nth(0).locator("input.class-name-field")
    name.fill("<b>elephants</b>")
    name.press("Enter")
    name.blur()
    site.page.wait_for_function("() => teachkit.teach.classes[0].name === '<b>elephants</b>'")
    assert site.page.locator("#classes b").count() == 0  # text, never markup
    site.page.evaluate("() => teachkit.teach.renameClass(0, 'elephants')")
    site.page.evaluate("() => teachkit.teach.renameClass(1, 'butterflies')")
    assert rejected(site, "teachkit.teach.renameClass(1, 'Elephants')") == "There is already a class called Elephants."
    assert rejected(site, "teachkit.teach.renameClass(1, '   ')") == "A class needs a name."
    assert [c["name"] for c in classes(site)] == list(CLASSES)


def test_bad_input_is_one_sentence_and_nothing_is_lost(site: Any, tmp_path: Path) -> None:
    page = site.page
    damaged = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8).decode()
    text = base64.b64encode(b"these are my notes, not a picture").decode()
    message = page.evaluate(
        """async ([a, b]) => { try { await teachkit.teach.addExamples(0, [
              new Blob([Uint8Array.fromBase64(a)], {type: 'image/jpeg'}),
              new Blob([Uint8Array.fromBase64(b)], {type: 'text/plain'})]); return null; }
           catch (e) { return e.message; } }""",
        [damaged, text],
    )
    assert message == "Picture 1 is not a picture the browser can open (damaged, or not an image)."
    # Through the class's own file input: a message, the page goes on.
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a picture")
    page.locator("#classes > li").nth(1).locator("input.class-photos").set_input_files(str(notes))
    page.wait_for_function("() => document.querySelector('#messages .message.error')")
    assert "notes.jpg is not a picture" in page.locator("#messages .message.error").first.inner_text()
    assert [c["count"] for c in classes(site)] == [0, 0]
    # Training without examples, with an empty class, with one class only.
    assert "has no examples yet" in rejected(site, "teachkit.teach.train({seed: 0})")
    assert rejected(site, "teachkit.teach.addExamples(7, [])") == "There is no class number 7."
    i = page.evaluate("() => teachkit.teach.addClass('spare')")
    assert i == 2
    page.evaluate("() => teachkit.teach.removeClass(2)")
    assert [c["name"] for c in classes(site)] == list(CLASSES)


def test_photos_in_train_and_the_heldout_figure_is_shown(site: Any, tm_exports: Path) -> None:
    page = site.page
    for i, label in enumerate(CLASSES):
        assert page.evaluate(ADD, [i, blobs(photos(tm_exports, label, 0, PER_CLASS))]) == PER_CLASS
    assert [c["count"] for c in classes(site)] == [PER_CLASS, PER_CLASS]
    assert page.locator("#classes > li").nth(0).locator(".thumbs img").count() == PER_CLASS
    result = page.evaluate("() => teachkit.teach.train({seed: 0})")
    held = result["heldout"]
    # ceil(15%) of each class held out (fewer only if near-copies had to stay together).
    assert 2 <= held["n"] <= 2 * math.ceil(0.15 * PER_CLASS) + 2
    assert held["correct"] == round(held["accuracy"] * held["n"])
    assert held["accuracy"] >= 0.5  # elephants against butterflies: far better than chance
    assert result["epochs"] >= 1 and result["ms"] > 0
    assert set(result["perClass"]) == set(CLASSES)
    # The page says it in the model card's words, with the same numbers.
    shown = page.locator("#heldout").inner_text()
    assert f"Right on {held['correct']} of {held['n']} examples it did not learn from" in shown
    assert page.locator("#per-class tbody tr").count() == 2
    cells = page.locator("#confusion tbody button.cell")
    assert sum(int(c) for c in cells.all_inner_texts()) == held["n"]
    # A cell of the matrix shows its examples.
    first = cells.nth(0)
    count = int(first.inner_text())
    first.click()
    page.wait_for_function("(n) => document.querySelectorAll('#cell-examples img').length === n", arg=count)


def test_try_it_classifies_with_the_new_model(site: Any, tm_exports: Path) -> None:
    page = site.page
    elephant, butterfly = photos(tm_exports, "elephants", 40, 1)[0], photos(tm_exports, "butterflies", 40, 1)[0]
    for path, label in ((elephant, "elephants"), (butterfly, "butterflies")):
        r = page.evaluate(
            "async (b64) => teachkit.teach.classify(new Blob([Uint8Array.fromBase64(b64)], {type: 'image/jpeg'}))",
            base64.b64encode(path.read_bytes()).decode(),
        )
        assert r["label"] == label, r
        assert {p["label"] for p in r["probabilities"]} == set(CLASSES)
        assert abs(sum(p["probability"] for p in r["probabilities"]) - 1) < 1e-3
    # Tensors return to their level after trainings and predictions (tf.tidy, dispose).
    before = page.evaluate("() => tf.memory().numTensors")
    page.evaluate(
        """async (b64) => { const blob = new Blob([Uint8Array.fromBase64(b64)], {type: 'image/jpeg'});
             await teachkit.teach.train({seed: 1});
             for (let i = 0; i < 20; i++) await teachkit.teach.classify(blob); }""",
        base64.b64encode(elephant.read_bytes()).decode(),
    )
    assert page.evaluate("() => tf.memory().numTensors") == before
    # teachkit.classify on the Teach page is the new model too; the photo button shows a card.
    assert page.evaluate("() => teachkit.labels") == list(CLASSES)
    page.set_input_files("#try-photos", [str(elephant)])
    page.wait_for_function("() => document.querySelector('#try-results .result')")
    assert page.locator("#try-results .result .verdict").first.inner_text() == "elephants"


#: A photo dropped on a class card, then pasted (into the class last used), as the browser sends them.
DROP_AND_PASTE = """async ([b64, i]) => {
    const file = () => new File([Uint8Array.fromBase64(b64)], 'drop.jpg', {type: 'image/jpeg'});
    const card = document.querySelectorAll('#classes > li')[i];
    let dt = new DataTransfer(); dt.items.add(file());
    card.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    dt = new DataTransfer(); dt.items.add(file());
    document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
}"""


def test_the_same_photo_in_two_classes_is_advised_and_deleted_one_by_one(site: Any, tm_exports: Path) -> None:
    page = site.page
    same = photos(tm_exports, "elephants", 0, 1)[0]  # already an example of elephants
    page.evaluate(DROP_AND_PASTE, [base64.b64encode(same.read_bytes()).decode(), 1])
    page.wait_for_function(f"() => teachkit.teach.classes[1].count === {PER_CLASS + 2}")
    page.evaluate("() => teachkit.teach.train({seed: 0})")
    advice = page.locator("#advice li").all_inner_texts()
    assert any(a.startswith("The same picture (or almost the same) is in elephants and in butterflies") for a in advice)
    assert any("only 14 examples" in a for a in advice)  # under 20 per class
    # Delete the two copies with their buttons: the newest thumbnails of butterflies.
    for _ in range(2):
        page.locator("#classes > li").nth(1).locator(".thumbs .delete-example").last.click()
    assert [c["count"] for c in classes(site)] == [PER_CLASS, PER_CLASS]
    assert "press Train again" in page.locator("#train-status").inner_text()


def test_one_background_is_advised_as_teachkit_check_does(site: Any, trashnet: Path) -> None:
    """TrashNet's photos are all on one white posterboard: `teachkit check` flags each class."""
    page = site.page
    glass = sorted((trashnet / "glass").glob("*.jpg"))[:8]
    i = page.evaluate("() => teachkit.teach.addClass('glass')")
    try:
        assert page.evaluate(ADD, [i, blobs(glass)]) == len(glass)
        page.evaluate("() => teachkit.teach.train({seed: 0})")
        advice = page.locator("#advice li").all_inner_texts()
        assert "Every example of glass has the same background" in " ".join(advice)
        assert not any(a.startswith("Every example of elephants has the same background") for a in advice)
    finally:
        page.evaluate("(i) => teachkit.teach.removeClass(i)", i)


def test_the_page_passes_axe_and_has_touch_sized_controls(site: Any) -> None:
    if not AXE.exists():
        pytest.skip(f"{AXE} is absent: run `make setup` (npm ci in tests/)")
    found = site.page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations'], preload: false,
             rules: {'target-size': {enabled: true}}})).violations.map((v) =>
             `${v.id}: ${v.help}: ` + v.nodes.map((n) => n.target.join(' ')).join(', '))"""
    )
    assert found == []
    small = site.page.evaluate(
        """(px) => [...document.querySelectorAll('button, .button, select, input[type=text]')]
             .filter((el) => el.offsetParent !== null)
             .map((el) => [el.id || el.className, el.getBoundingClientRect()])
             .filter(([, r]) => r.width < px || r.height < px).map(([name]) => name)""",
        TOUCH_PX,
    )
    assert small == []
    # A phone: no sideways scrolling, the matrix and the tables scroll in their own boxes.
    site.page.set_viewport_size({"width": 360, "height": 740})
    try:
        assert site.page.evaluate("() => document.documentElement.scrollWidth") <= 360
    finally:
        site.page.set_viewport_size({"width": 1280, "height": 720})


def test_the_lesson_survives_a_reload_and_a_closed_tab(site: Any) -> None:
    page = site.page
    before = classes(site)
    assert [c["count"] for c in before] == [PER_CLASS, PER_CLASS]
    page.reload()
    wait_ready(page)
    assert classes(site) == before
    assert page.locator("#classes > li").nth(1).locator(".thumbs img").count() == PER_CLASS
    assert page.locator("#classes > li").nth(0).locator("input.class-name-field").input_value() == "elephants"
    # Another tab of the same browser (the first one closed): the same lesson.
    page.close()
    site.open()  # a new tab at the site's address, ready
    page = site.page
    assert classes(site) == before
    # Trained again after the reload (the kept embeddings, no photo embedded again).
    assert page.evaluate("() => teachkit.teach.train({seed: 0})")["heldout"]["n"] >= 2


ZIP_OF = """async () => { const b = await teachkit.teach.EXPORT();
    return [b.size, Array.from(new Uint8Array(await b.slice(0, 2).arrayBuffer()))]; }"""


def test_examples_saved_and_opened_again_and_a_tm_model_opened_to_try(
    site: Any, tm_exports: Path, tmp_path: Path
) -> None:
    page = site.page
    size, magic = page.evaluate(ZIP_OF.replace("EXPORT", "exportModel"))
    assert magic == [0x50, 0x4B] and size > 2_000_000  # a zip with the base's weights
    page.evaluate("async () => { globalThis.kept = await teachkit.teach.exportExamples(); }")
    page.evaluate("() => teachkit.teach.reset()")
    assert [c["count"] for c in classes(site)] == [0, 0]
    said = page.evaluate("() => teachkit.teach.open(globalThis.kept)")
    assert said == f"{2 * PER_CLASS} examples were added."
    # an empty lesson becomes the zip's classes
    assert classes(site) == [{"name": n, "count": PER_CLASS} for n in CLASSES]
    # A real Teachable Machine export, zipped as its dialog downloads it: tried at once.
    export = tm_exports / "animals-4class"
    with zipfile.ZipFile(tmp_path / "converted_keras.zip", "w") as zf:
        for name in ("model.json", "weights.bin", "metadata.json"):
            zf.write(export / name, name)
    page.set_input_files("#open-file", str(tmp_path / "converted_keras.zip"))
    page.wait_for_function("() => teachkit.labels.length === 4")
    assert "The model was opened" in page.locator("#messages .message.info").first.inner_text()
    elephant = photos(tm_exports, "elephants", 45, 1)[0]
    r = page.evaluate(
        "async (b64) => teachkit.teach.classify(new Blob([Uint8Array.fromBase64(b64)], {type: 'image/jpeg'}))",
        base64.b64encode(elephant.read_bytes()).decode(),
    )
    # the export's own answer, as the build computes it (teachkit.model.predict)
    from teachkit.model import predict

    model = predict.load(export)
    probs, _ = model.predict_paths([elephant])
    expected = dict(zip(model.labels, probs[0].tolist(), strict=True))
    assert r["label"] == max(expected, key=expected.get)
    for p in r["probabilities"]:
        assert abs(p["probability"] - expected[p["label"]]) < 0.01, (r, expected)
    assert {"chickens", "spiders"} <= {c["name"] for c in classes(site)}


def test_start_over_empties_the_lesson(site: Any) -> None:
    page = site.page
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#start-over")
    page.wait_for_function("() => teachkit.teach.classes.every((c) => c.count === 0)")
    assert classes(site) == [{"name": "Class 1", "count": 0}, {"name": "Class 2", "count": 0}]
    page.evaluate("() => new Promise((r) => setTimeout(r, 300))")
    page.reload()
    wait_ready(page)
    assert classes(site) == [{"name": "Class 1", "count": 0}, {"name": "Class 2", "count": 0}]
    assert not site.errors, site.errors
    assert not site.outside
    assert not [m for m in site.console if re.search(r"Traceback|PythonError", m)]


def test_the_pages_advice_uses_the_reports_thresholds() -> None:
    """teach/advice.py (Pyodide, no NumPy) repeats teachkit check's thresholds: they must agree."""
    import ast

    from teachkit.data import report
    from teachkit.site.sources import APP

    tree = ast.parse((APP / "teach" / "advice.py").read_text(encoding="utf-8"))
    values = {
        t.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert values["MIN_EXAMPLES_WARNING"] == report.MIN_PHOTOS_WARNING
    assert values["IMBALANCE_RATIO"] == report.IMBALANCE_RATIO
    assert values["LIGHT_BRIGHTNESS_SPREAD"] == report.LIGHT_BRIGHTNESS_SPREAD
    assert values["LIGHT_WARMTH_SPREAD"] == report.LIGHT_WARMTH_SPREAD
    assert values["BACKGROUND_SPREAD"] == report.BACKGROUND_SPREAD
    assert values["BACKGROUND_SPREAD_BALANCED"] == report.BACKGROUND_SPREAD_BALANCED

"""The classifier page in headless Chromium, hosted at a sub-path: what a pupil does with it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def cards(page: Any, n: int) -> list[dict[str, str]]:
    """Wait for ``n`` result cards and return their label, status and text (newest first)."""
    page.wait_for_selector(f"#results article.result:nth-child({n})", timeout=60_000)
    return page.eval_on_selector_all(
        "#results article.result",
        "els => els.map(e => ({label: e.dataset.label || '', status: e.dataset.status, text: e.textContent}))",
    )


def clear(page: Any) -> None:
    page.click("#clear-results")


def test_hosted_at_a_sub_path_requests_nothing_outside_its_folder(hosted, animals_server) -> None:
    assert hosted.outside == []
    assert animals_server.requests, "the server saw no request"
    assert all(r.startswith(animals_server.prefix) for r in animals_server.requests), animals_server.requests
    backend = hosted.page.evaluate("teachkit.backend")
    assert backend in ("webgl", "wasm", "cpu")
    assert hosted.page.inner_text("#backend") == backend
    assert hosted.page.is_visible("label[for=photos]") and not hosted.page.is_visible("#loading")
    # the loading screen said what it was doing and how much was left, and warmed the model up
    steps = [m for m in hosted.console if m.startswith("teachkit: ")]
    assert any("scripts: Loading" in m and "Python" in m and "MB left" in m for m in steps), steps
    assert any("Warming up the model" in m for m in steps), steps
    assert hosted.errors == []


def test_upload_several_photos(hosted, tools, tm_exports: Path) -> None:
    picked = [s for s in tools.samples(tm_exports / "animals-4class", per_class=1)]
    clear(hosted.page)
    hosted.page.set_input_files("#photos", [str(p) for _, p in picked])
    got = cards(hosted.page, len(picked))
    assert len(got) == len(picked)
    # every class with a bar, on every card, and the right answer for these clear photos
    assert sorted(c["label"] for c in got) == sorted(label for label, _ in picked)
    assert hosted.page.eval_on_selector_all(
        "#results article.result", "els => els.map(e => e.querySelectorAll('.bar-row').length)"
    ) == [4] * len(picked)
    # each card shows the picture it classified, small (a canvas: no image encoding on the way)
    thumbs = hosted.page.eval_on_selector_all(
        "#results .thumb", "els => els.map(e => [e.tagName, e.width, e.height, e.getAttribute('aria-label')])"
    )
    assert len(thumbs) == len(picked)
    assert all(tag == "CANVAS" and 0 < max(w, h) <= 160 and label for tag, w, h, label in thumbs), thumbs
    assert sorted(t[3] for t in thumbs) == sorted(p.name for _, p in picked)


EVENTS = {
    "drop": "document.body.dispatchEvent(new DragEvent('drop', {...init, dataTransfer: dt}))",
    "paste": "document.dispatchEvent(new ClipboardEvent('paste', {...init, clipboardData: dt}))",
}


def _data_transfer_js(event: str) -> str:
    """A real DataTransfer holding a File, dispatched as the browser does for a drop or a paste."""
    return f"""async ([b64, name, type]) => {{
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.fromBase64(b64)], name, {{type}}));
        const init = {{bubbles: true, cancelable: true}};
        {EVENTS[event]};
    }}"""


@pytest.mark.parametrize("event", ["drop", "paste"])
def test_drop_and_paste(hosted, tools, tm_exports: Path, event: str) -> None:
    label, path = tools.samples(tm_exports / "animals-4class", per_class=1)[2 if event == "drop" else 3]
    clear(hosted.page)
    hosted.page.evaluate(
        _data_transfer_js(event), [base64.b64encode(path.read_bytes()).decode(), path.name, "image/jpeg"]
    )
    (card,) = cards(hosted.page, 1)
    assert card["label"] == label


def test_a_corrupt_file_gets_a_message_and_the_page_goes_on(hosted, tools, tm_exports: Path, tmp_path: Path) -> None:
    broken = tmp_path / "holiday.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG" * 10)
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    clear(hosted.page)
    hosted.page.set_input_files("#photos", [str(broken), str(text)])
    got = cards(hosted.page, 2)
    assert [c["status"] for c in got] == ["error", "error"]
    messages = hosted.page.inner_text("#messages")
    assert "holiday.jpg is not a picture the browser can open" in messages
    assert "notes.txt is not a picture" in messages
    with pytest.raises(Exception, match="not a picture the browser can open"):
        hosted.page.evaluate("teachkit.classify(new Blob(['nope'], {type: 'image/png'}))")
    with pytest.raises(Exception, match="needs an image, canvas, video"):
        hosted.page.evaluate("teachkit.classify(42)")
    label, path = tools.samples(tm_exports / "animals-4class", per_class=1)[0]
    hosted.page.set_input_files("#photos", [str(path)])
    assert cards(hosted.page, 3)[0]["label"] == label


def test_api_result_shape(hosted, tools, tm_exports: Path) -> None:
    label, path = tools.samples(tm_exports / "animals-4class", per_class=1)[1]
    r = hosted.classify_file(path)
    assert set(r) == {"label", "probabilities", "backend", "ms", "outlier", "outlierScore"}
    # A Teachable Machine export rendered without --photos has no "none of these" summary.
    assert r["outlier"] is False and r["outlierScore"] is None
    assert r["label"] == label and r["backend"] == hosted.page.evaluate("teachkit.backend")
    probs = [p["probability"] for p in r["probabilities"]]
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 1e-4
    assert sorted(p["label"] for p in r["probabilities"]) == sorted(hosted.page.evaluate("teachkit.labels"))
    # an image element, a canvas and ImageData go the same way
    same = hosted.page.evaluate(
        """async (b64) => {
            const blob = new Blob([Uint8Array.fromBase64(b64)], {type: 'image/jpeg'});
            const img = new Image(); img.src = URL.createObjectURL(blob); await img.decode();
            const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
            c.getContext('2d').drawImage(img, 0, 0);
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height);
            const out = [];
            for (const s of [img, c, data, await createImageBitmap(blob)]) {
                out.push((await teachkit.classify(s)).probabilities[0]);
            }
            return out;
        }""",
        base64.b64encode(path.read_bytes()).decode(),
    )
    assert all(s["label"] == label and abs(s["probability"] - probs[0]) < 1e-4 for s in same)


def test_about_page(browser, tools, animals_server) -> None:
    site = tools.open_site(browser, animals_server.url + "about.html", inside=animals_server.url, wait=False)
    try:
        site.page.wait_for_load_state("load")
        text = site.page.inner_text("main")
        assert all(label in text for label in ("chickens", "butterflies", "spiders", "elephants"))
        assert site.outside == [] and site.errors == []
    finally:
        site.close()


def test_labels_are_data_never_markup(browser, tools, tm_exports: Path, tmp_path_factory) -> None:
    evil = "<img src=x onerror=alert(1)>"
    tmp = tmp_path_factory.mktemp("evil")
    model = tools.copy_model(tm_exports / "edible-3class", tmp / "model")
    meta = json.loads((model / "metadata.json").read_text())
    index = meta["labels"].index("Edible")
    meta["labels"][index] = evil
    (model / "metadata.json").write_text(json.dumps(meta))
    dist = tools.render(model, tmp / "dist")
    server = tools.StaticServer(dist).start()
    dialogs: list[str] = []
    site = tools.open_site(browser, server.url + "index.html", inside=server.url, wait=False)
    try:
        site.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tools.wait_ready(site.page)
        path = next(p for label, p in tools.samples(tm_exports / "edible-3class", per_class=5) if label == "Edible")
        assert site.classify_file(path)["label"] == evil
        site.page.set_input_files("#photos", [str(path)])
        (card,) = cards(site.page, 1)
        assert card["label"] == evil and evil in card["text"]
        assert site.page.inner_text("#results .verdict") == evil
        assert site.page.eval_on_selector_all("img[src='x']", "els => els.length") == 0
        assert evil in site.page.inner_text("#controls")
        assert dialogs == [] and not any("alert" in e for e in site.errors)
    finally:
        site.close()
        server.stop()


def test_a_teachers_own_page_uses_the_api(browser, tools, animals_site: Path, tm_exports: Path, tmp_path) -> None:
    """A page of the teacher's own next to index.html, with only the config and the scripts."""
    import re
    import shutil

    dist = tmp_path / "dist"
    shutil.copytree(animals_site, dist)
    index = (dist / "index.html").read_text()
    config = re.search(r'<script type="application/json" id="teachkit-config">.*?</script>', index, re.S).group(0)
    scripts = "".join(re.findall(r'<script src="js/[a-z]+\.js"></script>', index))
    (dist / "game.html").write_text(f"<!doctype html><title>Game</title><h1>Guess!</h1>{config}{scripts}")
    site = tools.open_site(browser, (dist / "game.html").as_uri() + "?backend=wasm", inside=dist.as_uri() + "/")
    try:
        label, path = tools.samples(tm_exports / "animals-4class", per_class=1)[2]
        assert site.classify_file(path)["label"] == label
        assert site.page.evaluate("teachkit.backend") == "wasm" and site.outside == []
    finally:
        site.close()

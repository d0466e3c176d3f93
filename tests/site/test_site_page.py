"""The page's seams (issue 9): scripts load by group, the page's Python is handed what it uses,
media.js's failures carry a name, one function opens every picture, the metadata is read once."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from teachkit.site import sources, wheel

#: The groups js/loader.js knows; every script the config lists must be in one.
GROUPS = {"tfjs", "model", "python", "app"}
#: Browser objects the page's Python may read from ``js`` (the DOM and the platform's own
#: classes). Teachkit's own objects (TF.js, js/media.js, the bridge) are handed over instead.
BROWSER = {"document", "window", "console", "navigator", "performance", "Blob", "Object", "JSON"}


def _config(site: Path) -> dict:
    html = (site / "index.html").read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="teachkit-config">(.*?)</script>', html, re.S)
    assert match, "index.html has no config"
    return json.loads(match.group(1))


def test_every_script_has_a_group_and_the_loader_knows_them(animals_site: Path) -> None:
    scripts = _config(animals_site)["scripts"]
    by_group: dict[str, list[str]] = {}
    for s in scripts:
        by_group.setdefault(s["group"], []).append(s["src"])
    assert set(by_group) == GROUPS
    assert {"runtime/tfjs/tf.min.js.js", "runtime/tfjs/tf-backend-wasm.min.js.js"} <= set(by_group["tfjs"])
    assert all(src.startswith("model-") for src in by_group["model"]) and len(by_group["model"]) == 3
    assert "runtime/pyodide/pyodide.js" in by_group["python"]
    assert by_group["app"] == [f"app/{wheel.filename()}.js"]
    loader = (sources.SCRIPTS / "loader.js").read_text(encoding="utf-8")
    groups = re.search(r"const GROUPS = \{(.*?)\};", loader, re.S)
    assert groups, "js/loader.js has no GROUPS"
    assert set(re.findall(r"(\w+):", groups.group(1))) == GROUPS


def test_the_loader_orders_by_group_never_by_label() -> None:
    loader = (sources.SCRIPTS / "loader.js").read_text(encoding="utf-8")
    # ``what`` is the loading screen's text: read once, for the progress line, never compared.
    assert not re.search(r"\.what\s*[!=]==?|[!=]==?\s*\w+\.what\b", loader)
    assert loader.count(".what") == 1


def _app_sources() -> list[Path]:
    files = sorted(sources.APP.rglob("*.py"))
    assert files
    return files


def test_the_page_python_reads_no_page_globals() -> None:
    """TF.js, js/media.js and the bridge arrive as main.start's arguments (js/loader.js)."""
    wrong = []
    for path in _app_sources():
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "js":
                wrong.append(f"{path.name}:{node.lineno}: from js import ...")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "js":
                wrong += [f"{path.name}:{node.lineno}: js.{node.attr}"] if node.attr not in BROWSER else []
        # e.g. js.window.teachkitMedia or getattr(js, "tf") would pass the check above
        wrong += [f"{path.name}: names {m}" for m in set(re.findall(r"\bteachkit[A-Z]\w*", text))]
    assert not wrong, wrong


def test_media_failures_are_told_apart_by_name_not_by_type() -> None:
    media = (sources.SCRIPTS / "media.js").read_text(encoding="utf-8")
    assert "class NotAnImage extends Error" in media
    assert "throw new TypeError" not in media
    pictures = (sources.APP / "pictures.py").read_text(encoding="utf-8")
    assert '"NotAnImage"' in pictures and "TypeError" not in pictures


def test_only_the_pictures_module_decodes() -> None:
    """One function opens a picture: the buttons (page.py) and window.teachkit (api.py) call it."""
    for path in _app_sources():
        text = path.read_text(encoding="utf-8")
        if path.name != "pictures.py":
            assert ".sizeOf(" not in text and ".toCanvas(" not in text, path.name
    for name in ("page.py", "api.py"):
        assert "self.pictures.open(" in (sources.APP / name).read_text(encoding="utf-8"), name


PAGE_CHECK = """
import json
from teachkit.core.modelinfo import ModelInfo
from teachkit_app.main import state
c = state["classifier"]
json.dumps({
    "shared": state["page"].pictures is state["api"].pictures,
    "info": type(c.info) is ModelInfo,
    "labels": list(c.info.labels),
    "same": [c.labels == list(c.info.labels), c.size == c.info.image_size, c.rule == c.info.rule,
             c.mirror_camera == c.info.mirror],
})
"""


@pytest.mark.browser
@pytest.mark.slow
def test_the_started_page_shares_one_opener_and_reads_model_info(hosted) -> None:
    out = json.loads(hosted.page.evaluate("(code) => teachkitPyodide.runPythonAsync(code)", PAGE_CHECK))
    assert out["shared"] and out["info"]
    assert out["labels"] == hosted.page.evaluate("teachkit.labels")
    assert out["same"] == [True, True, True, True]


@pytest.mark.browser
@pytest.mark.slow
def test_media_throws_not_an_image(hosted) -> None:
    got = hosted.page.evaluate(
        """async () => {
            const out = [];
            for (const source of [42, new Blob(['nope'], {type: 'image/png'})]) {
                try { await teachkitMedia.sizeOf(source); out.push(null); }
                catch (e) { out.push([e.name, e instanceof teachkitMedia.NotAnImage, Boolean(e.source)]); }
            }
            return out;
        }"""
    )
    assert got == [["NotAnImage", True, True], ["NotAnImage", True, False]]

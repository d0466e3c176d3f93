"""The Teach page of a site rendered from a Teachkit-trained model (issue 11): its base reads the
network at seven depths (2432 features, a functional Model), not Teachable Machine's 1280.

In real Chromium, hosted, on wasm: a lesson of two classes of real trashnet photos is taught
through `teachkit.teach`, trained, and downloaded; the model zip is a Teachable Machine export
with that base, which `teachkit evaluate` loads and measures on photos of neither. A Teachable
Machine export opened there is refused in words (another base).
"""

from __future__ import annotations

import base64
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from teachkit import cli
from teachkit.site.sources import APP
from tests.site.conftest import StaticServer, open_site, trained_model, trained_site
from tests.teach.conftest import LESSON

sys.path.insert(0, str(APP.parent))
from teachkit_app.teach import zips  # noqa: E402
from teachkit_app.teach.lesson import TeachError  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["trained_model", "trained_site"]  # the session fixtures this file uses

CLASSES = ("paper", "plastic")
TRAIN, HELD = 16, 8


def test_the_teach_page_of_a_trained_site_teaches_on_its_seven_depths(
    browser: Any, trained_site: Path, trashnet: Path, tmp_path: Path
) -> None:
    photos = {cls: sorted((trashnet / cls).glob("*.jpg")) for cls in CLASSES}
    held = tmp_path / "held"
    for cls in CLASSES:
        (held / cls).mkdir(parents=True)
        for src in photos[cls][-HELD:]:
            (held / cls / src.name).symlink_to(src)
    lesson = [[cls, [base64.b64encode(p.read_bytes()).decode() for p in photos[cls][:TRAIN]]] for cls in CLASSES]
    server = StaticServer(trained_site).start()
    site = open_site(browser, server.url + "teach.html?backend=wasm", inside=server.url)
    try:
        out = site.page.evaluate(LESSON, [lesson, 0])
    except Exception as e:  # the page's console says why
        raise AssertionError(f"{e}\nthe page's errors: {site.errors[-5:]}") from None
    finally:
        site.close()
        server.stop()
    assert out["result"]["heldout"]["n"] == 2 * 3  # ceil(15% of 16) per class
    model = tmp_path / "lesson.zip"
    model.write_bytes(base64.b64decode(out["model"]))
    with zipfile.ZipFile(io.BytesIO(model.read_bytes())) as zf:
        topology = json.loads(zf.read("model.json"))["modelTopology"]["config"]["layers"]
        base, head = (layer for layer in topology if layer["class_name"] != "InputLayer")
        assert base["config"]["name"] == "teachkit_features"
        first = next(la for la in head["config"]["layers"] if la["class_name"] == "Dense")
        assert first["config"]["units"] == 100
    report = tmp_path / "evaluation.json"
    assert cli.main(["evaluate", str(model), str(held), "--json", str(report)]) == 0
    card = json.loads(report.read_text())["card"]
    assert card["n"] == 2 * HELD and card["accuracy"] >= 0.6  # two kinds of rubbish: chance is 0.5


def test_a_teachable_machine_export_opened_on_a_trained_site_is_refused_in_words(
    trained_model: Path, tm_exports: Path
) -> None:
    """Its base is Teachable Machine's cut, the site's the seven depths: its head cannot answer here."""
    site = zips.BaseFiles.from_files(
        {n: (trained_model / n).read_bytes() for n in ("model.json", "weights.bin", "metadata.json")}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in ("model.json", "weights.bin", "metadata.json"):
            zf.writestr(name, (tm_exports / "animals-4class" / name).read_bytes())
    opened = zips.open_zip(buffer.getvalue())
    assert isinstance(opened, zips.OpenedModel)
    with pytest.raises(TeachError, match="another base model"):
        opened.head(site)

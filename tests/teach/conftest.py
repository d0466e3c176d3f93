"""Fixtures for the Teach page's tests (shared by the recipe, page and files tests): real
embeddings of trashnet-subset photos made by the build's own embedder, and a rendered site served
on 127.0.0.1 with one Chromium page that has Pyodide, TF.js and the app's wheel.

The site's helpers (rendering, the static server, opening a page) are tests/site/conftest.py's
own functions, imported rather than copied; fixtures of a conftest are only seen below its folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.site.conftest import StaticServer, open_site, render

#: One lesson through ``window.teachkit.teach`` (classes: [[name, [base64 JPEG, ...]], ...]):
#: Train with the seed, then Download model and Download examples (each base64).
LESSON = """async ([classes, seed]) => {
  const t = teachkit.teach;
  await t.reset();
  while (t.classes.length < classes.length) t.addClass();
  for (let i = 0; i < classes.length; i++) {
    t.renameClass(i, classes[i][0]);
    const blobs = classes[i][1].map((b64) => new Blob([Uint8Array.fromBase64(b64)], {type: "image/jpeg"}));
    await t.addExamples(i, blobs);
  }
  const result = await t.train({seed});
  const base64 = async (blob) => new Uint8Array(await blob.arrayBuffer()).toBase64();
  return {result, model: await base64(await t.exportModel()), examples: await base64(await t.exportExamples())};
}"""

os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")


@dataclass
class Embedded:
    """Photos with the frozen base's features: ``features[i]`` is the embedding of ``paths[i]``,
    whose class is ``labels[classes[i]]``."""

    labels: list[str]
    paths: list[Path]
    classes: list[int]
    features: Any  # numpy (N, 1280) float32
    infos: list[Any]  # the build's PhotoInfo of each photo (for dataset.split)


def embed_folder(folder: Path, base_export: Path, cache: Path) -> Embedded:
    """Every photo of a class folder embedded as `teachkit train` embeds it (no augmentation)."""
    from teachkit.data import dataset, photos
    from teachkit.features import basemodel, embeddings

    found = photos.scan(folder)
    infos, _ = dataset.inspect(found, cache / "photos")
    base = basemodel.load(base_export)
    features, _, _ = embeddings.embed(infos, embeddings.EmbeddingCache(cache / "embeddings", base), set())
    labels = [label for label in found.labels if any(i.label == label for i in infos)]
    return Embedded(labels, [i.path for i in infos], [labels.index(i.label) for i in infos], features, infos)


@pytest.fixture(scope="session")
def trashnet_embedded(trashnet: Path, base_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Embedded:
    """All 887 trashnet-subset photos (6 classes), embedded by the build's base (about 20 s once)."""
    return embed_folder(trashnet, base_export, tmp_path_factory.mktemp("teach-cache"))


@pytest.fixture(scope="session")
def python_site(tm_exports: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rendered site (the animals export's): its pages carry Pyodide, TF.js and the app's wheel."""
    return render(tm_exports / "animals-4class", tmp_path_factory.mktemp("teach-site") / "dist")


@pytest.fixture(scope="session")
def python_server(python_site: Path) -> Iterator[StaticServer]:
    server = StaticServer(python_site).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def python_page(browser: Any, python_server: StaticServer) -> Iterator[Any]:
    """The classify page opened once on wasm (the Teach budgets' backend); run Python in it with
    ``page.evaluate("(code) => teachkitPyodide.runPythonAsync(code)", code)``."""
    site = open_site(browser, python_server.url + "index.html?backend=wasm", inside=python_server.url)
    yield site
    site.close()

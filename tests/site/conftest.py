"""Browser fixtures for the site's tests: one headless Chromium and one rendered site per model,
shared by the whole session; static servers on 127.0.0.1 that record every request."""

from __future__ import annotations

import base64
import functools
import http.server
import io
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from teachkit.site import mime

os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

READY_TIMEOUT_MS = 180_000
#: The sub-path a school's host might give a teacher.
SUB_PATH = "/~teacher/ai/"


# The session's Playwright, browser and launcher (`playwright_api`, `browser`, `launch_browser`)
# are in tests/conftest.py.


# -- sites ------------------------------------------------------------------------------------
def render(model: Path, out: Path, **kwargs: Any) -> Path:
    from teachkit.site import build_site

    return build_site(model, out, **kwargs)


@pytest.fixture(scope="session")
def animals_site(tm_exports: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of a real Teachable Machine export (4 classes, 224x224 JPEG samples)."""
    return render(tm_exports / "animals-4class", tmp_path_factory.mktemp("animals") / "dist")


@pytest.fixture(scope="session")
def trained_model(trashnet: Path, base_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our own model, trained by the real pipeline on a small slice of trashnet (quick recipe)."""
    from teachkit.training.train import Recipe, TrainOptions, train

    photos = tmp_path_factory.mktemp("photos")
    for cls in ("cardboard", "glass", "metal"):
        (photos / cls).mkdir()
        for src in sorted((trashnet / cls).glob("*.jpg"))[:40]:
            (photos / cls / src.name).symlink_to(src)
    opts = TrainOptions(
        photos=photos,
        models_dir=tmp_path_factory.mktemp("models"),
        base_from=base_export,
        recipe=Recipe(augment=False, epochs=5, seed=0),
        out=io.StringIO(),
    )
    result = train(opts)
    return Path(getattr(result, "model_dir", result))


@pytest.fixture(scope="session")
def trained_site(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(trained_model, tmp_path_factory.mktemp("trained") / "dist")


# -- servers ----------------------------------------------------------------------------------
@dataclass
class StaticServer:
    """A plain static web server for a folder, at a sub-path, on 127.0.0.1 (like a school host)."""

    root: Path
    prefix: str = SUB_PATH
    wasm_type: str = "application/wasm"
    requests: list[str] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.prefix}"

    def start(self) -> StaticServer:
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            extensions_map = {
                **http.server.SimpleHTTPRequestHandler.extensions_map,
                **mime.TYPES,
                ".wasm": outer.wasm_type,
            }

            def translate_path(self, path: str) -> str:
                outer.requests.append(path)
                p = unquote(urlsplit(path).path)
                if not p.startswith(outer.prefix):
                    return str(outer.root / "__outside_the_site__")
                return super().translate_path("/" + p[len(outer.prefix) :])

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(self.root))
        )
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture(scope="session")
def animals_server(animals_site: Path) -> Iterator[StaticServer]:
    server = StaticServer(animals_site).start()
    yield server
    server.stop()


# -- pages ------------------------------------------------------------------------------------
@dataclass
class Site:
    """An open page of a rendered site: every request it made, the outside ones blocked.

    ``page`` is the open page. Should its renderer crash (the browser's fault, not the site's:
    seen once in CI, in a test that had passed hundreds of times), the next look at ``page`` opens
    a fresh one at the same address in the same context, so that a crash fails one test (which
    pytest reruns once: pyproject.toml), not every later test sharing the page."""

    context: Any
    inside: str
    url: str
    wait: bool = True
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    _page: Any = None

    @property
    def page(self) -> Any:
        if self._page is None:
            self.open()
        return self._page

    def open(self) -> None:
        """A new page at ``url`` (ready, when ``wait``)."""
        page = self.context.new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: (self.console.append(m.text), m.type == "error" and self.errors.append(m.text)))
        page.on("crash", self._crashed)
        self._page = page
        page.goto(self.url)
        if self.wait:
            wait_ready(page)

    def _crashed(self, page: Any) -> None:
        self.crashes.append(page.url)
        self._page = None

    def classify_file(self, path: Path) -> dict[str, Any]:
        """``teachkit.classify`` on the file's bytes as a Blob, as a File picked by a pupil would be."""
        return self.page.evaluate(
            "async ([b64, type]) => teachkit.classify(new Blob([Uint8Array.fromBase64(b64)], {type}))",
            [base64.b64encode(path.read_bytes()).decode(), mime_of(path)],
        )

    def close(self) -> None:
        self.context.close()


def mime_of(path: Path) -> str:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}.get(path.suffix.lower(), "")


def open_site(
    browser: Any, url: str, inside: str, wait: bool = True, init_script: str | None = None, **context_args: Any
) -> Site:
    """Open ``url`` in a fresh context; any request that is not under ``inside`` is recorded and
    aborted (blob: and data: URLs are the page's own memory and never reach the network)."""
    context = browser.new_context(**context_args)
    site = Site(context=context, inside=inside, url=url, wait=wait)

    def route(r: Any) -> None:
        if r.request.url.startswith(inside):
            r.continue_()
        else:
            site.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    if init_script:
        context.add_init_script(init_script)
    site.open()
    return site


def wait_ready(page: Any) -> None:
    page.evaluate(
        """(ms) => Promise.race([teachkit.ready.then(() => true), new Promise((_, reject) => setTimeout(
            () => reject(new Error('not ready: ' + document.getElementById('loading-status').textContent)), ms))])""",
        READY_TIMEOUT_MS,
    )


def samples(export: Path, per_class: int | None = None) -> list[tuple[str, Path]]:
    """(label, path) of an export's sample photos, ``per_class`` of each (all by default)."""
    out = []
    for d in sorted(p for p in (export / "samples").iterdir() if p.is_dir()):
        files = sorted(p for p in d.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        out += [(d.name, f) for f in files[:per_class]]
    return out


def copy_model(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("samples"))
    return dst


@pytest.fixture(scope="session")
def tools(launch_browser: Any) -> Any:
    """The helpers above, for the test modules (conftest modules are not imported by name)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        open_site=open_site,
        wait_ready=wait_ready,
        samples=samples,
        copy_model=copy_model,
        render=render,
        StaticServer=StaticServer,
        launch=launch_browser,
        mime_of=mime_of,
        SUB_PATH=SUB_PATH,
    )


@pytest.fixture(scope="session")
def build_step() -> Any:
    """``build_step(model, paths) -> (labels, probabilities)``: the build's own prediction
    (teachkit.model.predict: Pillow decoding, NumpyOps, tensorflowjs' Keras loader), models cached."""
    import numpy as np

    loaded: dict[Path, Any] = {}

    def run(model: Path, paths: list[Path]) -> tuple[list[str], np.ndarray]:
        from teachkit.model import predict

        if model not in loaded:
            loaded[model] = predict.load(model)
        probs, skipped = loaded[model].predict_paths(paths)
        assert not skipped
        return loaded[model].labels, probs

    return run


@pytest.fixture(scope="session")
def hosted(browser: Any, animals_server: StaticServer) -> Iterator[Site]:
    """The animals site opened once from the static server's sub-path, shared by the UI tests.

    On the wasm backend: WebGL in headless Chromium is SwiftShader (software), ten times slower;
    WebGL has its own test (test_site_offline.py)."""
    site = open_site(browser, animals_server.url + "index.html?backend=wasm", inside=animals_server.url)
    yield site
    site.close()

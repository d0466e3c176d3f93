"""The smoke suite's site, its server, the build's own probabilities, and one visit per browser and
place (hosted, file://), shared by the tests that read it."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from teachkit.site import mime
from tests.browsers import drivers

#: The sub-path a school's host might give a teacher.
PREFIX = "/~teacher/ai/"
#: A picture the teacher put in the site's own folder, for ``teachkit.classify(<img>)``.
OWN_PICTURE = "own-picture.jpg"

#: teachkit.classify(<img>) with a picture from the site's own folder: resolved or how it failed.
CLASSIFY_OWN_IMG_JS = f"""(async () => {{
  const img = new Image();
  img.src = '{OWN_PICTURE}';
  await img.decode();
  try {{
    const r = await teachkit.classify(img);
    return {{resolved: true, label: r.label}};
  }} catch (e) {{
    return {{resolved: false, isError: e instanceof Error, message: String(e && e.message)}};
  }}
}})()"""


class RecordingServer:
    """A static server for a folder at a sub-path on 127.0.0.1 (like a school host), recording
    every request; anything outside the sub-path is a 404."""

    def __init__(self, root: Path) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **mime.TYPES}

            def translate_path(self, path: str) -> str:
                outer.requests.append(path)
                p = unquote(urlsplit(path).path)
                if not p.startswith(PREFIX):
                    return str(root / "__outside_the_site__")
                return super().translate_path("/" + p[len(PREFIX) :])

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PREFIX}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def smoke_export(tm_exports: Path) -> Path:
    return tm_exports / "animals-4class"


@pytest.fixture(scope="session")
def smoke_photos(smoke_export: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A handful of photos: the first sample of each class, named after it (the cards show names)."""
    folder = tmp_path_factory.mktemp("photos")
    out = []
    for d in sorted(p for p in (smoke_export / "samples").iterdir() if p.is_dir()):
        first = sorted(p for p in d.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[0]
        out.append(folder / f"{d.name}-{first.name}")
        shutil.copy(first, out[-1])
    return out


@pytest.fixture(scope="session")
def smoke_site(smoke_export: Path, smoke_photos: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export's site, with a picture of the teacher's own in its folder."""
    from teachkit.site import build_site

    site = build_site(smoke_export, tmp_path_factory.mktemp("smoke") / "dist")
    shutil.copy(smoke_photos[0], site / OWN_PICTURE)
    return site


@pytest.fixture(scope="session")
def probed_site(smoke_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same site carrying probe.js, for WebKit through Selenium (see drivers.py)."""
    site = tmp_path_factory.mktemp("probed") / "dist"
    shutil.copytree(smoke_site, site)
    drivers.add_probe(site)
    return site


@pytest.fixture(scope="session")
def build_probabilities(smoke_export: Path, smoke_photos: list[Path]) -> dict[str, dict[str, float]]:
    """{photo name: {label: probability}} from the build's own prediction (teachkit.model.predict)."""
    from teachkit.model import predict

    model = predict.load(smoke_export)
    probs, skipped = model.predict_paths(smoke_photos)
    assert not skipped
    rows = zip(smoke_photos, probs, strict=True)
    return {p.name: dict(zip(model.labels, map(float, row), strict=True)) for p, row in rows}


#: Every visit made in this session, for the timings at the end of the run.
MADE: list[drivers.Visit] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Ready time and time per photo of each visit (a loaded machine's figures: never asserted);
    also as JSON to the file $TEACHKIT_BROWSER_TIMES names, when set."""
    if not MADE:
        return
    terminalreporter.section("browsers: ready and per-photo time")
    rows = []
    for v in MADE:
        per_photo = v.photos_s / len(v.cards) if v.cards else 0.0
        rows.append(
            {
                "browser": v.browser,
                "where": v.where,
                "driver": v.driver,
                "version": v.version,
                "backend": v.backend.get("backend", "?"),
                "ready_s": round(v.ready_s, 2),
                "per_photo_s": round(per_photo, 3),
                "photos": len(v.cards),
            }
        )
        terminalreporter.line(
            f"{v.browser:8} {v.where:6} {v.driver:10} {v.version:14} {rows[-1]['backend']:5} "
            f"ready {v.ready_s:5.1f} s   per photo {per_photo:5.2f} s ({len(v.cards)} photos)"
        )
    if os.environ.get("TEACHKIT_BROWSER_TIMES"):
        Path(os.environ["TEACHKIT_BROWSER_TIMES"]).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


class Visits:
    """One page load per (browser, place), made when a test first asks for it, then kept."""

    def __init__(self, photos: list[Path]) -> None:
        self.photos = photos
        self.done: dict[tuple[str, str], drivers.Visit | BaseException] = {}
        self.servers: list[RecordingServer] = []
        self.requests: dict[tuple[str, str], list[str]] = {}
        self.inside: dict[tuple[str, str], str] = {}

    def get(self, request: pytest.FixtureRequest, browser: str, where: str) -> drivers.Visit:
        """The visit of ``browser`` at ``where`` ("hosted" or "file"), made through the asking
        test's ``request`` the first time."""
        key = (browser, where)
        if key not in self.done:
            try:
                self.done[key] = self._visit(request.getfixturevalue, browser, where)
            except drivers.Unavailable as e:
                pytest.skip(str(e))
            except BaseException as e:  # a failed visit fails each test that reads it, once run
                self.done[key] = e
            else:
                self.done[key].where = where
                MADE.append(self.done[key])
        got = self.done[key]
        if isinstance(got, BaseException):
            raise got
        return got

    def _where(self, site: Path, where: str, key: tuple[str, str]) -> tuple[str, str]:
        if where == "file":
            inside = site.as_uri() + "/"
        else:
            server = RecordingServer(site)
            self.servers.append(server)
            self.requests[key] = server.requests
            inside = server.url
        self.inside[key] = inside
        return inside + "index.html", inside

    def _visit(self, fixture: Any, browser: str, where: str) -> drivers.Visit:
        # after the photos, so that its failure cannot be taken for theirs
        extras = {"own_img": CLASSIFY_OWN_IMG_JS} if (browser, where) == ("webkit", "file") else {}
        if browser == "chromium":
            url, inside = self._where(fixture("smoke_site"), where, (browser, where))
            return drivers.visit_playwright(fixture("browser"), browser, url, inside, self.photos, extras)
        playwright = fixture("playwright_api")
        if drivers.playwright_has(playwright, browser):  # Playwright's own Firefox or WebKit
            url, inside = self._where(fixture("smoke_site"), where, (browser, where))
            launched = getattr(playwright, browser).launch()
            try:
                return drivers.visit_playwright(launched, browser, url, inside, self.photos, extras)
            finally:
                launched.close()
        if browser == "firefox":
            executable = drivers.puppeteer_firefox()
            url, inside = self._where(fixture("smoke_site"), where, (browser, where))
            return drivers.visit_puppeteer(executable, url, inside, self.photos, extras)
        driver_path, browser_path = drivers.selenium_webkit()
        url, inside = self._where(fixture("probed_site"), where, (browser, where))
        proxy = drivers.RefusingProxy()
        try:
            with drivers.webkit_session(driver_path, browser_path, proxy) as session:
                return drivers.visit_selenium(session, proxy, url, inside, self.photos, extras)
        finally:
            proxy.stop()

    def close(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="session")
def visits(smoke_photos: list[Path]) -> Iterator[Visits]:
    v = Visits(smoke_photos)
    yield v
    v.close()

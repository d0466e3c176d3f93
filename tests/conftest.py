"""Shared test fixtures: where the real third-party fixtures are, and skips that say why."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"


def shared_fixture(*parts: str) -> Path:
    """A path under ../shared/fixtures/, or a skip that names what is missing."""
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared fixture {path} is absent (tests read real photos and exports from ../shared/fixtures/)")
    return path


@pytest.fixture(scope="session")
def tm_exports() -> Path:
    return shared_fixture("tm-exports")


@pytest.fixture(scope="session")
def base_export() -> Path:
    """The Teachable Machine export whose frozen MobileNetV2 serves as our pretrained base."""
    return shared_fixture("tm-exports", "animals-4class")


@pytest.fixture(scope="session")
def trashnet() -> Path:
    return shared_fixture("datasets", "trashnet-subset")


# -- the browser: one Playwright and one Chromium for the whole session ---------------------------
# (Playwright's sync API cannot run twice at once in one process, so every browser test shares it.)


@pytest.fixture(scope="session")
def playwright_api() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


def launch_chromium(playwright_api: Any, extra: list[str] | None = None) -> Any:
    """Headless Chromium (Playwright's own or Debian's), or a skip that says how to get one."""
    from tests import chromium

    try:
        return chromium.launch(playwright_api, extra)
    except chromium.NoChromium as e:
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def launch_browser() -> Any:
    """``launch_browser(playwright_api, extra_args)``: another Chromium, e.g. with a fake camera."""
    return launch_chromium


@pytest.fixture(scope="session")
def browser(playwright_api: Any) -> Iterator[Any]:
    b = launch_chromium(playwright_api)
    yield b
    b.close()

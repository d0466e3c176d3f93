"""The harness itself: a page whose renderer crashes is opened again, ready, at its address (see
``Site`` in tests/site/conftest.py), so that one crash of the browser fails one test, not the rest
of its module."""

from __future__ import annotations

import contextlib
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests import chromium

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_crashed_page_is_opened_again(browser: Any, tools: Any, animals_server: Any) -> None:
    url = animals_server.url + "index.html?backend=wasm"
    site = tools.open_site(browser, url, inside=animals_server.url)
    try:
        crashed = site.page
        with crashed.expect_event("crash"), contextlib.suppress(Exception):
            crashed.goto("chrome://crash")  # Chromium's own way to crash a renderer
        with pytest.raises(Exception) as error:
            crashed.evaluate("1")
        assert chromium.crashed(error.value), error.value  # the words pytest reruns on
        assert site.crashes == [url]
        fresh = site.page
        assert fresh is not crashed and fresh.url == url
        assert fresh.evaluate("teachkit.backend") == "wasm"  # ready, as open_site left it
        assert site.outside == []
    finally:
        site.close()


def test_pytest_reruns_a_test_once_on_every_crash_message_and_nothing_else() -> None:
    options = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    addopts = shlex.split(options["addopts"])
    patterns = [addopts[i + 1] for i, a in enumerate(addopts) if a == "--only-rerun"]
    assert sorted(patterns) == sorted(chromium.CRASHED)
    assert addopts[addopts.index("--reruns") + 1] == "1"

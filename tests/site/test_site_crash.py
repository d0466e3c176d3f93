"""The harness itself: a page whose renderer crashes is opened again, ready, at its address (see
``Site`` in tests/site/conftest.py), so that one crash of the browser fails one test, not the rest
of its module."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_crashed_page_is_opened_again(browser: Any, tools: Any, animals_server: Any) -> None:
    url = animals_server.url + "index.html?backend=wasm"
    site = tools.open_site(browser, url, inside=animals_server.url)
    try:
        crashed = site.page
        with crashed.expect_event("crash"), contextlib.suppress(Exception):
            crashed.goto("chrome://crash")  # Chromium's own way to crash a renderer
        with pytest.raises(Exception, match="Target crashed"):  # the message pytest reruns on
            crashed.evaluate("1")
        assert site.crashes == [url]
        fresh = site.page
        assert fresh is not crashed and fresh.url == url
        assert fresh.evaluate("teachkit.backend") == "wasm"  # ready, as open_site left it
        assert site.outside == []
    finally:
        site.close()

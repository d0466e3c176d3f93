"""The classify page in Chromium, Firefox and WebKit, hosted at a sub-path and from file://: ready,
the backend named, photos picked through the file input classified with the build's probabilities,
nothing requested outside the site's folder, no error in the console. One page load per browser
and place (conftest.py's ``visits``); drivers.py says what drives each browser."""

from __future__ import annotations

import re

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:setting remote_server_addr:DeprecationWarning"),  # Selenium's own
]

BROWSERS = ["chromium", "firefox", "webkit"]
PLACES = ["hosted", "file"]
TOLERANCE = 0.01
every = pytest.mark.parametrize(("engine", "where"), [(b, w) for b in BROWSERS for w in PLACES])


@every
def test_ready_with_its_backend_named(request, visits, engine: str, where: str) -> None:
    v = visits.get(request, engine, where)
    assert v.backend["backend"] in ("webgl", "wasm", "cpu"), v.backend
    assert v.backend["shown"] == v.backend["backend"], v.backend


@every
def test_photos_get_the_builds_probabilities(request, visits, build_probabilities, engine: str, where: str) -> None:
    v = visits.get(request, engine, where)
    assert sorted(c["name"] for c in v.cards) == sorted(build_probabilities), v.cards
    for card in v.cards:
        expected = build_probabilities[card["name"]]
        got = card["probabilities"]
        assert set(got) == set(expected), card
        worst = max(abs(got[label] - p) for label, p in expected.items())
        assert worst <= TOLERANCE, f"{card['name']}: page {got} vs build {expected}"
        top = max(expected, key=expected.get)
        assert card["label"] in (top, ""), card  # "" is "not sure", never another class


@every
def test_nothing_requested_outside_the_site(request, visits, engine: str, where: str) -> None:
    v = visits.get(request, engine, where)
    assert v.outside == []
    # the browser's own timeline agrees (from file:// it lists nothing; WebKit's witness there is
    # the refusing proxy, drivers.RefusingProxy)
    assert v.resources or where == "file", "the browser's timeline lists no resource"
    site = visits.inside[(engine, where)]
    assert all(r.startswith((site, "blob:", "data:")) for r in v.resources), v.resources
    server_saw = visits.requests.get((engine, where))
    if server_saw is not None:
        assert server_saw and all(r.startswith("/~teacher/ai/") for r in server_saw), server_saw


@every
def test_no_error_in_the_console(request, visits, engine: str, where: str) -> None:
    v = visits.get(request, engine, where)
    assert v.errors == []


def test_webkit_file_url_own_picture_is_refused_in_one_sentence(request, visits) -> None:
    """From file:// WebKit gives every file its own origin: an <img> of the site's own folder taints
    the canvas. classify() rejects with an Error of one plain sentence saying what to pass instead."""
    v = visits.get(request, "webkit", "file")
    got = v.extras["own_img"]
    assert got["resolved"] is False and got["isError"] is True, got
    message = got["message"].strip()
    assert "Traceback" not in message and "\n" not in message, message
    assert len(re.findall(r"[.!?](\s|$)", message)) == 1 and message[-1] in ".!?", message
    assert re.search(r"\b(File|Blob)\b", message), message

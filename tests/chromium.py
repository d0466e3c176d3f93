"""Where a headless Chromium is, and the flags it needs on a closed network: one place for the
browser tests and the benchmarks.

Playwright's own Chromium (`playwright install chromium`, a user's machine) or Debian's package
(`/usr/bin/chromium`, our machines and CI, where Playwright cannot download browsers);
TEACHKIT_CHROMIUM names another.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: Without the background-networking flags Chromium keeps trying to reach Google's services.
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEBIAN = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: What Playwright says when Chromium's renderer dies under a page (the browser's fault, not the
#: page's; Chromium 156 did so now and then, under the site and under TF.js alone). pyproject.toml
#: reruns a test once on these, and the benchmarks count such a run and leave it out.
CRASHED = ("Target crashed", "Page crashed")


class NoChromium(Exception):
    """No Chromium to drive; the message says how to get one."""


def crashed(error: BaseException) -> bool:
    """Whether ``error`` is Playwright's word that the renderer died (``CRASHED``)."""
    return any(words in str(error) for words in CRASHED)


def executable(playwright: Any) -> str | None:
    """The Chromium to launch from a started Playwright: a path, or None for Playwright's own."""
    named = os.environ.get("TEACHKIT_CHROMIUM")
    if named:
        return named
    if Path(playwright.chromium.executable_path).exists():
        return None
    for candidate in DEBIAN:
        if Path(candidate).exists():
            return candidate
    raise NoChromium("no Chromium: run scripts/install-browser (or set TEACHKIT_CHROMIUM)")


def launch(playwright: Any, extra_args: list[str] | None = None) -> Any:
    """A headless Chromium browser from a started Playwright (sync or async API alike)."""
    kwargs: dict[str, Any] = {"args": ARGS + (extra_args or [])}
    path = executable(playwright)
    if path:
        kwargs["executable_path"] = path
    return playwright.chromium.launch(**kwargs)

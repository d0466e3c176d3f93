"""Pyodide's standard library, trimmed of the modules a web page has no use for
(teachkit.site.vendor.STDLIB_UNUSED): every module that is left still imports, in the real page."""

from __future__ import annotations

import json

import pytest

from teachkit.site import vendor

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Runs in the page's Pyodide: imports every module of the site's python_stdlib.zip.
IMPORT_ALL = """
import importlib, json, sys, zipfile

archive = next(p for p in sys.path if p.endswith(".zip"))
names = set()
with zipfile.ZipFile(archive) as zf:
    for name in zf.namelist():
        parts = name.removesuffix(".py").split("/")
        if not name.endswith(".py") or parts[0] == "site-packages" or parts[-1] == "__main__":
            continue
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
failed = {}
for name in sorted(names):
    try:
        importlib.import_module(name)
    except Exception as e:
        failed[name] = [type(e).__name__, str(e), getattr(e, "name", None)]
json.dumps({"archive": archive, "count": len(names), "failed": failed})
"""

#: Modules that do not import in Pyodide with its whole standard library either (Windows-only,
#: subinterpreters, Windows codecs): not made worse by the trimming.
FAIL_IN_PYODIDE_ANYWAY = {
    "asyncio.windows_events",
    "asyncio.windows_utils",
    "concurrent.futures.interpreter",
    "concurrent.interpreters",
    "concurrent.interpreters._crossinterp",
    "concurrent.interpreters._queues",
    "encodings.mbcs",
    "encodings.oem",
}


def test_every_module_left_in_the_stdlib_imports_in_the_page(browser, tools, animals_server) -> None:
    # A page of its own: importing everything must not touch the page other tests share.
    site = tools.open_site(browser, animals_server.url + "index.html?backend=wasm", inside=animals_server.url)
    try:
        result = json.loads(site.page.evaluate("(code) => teachkitPyodide.runPython(code)", IMPORT_ALL))
    finally:
        site.close()
    assert result["archive"].endswith(".zip") and result["count"] > 400, result  # the page's real archive
    removed = [u.removesuffix(".py").replace("/", ".") for u in vendor.STDLIB_UNUSED]
    needs_removed = {
        name: err
        for name, (kind, err, missing) in result["failed"].items()
        if kind == "ModuleNotFoundError"
        and missing
        and any(missing == r or missing.startswith(r + ".") for r in removed)
    }
    assert not needs_removed, f"modules left in the stdlib import removed ones: {needs_removed}"
    assert set(result["failed"]) <= FAIL_IN_PYODIDE_ANYWAY, result["failed"]

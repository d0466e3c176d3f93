"""One visit of a Teachkit page in Chromium, Firefox or WebKit, whatever drives it.

A visit opens the page once, waits for ``teachkit.ready``, picks photos through the file input,
reads the result cards, runs any extra expressions and reports what the page requested and logged.
The page is asked the same JavaScript expressions (below) by every driver:

- Playwright: its own Chromium (or Debian's, tests/chromium.py), and its own Firefox and WebKit
  when installed (``.venv/bin/python -m playwright install firefox webkit``, a user's machine);
- else Debian's ``firefox-esr`` through puppeteer-core over WebDriver BiDi (tests/browsers/firefox.mjs,
  a Node subprocess, JSON in and out; no geckodriver);
- else Debian's WebKitGTK through ``WebKitWebDriver`` (package ``webkit2gtk-driver``) and Selenium,
  on a virtual display (Xvfb). Classic WebDriver hears nothing of the console: on that driver the
  site carries ``probe.js`` (first script of index.html) that keeps the errors the page logs.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
TIMEOUT_S = 300

FIREFOX_ESR = "/usr/bin/firefox-esr"
WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER = (
    "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    "/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser",
    "/usr/libexec/webkit2gtk-4.1/MiniBrowser",
)

# -- what every driver asks the page -----------------------------------------------------------
#: ``teachkit.ready``, then the backend it runs on (a timeout names the loading screen's line).
READY_JS = f"""(async () => {{
  await Promise.race([teachkit.ready, new Promise((_, reject) => setTimeout(() => reject(new Error(
    'not ready: ' + document.getElementById('loading-status').textContent)), {TIMEOUT_S * 1000}))]);
  return {{backend: teachkit.backend, shown: document.getElementById('backend').textContent.trim()}};
}})()"""


def cards_js(n: int) -> str:
    """Wait for ``n`` result cards; each card's file name, verdict and probabilities (read from its
    bars: the bar's width is the probability to 0.1%)."""
    return f"""(async () => {{
  const deadline = Date.now() + {TIMEOUT_S * 1000};
  const all = () => document.querySelectorAll('#results article.result');
  while (all().length < {n}) {{
    if (Date.now() > deadline) throw new Error('only ' + all().length + ' of {n} results');
    await new Promise((r) => setTimeout(r, 25));
  }}
  return [...all()].map((card) => ({{
    name: card.querySelector('.file-name')?.textContent ?? '',
    status: card.dataset.status ?? '',
    label: card.dataset.label ?? '',
    probabilities: Object.fromEntries([...card.querySelectorAll('.bar-row')].map((row) => [
      row.querySelector('.bar-label').textContent,
      parseFloat(row.querySelector('.bar-fill').style.width) / 100])),
  }}));
}})()"""


#: What the page fetched, as the browser's own performance timeline has it (file:// included).
RESOURCES_JS = "performance.getEntriesByType('resource').map((e) => e.name)"

#: The errors probe.js kept (WebKit through Selenium only).
PROBE_JS = "globalThis.__teachkitProbe ? globalThis.__teachkitProbe.errors : null"


@dataclass
class Visit:
    """What one page load gave."""

    browser: str
    driver: str
    version: str = ""
    where: str = ""
    ready_s: float = 0.0
    photos_s: float = 0.0
    backend: dict[str, str] = field(default_factory=dict)
    cards: list[dict[str, Any]] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


class Unavailable(Exception):
    """No way to drive this browser here; the message says how to get one."""


# -- Playwright (Chromium always; Firefox and WebKit when Playwright's own are installed) ----------
def playwright_has(playwright: Any, name: str) -> bool:
    return Path(getattr(playwright, name).executable_path).exists()


def visit_playwright(
    browser: Any, name: str, url: str, inside: str, photos: list[Path], extras: dict[str, str]
) -> Visit:
    out = Visit(browser=name, driver="playwright", version=browser.version)
    context = browser.new_context()

    def route(r: Any) -> None:
        if r.request.url.startswith(inside):
            r.continue_()
        else:
            out.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_S * 1000)
        page.on("pageerror", lambda e: out.errors.append(str(e)))
        page.on("console", lambda m: (out.console.append(m.text), m.type == "error" and out.errors.append(m.text)))
        start = time.perf_counter()
        page.goto(url)
        out.backend = page.evaluate(READY_JS)
        out.ready_s = time.perf_counter() - start
        if photos:
            picked = time.perf_counter()
            page.set_input_files("#photos", [str(p) for p in photos])
            out.cards = page.evaluate(cards_js(len(photos)))
            out.photos_s = time.perf_counter() - picked
        out.resources = page.evaluate(RESOURCES_JS)
        seen = len(out.errors)  # the extras' failures are theirs to report
        out.extras = {k: page.evaluate(js) for k, js in extras.items()}
        del out.errors[seen:]
    finally:
        context.close()
    return out


# -- Firefox ESR through puppeteer-core (Node) -----------------------------------------------------
def puppeteer_firefox() -> str:
    """The Firefox ESR puppeteer-core can drive here, or Unavailable saying what is missing."""
    if not Path(FIREFOX_ESR).exists():
        raise Unavailable(
            "no Firefox: run `.venv/bin/python -m playwright install firefox`, "
            "or as root on Debian scripts/install-browser (firefox-esr)"
        )
    if not shutil.which("node") or not (TESTS / "node_modules" / "puppeteer-core").is_dir():
        raise Unavailable("no puppeteer-core for Debian's Firefox: run `make setup` (npm ci in tests/)")
    return FIREFOX_ESR


def visit_puppeteer(executable: str, url: str, inside: str, photos: list[Path], extras: dict[str, str]) -> Visit:
    job = {
        "executable": executable,
        "url": url,
        "inside": inside,
        "photos": [str(p) for p in photos],
        "ready": READY_JS,
        "cards": cards_js(len(photos)),
        "resources": RESOURCES_JS,
        "extras": extras,
        "timeoutMs": TIMEOUT_S * 1000,
    }
    done = subprocess.run(
        ["node", str(HERE / "firefox.mjs")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=3 * TIMEOUT_S,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"firefox.mjs failed (exit {done.returncode}): {done.stderr[-2000:]}") from None
    if "failure" in report:
        raise AssertionError(f"Firefox: {report['failure']}\nconsole: {report['console'][-20:]}")
    return Visit(
        browser="firefox",
        driver="puppeteer",
        version=report.get("version", ""),
        ready_s=report["readyMs"] / 1000,
        photos_s=report.get("photosMs", 0) / 1000,
        backend=report["backend"],
        cards=report.get("cards", []),
        resources=report["resources"],
        extras=report["extras"],
        outside=report["outside"],
        errors=report["errors"],
        console=report["console"],
    )


# -- WebKitGTK through WebKitWebDriver and Selenium, on Xvfb ---------------------------------------
def selenium_webkit() -> tuple[str, str]:
    """(WebKitWebDriver, MiniBrowser) to drive, or Unavailable saying what is missing."""
    how = (
        "run `.venv/bin/python -m playwright install webkit`, "
        "or as root on Debian scripts/install-browser (webkit2gtk-driver, xvfb)"
    )
    browser = next((p for p in MINIBROWSER if Path(p).exists()), None)
    if not Path(WEBKIT_DRIVER).exists() or browser is None:
        raise Unavailable(f"no WebKit: {how}")
    if not os.environ.get("DISPLAY") and not shutil.which("Xvfb"):
        raise Unavailable(f"no display for WebKitGTK (Xvfb is missing): {how}")
    try:
        import selenium  # noqa: F401
    except ImportError:
        raise Unavailable("no Selenium for WebKitGTK: run `make setup` (pip install -r requirements.lock)") from None
    return WEBKIT_DRIVER, browser


@contextmanager
def virtual_display() -> Iterator[str]:
    """An Xvfb display of our own (":N"), or the one we are on."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()
        if not number:
            raise Unavailable("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class RefusingProxy:
    """An HTTP proxy on 127.0.0.1 that forwards nothing: it records each request a browser sends
    it (absolute URLs, CONNECT host:port for https) and refuses it. WebKitGTK is pointed at it for
    every host but 127.0.0.1, so a request outside the site is seen even from file://, where
    WebKit's performance timeline lists nothing."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def refuse(self) -> None:
                outer.requests.append(f"{self.command} {self.path}")
                self.send_error(403, "outside the site")

            do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = do_CONNECT = refuse  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def webkit_session(driver_path: str, browser_path: str, proxy: RefusingProxy) -> Iterator[Any]:
    """A Selenium session of WebKitGTK's MiniBrowser on its own virtual display, every request to
    another host than 127.0.0.1 sent to ``proxy``."""
    from selenium import webdriver
    from selenium.webdriver.common.proxy import Proxy
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    with virtual_display() as display:
        options = Options()
        options.binary_location = browser_path
        options.add_argument("--automation")
        options.proxy = Proxy(
            {"proxyType": "manual", "httpProxy": proxy.address, "sslProxy": proxy.address, "noProxy": ["127.0.0.1"]}
        )
        service = Service(driver_path, env={**os.environ, "DISPLAY": display})
        driver = _started(lambda: webdriver.WebKitGTK(options=options, service=service), service)
        try:
            driver.set_script_timeout(TIMEOUT_S)
            driver.set_page_load_timeout(TIMEOUT_S)
            yield driver
        finally:
            driver.quit()


#: How long WebKitWebDriver may take to start MiniBrowser: seconds on an idle machine. A second
#: MiniBrowser started while another test run holds one (GApplication's single instance on the
#: session bus) was seen to wait forever; a test fails then instead of hanging the whole run.
SESSION_START_S = 240


def _started(make: Any, service: Any) -> Any:
    """``make()`` (a Selenium session), or an error after SESSION_START_S: never a hang."""
    import threading

    done: dict[str, Any] = {}

    def run() -> None:
        try:
            done["driver"] = make()
        except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
            done["error"] = e

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(SESSION_START_S)
    if worker.is_alive():
        if service.process is not None:
            service.process.kill()  # the session request then fails in the worker
        raise TimeoutError(f"WebKitWebDriver did not start MiniBrowser within {SESSION_START_S} s")
    if "error" in done:
        raise done["error"]
    return done["driver"]


def _run(driver: Any, js: str) -> Any:
    """Evaluate a (promise-valued) expression through classic WebDriver."""
    got = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"Promise.resolve().then(() => {js})"
        ".then((value) => done({value}), (e) => done({error: String(e && e.message || e)}));"
    )
    if "error" in got:
        raise AssertionError(f"WebKit: {got['error']}")
    return got.get("value")


def visit_selenium(
    driver: Any, proxy: RefusingProxy, url: str, inside: str, photos: list[Path], extras: dict[str, str]
) -> Visit:
    version = str(driver.capabilities.get("browserVersion", ""))
    out = Visit(browser="webkit", driver="selenium", version=version)
    start = time.perf_counter()
    driver.get(url)
    out.backend = _run(driver, READY_JS)
    out.ready_s = time.perf_counter() - start
    if photos:
        from selenium.webdriver.common.by import By

        picked = time.perf_counter()
        driver.find_element(By.ID, "photos").send_keys("\n".join(str(p) for p in photos))
        out.cards = _run(driver, cards_js(len(photos)))
        out.photos_s = time.perf_counter() - picked
    out.resources = _run(driver, RESOURCES_JS)
    probe = _run(driver, PROBE_JS)
    if probe is None:
        raise AssertionError("the site has no probe.js: WebKit's console errors would go unseen")
    out.errors = list(probe)  # before the extras: their failures are theirs to report
    out.extras = {k: _run(driver, js) for k, js in extras.items()}
    out.outside = [r for r in out.resources if not is_inside(r, inside)] + proxy.requests
    return out


def is_inside(url: str, inside: str) -> bool:
    return url.startswith((inside, "blob:", "data:"))


def add_probe(site: Path) -> None:
    """Make probe.js the first script of the site's index.html (a copy of the site under test)."""
    shutil.copy(HERE / "probe.js", site / "js" / "teachkit-test-probe.js")
    index = site / "index.html"
    html = index.read_text(encoding="utf-8")
    first = html.index("<script")
    index.write_text(html[:first] + '<script src="js/teachkit-test-probe.js"></script>\n' + html[first:], "utf-8")

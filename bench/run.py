"""Teachkit's speed benchmarks, side by side in one run: the build, the site, and the pages a
user would pick instead (a bare Pyodide start, TF.js alone, Teachable Machine's sample page).

    python bench/run.py            # everything, 5 runs of each (about 20 minutes on 2 idle cores)
    python bench/run.py --quick    # fewer runs and photos, wasm only (about 5 minutes on 2 idle cores)
    python bench/run.py --json bench.json
    python bench/run.py --only build    # or: --only site

Needs the README's set-up and the fixtures in ../shared/fixtures; the first run installs Teachable
Machine's sample page's packages with `npm ci` in bench/ (bench/package-lock.json). Every timing
is a median of runs, printed with min and max; every comparison is a ratio of medians measured in
this run on this machine. These are benchmarks, not tests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, Results, table  # noqa: E402


def _chromium_version() -> str:
    from playwright.sync_api import sync_playwright

    from tests import chromium

    with sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            return f"Chromium {browser.version} ({chromium.executable(p) or 'Playwright’s own'})"
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a short run: fewer runs and photos (under 5 minutes)")
    p.add_argument("--json", type=Path, help="also write every figure, ratio and target here")
    p.add_argument("--only", choices=("build", "site"), help="run one part only")
    p.add_argument("--rounds", type=int, help="site: rounds of every page (default 5, quick 3)")
    args = p.parse_args(argv)

    res = Results()
    res.info.update(
        date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        quick=args.quick,
        cpus=os.cpu_count(),
        python=platform.python_version(),
        load_before=[round(x, 2) for x in os.getloadavg()],
    )
    started = time.monotonic()

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - started:6.0f} s] {msg}", file=sys.stderr, flush=True)

    if args.only in (None, "build"):
        import build_speed

        log("build: TensorFlow import, decoding, embedding, train cold/warm/incremental on trashnet-subset")
        build_speed.run(res, args.quick)
        build_speed.targets(res)
    if args.only in (None, "site"):
        import site_speed

        if not (BENCH / "node_modules" / "@teachablemachine" / "image").is_dir():
            log("installing Teachable Machine's sample page's packages: npm ci in bench/")
            done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BENCH, check=False)
            if done.returncode != 0:
                print("`npm ci` in bench/ failed: Teachable Machine's sample page cannot be compared.", file=sys.stderr)
                return 2
        res.info["chromium"] = _chromium_version()
        log("site: ready, first prediction, steady latency, webcam, memory, size (fresh browser each run)")
        site_speed.run(res, args.quick, log=log, rounds=args.rounds)
        site_speed.targets(res)
    res.info["load_after"] = [round(x, 2) for x in os.getloadavg()]
    res.info["seconds"] = round(time.monotonic() - started)

    print()
    head = (
        f"Teachkit benchmarks ({'quick' if args.quick else 'full'} run, {res.info['date']}, "
        f"{res.info['cpus']} CPUs, load average {res.info['load_before'][0]} -> {res.info['load_after'][0]}, "
        f"{res.info['seconds']} s)"
    )
    print(head)
    if "chromium" in res.info:
        print(res.info["chromium"])
    print()
    print(table(res))
    if args.json:
        args.json.write_text(json.dumps(res.to_json(), indent=1))
        print(f"\nEvery figure, ratio and target: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

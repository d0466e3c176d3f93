"""Ready time and time per photo of the classify page in Chromium, Firefox and WebKit, hosted and
from file://, with each browser's ratio to Chromium measured in the same run.

    python bench/browsers.py [--rounds 3]

Each round runs the cross-browser smoke suite (tests/browsers/: the same site, the same four
photos through the file input) in a fresh process and reads the timings it writes
($TEACHKIT_BROWSER_TIMES); the table shows the median over the rounds. Ready: from starting to
load the page to `teachkit.ready`. Per photo: from picking the photos to their result cards,
divided by their number. These machines are shared and noisy: compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_round() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="teachkit-bench-browsers-") as tmp:
        out = Path(tmp) / "times.json"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/browsers"],
            cwd=ROOT,
            env={**os.environ, "TEACHKIT_BROWSER_TIMES": str(out), "TF_CPP_MIN_LOG_LEVEL": "3"},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return json.loads(out.read_text(encoding="utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.rounds):
        for row in one_round():
            runs.setdefault((row["browser"], row["where"]), []).append(row)
    median = {
        key: (statistics.median(r["ready_s"] for r in rows), statistics.median(r["per_photo_s"] for r in rows))
        for key, rows in runs.items()
    }
    print(f"Browsers, {args.rounds} round(s); median seconds, and the ratio to Chromium at the same place")
    print(f"{'browser':8} {'where':6} {'engine':7} {'backend':7} {'ready':>7} {'x':>6} {'per photo':>9} {'x':>6}")
    for (browser, where), rows in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ready, photo = median[(browser, where)]
        base_ready, base_photo = median.get(("chromium", where), (ready, photo))
        engine = f"{rows[0]['driver']}"
        print(
            f"{browser:8} {where:6} {engine:7.7} {rows[0]['backend']:7} {ready:7.2f} {ready / base_ready:6.2f}"
            f" {photo:9.3f} {photo / base_photo:6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

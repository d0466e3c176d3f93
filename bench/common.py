"""Shared by the speed benchmarks: paths, summaries of repeated timings, the printed table.

Every timing is kept as all its runs; a figure is their median with min and max. A ratio divides
medians measured in the same run on the same machine (timings here are noisy: 2 cores, shared).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SHARED = ROOT.parent / "shared" / "fixtures"
TRASHNET = SHARED / "datasets" / "trashnet-subset"
TM_EXPORTS = SHARED / "tm-exports"
BASE_EXPORT = TM_EXPORTS / "animals-4class"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def accuracy_options(doc: str | None) -> argparse.ArgumentParser:
    """The options of the benches that train on a photos folder (recipes, verdicts, levers): the
    photos (trashnet-subset), the seeds, the base's export and the models' cache."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", type=Path, nargs="?", default=TRASHNET)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--base-from", type=Path, default=BASE_EXPORT)
    parser.add_argument("--cache", type=Path, default=ROOT / "models" / ".cache")
    return parser


@dataclass
class Figure:
    """One measured quantity: every run's value, its unit, and whether lower is better."""

    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    note: str = ""
    lower_is_better: bool = True
    error: str = ""  # why there is no value (e.g. the page cannot load from file://)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"unit": self.unit, "n": len(self.values), "values": [round(v, 4) for v in self.values]}
        if self.values:
            out.update(median=round(self.median, 4), min=round(min(self.values), 4), max=round(max(self.values), 4))
        if self.note:
            out["note"] = self.note
        if self.error:
            out["error"] = self.error
        return out


class Results:
    """Figures by key, ratios, and target verdicts; printed as one table, or written as JSON."""

    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}
        self.ratios: dict[str, dict[str, Any]] = {}
        self.targets: list[dict[str, Any]] = []
        self.info: dict[str, Any] = {}

    def add(self, key: str, unit: str, values: list[float] | float | None = None, **kw: Any) -> Figure:
        fig = self.figures.get(key)
        if fig is None:
            fig = self.figures[key] = Figure(key, unit, **kw)
        if values is None:
            return fig
        fig.values.extend(values if isinstance(values, list) else [values])
        return fig

    def fail(self, key: str, unit: str, error: str) -> None:
        self.add(key, unit).error = error

    def median(self, key: str) -> float | None:
        fig = self.figures.get(key)
        return fig.median if fig else None

    def ratio(self, key: str, num: str, den: str) -> float | None:
        if num not in self.figures or den not in self.figures:
            return None  # not measured in this run (e.g. --quick): no row
        a, b = self.median(num), self.median(den)
        value = a / b if a is not None and b else None
        self.ratios[key] = {"numerator": num, "denominator": den, "ratio": None if value is None else round(value, 3)}
        return value

    def target(self, what: str, measured: float | None, limit: float, unit: str, at_most: bool = True) -> None:
        met = None if measured is None else (measured <= limit if at_most else measured >= limit)
        self.targets.append(
            {
                "target": what,
                "measured": None if measured is None else round(measured, 3),
                "limit": limit,
                "unit": unit,
                "at_most": at_most,
                "met": met,
            }
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "info": self.info,
            "figures": {k: f.to_json() for k, f in self.figures.items()},
            "ratios": self.ratios,
            "targets": self.targets,
        }


def fmt(v: float | None, unit: str = "") -> str:
    if v is None:
        return "-"
    if unit == "MB" or abs(v) >= 100:
        return f"{v:.0f}" if abs(v) >= 1000 or unit != "MB" else f"{v:.2f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def table(res: Results) -> str:
    """The figures (median [min-max] n), then the ratios, then the targets."""
    lines = []
    w = max([len(k) for k in res.figures] + [20]) + 2
    lines.append(f"{'figure':<{w}}{'median':>10}  {'[min - max]':<22}{'n':>3}  unit  note")
    lines.append("-" * (w + 60))
    for key, f in res.figures.items():
        if f.error and not f.values:
            lines.append(f"{key:<{w}}{'FAILS':>10}  {f.error}")
            continue
        rng = f"[{fmt(min(f.values), f.unit)} - {fmt(max(f.values), f.unit)}]" if f.values else ""
        lines.append(f"{key:<{w}}{fmt(f.median, f.unit):>10}  {rng:<22}{len(f.values):>3}  {f.unit}  {f.note}".rstrip())
    stages = {k: v for k, v in res.info.items() if k.endswith("stages_s")}
    if stages:
        lines.append("")
        lines.append("where the time goes (median seconds per step)")
        for key, runs in stages.items():
            runs = runs if isinstance(runs, list) else [runs]
            steps = list(dict.fromkeys(s for r in runs for s in r))
            parts = [f"{s} {statistics.median([r.get(s, 0.0) for r in runs]):.2f}" for s in steps]
            lines.append(f"  {key[: -len('.stages_s')]}: " + ", ".join(parts))
    if res.ratios:
        lines.append("")
        lines.append("ratios (medians measured in this run)")
        for key, r in res.ratios.items():
            v = r["ratio"]
            lines.append(f"  {key:<{w}}{'-' if v is None else f'{v:.2f}x':>8}   {r['numerator']} / {r['denominator']}")
    if res.targets:
        lines.append("")
        lines.append("targets")
        for t in res.targets:
            verdict = {True: "MET", False: "MISSED", None: "n/a"}[t["met"]]
            op = "<=" if t["at_most"] else ">="
            m = "-" if t["measured"] is None else f"{t['measured']:.3g}"
            lines.append(f"  {verdict:<7}{t['target']:<62} {m:>8} {op} {t['limit']:g} {t['unit']}")
    return "\n".join(lines)

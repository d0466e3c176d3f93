"""Charts as inline SVG, drawn at build time: the model page needs no JavaScript to show them,
prints well, and works from file://.

Only presentation attributes (fill, stroke, ...) are used, never style attributes or <style>:
the site's Content-Security-Policy forbids inline styles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

BLUE = "#2f6fdb"
ORANGE = "#e07b00"
GREY = "#8a93a5"
INK = "#1d2433"
GRID = "#dde2ec"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'

W, H = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 40


def _same(text: str) -> str:
    """No translation: the English words (``_`` is the page's gettext when it is given)."""
    return text


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _frame(title: str, body: list[str], legend: Sequence[tuple[str, str, bool]] = ()) -> str:
    """An SVG of W x H with an accessible title and a legend: (text, colour, dashed)."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
        f'class="chart"><title>{escape(title)}</title>',
        *body,
    ]
    x = LEFT
    for text, colour, dashed in legend:
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        parts.append(
            f'<line x1="{x}" y1="{H - 8}" x2="{x + 18}" y2="{H - 8}" stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{x + 22}" y="{H - 4}" {FONT} fill="{INK}">{escape(text)}</text>'
        )
        x += 30 + 6 * len(text)
    parts.append("</svg>")
    return "".join(parts)


class _Axes:
    """Maps data to the plot area and draws the grid, ticks and axis names."""

    def __init__(self, x0: float, x1: float, y0: float, y1: float) -> None:
        self.x0, self.x1 = x0, x1 if x1 > x0 else x0 + 1
        self.y0, self.y1 = y0, y1 if y1 > y0 else y0 + 1

    def x(self, v: float) -> float:
        return LEFT + (v - self.x0) / (self.x1 - self.x0) * (W - LEFT - RIGHT)

    def y(self, v: float) -> float:
        return H - BOTTOM - (v - self.y0) / (self.y1 - self.y0) * (H - TOP - BOTTOM)

    def grid(self, xticks: Sequence[float], yticks: Sequence[float], xfmt, yfmt, xname: str) -> list[str]:
        out = []
        for t in yticks:
            out.append(
                f'<line x1="{LEFT}" y1="{_fmt(self.y(t))}" x2="{W - RIGHT}" y2="{_fmt(self.y(t))}" stroke="{GRID}"/>'
                f'<text x="{LEFT - 4}" y="{_fmt(self.y(t) + 4)}" text-anchor="end" {FONT} fill="{INK}">'
                f"{escape(yfmt(t))}</text>"
            )
        for t in xticks:
            out.append(
                f'<text x="{_fmt(self.x(t))}" y="{H - BOTTOM + 14}" text-anchor="middle" {FONT} fill="{INK}">'
                f"{escape(xfmt(t))}</text>"
            )
        out.append(
            f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="{INK}"/>'
            f'<text x="{W - RIGHT}" y="{H - BOTTOM + 26}" text-anchor="end" {FONT} fill="{INK}">{escape(xname)}</text>'
        )
        return out

    def line(self, xs: Sequence[float], ys: Sequence[float | None], colour: str, dashed: bool = False) -> str:
        points = " ".join(f"{_fmt(self.x(a))},{_fmt(self.y(b))}" for a, b in zip(xs, ys, strict=True) if b is not None)
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        return f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    step = (hi - lo) / (n - 1) if hi > lo else 1
    return [lo + i * step for i in range(n)]


def curve(
    title: str,
    train: Sequence[float],
    validation: Sequence[float],
    percent: bool,
    best_epoch: int | None = None,
    _: Callable[[str], str] = _same,
) -> str:
    """A Teachable-Machine-style training curve: one value per epoch for both parts."""
    values = [v for v in list(train) + list(validation) if v is not None]
    epochs = max(len(train), len(validation))
    if not values or epochs == 0:
        return ""
    lo, hi = (0.0, 1.0) if percent else (0.0, max(values) * 1.05 or 1.0)
    ax = _Axes(1, max(epochs, 2), lo, hi)
    yfmt = (lambda t: f"{t:.0%}") if percent else (lambda t: f"{t:.2f}")
    xticks = sorted({1, *(round(t) for t in _ticks(1, epochs, 5))}) if epochs > 1 else [1]
    body = ax.grid(xticks, _ticks(lo, hi), lambda t: str(int(t)), yfmt, _("epoch"))
    if best_epoch is not None and 1 <= best_epoch <= epochs:
        x = _fmt(ax.x(best_epoch))
        kept = escape(_("kept"))  # outside the f-string: pybabel does not read inside one
        body.append(
            f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{H - BOTTOM}" stroke="{GREY}" stroke-dasharray="2 3"/>'
            f'<text x="{x}" y="{TOP - 3}" text-anchor="middle" {FONT} fill="{GREY}">{kept}</text>'
        )
    body.append(ax.line(range(1, len(train) + 1), train, BLUE))
    body.append(ax.line(range(1, len(validation) + 1), validation, ORANGE, dashed=True))
    return _frame(title, body, [(_("training part"), BLUE, False), (_("validation part"), ORANGE, True)])


def reliability(rows: Sequence[dict], title: str = "", _: Callable[[str], str] = _same) -> str:
    """Bars: how often the model was right for photos at each confidence; the diagonal is perfect."""
    ax = _Axes(0, 1, 0, 1)
    body = ax.grid(_ticks(0, 1, 6), _ticks(0, 1, 6), lambda t: f"{t:.0%}", lambda t: f"{t:.0%}", _("confidence"))
    body.append(
        f'<line x1="{_fmt(ax.x(0))}" y1="{_fmt(ax.y(0))}" x2="{_fmt(ax.x(1))}" y2="{_fmt(ax.y(1))}" '
        f'stroke="{GREY}" stroke-dasharray="4 3"/>'
    )
    bar = _("%(n)s photos at %(lo)s-%(hi)s confidence: right %(right)s of the time")
    for r in rows:
        if not r["n"]:
            continue
        said = bar % {"n": r["n"], "lo": f"{r['lo']:.0%}", "hi": f"{r['hi']:.0%}", "right": f"{r['accuracy']:.0%}"}
        x0, x1 = ax.x(r["lo"]) + 1, ax.x(r["hi"]) - 1
        y = ax.y(r["accuracy"])
        body.append(
            f'<rect x="{_fmt(x0)}" y="{_fmt(y)}" width="{_fmt(x1 - x0)}" height="{_fmt(ax.y(0) - y)}" '
            f'fill="{BLUE}" fill-opacity="0.75"><title>{escape(said)}</title></rect>'
        )
    return _frame(
        title or _("Reliability diagram"),
        body,
        [(_("share right"), BLUE, False), (_("perfectly calibrated"), GREY, True)],
    )


def sweep(
    rows: Sequence[dict],
    chosen: float | None,
    max_error: float | None,
    title: str = "",
    _: Callable[[str], str] = _same,
) -> str:
    """Share answered and error rate among the answers, against the confidence threshold."""
    rows = sorted(rows, key=lambda r: r["threshold"])
    if not rows:
        return ""
    ax = _Axes(0, 1, 0, 1)
    body = ax.grid(_ticks(0, 1, 6), _ticks(0, 1, 6), lambda t: f"{t:.0%}", lambda t: f"{t:.0%}", _("threshold"))
    if max_error is not None:
        y = _fmt(ax.y(max_error))
        target = escape(_("target %(share)s") % {"share": f"{max_error:.0%}"})
        body.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{W - RIGHT}" y2="{y}" stroke="{ORANGE}" stroke-width="0.8"/>'
            f'<text x="{W - RIGHT}" y="{_fmt(ax.y(max_error) - 3)}" text-anchor="end" {FONT} fill="{ORANGE}">'
            f"{target}</text>"
        )
    if chosen is not None:
        x = _fmt(ax.x(chosen))
        said = escape(_("chosen"))
        body.append(
            f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{H - BOTTOM}" stroke="{INK}" stroke-dasharray="2 3"/>'
            f'<text x="{x}" y="{TOP - 3}" text-anchor="middle" {FONT} fill="{INK}">{said}</text>'
        )
    xs = [r["threshold"] for r in rows]
    body.append(ax.line(xs, [r["answered"] for r in rows], BLUE))
    body.append(ax.line(xs, [r["error"] for r in rows], ORANGE, dashed=True))
    return _frame(
        title or _("Share answered and error rate against the threshold"),
        body,
        [(_("share answered"), BLUE, False), (_("errors among answers"), ORANGE, True)],
    )

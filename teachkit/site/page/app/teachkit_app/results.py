"""Drawing results: every class with its confidence as a bar, sorted, and the verdict.

Labels are data, never markup: they only ever reach the page through ``textContent``.
"""

from __future__ import annotations

from typing import Any

import js

from teachkit_app.i18n import _
from teachkit_app.model import Result

#: How many guesses "not sure" names.
GUESSES = 2


def _el(tag: str, cls: str = "", text: str | None = None) -> Any:
    el = js.document.createElement(tag)
    if cls:
        el.className = cls
    if text is not None:
        el.textContent = text
    return el


def verdict_text(result: Result) -> str:
    if result.label is not None:
        return result.label
    if result.outlier:  # far from every class's training photos: none of them, whatever the bars say
        names = _(", ").join(name for name, _p in result.ranked)
        return _("This looks like none of: %(classes)s") % {"classes": names}
    # Labels go in as they are: only the words around them are translated.
    guesses = _(" or ").join(name for name, _p in result.ranked[:GUESSES])
    return _("Not sure (maybe %(guesses)s)") % {"guesses": guesses}


def fill_bars(bars: Any, result: Result) -> None:
    """Replace the contents of a bars list with one row per class, highest first."""
    rows = []
    for name, p in result.ranked:
        row = _el("li", "bar-row")
        row.append(_el("span", "bar-label", name))
        track = _el("span", "bar-track")
        track.setAttribute("aria-hidden", "true")  # the number beside it says it in words
        fill = _el("span", "bar-fill")
        fill.style.width = f"{100 * p:.1f}%"
        track.append(fill)
        row.append(track)
        row.append(_el("span", "bar-value", f"{100 * p:.0f}%"))
        rows.append(row)
    bars.replaceChildren(*rows)


def show_verdict(verdict: Any, result: Result) -> None:
    verdict.textContent = verdict_text(result)
    verdict.classList.toggle("not-sure", result.label is None and not result.outlier)
    verdict.classList.toggle("outlier", result.outlier)


def announce(region: Any, text: str) -> None:
    """Say ``text`` through the page's polite live region (``#announce``, absent from a teacher's
    own page): screen readers read it once, when the pupil pauses."""
    if region is not None:
        region.textContent = text


def card(name: str, thumbnail: Any, result: Result) -> Any:
    """One result in the grid: the picture (a small canvas, js/media.js thumbnail), the verdict
    and the bars."""
    article = _el("article", "result")
    article.dataset.label = result.label if result.label is not None else ""
    article.dataset.status = "ok" if result.label is not None else "outlier" if result.outlier else "not-sure"
    if thumbnail is not None:
        thumbnail.className = "thumb"
        thumbnail.setAttribute("role", "img")
        thumbnail.setAttribute("aria-label", name)
        article.append(thumbnail)
    article.append(_el("p", "file-name", name))
    verdict = _el("p", "verdict")
    show_verdict(verdict, result)
    article.append(verdict)
    bars = _el("ol", "bars")
    fill_bars(bars, result)
    article.append(bars)
    return article


def error_card(name: str, message: str) -> Any:
    """A picture that could not be classified: the name and why, in the same grid."""
    article = _el("article", "result error")
    article.dataset.status = "error"
    article.append(_el("p", "file-name", name))
    article.append(_el("p", "verdict", message))
    return article

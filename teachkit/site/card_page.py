"""The model card as a page of the site: its stylesheet, its charts, and thumbnails of the
evaluated photos (the numbers come from ``teachkit.evaluation.card.summary``).

Thumbnails are made only of photos inside the photos folder the teacher names: paths written in
a model's metrics.json never reach a site alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup
from PIL import Image

from teachkit import fileio
from teachkit.core import notsure
from teachkit.data import photos
from teachkit.errors import UnreadablePhoto
from teachkit.evaluation import card
from teachkit.site import charts

MAX_PHOTO_BYTES = 100 * 1024 * 1024  # a thumbnail's source: far above any camera's photo
THUMB = 112  # thumbnails' longer side, in pixels

CARD_CSS = """\
.card table { border-collapse: collapse; margin: .5rem 0 1rem; }
.card th, .card td { padding: .25rem .5rem; border: 1px solid #dde2ec; text-align: right; }
.card th { background: #f0f2f8; }
.card td.name, .card th.name { text-align: left; }
.card .headline { font-size: 1.15rem; }
.card .matrix td a { display: block; color: inherit; text-decoration: none; min-width: 2rem; }
.card .matrix td.zero { color: #aab; }
.card .matrix .l0 { background: #fff; } .card .matrix .l1 { background: #e6efff; }
.card .matrix .l2 { background: #c8dbff; } .card .matrix .l3 { background: #9dbdfb; }
.card .matrix .l4 { background: #6f9cf0; color: #fff; } .card .matrix .l5 { background: #2f6fdb; color: #fff; }
.card .matrix td.off.l1, .card .matrix td.off.l2 { background: #ffe3cc; }
.card .matrix td.off.l3, .card .matrix td.off.l4, .card .matrix td.off.l5 { background: #f5a05a; color: #000; }
.card .cell-photos { border: 1px solid #dde2ec; border-radius: .4rem; padding: .5rem; margin: .5rem 0; }
.card .cell-photos:not(:target) { display: none; }
.card .thumbs { display: flex; flex-wrap: wrap; gap: .4rem; list-style: none; padding: 0; }
.card .thumbs figure { margin: 0; width: 112px; font-size: .75rem; }
.card .thumbs img { max-width: 112px; max-height: 112px; display: block; }
.card .charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.card svg { max-width: 100%; height: auto; }
@media (max-width: 480px) {
  /* a phone: six classes' tables fit 360 px in a smaller type; a wider one scrolls in its own box */
  .card th, .card td { padding: .2rem .3rem; font-size: .8rem; }
  .card table { display: block; max-width: 100%; overflow-x: auto; }
}
.card .chosen { font-weight: bold; background: #fff6d6; }
.card .sev-error { color: #b00020; } .card .sev-warning { color: #9a5b00; }
@media print {
  .card .cell-photos:not(:target) { display: block; }
  header.top nav, footer { display: none; }
}
"""


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "marked for translation, translated later"
    """Marks a message for the catalog (pybabel extracts N_); it is translated per page language."""
    return message


NO_PHOTOS_FOLDER = N_(
    "Thumbnails of these photos appear when the site is made with the folder of photos they come from."
)
UNREADABLE_FOLDER = N_("The photos folder %(folder)s cannot be read, so the photos are not shown.")
SOME_MISSING = N_("%(n)s of the photos could not be found in %(folder)s or read, so they are not shown.")
#: The thumbnail note as (message, its values): the template's language translates it.
Note = tuple[str, dict[str, str]]


def _thumbnails(s: dict, folder: Path, prefix: str, photos_dir: Path | None) -> tuple[dict[str, str], Note | None]:
    """Small copies of the evaluated photos in ``folder`` (URL by photo path), or why there are none.

    Only files under ``photos_dir`` (the folder the teacher named) are read: metrics.json's own
    ``photos_root`` and paths are never trusted alone, or a model from elsewhere could publish the
    teacher's private pictures in a site."""
    if photos_dir is None:
        return {}, (NO_PHOTOS_FOLDER, {})
    try:
        root = Path(photos_dir).resolve(strict=True)
    except (OSError, RuntimeError):
        root = None
    if root is None or not root.is_dir():
        return {}, (UNREADABLE_FOLDER, {"folder": str(photos_dir)})
    paths = [p for c in s["cells"] for p in c["photos"]]
    urls: dict[str, str] = {}
    missing = 0
    folder.mkdir(parents=True, exist_ok=True)
    for i, rel in enumerate(paths):
        path = _find(root, rel)
        try:
            if path is None:
                raise UnreadablePhoto("not found")
            img = photos.decode(path)
        except UnreadablePhoto:
            missing += 1
            continue
        img.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS)
        name = f"{i:04d}.jpg"
        img.save(folder / name, quality=80)
        urls[rel] = f"{prefix}/{name}"
    if not missing:
        return urls, None
    return urls, (SOME_MISSING, {"n": str(missing), "folder": str(photos_dir)})


def _find(root: Path, rel: str) -> Path | None:
    """A photo of the card inside ``root`` (already resolved): at its path relative to the photos
    folder, else by its class folder and file name. Links are followed, but what they reach must
    still lie inside ``root`` and be a regular file of sane size (no pipe, no device)."""
    parts = Path(rel).parts
    for candidate in (root / rel, root.joinpath(*parts[-2:]) if parts else root):
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if real == root or not real.is_relative_to(root):
            continue
        try:
            if fileio.check_regular(real, "photo").st_size <= MAX_PHOTO_BYTES:
                return real
        except ValueError:
            continue
    return None


def _level(count: int, total: int) -> int:
    return 0 if not count or not total else 1 + min(4, int(count / total * 5))


def card_context(
    model_dir: Path, out_dir: Path, photos: Path | None = None, warn: Callable[[str], None] | None = None
) -> dict | None:
    """The Jinja context of ``model_card.html`` for a model, or None without a usable metrics.json.

    ``out_dir`` is the folder of the page that includes the card (the site's root): the card's
    stylesheet and the thumbnails of the evaluated photos are written into ``out_dir/card/`` and
    linked relative to the page. Thumbnails are made only of photos under ``photos`` (None: none,
    and the card says how to get them); ``warn`` says why a damaged metrics.json gives no card.
    """
    s = card.load_summary(model_dir, warn)
    return None if s is None else context(s, Path(out_dir), photos)


def context(s: dict, out_dir: Path, photos: Path | None = None) -> dict:
    """The template's context from a summary; writes the stylesheet and thumbnails (of photos under
    ``photos`` only) under out_dir/card/."""
    card_dir = out_dir / "card"
    card_dir.mkdir(parents=True, exist_ok=True)
    (card_dir / "card.css").write_text(CARD_CSS, encoding="utf-8")
    urls, thumbs_note = _thumbnails(s, card_dir / "thumbs", "card/thumbs", photos)
    labels = s["labels"]
    index = {label: i for i, label in enumerate(labels)}
    cell_ids = {(c["true"], c["predicted"]): f"cell-{index[c['true']]}-{index[c['predicted']]}" for c in s["cells"]}
    matrix = []
    for t, row in enumerate(s["confusion"]):
        total = sum(row)
        matrix.append(
            {
                "label": labels[t],
                "cells": [
                    {
                        "count": v,
                        "id": cell_ids.get((labels[t], labels[a])),
                        "level": _level(v, total),
                        "diagonal": t == a,
                        "predicted": labels[a],
                    }
                    for a, v in enumerate(row)
                ],
            }
        )
    cells = [
        {
            "id": cell_ids[(c["true"], c["predicted"])],
            "true": c["true"],
            "predicted": c["predicted"],
            "count": c["count"],
            "photos": [{"path": p, "name": Path(p).name, "src": urls.get(p)} for p in c["photos"]],
        }
        for c in s["cells"]
    ]
    ns = s["not_sure"]
    margin0 = [r for r in ns["sweep"] if r["margin"] == 0]
    chosen = notsure.chosen_row(ns["sweep"])
    table = list(margin0)
    if chosen is not None and chosen not in table:
        table.append(chosen)
    return {
        **s,
        "css": "card/card.css",
        "matrix": matrix,
        "cell_photos": cells,
        "thumbs_note_parts": thumbs_note,
        **translated(s, thumbs_note),
        "sweep_table": table,
        "chosen": chosen,
    }


def translated(s: dict, note: Note | None, _: Callable[[str], str] = charts._same) -> dict:
    """The card's words that are made here rather than in the template, in one language: the
    thumbnail note and the charts (titles, axes, legends). ``_`` is that language's gettext."""
    h = s["history"]
    ns = s["not_sure"]
    margin0 = [r for r in ns["sweep"] if r["margin"] == 0]
    chosen = ns["threshold"] if ns["margin"] == 0 else None
    return {
        "thumbs_note": _(note[0]) % note[1] if note else None,
        "charts": {
            "loss": Markup(
                charts.curve(_("Loss per epoch"), h.get("loss", []), h.get("val_loss", []), False, s["best_epoch"], _)
            ),
            "accuracy": Markup(
                charts.curve(
                    _("Accuracy per epoch"), h.get("accuracy", []), h.get("val_accuracy", []), True, s["best_epoch"], _
                )
            ),
            "reliability": Markup(charts.reliability(s["calibration"]["reliability"], "", _)),
            "sweep": Markup(charts.sweep(margin0, chosen, ns["max_error"], "", _)),
        },
    }


def in_language(card: dict, gettext: Callable[[str], str]) -> dict:
    """The card's context with its charts and thumbnail note in the language of ``gettext``."""
    return {**card, **translated(card, card["thumbs_note_parts"], gettext)}

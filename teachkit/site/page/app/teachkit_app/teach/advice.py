"""What ``teachkit check`` would tell the pupil about the lesson's examples, in a few sentences:
too few examples, unbalanced classes, the same picture in two classes, one lighting, one
background.

The thresholds are the build's (teachkit/data/report.py, which tuned them on real photos); the
same picture is found by its embedding (near-identical pictures have near-identical embeddings),
computed with TF.js in one matrix product, not by the build's perceptual hash (no NumPy here).
"""

from __future__ import annotations

import math
from typing import Any

from pyodide.ffi import create_once_callable, to_js

from teachkit_app.i18n import _
from teachkit_app.teach.lesson import Lesson

#: teachkit/data/report.py: MIN_PHOTOS_WARNING, IMBALANCE_RATIO, LIGHT_BRIGHTNESS_SPREAD,
#: LIGHT_WARMTH_SPREAD, BACKGROUND_SPREAD, BACKGROUND_SPREAD_BALANCED (a test holds them equal).
MIN_EXAMPLES_WARNING = 20
IMBALANCE_RATIO = 2.0
LIGHT_BRIGHTNESS_SPREAD = 0.04
LIGHT_WARMTH_SPREAD = 0.06
BACKGROUND_SPREAD = 0.018
BACKGROUND_SPREAD_BALANCED = 0.009
#: Cosine similarity of two embeddings from which two pictures of two classes are taken for the
#: same one. Stricter than the split's near copies (teachkit.core.recipe.BURST_SIMILARITY, 0.9,
#: where re-shot, re-lit or re-encoded copies measured 0.87-1.00): two different things held up in
#: front of one webcam and one background share most of the picture, and a pupil told "the same
#: picture" about them would be misled. Not measured on such webcam pairs yet; the very same
#: photo in two classes measures 1.0 (tests/teach/test_teach_page.py).
SAME_PICTURE = 0.99


def _spread(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def counts(lesson: Lesson) -> list[str]:
    out = []
    sizes = [len(c.examples) for c in lesson.classes]
    for c, n in zip(lesson.classes, sizes, strict=True):
        if 0 < n < MIN_EXAMPLES_WARNING:
            out.append(
                _("%(name)s has only %(n)d examples: with %(min)d or more, the model learns it better.")
                % {"name": c.name, "n": n, "min": MIN_EXAMPLES_WARNING}
            )
    if sizes and min(sizes) > 0 and max(sizes) > IMBALANCE_RATIO * min(sizes):
        big = lesson.classes[sizes.index(max(sizes))].name
        small = lesson.classes[sizes.index(min(sizes))].name
        out.append(
            _(
                "%(big)s has %(nbig)d examples and %(small)s only %(nsmall)d: the model will say %(big)s "
                "too often. Give the classes about as many examples."
            )
            % {"big": big, "nbig": max(sizes), "small": small, "nsmall": min(sizes)}
        )
    return out


def lighting(lesson: Lesson) -> list[str]:
    out = []
    for c in lesson.classes:
        colours = [e.colour for e in c.examples if e.colour]
        if len(colours) < 5:
            continue
        brightness = [0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] for c in colours]
        warmth = [math.log((c[0] + 0.02) / (c[2] + 0.02)) for c in colours]
        if _spread(brightness) < LIGHT_BRIGHTNESS_SPREAD and _spread(warmth) < LIGHT_WARMTH_SPREAD:
            out.append(
                _(
                    "Every example of %(name)s has the same light: the model may learn the light instead of "
                    "the thing. Add examples in other places and light."
                )
                % {"name": c.name}
            )
    return out


def _shares(rgb: list[float]) -> list[float]:
    """The red and green shares of a colour: the same under brighter or dimmer light."""
    total = sum(rgb) + 1e-3
    return [rgb[0] / total, rgb[1] / total]


def _borders(colour: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """report.borders on the page's numbers: each side's red and green shares (8 numbers), and
    the same after dividing by the picture's mean colour ("balanced": the light's colour out)."""
    grey = [v + 0.02 for v in colour[:3]]
    sides = [list(colour[k : k + 3]) for k in range(3, 15, 3)]
    plain = [v for side in sides for v in _shares(side)]
    balanced = [v for side in sides for v in _shares([c / g for c, g in zip(side, grey, strict=True)])]
    return plain, balanced


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _background_spread(borders: list[list[float]]) -> float:
    """report._background_spread: the median distance of the borders from their element-wise median."""
    typical = [_median([b[k] for b in borders]) for k in range(len(borders[0]))]
    return _median([sum(abs(v - t) for v, t in zip(b, typical, strict=True)) / len(b) for b in borders])


def background(lesson: Lesson) -> list[str]:
    """One background for a class, measured as ``teachkit check`` measures it, on the square the
    model sees (the build measures the whole photo, without letterbox bars)."""
    out = []
    for c in lesson.classes:
        found = [_borders(e.colour) for e in c.examples if e.colour and len(e.colour) >= 15]
        if len(found) < 5:
            continue
        plain = _background_spread([p for p, _b in found])
        balanced = _background_spread([b for _p, b in found])
        if plain < BACKGROUND_SPREAD and balanced < BACKGROUND_SPREAD_BALANCED:
            out.append(
                _(
                    "Every example of %(name)s has the same background: the model may learn the background "
                    "instead of the thing. Add examples in front of other backgrounds."
                )
                % {"name": c.name}
            )
    return out


def same_pictures(tf: Any, lesson: Lesson) -> list[str]:
    """Pairs of near-identical pictures in two classes (one sentence per pair of classes)."""
    owners = [k for k, c in enumerate(lesson.classes) for _e in c.examples]
    if len(set(owners)) < 2:
        return []
    flat = [x for c in lesson.classes for e in c.examples for x in e.embedding]
    n, width = len(owners), len(flat) // len(owners)

    def nearest() -> Any:
        e = tf.tensor2d(to_js(flat), to_js([n, width]))
        e = e.div(e.norm("euclidean", 1, True).add(1e-9))
        similarity = tf.matMul(e, e, False, True)
        same = tf.tensor1d(to_js(owners), "int32")
        # Pairs within one class do not count: pushed below any threshold.
        mask = tf.equal(same.expandDims(1), same.expandDims(0)).cast("float32").mul(4)
        other = similarity.sub(mask)
        return tf.stack(to_js([other.max(1), other.argMax(1).cast("float32")]))

    y = tf.tidy(create_once_callable(nearest))
    try:
        values = y.dataSync().to_py().tolist()
    finally:
        y.dispose()
    best, partner = values[:n], values[n:]
    pairs: set[tuple[int, int]] = set()
    for i in range(n):
        if best[i] >= SAME_PICTURE:
            a, b = owners[i], owners[int(partner[i])]
            pairs.add((min(a, b), max(a, b)))
    return [
        _(
            "The same picture (or almost the same) is in %(first)s and in %(second)s: "
            "check which class it belongs to, and delete it from the other."
        )
        % {"first": lesson.classes[a].name, "second": lesson.classes[b].name}
        for a, b in sorted(pairs)
    ]


def advise(tf: Any, lesson: Lesson) -> list[str]:
    """Every piece of advice that applies, the most important first."""
    return same_pictures(tf, lesson) + counts(lesson) + lighting(lesson) + background(lesson)

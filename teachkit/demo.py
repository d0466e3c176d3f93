"""The demo: a small synthetic dataset drawn with Pillow, then the whole pipeline on it.

Three classes of objects (circles, squares, triangles), each drawn in many colours, sizes and
positions, on varied backgrounds and under varied lighting: a model can only tell them apart by
their shape, which is the lesson about lighting that real datasets keep forgetting.
No third-party photo is involved.
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from teachkit.paths import user_cache

CLASSES = ("circle", "square", "triangle")
PER_CLASS = 40
SIZE = (320, 240)
VERSION = "1"  # bump to redraw cached demo photos


def default_cache() -> Path:
    """Where the demo photos are drawn: the user cache (the one rule, ``paths.user_cache``)."""
    return user_cache() / f"demo-photos-{VERSION}"


def _background(rng: random.Random) -> Image.Image:
    """A plain, two-tone or noisy background in a random colour."""
    w, h = SIZE
    c1 = tuple(rng.randrange(256) for _ in range(3))
    c2 = tuple(rng.randrange(256) for _ in range(3))
    img = Image.new("RGB", SIZE, c1)
    draw = ImageDraw.Draw(img)
    style = rng.randrange(3)
    if style == 1:  # a table edge or a wall: two tones
        y = rng.randrange(h // 3, h)
        draw.rectangle((0, y, w, h), fill=c2)
    elif style == 2:  # texture
        for _ in range(60):
            x, y = rng.randrange(w), rng.randrange(h)
            r = rng.randrange(3, 20)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=c2)
        img = img.filter(ImageFilter.GaussianBlur(3))
    return img


def _shape(draw: ImageDraw.ImageDraw, kind: str, cx: float, cy: float, r: float, angle: float, colour: tuple) -> None:
    if kind == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        return
    corners = 4 if kind == "square" else 3
    points = [
        (cx + r * math.cos(angle + 2 * math.pi * k / corners), cy + r * math.sin(angle + 2 * math.pi * k / corners))
        for k in range(corners)
    ]
    draw.polygon(points, fill=colour)


def draw_photo(kind: str, rng: random.Random) -> Image.Image:
    """One synthetic photo of ``kind``: random object colour, size, place, background and lighting."""
    img = _background(rng)
    draw = ImageDraw.Draw(img)
    w, h = SIZE
    r = rng.uniform(35, 80)
    cx, cy = rng.uniform(r, w - r), rng.uniform(r, h - r)
    colour = tuple(rng.randrange(256) for _ in range(3))
    _shape(draw, kind, cx, cy, r, rng.uniform(0, 2 * math.pi), colour)
    # Lighting: brighter or dimmer, warmer or colder, more or less contrast.
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.5, 1.4))
    img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.6, 1.3))
    warm = rng.uniform(-0.15, 0.15)
    red, green, blue = img.split()
    red = red.point(lambda v: min(255, int(v * (1 + warm))))
    blue = blue.point(lambda v: min(255, int(v * (1 - warm))))
    return Image.merge("RGB", (red, green, blue)).filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.2)))


def make_dataset(root: Path, per_class: int = PER_CLASS, seed: int = 0) -> Path:
    """Draw the demo photos into ``root``/<class>/ (kept between runs)."""
    for kind in CLASSES:
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            path = folder / f"{kind}-{i:03d}.jpg"
            if not path.exists():
                draw_photo(kind, random.Random(f"{seed}:{kind}:{i}")).save(path, quality=90)
    return root


def run_demo(args: argparse.Namespace) -> int:
    from teachkit.training.train import TrainOptions, train

    root = make_dataset(args.cache_dir or default_cache())
    print(f"Demo photos: {root} ({len(CLASSES)} classes x {PER_CLASS}, drawn by Teachkit)")
    model_dir = train(
        TrainOptions(photos=root, name="demo", models_dir=args.models_dir, base_from=args.base_from)
    ).model_dir
    if not args.no_site:
        from teachkit.site import build_site

        build_site(
            model_dir,
            args.out,
            title=args.title or "Teachkit demo: circle, square or triangle?",
            photos=root,
            lang=getattr(args, "lang", None),
        )
    return 0

"""Generated photo folders for the dataset report's tests: varied like real photos unless a test
asks for a problem, so that a clean one must raise no alarm."""

from __future__ import annotations

import colorsys
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

# tensorflow_decision_forests (pulled in by tensorflowjs) imports IPython for its welcome message
# whenever stdout is not a terminal, as under pytest; IPython is not installed.
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

#: Each class is one kind of object (a shape and a hue), as a real class is.
KINDS = {"apple": ("ellipse", 0.0), "leaf": ("polygon", 0.3), "cup": ("rectangle", 0.6), "pen": ("line", 0.8)}


def draw_photo(
    rng: random.Random,
    kind: str,
    size: tuple[int, int] = (320, 240),
    background: tuple[float, float, float] | None = None,
    light: tuple[float | None, float | None] | None = None,
) -> Image.Image:
    """One synthetic photo: a textured background, an object, then lighting (brightness, warmth).

    ``background`` (hue, saturation, value) and ``light`` (brightness factor, warmth) are drawn at
    random unless given: giving them makes every photo share that background or that light
    (a None in ``light`` keeps that part random).
    """
    w, h = size
    hue, sat, val = background or (rng.random(), rng.uniform(0.1, 0.8), rng.uniform(0.3, 0.95))
    top = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue, sat, val))
    bottom = tuple(int(255 * c) for c in colorsys.hsv_to_rgb((hue + 0.05) % 1, sat, val * 0.8))
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    for y in range(h):
        t = y / h
        d.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    # texture: a few faint blotches so backgrounds are not flat
    for _ in range(12):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.randrange(5, 30)
        shade = tuple(max(0, min(255, c + rng.randrange(-25, 25))) for c in top)
        d.ellipse([x - r, y - r, x + r, y + r], fill=shade)
    shape, obj_hue = KINDS[kind]
    colour = tuple(
        int(255 * c) for c in colorsys.hsv_to_rgb((obj_hue + rng.uniform(-0.04, 0.04)) % 1, 0.7, rng.uniform(0.5, 0.9))
    )
    cx, cy = w // 2 + rng.randrange(-w // 8, w // 8), h // 2 + rng.randrange(-h // 8, h // 8)
    r = rng.randrange(min(w, h) // 6, min(w, h) // 3)
    if shape == "ellipse":
        d.ellipse([cx - r, cy - int(r * 0.8), cx + r, cy + int(r * 0.8)], fill=colour)
    elif shape == "rectangle":
        d.rectangle([cx - int(r * 0.7), cy - r, cx + int(r * 0.7), cy + r], fill=colour)
    elif shape == "polygon":
        d.polygon([(cx, cy - r), (cx + r, cy + r // 2), (cx - r, cy + r // 2)], fill=colour)
    else:
        d.line([(cx - r, cy + r), (cx + r, cy - r)], fill=colour, width=max(4, r // 5))
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    brightness, warmth = light or (None, None)
    brightness = rng.uniform(0.6, 1.2) if brightness is None else brightness
    warmth = rng.uniform(-0.15, 0.15) if warmth is None else warmth
    gains = (brightness * (1 + warmth), brightness, brightness * (1 - warmth))
    channels = [ch.point(lambda v, g=g: min(255, int(v * g))) for ch, g in zip(img.split(), gains, strict=True)]
    return Image.merge("RGB", channels)


MakePhotos = Callable[..., Path]


@pytest.fixture
def draw() -> Callable[..., Image.Image]:
    """``draw_photo`` for tests that build a class photo by photo."""
    return draw_photo


@pytest.fixture
def make_photos(tmp_path: Path) -> MakePhotos:
    """``make_photos({"apple": 24, "leaf": 24}, seed=0, **per_class_options)`` writes a folder of
    JPEGs, one sub-folder per class, and returns it. Per-class options (dicts by label):
    ``background``/``light`` (fixed for the class, see draw_photo), ``size``."""

    def make(counts: dict[str, int], seed: int = 0, name: str = "photos", **options: dict) -> Path:
        rng = random.Random(seed)
        root = tmp_path / name
        for label, n in counts.items():
            folder = root / label
            folder.mkdir(parents=True)
            for i in range(n):
                kw = {k: v[label] for k, v in options.items() if label in v}
                draw_photo(rng, label, **kw).save(folder / f"{label}{i:03d}.jpg", quality=90)
        return root

    return make


@pytest.fixture(scope="session")
def trained_trashnet(tmp_path_factory: pytest.TempPathFactory, trashnet: Path, base_export: Path) -> Path:
    """A real model trained on trashnet-subset by the real pipeline (no augmentation and 5 epochs,
    to stay quick): its folder, with metrics.json and dataset-report.json."""
    import io

    from teachkit.training.train import Recipe, TrainOptions, train

    models = tmp_path_factory.mktemp("models")
    opts = TrainOptions(
        photos=trashnet,
        models_dir=models,
        base_from=base_export,
        recipe=Recipe(augment=False, epochs=5, seed=0),
        out=io.StringIO(),
    )
    return train(opts).model_dir

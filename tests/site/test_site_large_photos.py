"""Phone-sized photos: the halving pyramid, EXIF orientation and transparency, page against build.

Photos from phones are large (the build decodes JPEGs with Pillow's DCT "draft" downscaling), are
often stored sideways with an EXIF orientation tag, and PNGs may be transparent. The page must
still give the build's probabilities (within 0.01, same top class).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def make_photos(src: list[Path], out: Path) -> list[Path]:
    made = []
    for i, path in enumerate(src):
        img = Image.open(path).convert("RGB")
        if i % 3 == 0:  # a 12-megapixel-like JPEG: the draft decoder and several halvings
            big = img.resize((4032, 3024), Image.BICUBIC)
            made.append(out / f"big{i}.jpg")
            big.save(made[-1], quality=92)
        elif i % 3 == 1:  # stored sideways, with the EXIF tag that turns it upright
            big = img.resize((1600, 1200), Image.BICUBIC).transpose(Image.Transpose.ROTATE_90)
            exif = Image.Exif()
            exif[0x0112] = 6  # rotate 90 CW to display
            made.append(out / f"rotated{i}.jpg")
            big.save(made[-1], quality=92, exif=exif)
        else:  # transparent corners, composited over white by both
            rgba = img.resize((700, 500)).convert("RGBA")
            alpha = Image.new("L", rgba.size, 255)
            alpha.paste(0, (0, 0, 200, 150))
            alpha.paste(128, (500, 350, 700, 500))
            rgba.putalpha(alpha)
            made.append(out / f"alpha{i}.png")
            rgba.save(made[-1])
    return made


def test_large_rotated_and_transparent_photos_match_the_build(hosted, tools, build_step, tm_exports, tmp_path) -> None:
    export = tm_exports / "animals-4class"
    photos = make_photos([p for _, p in tools.samples(export, per_class=2)], tmp_path)
    labels, expected = build_step(export, photos)
    got = []
    for path in photos:
        r = hosted.classify_file(path)
        by = {x["label"]: x["probability"] for x in r["probabilities"]}
        got.append([by[name] for name in labels])
    diff = np.abs(np.array(got) - expected).max(axis=1)
    report = ", ".join(f"{p.name}: {d:.4f}" for p, d in zip(photos, diff, strict=True))
    print(f"page vs build, max abs difference per photo: {report}")
    assert diff.max() <= 0.01, report
    assert (np.array(got).argmax(axis=1) == expected.argmax(axis=1)).all(), report


def test_a_very_large_png_is_decoded_downscaled_like_the_build(hosted, tools, build_step, tm_exports, tmp_path) -> None:
    """A 6400 x 4800 PNG (31 megapixels; Pillow has no draft for PNG, so the build halves it from
    full size): the page decodes it at 1/8 (createImageBitmap's resize, from mipmaps) and must
    still give the build's probabilities."""
    export = tm_exports / "animals-4class"
    photos = []
    for i, (_, src) in enumerate(tools.samples(export, per_class=1)):
        photos.append(tmp_path / f"huge{i}.png")
        Image.open(src).convert("RGB").resize((6400, 4800), Image.BICUBIC).save(photos[-1], compress_level=1)
    labels, expected = build_step(export, photos)
    got = []
    for path in photos:
        by = {x["label"]: x["probability"] for x in hosted.classify_file(path)["probabilities"]}
        got.append([by[name] for name in labels])
    diff = np.abs(np.array(got) - expected).max(axis=1)
    print("page vs build, max abs difference per photo:", ", ".join(f"{d:.4f}" for d in diff))
    assert diff.max() <= 0.01
    assert (np.array(got).argmax(axis=1) == expected.argmax(axis=1)).all()

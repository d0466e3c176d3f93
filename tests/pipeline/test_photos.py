"""Photos in: every format a class of phones and laptops produces, and every way a file can be bad."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from teachkit.data import photos


def _save(img: Image.Image, path: Path, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kw)
    return path


def _gradient(w: int = 120, h: int = 80) -> Image.Image:
    x = np.linspace(0, 255, w, dtype=np.uint8)[None, :, None].repeat(h, 0).repeat(3, 2)
    x[..., 1] = 90
    return Image.fromarray(x)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("a.jpg", {}), ("a.png", {}), ("a.webp", {}), ("a.bmp", {}), ("a.tiff", {}), ("a.gif", {}), ("a.heic", {})],
)
def test_common_formats_decode_to_rgb(tmp_path: Path, name: str, kwargs: dict) -> None:
    path = _save(_gradient(), tmp_path / name, **kwargs)
    img = photos.decode(path)
    assert img.mode == "RGB" and img.size == (120, 80)
    assert abs(int(np.asarray(img)[40, 60, 1]) - 90) < 20


def test_rgba_is_composited_over_white(tmp_path: Path) -> None:
    img = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    img.putpixel((0, 0), (0, 0, 255, 255))
    out = np.asarray(photos.decode(_save(img, tmp_path / "t.png")))
    assert tuple(out[5, 5]) == (255, 255, 255)
    assert tuple(out[0, 0]) == (0, 0, 255)


def test_palette_with_transparency_is_composited_over_white(tmp_path: Path) -> None:
    img = Image.new("P", (8, 8), 0)
    img.putpalette([0, 0, 0, 10, 200, 10] + [0] * 762)
    img.putpixel((1, 1), 1)
    img.info["transparency"] = 0
    out = np.asarray(photos.decode(_save(img, tmp_path / "p.png", transparency=0)))
    assert tuple(out[0, 0]) == (255, 255, 255)
    assert tuple(out[1, 1]) == (10, 200, 10)


def test_sixteen_bit_greyscale_keeps_its_brightness(tmp_path: Path) -> None:
    arr = np.full((6, 6), 40000, dtype=np.uint16)
    path = _save(Image.fromarray(arr), tmp_path / "g16.png")
    assert Image.open(path).mode.startswith("I")
    out = np.asarray(photos.decode(path))
    assert abs(int(out[0, 0, 0]) - 40000 // 256) <= 1  # not clipped to 255


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    path = _save(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), tmp_path / "c.jpg")
    out = np.asarray(photos.decode(path))
    assert out.shape == (16, 16, 3)
    assert out[8, 8, 0] > 200 and out[8, 8, 1] < 60  # red


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    img = Image.new("RGB", (40, 20), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = _save(img, tmp_path / "r.jpg", exif=exif.tobytes())
    assert photos.decode(path).size == (20, 40)


def test_gif_uses_the_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (10, 10), c) for c in ((250, 0, 0), (0, 0, 250))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    assert np.asarray(photos.decode(path))[5, 5, 0] > 200


def test_large_jpeg_decodes_in_draft_mode_but_keeps_enough_pixels(tmp_path: Path) -> None:
    path = _save(_gradient(4000, 3000), tmp_path / "big.jpg", quality=80)
    img = photos.decode(path)
    assert img.size == (1000, 750)  # 1/4 in the DCT: the short side stays >= 448 (twice the model's input)
    assert photos.decode(path, draft=False).size == (4000, 3000)


@pytest.mark.parametrize(
    ("content", "why"),
    [(b"this is not a picture", "not a picture"), (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "damaged")],
)
def test_garbage_is_refused_with_a_reason(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=why):
        photos.decode(path)


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    _gradient(400, 300).save(buf, format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ValueError, match="damaged or incomplete"):
        photos.decode(path)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own notice, expected
def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    path = _save(Image.new("L", (10_000, 10_000)), tmp_path / "bomb.png")  # 100 MP, a few hundred KB
    assert path.stat().st_size < 2_000_000
    with pytest.raises(ValueError, match="too large"):
        photos.decode(path)


def test_scan_finds_classes_and_reports_what_it_passes_over(tmp_path: Path) -> None:
    _save(_gradient(), tmp_path / "Class 1" / "a.jpg")
    _save(_gradient(), tmp_path / "고양이" / "b.png")
    _save(_gradient(), tmp_path / "고양이" / ".hidden.jpg")
    (tmp_path / "고양이" / "notes.txt").write_text("hello")
    (tmp_path / "empty").mkdir()
    (tmp_path / ".DS_Store").write_text("x")
    (tmp_path / "loose.jpg").write_bytes(b"x")
    found = photos.scan(tmp_path)
    assert found.labels == ["Class 1", "고양이"]
    reasons = {p.path.name: p.reason for p in found.skipped}
    assert set(reasons) == {"notes.txt", "empty", "loose.jpg"}
    assert "not an image" in reasons["notes.txt"] and "empty" in reasons["empty"]


def test_fewer_than_two_classes_is_a_clear_error(tmp_path: Path) -> None:
    _save(_gradient(), tmp_path / "only" / "a.jpg")
    with pytest.raises(photos.PhotoError, match="at least 2 class folders"):
        photos.require_classes(photos.scan(tmp_path))
    with pytest.raises(photos.PhotoError, match="no folder"):
        photos.scan(tmp_path / "missing")

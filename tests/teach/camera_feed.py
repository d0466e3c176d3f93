"""Fake camera feeds made from real photos, for Chromium's ``--use-file-for-fake-video-capture``.

Chromium plays the file as the webcam, looping. Each photo fills the 320x240 frame (cropped to it,
as a webcam sees a scene) for a few frames, like a pupil holding up one thing after another.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

WIDTH, HEIGHT, FPS = 320, 240, 10


def write_y4m(photos: list[Path], out: Path, frames_each: int = 5) -> Path:
    """A raw YUV4MPEG2 4:2:0 video (what Chromium's fake camera reads) of ``photos``."""
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for path in photos:
            with Image.open(path) as img:
                frame = ImageOps.fit(ImageOps.exif_transpose(img).convert("RGB"), (WIDTH, HEIGHT))
            ycc = np.asarray(frame.convert("YCbCr"), dtype=np.float32)
            y = ycc[:, :, 0].round().astype(np.uint8)
            half = [ycc[:, :, c].reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3)) for c in (1, 2)]
            cb, cr = (h.round().astype(np.uint8) for h in half)
            for _ in range(frames_each):
                f.write(b"FRAME\n" + y.tobytes() + cb.tobytes() + cr.tobytes())
    return out

"""Memory stays flat: 500 predictions (photos and video frames) leave as many TF.js tensors as
after the warm-up, and Python objects and Pyodide proxies do not pile up."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PYTHON_OBJECTS = """
import gc, sys
gc.collect()
len(gc.get_objects())
"""


def counts(page) -> dict[str, int]:
    return {
        "tensors": page.evaluate("tf.memory().numTensors"),
        "python_objects": page.evaluate(f"teachkitPyodide.runPython({PYTHON_OBJECTS!r})"),
    }


def test_500_predictions_leave_memory_flat(hosted, tools, tm_exports: Path) -> None:
    photos = [base64.b64encode(p.read_bytes()).decode() for _, p in tools.samples(tm_exports / "animals-4class", 2)]
    # one round first: anything created once (caches, compiled kernels) is not a leak
    hosted.page.evaluate(
        "async (all) => { for (const b of all) await teachkit.classify(new Blob([Uint8Array.fromBase64(b)])); }",
        photos,
    )
    before = counts(hosted.page)
    done = hosted.page.evaluate(
        """async ([all, nPhotos, nFrames]) => {
            const blobs = all.map((b) => new Blob([Uint8Array.fromBase64(b)], {type: 'image/jpeg'}));
            for (let i = 0; i < nPhotos; i++) await teachkit.classify(blobs[i % blobs.length]);
            // video frames: a canvas animated into a MediaStream, played by a <video>, as a webcam is
            const canvas = document.createElement('canvas'); canvas.width = 320; canvas.height = 240;
            const ctx = canvas.getContext('2d');
            const video = document.createElement('video'); video.muted = true;
            video.srcObject = canvas.captureStream(30);
            const draw = (i) => { ctx.fillStyle = `hsl(${i * 7 % 360} 70% 50%)`; ctx.fillRect(0, 0, 320, 240); };
            draw(0); await video.play();
            for (let i = 0; i < nFrames; i++) {
                draw(i);
                await new Promise((r) => requestAnimationFrame(r));
                await teachkit.classify(video);
            }
            video.srcObject.getTracks().forEach((t) => t.stop());
            return nPhotos + nFrames;
        }""",
        [photos, 400, 100],
    )
    assert done == 500
    after = counts(hosted.page)
    assert after["tensors"] == before["tensors"]
    # a leak per prediction would add 500 or more objects
    assert after["python_objects"] - before["python_objects"] < 100, (before, after)

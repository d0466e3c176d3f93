"""Pyodide code the Teach page tests and bench/teach.py run in the page (no test imports: the
bench reads it too)."""

from __future__ import annotations


def embeddings_lesson(handed: str) -> str:
    """Pyodide code that puts the embeddings handed to the page in the JS global ``handed``
    ({embeddings: float32 bytes in base64, counts: examples per class}) into ``lesson``:
    [class][example] (tests/teach/test_recipe_page.py and bench/teach.py hand them alike)."""
    return rf"""
import js
from array import array
raw = array("f")
raw.frombytes(bytes(js.Uint8Array.fromBase64(js.{handed}.embeddings).to_py()))
counts = list(js.{handed}.counts.to_py())
width = len(raw) // sum(counts)
lesson, k = [], 0
for n in counts:
    lesson.append([raw[(k + j) * width : (k + j + 1) * width].tolist() for j in range(n)])
    k += n
"""

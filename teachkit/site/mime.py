"""The one table of MIME types: what ``serve`` sends and what the asset registry answers ``fetch``
with (a ``.wasm`` must be ``application/wasm`` for streaming compilation, scripts
``text/javascript``)."""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

TYPES = {
    ".wasm": "application/wasm",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".css": "text/css",
    ".html": "text/html; charset=utf-8",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".bin": "application/octet-stream",
}


def of(path: str | PurePath) -> str:
    """The MIME type of a file by its name (``application/octet-stream`` when unknown)."""
    suffix = PurePath(path).suffix.lower()
    return TYPES.get(suffix) or mimetypes.types_map.get(suffix, "application/octet-stream")

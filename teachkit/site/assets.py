"""Binaries as classic scripts: the one loading mechanism for hosted sites and for file://.

Chromium refuses ``fetch`` and module imports on file:// pages but runs classic ``<script src>``.
So every binary the page needs (wasm, the Python standard library, the app's wheel, the model) is
also written as ``NAME.js``, a script that registers its gzip-compressed, base64-encoded bytes with
``js/registry.js``; the registry answers ``fetch`` for those URLs. A web host serves the same files,
so there is one site, not two; a host that sends ``.wasm`` with the wrong MIME type does not matter.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

import zopfli.gzip

from teachkit import fileio
from teachkit.paths import user_cache
from teachkit.site import mime


def _encoded(data: bytes, best: bool) -> str:
    """gzip + base64 of ``data``, cached by content. ``best``: zopfli's gzip, which any gzip
    reader reads. Measured on Pyodide's wasm (9.6 MB): 3.415 MB against zlib -9's 3.529 MB, in 9 s
    against 0.8 s (one iteration; five gained 3 KB more in 12 s): worth it for the runtime, the
    same for every site and compressed once per machine, not for a model's weights (floats)."""
    digest = hashlib.sha256(data).hexdigest()
    cached = user_cache() / "encoded" / f"{digest}{'.zopfli' if best else ''}.b64"
    try:  # the cache's own file: bounded, never blocking (the largest is Pyodide's wasm, 6 MB)
        return fileio.read_bytes(cached, 2**26, "cached asset").decode("ascii")
    except (ValueError, UnicodeDecodeError):
        pass
    packed = zopfli.gzip.compress(data, numiterations=1) if best else gzip.compress(data, compresslevel=9, mtime=0)
    text = base64.b64encode(packed).decode("ascii")
    fileio.write_bytes(cached, text.encode("ascii"))  # atomic: builds may run side by side
    return text


def write_asset(dist: Path, rel: str, data: bytes, best: bool = False) -> int:
    """Write ``dist/rel.js`` registering ``data`` as the file ``rel``; returns the script's size.
    ``best``: the smallest gzip there is, for the runtime (``_encoded``)."""
    script = (
        "teachkitAssets.register("
        + json.dumps(rel)
        + ","
        + json.dumps(mime.of(rel))
        + f',{len(data)},"'
        + _encoded(data, best)
        + '");\n'
    )
    target = dist / f"{rel}.js"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(script, encoding="ascii")
    return len(script)

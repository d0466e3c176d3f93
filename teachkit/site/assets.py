"""Binaries as classic scripts: the one loading mechanism for hosted sites and for file://.

Chromium refuses ``fetch`` and module imports on file:// pages but runs classic ``<script src>``.
So every binary the page needs (wasm, the Python standard library, the app's wheel, the model) is
also written as ``NAME.js``, a script that registers its gzip-compressed, base64-encoded bytes with
``js/registry.js``; the registry answers ``fetch`` for those URLs. A web host serves the same files,
so there is one site, not two; a host that sends ``.wasm`` with the wrong MIME type does not matter.

A model's weights (float32) are written byte-shuffled (``FLOAT_BYTES``): the first byte of every
number, then the second, and so on, as HDF5's and Blosc's shuffle filters do. The exponent bytes
then sit together and gzip finds them alike: a 6-class trashnet model's weights.bin (2.64 MB)
gzips to 2.23 MB instead of 2.44, 0.28 MB less in its script (its site: 11.87 MB against 12.15,
with the card's thumbnails). The registry puts them back, once, at the start: 6-10 ms for those
2.6 MB in Chromium.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
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


#: The bytes of one number of a model's weights (float32): the stride of their shuffle.
FLOAT_BYTES = 4


def shuffled(data: bytes, stride: int) -> bytes:
    """Byte ``k`` of every ``stride``-byte number, for k = 0, 1, ...: ``unshuffled`` undoes it,
    and so does js/registry.js."""
    return b"".join(data[k::stride] for k in range(stride))


def unshuffled(data: bytes, stride: int) -> bytes:
    """The bytes ``shuffled`` was given."""
    out = bytearray(len(data))
    n = len(data) // stride
    for k in range(stride):
        out[k::stride] = data[k * n : (k + 1) * n]
    return bytes(out)


def write_asset(dist: Path, rel: str, data: bytes, best: bool = False, stride: int = 1) -> int:
    """Write ``dist/rel.js`` registering ``data`` as the file ``rel``; returns the script's size.
    ``best``: the smallest gzip there is, for the runtime (``_encoded``). ``stride``: the bytes of
    one number, to write them shuffled (a model's weights: ``FLOAT_BYTES``)."""
    if stride > 1 and len(data) % stride:
        raise ValueError(f"{rel} holds {len(data)} bytes, not a whole number of {stride}-byte numbers")
    encoded = _encoded(shuffled(data, stride), best) if stride > 1 else _encoded(data, best)
    script = (
        "teachkitAssets.register("
        + json.dumps(rel)
        + ","
        + json.dumps(mime.of(rel))
        + f',{len(data)},"'
        + encoded
        + ('");\n' if stride == 1 else f'",{stride});\n')
    )
    target = dist / f"{rel}.js"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(script, encoding="ascii")
    return len(script)


#: What ``write_asset`` writes: register(name, MIME type, size, gzip + base64[, stride]).
_SCRIPT = re.compile(
    r'teachkitAssets\.register\(("(?:[^"\\]|\\.)*"),("[^"]*"),(\d+),"([A-Za-z0-9+/=]*)"(?:,(\d+))?\);\n?'
)


def read_asset(script: str) -> tuple[str, bytes]:
    """The file name and the bytes a script ``write_asset`` wrote registers (as the registry reads it)."""
    m = _SCRIPT.fullmatch(script)
    if not m:
        raise ValueError("not a script that registers an asset")
    data = gzip.decompress(base64.b64decode(m.group(4)))
    stride = int(m.group(5) or 1)
    return json.loads(m.group(1)), unshuffled(data, stride) if stride > 1 else data

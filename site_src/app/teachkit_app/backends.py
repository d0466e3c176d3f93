"""Choosing the TF.js backend: WebGL where the browser has it, else wasm, else cpu.

``?backend=wasm`` (or webgl, cpu) in the page's address forces one, for testing and for teachers
whose machines misbehave; a backend that cannot start falls back to the next one, with a note.
"""

from __future__ import annotations

from typing import Any

import js

ORDER = ("webgl", "wasm", "cpu")
NOTES = {
    "webgl": "This browser cannot use WebGL (graphics acceleration), so the model runs on wasm instead: "
    "a little slower, same answers.",
    "wasm": "WebAssembly could not start; the model runs on the plain JavaScript backend (slower).",
}


async def _wasm_paths(tf: Any, wasm_files: dict[str, str]) -> None:
    """Point the wasm backend at blob: URLs of its binaries (it loads them by URL, which file://
    pages cannot do); threads need SharedArrayBuffer, which a static site does not get."""
    urls = {name: await js.teachkitAssets.blobURL(path) for name, path in wasm_files.items()}
    simd = urls.get("tfjs-backend-wasm-simd.wasm") or next(iter(urls.values()))
    urls.setdefault("tfjs-backend-wasm-threaded-simd.wasm", simd)
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", False)
    from teachkit_app.jsutil import to_object

    tf.wasm.setWasmPaths(to_object(urls))


async def choose(tf: Any, wanted: str | None, wasm_files: dict[str, str]) -> tuple[str, list[str]]:
    """Start the first backend that works; returns its name and notes for the pupil."""
    order = list(ORDER)
    if wanted in ORDER:
        order.remove(wanted)
        order.insert(0, wanted)
    notes: list[str] = []
    for name in order:
        try:
            if name == "wasm":
                await _wasm_paths(tf, wasm_files)
            ok = await tf.setBackend(name)
            if ok:
                await tf.ready()
        except Exception as e:  # a backend that throws is a backend that does not work here
            js.console.warn(f"TF.js backend {name} failed: {e}")
            ok = False
        if ok:
            return name, notes
        if name in NOTES:
            notes.append(NOTES[name])
    raise RuntimeError("no TF.js backend could start in this browser")

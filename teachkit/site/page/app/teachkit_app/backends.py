"""What the pupil is told about the TF.js backend that runs the model.

``js/tfstart.js`` starts the backend while Python starts (WebGL, then wasm, then cpu; a WebGL
drawn in software goes after wasm; where the renderer's name does not say, the faster of WebGL and
wasm, timed on the model once and remembered by the browser; ``?backend=wasm``, ``webgl`` or
``cpu`` forces one first). It reports the backends that could not start; this module words them.
A backend that started but was slower is not one of them: nothing failed, there is nothing to say.
"""

from __future__ import annotations

from collections.abc import Iterable

from teachkit_app.i18n import N_, _

NOTES = {
    "webgl": N_(
        "This browser cannot use WebGL (graphics acceleration), so the model runs on wasm instead: "
        "a little slower, same answers."
    ),
    "wasm": N_("WebAssembly could not start; the model runs on the plain JavaScript backend (slower)."),
}


def notes(failed: Iterable[str]) -> list[str]:
    """One note for each backend that could not start (cpu failing leaves no page to note it on),
    in the page's language."""
    return [_(NOTES[name]) for name in failed if name in NOTES]

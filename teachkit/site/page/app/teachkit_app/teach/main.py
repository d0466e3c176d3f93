"""The Teach page's start-up (``teachkit_app.main.start`` hands over on ``<body class="page-teach">``):
the base js/tfstart.js started, the kept lesson, the page's controls and ``window.teachkit.teach``.

Everything the page uses from JavaScript is handed over by js/loader.js and passed down from here
as arguments (TF.js, js/media.js, js/api.js's bridge, js/teachstore.js, js/registry.js).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js

from teachkit_app import backends, i18n
from teachkit_app.jsutil import present, ready
from teachkit_app.pictures import Pictures
from teachkit_app.teach.api import TeachApi
from teachkit_app.teach.embedder import Embedder
from teachkit_app.teach.page import TeachPage
from teachkit_app.teach.store import Store
from teachkit_app.teach.teacher import Teacher

#: What start() made; kept so that nothing the page uses is garbage-collected.
state: dict[str, Any] = {}


async def start(
    status: Callable[[str], None], tf_started: Any, tf: Any, media: Any, bridge: Any, keep: Any, assets: Any
) -> str | None:
    """Returns why the page could not start (None: it did)."""
    try:
        started = await tf_started
        model_dir = _model_dir()
        embedder = Embedder.from_started(tf, started, model_dir)
        pictures = Pictures(media, embedder.size)
        page = TeachPage(media, pictures) if present(js.document.getElementById("classes")) else None
        store = Store(keep, model_dir, page.say if page else _console)
        teacher = Teacher(tf, embedder, pictures, media, store)
        status(i18n._("Opening your lesson…"))
        if page is not None:
            page.wire(teacher, assets, model_dir)
            for note in backends.notes(started.failed.to_py()):
                page.say(note, kind="info")
        await teacher.load()
        api = TeachApi(teacher, assets, model_dir, page)
        state.update(started=started, embedder=embedder, teacher=teacher, page=page, api=api)
        ready(status, str(started.backend), bridge, api.to_js())
    except Exception as e:
        js.console.error(f"teachkit: the Teach page's start failed: {e!r}")
        return str(e)
    return None


def _model_dir() -> str:
    """The site's model folder (``model-<hash>/``, from the page's config): its files are the base."""
    import json

    config = json.loads(str(js.document.getElementById("teachkit-config").textContent))
    return str(config["model"]["dir"])


def _console(text: str) -> None:
    js.console.warn(f"teachkit: {text}")

"""Start-up, behind the loading screen: backend, model, warm-up, then the page and the API."""

from __future__ import annotations

from typing import Any

import js

from teachkit_app import backends
from teachkit_app.api import Api
from teachkit_app.jsutil import present
from teachkit_app.model import Classifier
from teachkit_app.page import Page

#: What start() made; kept so that nothing the page uses is garbage-collected.
state: dict[str, Any] = {}


async def start(config: Any, status: Any) -> None:
    """Called once by js/loader.js; connects ``window.teachkit`` when the model is warm."""
    cfg = config.to_py()
    tf = js.tf
    try:
        wanted = js.URLSearchParams.new(js.location.search).get("backend")
        status("Starting TensorFlow.js…")
        backend, notes = await backends.choose(tf, str(wanted) if wanted else None, cfg["tfjsWasm"])
        status("Loading the model…")
        classifier = await Classifier.load(tf, cfg["model"]["dir"])
        status("Warming up the model…")
        await classifier.warm_up()
        # A teacher's own page (a game, a quiz) may carry only the API: no classifier controls.
        page = Page(classifier) if present(js.document.getElementById("results")) else None
        if page is not None:
            page.wire()
            for note in notes:
                page.say(note, kind="info")
        api = Api(classifier)
        state.update(classifier=classifier, page=page, api=api)
        badge = js.document.getElementById("backend")
        if present(badge):
            badge.textContent = backend
            badge.dataset.backend = backend
        js.document.body.classList.add("ready")
        js.teachkitBridge.connect(api.to_js())
    except Exception as e:
        message = f"The page could not start: {e}"
        status(message)
        js.document.body.classList.add("failed")
        js.teachkitBridge.fail(message)
        js.console.error(f"teachkit: start-up failed: {e!r}")

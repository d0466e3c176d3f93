"""Start-up, behind the loading screen: take over the model that js/tfstart.js started while
Python started, warm up the page's own path, then wire the page and the API.

js/loader.js hands over every page object the Python uses (TF.js, js/media.js, js/api.js's
bridge); they are passed down from here as arguments, never read from the page's globals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js

from teachkit_app import backends, i18n
from teachkit_app.api import Api
from teachkit_app.jsutil import present, ready
from teachkit_app.model import Classifier
from teachkit_app.page import Page
from teachkit_app.pictures import Pictures

#: What start() made; kept so that nothing the page uses is garbage-collected.
state: dict[str, Any] = {}


async def start(
    status: Callable[[str], None],
    tf_started: Any,
    tf: Any,
    media: Any,
    bridge: Any,
    keep: Any = None,
    assets: Any = None,
) -> str | None:
    """Called once by js/loader.js with ``status`` (the loading screen's line), the promise of the
    started model, TF.js (``tf``), js/media.js (``media``) and js/api.js's ``bridge``; connects
    ``window.teachkit`` when the page is ready. Returns why it could not start (None: it did).
    The Teach page (``<body class="page-teach">``) starts its own Python with ``keep``
    (js/teachstore.js) and ``assets`` (js/registry.js) too."""
    # The page's language (its <html lang>, which the build set for each copy of the page).
    i18n.use(str(js.document.documentElement.lang or "en"))
    if js.document.body.classList.contains("page-teach"):
        from teachkit_app.teach import main as teach_main

        return await teach_main.start(status, tf_started, tf, media, bridge, keep, assets)
    try:
        started = await tf_started  # at once: the loader lets TF.js finish before Python starts
        classifier = Classifier.from_started(tf, started)
        status(i18n._("Preparing the page…"))
        await classifier.warm_up()
        # One way to open a picture, for the page's buttons and for window.teachkit alike.
        pictures = Pictures(media, classifier.size)
        # A teacher's own page (a game, a quiz) may carry only the API: no classifier controls.
        page = Page(classifier, pictures, media) if present(js.document.getElementById("results")) else None
        if page is not None:
            page.wire()
            for note in backends.notes(started.failed.to_py()):
                page.say(note, kind="info")
        api = Api(classifier, pictures)
        state.update(classifier=classifier, pictures=pictures, page=page, api=api)
        ready(status, str(started.backend), bridge, api.to_js())
    except Exception as e:
        js.console.error(f"teachkit: start-up failed: {e!r}")
        return str(e)
    return None

"""``window.teachkit``: the page's own path (pixels -> preprocess -> predict -> decide), for other
pages and for the tests. ``js/api.js`` holds the promise; this module does the work."""

from __future__ import annotations

from typing import Any

import js

from teachkit_app.i18n import _
from teachkit_app.jsutil import error_name, present, proxied_object, to_object
from teachkit_app.model import Classifier
from teachkit_app.pictures import Pictures, Unusable


class Api:
    def __init__(self, classifier: Classifier, pictures: Pictures) -> None:
        self.classifier = classifier
        self.pictures = pictures  # the page's buttons open photos with the same one
        self._proxies: list[Any] = []

    async def classify(self, source: Any) -> Any:
        """``{label, probabilities, backend, ms}``, or ``{error}``: one sentence, which js/api.js
        throws as the Error's message (never a traceback; the details go to the console)."""
        subject = _("The file") if js.Blob.prototype.isPrototypeOf(source) else _("The picture")
        try:
            canvas = await self.pictures.open(source)
            mirror = self.classifier.mirror_camera and present(getattr(source, "srcObject", None))
            result = await self.classifier.classify(canvas, mirror=mirror)
        except Unusable as e:  # NotAPicture too: its reason is the whole sentence
            return to_object({"error": e.sentence(subject)})
        except Exception as e:
            js.console.error(f"teachkit.classify: {e!r}")
            error = _("%(name)s could not be classified (%(error)s).") % {"name": subject, "error": error_name(e)}
            return to_object({"error": error})
        return to_object(result.to_api())

    def to_js(self) -> Any:
        """The object js/api.js forwards to: functions kept alive for the page's lifetime."""
        funcs = {
            "classify": self.classify,
            "backend": lambda: str(self.classifier.tf.getBackend()),
            "labels": lambda: to_object(self.classifier.labels),
        }
        return proxied_object(funcs, self._proxies)

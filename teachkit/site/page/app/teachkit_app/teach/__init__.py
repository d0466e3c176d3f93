"""The Teach page: pupils make classes, add webcam frames and photos, train a head, try it.

Modules, one concern each (docs: /work/main/teachkit/site/page/README.md): ``lesson`` (the pupil's
classes and examples, in memory), ``embedder`` (the frozen base in TF.js: a picture -> its
embedding, once, as it arrives), ``trainer`` (the head, trained with TF.js, driven by
``teachkit.core``'s recipe), ``zips`` (the model and examples zips), ``store`` (IndexedDB, through
js/teachstore.js: the lesson survives a reload), ``advice`` (what ``teachkit check`` would say),
``recorder`` (the webcam's press-and-hold), ``page`` (the controls) and ``api``
(``window.teachkit.teach``).
"""

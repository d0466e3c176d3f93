"""Teachkit's page, in Python: runs in Pyodide, calls TF.js for the model.

Modules, one concern each: ``jsutil`` (crossing to JavaScript), ``ops`` (the shared preprocessing
plan executed with TF.js), ``backends`` (what the pupil is told about the backend js/tfstart.js
started), ``model`` (the model js/tfstart.js loaded: classifying one picture), ``pictures``
(opening a picture, one way for the buttons and the API), ``results`` (drawing results, labels
always as text), ``camera`` (the webcam loop), ``page`` (wiring the page's controls), ``api``
(``window.teachkit``) and ``main`` (start-up: js/loader.js hands it TF.js, js/media.js and the
bridge, which it passes down). The shared core, ``teachkit.core`` (``preprocess``, ``decide``,
``modelinfo``), is the very code the build step runs.
"""

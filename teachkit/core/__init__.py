"""The core: standard library only, and run unchanged in the page (Pyodide) as in the build.

``preprocess`` (Teachable Machine's crop, resize and scaling as a plan any array library runs),
``decide`` (the "not sure" rule), ``notsure`` (choosing that rule on validation predictions) and
``modelinfo`` (a model's metadata with its defaults: labels, image size, mirror, the rule).
"""

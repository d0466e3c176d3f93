"""The core: standard library only, and run unchanged in the page (Pyodide) as in the build.

``preprocess`` (Teachable Machine's crop, resize and scaling as a plan any array library runs),
``decide`` (the "not sure" rule), ``notsure`` (choosing that rule on validation predictions),
``modelinfo`` (a model's metadata with its defaults: labels, image size, mirror, the rule),
``modelcheck`` (the one check of a model's files), ``zipcheck`` (a zip's members checked before
anything is inflated) and ``tmformat`` (Teachable Machine's layout: the base cut out, a new head
put on), which the Teach page's Save and Open run as the build does, and ``recipe`` (every
decision of the head's training: near copies, the split, first weights, epoch orders, early
stopping, the temperature; the build trains with TensorFlow, the Teach page with TF.js).
"""

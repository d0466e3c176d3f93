"""The shared core's checks inside real Pyodide (the page's own interpreter, the wheel it loaded):
the TF.js ops equal ReferenceOps for every step of the plan, and decide.py answers as in CPython."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = ((224, 224), (4032, 3024), (500, 300), (1, 1), (897, 1000), (3000, 4000))
CASES = ([0.7, 0.2, 0.1], [0.55, 0.45], [0.62, 0.45], [0.61, 0.39], [], [0.9], [0.3, 0.3, 0.4])
CHECK = (
    f"CASES = {CASES!r}\nSIZES = {SIZES!r}\n"
    + r"""
import json, random, sys
import js
from pyodide.ffi import to_js
from teachkit.core import decide, preprocess
from teachkit_app.ops import TfjsOps

tf = js.tf
ops = TfjsOps(tf)
rng = random.Random(3)
out = {"python": sys.version.split()[0], "cases": []}
for w, h, mirror in [(7, 5, False), (61, 97, True), (300, 230, False), (470, 452, True)]:
    image = [[[rng.randrange(256) for _ in range(3)] for _ in range(w)] for _ in range(h)]
    plan = preprocess.plan(w, h, size=preprocess.SIZE if w > 60 else 4, mirror=mirror)
    expected = preprocess.run(plan, image, preprocess.ReferenceOps())
    flat = [v for row in image for px in row for v in px]
    t = tf.tensor3d(to_js(flat), to_js([h, w, 3]), "float32")
    y = preprocess.run(plan, t, ops)
    got = y.dataSync().to_py().tolist()
    tf.dispose(to_js([t, y]))
    want = [v for row in expected for px in row for v in px]
    out["cases"].append({"size": [w, h], "sizes": list(plan.sizes), "n": len(got) == len(want),
                         "max_diff": max(abs(a - b) for a, b in zip(got, want))})
rule = decide.Rule(threshold=0.6, margin=0.2)
out["decide"] = [decide.decide(p, rule) for p in CASES]
out["ranked"] = decide.ranked(["a", "b", "c"], [0.2, 0.5, 0.3])
out["plans"] = [[list(p.crop), list(p.sizes)] for p in [preprocess.plan(w, h) for w, h in SIZES]]
out["version"] = preprocess.VERSION
out["default"] = decide.Rule.from_metadata({"userMetadata": {}}) == decide.Rule()
json.dumps(out)
"""
)


def test_shared_core_in_real_pyodide(hosted) -> None:
    out = json.loads(hosted.page.evaluate("(code) => teachkitPyodide.runPythonAsync(code)", CHECK))
    assert out["python"].startswith("3.14")
    for case in out["cases"]:
        assert case["n"], case
        assert case["max_diff"] < 1e-4, case
    assert any(len(c["sizes"]) > 1 for c in out["cases"]), "no case exercised the halving"
    from teachkit.core import decide

    rule = decide.Rule(threshold=0.6, margin=0.2)
    assert out["decide"] == [decide.decide(p, rule) for p in CASES] == [0, None, None, 0, None, 0, None]
    assert out["ranked"] == [["b", 0.5], ["c", 0.3], ["a", 0.2]]
    assert out["default"] is True
    from teachkit.core import preprocess

    assert out["plans"] == [[list(p.crop), list(p.sizes)] for p in (preprocess.plan(w, h) for w, h in SIZES)]
    assert out["version"] == preprocess.VERSION

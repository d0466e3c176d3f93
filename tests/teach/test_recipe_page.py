"""The Teach page's trainer (teach/trainer.py, TF.js in real Chromium on wasm) against the build
(teachkit train's own fit, TensorFlow) on the same real embeddings: trashnet-subset's 887 photos
embedded by the build's base. For the same embeddings and seed the page's split equals the
build's, and its head scores within 2 points of the build's on the same held-out photos. Then
memory: 10 trainings and 1000 predictions leave as many tensors as before."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest

from tests.teach.snippets import embeddings_lesson

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Puts the embeddings handed to the page (float32 bytes, base64) into ``lesson``: [class][example].
LESSON = embeddings_lesson("teachTest")

TRAIN = (
    LESSON
    + r"""
import json
from teachkit_app.teach import trainer
t = await trainer.train(js.tf, lesson, list(js.teachTest.labels.to_py()), seed=SEED)
json.dumps({
    "split": [t.split.train, t.split.validation, t.split.heldout],
    "heldout": t.heldout, "epochs": t.epochs, "epochs_run": t.epochs_run, "temperature": t.temperature,
    "rule": [t.rule.threshold, t.rule.margin], "backend": str(js.tf.getBackend()),
})
"""
)


def run(page: Any, code: str) -> Any:
    return json.loads(page.evaluate("(code) => teachkitPyodide.runPythonAsync(code)", code))


@pytest.fixture(scope="module")
def page(python_page: Any, trashnet_embedded: Any) -> Any:
    """The page with trashnet's embeddings handed over (window.teachTest)."""
    e = trashnet_embedded
    assert e.classes == sorted(e.classes)  # class by class, as the page's lesson flattens them
    counts = [e.classes.count(c) for c in range(len(e.labels))]
    python_page.page.evaluate(
        "([embeddings, counts, labels]) => { globalThis.teachTest = {embeddings, counts, labels}; }",
        [base64.b64encode(e.features.astype(np.float32).tobytes()).decode(), counts, e.labels],
    )
    return python_page.page


@pytest.fixture(scope="module")
def page_trained(page: Any) -> dict:
    return run(page, TRAIN.replace("SEED", "0"))


def build_fit(e: Any, seed: int) -> tuple[Any, float, list[int]]:
    """The build's split and its held-out accuracy, by teachkit train's own functions."""
    from teachkit.data import dataset
    from teachkit.evaluation import calibration
    from teachkit.training import head
    from teachkit.training.train import Recipe, fit

    split = dataset.split(e.infos, 0.15, seed, groups=dataset.burst_groups(e.features, e.classes))
    fitted = fit(None, e.infos, e.features, {}, split, e.labels, Recipe(augment=False, seed=seed))
    probs = calibration.softmax(head.logits(fitted.head, e.features[split.heldout]))
    answers = probs.argmax(1).tolist()
    truth = [e.classes[i] for i in split.heldout]
    return split, float(np.mean(np.asarray(answers) == truth)), answers


def test_the_pages_split_is_the_builds(page_trained: dict, trashnet_embedded: Any) -> None:
    from teachkit.data import dataset

    e = trashnet_embedded
    split = dataset.split(e.infos, 0.15, 0, groups=dataset.burst_groups(e.features, e.classes))
    assert page_trained["split"] == [split.train, split.validation, split.heldout]
    assert page_trained["backend"] == "wasm"


def test_the_pages_head_scores_within_two_points_of_the_builds(page_trained: dict, trashnet_embedded: Any) -> None:
    e = trashnet_embedded
    split, build_accuracy, build_answers = build_fit(e, 0)
    held = page_trained["heldout"]
    assert held["n"] == len(split.heldout) == 136
    page_answers = [a for _, _, a in held["examples"]]
    assert [c for c, _, _ in held["examples"]] == [e.classes[i] for i in split.heldout]
    assert abs(held["accuracy"] - build_accuracy) <= 0.02, (held["accuracy"], build_accuracy)
    # not by luck: the two heads answer alike photo by photo (they start from the same weights
    # and see the rows in the same order; only float rounding differs)
    same = np.mean(np.asarray(page_answers) == np.asarray(build_answers))
    assert same >= 0.95, same
    assert held["accuracy"] > 0.7  # a real head, not chance (1/6)
    assert held["correct"] == sum(held["confusion"][k][k] for k in range(len(e.labels)))


def test_on_features_as_wide_as_the_seven_depths_the_page_standardises_as_the_build(
    page: Any, trashnet_embedded: Any
) -> None:
    """Features wider than the last layer (a trained site's seven depths: 2432) are standardised
    before the heads learn, then folded in (recipe.standardises): the page's TF.js moments and
    fold against the build's NumPy ones. The extra columns are small, as the middle depths' are."""
    from types import SimpleNamespace

    from teachkit.core import recipe

    e = trashnet_embedded
    wide = np.concatenate([e.features, 0.03 * e.features[:, : 2432 - e.features.shape[1]]], axis=1)
    assert wide.shape[1] == 2432 and recipe.standardises(2432) and not recipe.standardises(e.features.shape[1])
    page.evaluate(
        "(embeddings) => { globalThis.teachWide = {...globalThis.teachTest, embeddings}; }",
        base64.b64encode(wide.astype(np.float32).tobytes()).decode(),
    )
    got = run(page, TRAIN.replace("SEED", "0").replace("teachTest", "teachWide"))
    split, build_accuracy, build_answers = build_fit(SimpleNamespace(**{**vars(e), "features": wide}), 0)
    assert got["split"] == [split.train, split.validation, split.heldout]
    held = got["heldout"]
    page_answers = [a for _, _, a in held["examples"]]
    assert abs(held["accuracy"] - build_accuracy) <= 0.02, (held["accuracy"], build_accuracy)
    assert np.mean(np.asarray(page_answers) == np.asarray(build_answers)) >= 0.95
    assert held["accuracy"] > 0.7


def test_a_class_too_small_to_hold_one_out_is_a_sentence(page: Any) -> None:
    out = run(
        page,
        LESSON
        + r"""
import json
from teachkit_app.teach import trainer
from teachkit_app.teach.lesson import TeachError
said = []
for classes in ([lesson[0][:30], lesson[1][:2]], [lesson[0][:30]], [lesson[0][:30], []]):
    try:
        await trainer.train(js.tf, classes, ["cardboard", "glass"][: len(classes)])
    except TeachError as e:
        said.append(str(e))
json.dumps(said)
""",
    )
    assert len(out) == 3
    assert "glass" in out[0] and "3" in out[0]
    assert "two classes" in out[1] and "glass" in out[2]


MEMORY_START = (
    LESSON
    + r"""
import gc, json
from pyodide.ffi import create_once_callable, to_js
from teachkit_app.teach import trainer
tf = js.tf

def python_objects():
    gc.collect()
    return len(gc.get_objects())

small = [lesson[0][:20], lesson[1][:20]]
# Kernels compiled and caches filled on the first training and predictions are no leak.
first = await trainer.train(tf, small, ["a", "b"], seed=99)
x = tf.tensor2d(to_js(lesson[2][0]), to_js([1, len(lesson[2][0])]))
for _ in range(20):
    tf.tidy(create_once_callable(lambda: first.predict(tf, x))).dispose()
x.dispose()
del first
before = {"tensors": tf.memory().numTensors, "python": python_objects()}
json.dumps(before)
"""
)

MEMORY_LOOP = r"""
for seed in range(10):
    t = await trainer.train(tf, small, ["a", "b"], seed=seed)
x = tf.tensor2d(to_js(lesson[2][0]), to_js([1, len(lesson[2][0])]))
for _ in range(1000):
    y = tf.tidy(create_once_callable(lambda: t.predict(tf, x)))
    probs = y.dataSync().to_py().tolist()
    y.dispose()
x.dispose()
del t, y
json.dumps({"before": before, "after": {"tensors": tf.memory().numTensors, "python": python_objects()},
            "probs": probs})
"""


def js_heap(page: Any) -> int:
    """The page's JavaScript heap in use after a full garbage collection (Chromium's DevTools
    protocol: collectGarbage, then getHeapUsage), in bytes."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("HeapProfiler.collectGarbage")
        return int(cdp.send("Runtime.getHeapUsage")["usedSize"])
    finally:
        cdp.detach()


def test_memory_returns_to_its_level_after_10_trainings_and_1000_predictions(page: Any) -> None:
    run(page, MEMORY_START)
    heap_before = js_heap(page)
    out = run(page, MEMORY_LOOP)
    heap_after = js_heap(page)
    assert out["after"]["tensors"] == out["before"]["tensors"], out
    assert abs(sum(out["probs"]) - 1) < 1e-5
    # a Python object left behind per prediction or per training would add a thousand or more
    assert out["after"]["python"] - out["before"]["python"] < 300, out
    # The JS heap stays flat: a JS object of even 1 KB kept per prediction would add 1 MB.
    print(f"JS heap {heap_before / 1e6:.2f} MB -> {heap_after / 1e6:.2f} MB")
    assert heap_after - heap_before < 1_000_000, (heap_before, heap_after)

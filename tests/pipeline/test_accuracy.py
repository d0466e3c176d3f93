"""The default recipe on real photos: trashnet-subset, 887 photos of 6 classes, held out as
Teachable Machine does (ceil(15%) of each class). bench/recipes.py prints the comparison with
Teachable Machine's recipe over 5 seeds; this test guards the floor of the default recipe."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from teachkit.training.train import TrainOptions, train

pytestmark = pytest.mark.slow

#: Over 5 seeds (bench/recipes.py) Teachable Machine's recipe measured 71.3-85.3% on this split
#: and ours (seven depths, standardised features) 76.5-86.8%; `train` itself (every photo's
#: augmented copies) got 85.3% on seed 0. Training is not bit-for-bit repeatable across machines
#: (threaded float sums), so the floor leaves room for a few photos either way; the recipe before
#: issue 11 (78.7% here) or a broken preprocessing or head lands below it.
FLOOR = 0.80


def test_default_recipe_on_trashnet(trashnet: Path, base_export: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    result = train(TrainOptions(photos=trashnet, models_dir=tmp_path, base_from=base_export, out=out))
    m = json.loads((result.model_dir / "metrics.json").read_text())
    assert m["n_heldout"] == 136 and m["evaluated_on"] == "held-out"
    assert m["recipe"]["augment"] is True
    assert m["accuracy"] >= FLOOR, out.getvalue()
    assert f"{m['accuracy']:.1%} on 136 photos it never trained on" in out.getvalue()

"""The model card's numbers, recomputed here independently from the saved predictions of a
real trained model, and the card's rendering (thumbnails, missing photos, no metrics)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from teachkit.evaluation import card
from teachkit.site import card_page, render, sources

pytestmark = pytest.mark.slow

TEMPLATES = sources.TEMPLATES


def _render(ctx: dict) -> str:
    # The site's own environment (Jinja2's i18n extension, in English): the card's text is in the catalog.
    return render.environment("en").get_template("model_card.html").render(card=ctx)


def _argmax(values: list[float]) -> int:
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


def test_card_numbers_match_the_saved_predictions(trained_trashnet: Path) -> None:
    metrics = json.loads((trained_trashnet / "metrics.json").read_text())
    labels = metrics["labels"]
    preds = metrics["predictions"]
    s = card.summary(metrics)

    truth = [labels.index(p["label"]) for p in preds]
    answer = [_argmax(p["probabilities"]) for p in preds]
    right = sum(t == a for t, a in zip(truth, answer, strict=True))
    assert s["n"] == len(preds) == sum(c["heldout"] for c in metrics["counts"].values())
    assert s["correct"] == right
    assert s["accuracy"] == pytest.approx(right / len(preds))
    assert s["accuracy"] == pytest.approx(metrics["accuracy"])  # the card agrees with metrics.json
    assert 0.6 < s["accuracy"] < 0.95  # a real model on real photos, not a constant

    # Wilson's bounds are the two p with (right/n - p)^2 = z^2 p (1-p) / n: check both roots.
    n, z = len(preds), 1.959964
    for p in s["interval"]:
        assert (right / n - p) ** 2 == pytest.approx(z * z * p * (1 - p) / n, rel=1e-6)
    assert s["interval"][0] < s["accuracy"] < s["interval"][1]

    for c, label in enumerate(labels):
        tp = sum(1 for t, a in zip(truth, answer, strict=True) if t == c and a == c)
        row = next(r for r in s["per_class"] if r["label"] == label)
        assert row["support"] == truth.count(c)
        assert row["recall"] == pytest.approx(tp / truth.count(c))
        assert row["precision"] == pytest.approx(tp / answer.count(c) if answer.count(c) else 0.0)
        assert s["confusion"][c] == [
            sum(1 for t, a in zip(truth, answer, strict=True) if t == c and a == k) for k in range(len(labels))
        ]

    # Expected calibration error, by its definition over 10 equal-width confidence bins.
    bins: dict[int, list[tuple[float, bool]]] = {}
    for p, t in zip(preds, truth, strict=True):
        conf = max(p["probabilities"])
        bins.setdefault(min(9, max(0, math.ceil(conf * 10) - 1)), []).append((conf, _argmax(p["probabilities"]) == t))
    ece = sum(abs(sum(c for c, _ in b) / len(b) - sum(r for _, r in b) / len(b)) * len(b) for b in bins.values()) / n
    assert s["calibration"]["ece"] == pytest.approx(ece)

    # The "not sure" rule of metadata.json, applied to the held-out photos.
    rule = json.loads((trained_trashnet / "metadata.json").read_text())["userMetadata"]["notSure"]
    assert (s["not_sure"]["threshold"], s["not_sure"]["margin"]) == (rule["threshold"], rule["margin"])
    answered = [
        (a, t)
        for p, a, t in zip(preds, answer, truth, strict=True)
        if max(p["probabilities"]) >= rule["threshold"]
        and max(p["probabilities"]) - sorted(p["probabilities"])[-2] >= rule["margin"]
    ]
    on = s["not_sure"]["on_these_photos"]
    assert on["n_answered"] == len(answered)
    assert on["wrong"] == sum(a != t for a, t in answered)


def test_card_page_shows_the_numbers_and_thumbnails(trained_trashnet: Path, trashnet: Path, tmp_path: Path) -> None:
    metrics = json.loads((trained_trashnet / "metrics.json").read_text())
    ctx = card_page.card_context(trained_trashnet, tmp_path, photos=trashnet)
    html = _render(ctx)
    assert f"{metrics['accuracy'] * 100:.1f}%</strong> of\n    {metrics['n_heldout']} photos" in html
    assert html.count("<svg") == 4  # accuracy and loss curves, reliability, not-sure sweep
    thumbs = sorted((tmp_path / "card" / "thumbs").iterdir())
    assert len(thumbs) == metrics["n_heldout"]
    assert ctx["thumbs_note"] is None
    # every non-empty matrix cell links to a section that exists
    for row in ctx["matrix"]:
        for cell in row["cells"]:
            if cell["count"]:
                assert f'href="#{cell["id"]}"' in html and f'id="{cell["id"]}"' in html


def test_card_without_the_photos_says_so(trained_trashnet: Path, trashnet: Path, tmp_path: Path) -> None:
    # No photos folder named: no thumbnails, even though metrics.json says where the photos were.
    ctx = card_page.card_context(trained_trashnet, tmp_path / "site")
    assert ctx["thumbs_note"] == card_page.NO_PHOTOS_FOLDER
    assert not (tmp_path / "site" / "card" / "thumbs").exists()
    html = _render(ctx)
    assert card_page.NO_PHOTOS_FOLDER in html and "<img" not in html

    # A photos folder named, but the photos are not in it any more.
    model = tmp_path / "model"
    shutil.copytree(trained_trashnet, model)
    metrics = json.loads((model / "metrics.json").read_text())
    for p in metrics["predictions"]:
        p["path"] = Path(p["path"]).name  # not findable under the folder any more
    (model / "metrics.json").write_text(json.dumps(metrics))
    ctx = card_page.card_context(model, tmp_path / "site2", photos=trashnet)
    assert f"{len(metrics['predictions'])} of the photos could not be found" in ctx["thumbs_note"]
    assert list((tmp_path / "site2" / "card" / "thumbs").iterdir()) == []
    assert "could not be found" in _render(ctx) and "<img" not in _render(ctx)


def test_no_metrics_no_card(tmp_path: Path) -> None:
    assert card_page.card_context(tmp_path, tmp_path / "site") is None


def test_wilson_known_values() -> None:
    lo, hi = card.wilson(10, 10)  # all right on 10 photos is not "100% for sure"
    assert hi == pytest.approx(1.0) and lo == pytest.approx(0.7225, abs=1e-4)
    lo, hi = card.wilson(81, 100)
    assert (lo, hi) == (pytest.approx(0.7222, abs=1e-4), pytest.approx(0.8749, abs=1e-4))


def test_evaluate_warns_on_the_training_folder(trained_trashnet: Path, trashnet: Path, tmp_path: Path) -> None:
    from teachkit.evaluation import evaluate

    assert evaluate._trained_on(trained_trashnet, trashnet.resolve())
    assert evaluate._trained_on(trained_trashnet, (trashnet / "glass").resolve())  # a part of it
    assert not evaluate._trained_on(trained_trashnet, tmp_path)


def test_card_shows_the_not_sure_modes_and_none_of_these(trained_trashnet: Path) -> None:
    """The card reports what each --not-sure setting does on the held-out photos (recomputed here)
    and the none-of-these verdict's share of class photos turned away, in the terminal and the page."""
    import io

    from teachkit.core import decide, notsure

    metrics = json.loads((trained_trashnet / "metrics.json").read_text())
    s = card.load_summary(trained_trashnet)
    labels = metrics["labels"]
    truth = [labels.index(p["label"]) for p in metrics["predictions"]]
    probs = [p["probabilities"] for p in metrics["predictions"]]
    assert s["not_sure"]["mode"] == "balanced"
    for m in s["not_sure"]["modes"].values():
        rule = decide.Rule(m["threshold"], m["margin"])
        effect = notsure.rule_on(probs, truth, rule)
        assert m["answered"] == pytest.approx(effect["answered"])
    chosen = s["not_sure"]["modes"]["balanced"]
    assert (chosen["threshold"], chosen["margin"]) == (s["not_sure"]["threshold"], s["not_sure"]["margin"])
    away = s["outliers"]
    scores = [p["outlier_score"] for p in metrics["predictions"]]
    assert away["available"] and away["n"] == len(scores)
    assert away["turned_away"] == pytest.approx(sum(x > away["threshold"] for x in scores) / len(scores))
    out = io.StringIO()
    card.print_card(s, out)
    text = out.getvalue()
    assert "balanced  answers" in text and "(this model's)" in text
    assert '"None of these" when a photo is further than' in text
    assert f"It turned away {away['turned_away']:.0%} of these {away['n']} photos" in text
    html = _render(card_page.card_context(trained_trashnet, Path("/nonexistent"), photos=None))
    assert 'class="modes"' in html and "right among answers" in html
    assert 'When it says "none of these"' in html and f"{away['threshold']:.3f}" in html


def test_evaluate_shows_none_of_these_on_other_things(
    trained_trashnet: Path, trashnet: Path, tm_exports: Path, tmp_path: Path
) -> None:
    """`evaluate` on a folder with a class of the model and a folder of other things (animals):
    each class photo carries its score, the others are shown to "none of these" and counted."""
    import io

    from teachkit.evaluation import evaluate

    folder = tmp_path / "room"
    (folder / "glass").mkdir(parents=True)
    (folder / "animals").mkdir()
    for src in sorted((trashnet / "glass").glob("*.jpg"))[-6:]:
        (folder / "glass" / src.name).symlink_to(src)
    for src in sorted((tm_exports / "animals-4class" / "samples").glob("*/*"))[::20]:
        (folder / "animals" / f"{src.parent.name}-{src.name}").symlink_to(src)
    out = io.StringIO()
    evaluate.run_evaluate(trained_trashnet, folder, None, out)
    record = evaluate.evaluate(trained_trashnet, folder)
    others = record["outliers"]["others"]
    assert others["n"] == 10 and others["caught"] >= 0.8
    assert all(isinstance(p["outlier_score"], float) for p in record["predictions"])
    text = out.getvalue()
    assert f"It caught {others['caught']:.0%} of the 10 photos in folders that are no class." in text
    assert "What each mode would do here" in text  # chosen on the model's own validation predictions

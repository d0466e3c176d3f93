"""Correct, and the same as the build: the page's probabilities equal the build step's (within 0.01,
same top class) for 20+ fixture photos, and real Teachable Machine exports classify their samples."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
TOLERANCE = 0.01


def page_step(site, paths: list[Path], labels: list[str]) -> np.ndarray:
    rows = []
    for path in paths:
        r = site.classify_file(path)
        by_label = {x["label"]: x["probability"] for x in r["probabilities"]}
        rows.append([by_label[label] for label in labels])
    return np.array(rows)


def assert_parity(site, build_step, model: Path, paths: list[Path]) -> None:
    labels, expected = build_step(model, paths)
    got = page_step(site, paths, labels)
    diff = np.abs(got - expected)
    worst = int(diff.max(axis=1).argmax())
    assert diff.max() <= TOLERANCE, f"{paths[worst]}: page {got[worst]} vs build {expected[worst]}"
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()


def test_parity_teachable_machine_export(hosted, build_step, tools, tm_exports: Path) -> None:
    paths = [p for _, p in tools.samples(tm_exports / "animals-4class", per_class=3)]
    assert_parity(hosted, build_step, tm_exports / "animals-4class", paths)


def test_parity_old_format_rgba_export(old_export_site, build_step, tools, tm_exports: Path) -> None:
    paths = [p for _, p in tools.samples(tm_exports / "google-official-2class", per_class=3)]
    assert_parity(old_export_site, build_step, tm_exports / "google-official-2class", paths)


def test_parity_our_trained_model(
    browser, build_step, tools, trained_model: Path, trained_site: Path, trashnet: Path
) -> None:
    server = tools.StaticServer(trained_site).start()
    site = tools.open_site(browser, server.url + "index.html", inside=server.url)
    try:
        # photos of different sizes than the TM samples (512x384): the crop and resize are exercised
        paths = [p for cls in ("cardboard", "glass", "metal") for p in sorted((trashnet / cls).glob("*.jpg"))[-3:]]
        assert_parity(site, build_step, trained_model, paths)
    finally:
        site.close()
        server.stop()


def top1(site, tools, export: Path) -> float:
    pairs = tools.samples(export)
    right = sum(site.classify_file(path)["probabilities"][0]["label"] == label for label, path in pairs)
    return right / len(pairs)


def test_animals_export_classifies_its_samples(hosted, tools, tm_exports: Path) -> None:
    assert top1(hosted, tools, tm_exports / "animals-4class") >= 0.95


def test_old_format_export_classifies_its_rgba_samples(old_export_site, tools, tm_exports: Path) -> None:
    assert top1(old_export_site, tools, tm_exports / "google-official-2class") >= 0.95


@pytest.fixture(scope="module")
def old_export_site(browser, tools, tm_exports: Path, tmp_path_factory):
    dist = tools.render(tm_exports / "google-official-2class", tmp_path_factory.mktemp("old") / "dist")
    server = tools.StaticServer(dist).start()
    site = tools.open_site(browser, server.url + "index.html", inside=server.url)
    yield site
    site.close()
    server.stop()

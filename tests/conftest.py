"""Shared test fixtures: where the real third-party fixtures are, and skips that say why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"


def shared_fixture(*parts: str) -> Path:
    """A path under ../shared/fixtures/, or a skip that names what is missing."""
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared fixture {path} is absent (tests read real photos and exports from ../shared/fixtures/)")
    return path


@pytest.fixture(scope="session")
def tm_exports() -> Path:
    return shared_fixture("tm-exports")


@pytest.fixture(scope="session")
def base_export() -> Path:
    """The Teachable Machine export whose frozen MobileNetV2 serves as our pretrained base."""
    return shared_fixture("tm-exports", "animals-4class")


@pytest.fixture(scope="session")
def trashnet() -> Path:
    return shared_fixture("datasets", "trashnet-subset")

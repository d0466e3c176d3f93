"""Progress bars that stay quiet where nobody is watching (tests, CI logs)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def enabled() -> bool:
    return sys.stderr.isatty() and not os.environ.get("TEACHKIT_QUIET")


def bar(items: Iterable[T], desc: str, total: int | None = None, unit: str = "photo") -> Iterator[T]:
    """Wrap ``items`` in a progress bar named ``desc``."""
    return iter(tqdm(items, desc=desc, total=total, unit=unit, disable=not enabled(), leave=False))


def counter(total: int, desc: str, unit: str) -> Any:
    """A progress bar to advance by hand (``.update(n)``, ``.set_postfix(...)``); a context manager."""
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled(), leave=False)

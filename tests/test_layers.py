"""The house's layers: the stages follow the data, and imports only point down.

Read from the code's own import statements (every one, function-level imports included). A change
that adds an upward import, or a third-party import to the standard-library-only core, fails here
with the file and the line.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "teachkit"

#: The stages, lowest first: each may import its own stage and those before it. A model's files
#: (model/) come before the features: the frozen base is read from a Teachable Machine export.
STAGES = ("core", "data", "model", "features", "evaluation", "training", "site")
#: Helpers any stage may use: one job each; they import only each other (and no stage).
SUPPORT = ("errors", "fileio", "paths", "progress", "tfenv")
#: The top: the command line and the demo that drives the whole pipeline. Nobody imports cli.
TOP = ("demo", "cli", "__main__")
#: The page's Python (Pyodide): the standard library, the browser, the core, itself.
PAGE_APP = PACKAGE / "site" / "page" / "app"
PAGE_ALLOWED = {"js", "pyodide", "teachkit_app", "teachkit"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path``; ``from teachkit import x`` gives ``teachkit.x``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "teachkit":
                out += [(node.lineno, f"teachkit.{alias.name}") for alias in node.names]
            else:
                out.append((node.lineno, node.module))
    return out


def _place(module: str) -> str | None:
    """The layer of a ``teachkit`` module name: a stage, a support module, a top module or ``root``."""
    parts = module.split(".")
    if parts[0] != "teachkit":
        return None
    if len(parts) == 1 or parts[1] == "__version__":
        return "root"
    return parts[1]


def _rank(place: str) -> int:
    if place in ("root", *SUPPORT):
        return -1
    if place in STAGES:
        return STAGES.index(place)
    return len(STAGES)  # the top


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if not p.is_relative_to(PAGE_APP))


def _stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


def test_the_folders_are_the_stages() -> None:
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    assert folders == sorted(STAGES)
    loose = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert loose == sorted((*SUPPORT, *TOP))


def test_imports_only_point_down() -> None:
    wrong = []
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        own = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for line, module in _imports(path):
            place = _place(module)
            if place is None:
                continue
            if place == "cli" and own != "__main__":
                wrong.append(f"{rel}:{line} imports {module}: nothing imports the command line")
            elif own in SUPPORT and place not in ("root", *SUPPORT):
                wrong.append(f"{rel}:{line} imports {module}: a support module imports no stage")
            elif _rank(place) > _rank(own):
                wrong.append(f"{rel}:{line} imports {module}, a higher layer than {own}/")
    assert not wrong, "\n".join(wrong)


def test_the_core_is_standard_library_only() -> None:
    """It runs unchanged in the page (Pyodide has no NumPy or Pillow for us)."""
    wrong = [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in sorted((PACKAGE / "core").rglob("*.py"))
        for line, module in _imports(path)
        if not _stdlib(module) and _place(module) not in ("core", "root")
    ]
    assert not wrong, "\n".join(wrong)


def test_the_pages_python_imports_the_core_and_the_browser_only() -> None:
    wrong = []
    for path in sorted(PAGE_APP.rglob("*.py")):
        for line, module in _imports(path):
            top = module.split(".")[0]
            if _stdlib(module) or (top in PAGE_ALLOWED and (top != "teachkit" or _place(module) in ("core", "root"))):
                continue
            wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("own", "module", "allowed"),
    [
        ("data", "teachkit.core.preprocess", True),
        ("core", "teachkit.data.photos", False),
        ("features", "teachkit.training.head", False),
        ("model", "teachkit.features.basemodel", False),
        ("features", "teachkit.model.files", True),
        ("site", "teachkit.evaluation.card", True),
        ("evaluation", "teachkit.site.charts", False),
        ("fileio", "teachkit.errors", True),
    ],
)
def test_the_rule_itself(own: str, module: str, allowed: bool) -> None:
    """The ranking the test above applies, on known cases (so the test cannot pass by accident)."""
    place = _place(module)
    assert place is not None
    ok = _rank(place) <= _rank(own) and not (own in SUPPORT and place not in ("root", *SUPPORT))
    assert ok is allowed

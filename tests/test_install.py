"""Teachkit installs: a wheel built from the checkout, installed into a fresh virtual environment,
renders a site from a folder outside the checkout with nothing but the installed package's files.

The build runs on a copy of the checkout (what a clean clone holds: no .git, .venv, build/,
*.egg-info, node_modules), so the test never writes into the checkout, a stale build/lib cannot
leak into the wheel, and two test runs side by side cannot race. The copy carries a planted
``__pycache__`` inside the page's sources, so the exclusion of caches is tested, not assumed.

The fresh environments get no copies of TensorFlow and co.: one ``.pth`` line puts the test
interpreter's site-packages on their path, after their own. A path line in a ``.pth`` does not run
that folder's ``.pth`` files, so the checkout's editable install (``__editable__*.pth``) stays out;
each test checks that ``import teachkit`` finds the installed copy, not the checkout.

The wheel is built the way ``make setup`` installs Teachkit (pip, with build isolation): the
backend (setuptools>=77, for the SPDX license string) comes from the package registry or pip's
cache, as it does for ``pip install -e .``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

#: Only at the top of the checkout: what a clean clone does not have (see .gitignore).
TOP_LEVEL_SKIPPED = {".git", ".venv", "build", "dist", "models", ".pytest_cache", ".ruff_cache", ".cache"}
#: The files the site needs from inside the package, as the wheel names them.
REQUIRED = (
    "teachkit/site/page/templates/index.html",
    "teachkit/site/page/js/loader.js",
    "teachkit/site/page/app/teachkit_app/main.py",
    "teachkit/site/vendor-lock.json",
)
#: Caches planted into the copy's page sources, at two depths: the wheel must leave them out.
PLANTED = (
    "teachkit/site/page/app/teachkit_app/__pycache__/main.cpython-311.pyc",
    "teachkit/site/page/js/__pycache__/stray.cpython-311.pyc",
    "teachkit/site/__pycache__/sources.cpython-311.pyc",
)


def _ignore(folder: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n == "node_modules" or n.endswith(".egg-info")}
    if Path(folder) == ROOT:
        skipped |= TOP_LEVEL_SKIPPED & set(names)
    return skipped


def _run(cmd: list[str | Path], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in ``cwd`` with no PYTHONPATH from the test run; fail with its output."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    said = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{said}"
    return done


def _pip(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args], cwd=cwd)


def _copy_checkout(dest: Path) -> Path:
    shutil.copytree(ROOT, dest, ignore=_ignore, symlinks=True)
    for rel in PLANTED:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_bytes(b"not a module")
    return dest


def _expected_files(tree: Path) -> set[str]:
    """What the wheel must hold of ``tree``'s teachkit/: every module, and every file of the page
    and the lock, but no caches and no hidden files (as a clean clone has them)."""
    out = set()
    for path in (tree / "teachkit").rglob("*"):
        rel = path.relative_to(tree).as_posix()
        parts = path.relative_to(tree).parts
        cache = "__pycache__" in parts or path.suffix == ".pyc"
        if not path.is_file() or cache or any(p.startswith(".") for p in parts):
            continue
        if path.suffix == ".py" or rel.startswith("teachkit/site/page/") or rel == "teachkit/site/vendor-lock.json":
            out.add(rel)
    return out


def _fresh_venv(where: Path) -> tuple[Path, Path]:
    """A virtual environment without pip whose path ends with this interpreter's site-packages:
    (its python, its site-packages)."""
    venv.create(where, with_pip=False, symlinks=os.name != "nt")
    python = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([python, "-c", purelib], cwd=where).stdout.strip())
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "zz-teachkit-test-deps.pth").write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
    return python, site


def _assert_installed_copy(python: Path, env_dir: Path, work: Path) -> Path:
    """``import teachkit`` in ``python`` finds the copy installed in ``env_dir``, and so do the
    page's sources; the installed package's folder."""
    where = "import teachkit, teachkit.site.sources as s; print(teachkit.__file__); print(s.PAGE); print(s.LOCK)"
    done = _run([python, "-c", where], cwd=work)
    paths = [Path(line).resolve() for line in done.stdout.splitlines()]
    for path in paths:
        assert path.is_relative_to(env_dir.resolve()), f"{path} is not inside the fresh environment {env_dir}"
        assert not path.is_relative_to(ROOT), f"{path} comes from the checkout"
    return paths[0].parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the copy of the checkout it was built from)."""
    base = tmp_path_factory.mktemp("wheel")
    tree = _copy_checkout(base / "checkout")
    _pip("wheel", "--no-deps", "--wheel-dir", base / "out", tree, cwd=base)
    wheels = list((base / "out").glob("teachkit-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], tree


def test_the_wheel_holds_the_package_and_its_page_and_nothing_else(built: tuple[Path, Path]) -> None:
    wheel, tree = built
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    for rel in REQUIRED:
        assert rel in names, f"{rel} is not in the wheel"
    outside = [n for n in names if not n.startswith("teachkit/") and ".dist-info/" not in n]
    assert not outside, f"the wheel holds files outside the package: {outside}"
    caches = [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not caches, f"the wheel holds caches: {caches}"
    shipped = {n for n in names if n.startswith("teachkit/")}
    expected = _expected_files(tree)
    assert not expected - shipped, f"missing from the wheel: {sorted(expected - shipped)}"
    assert not shipped - expected, f"in the wheel but not expected: {sorted(shipped - expected)}"


def test_the_installed_wheel_renders_a_site_from_any_folder(
    built: tuple[Path, Path], base_export: Path, tmp_path: Path
) -> None:
    wheel, _ = built
    assert not tmp_path.resolve().is_relative_to(ROOT), "the test's temporary folder must be outside the checkout"
    python, _ = _fresh_venv(tmp_path / "env")
    _pip("--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    installed = _assert_installed_copy(python, tmp_path / "env", work)

    teachkit = python.parent / ("teachkit.exe" if os.name == "nt" else "teachkit")
    assert "usage: teachkit" in _run([teachkit, "--help"], cwd=work).stdout
    assert "usage: teachkit" in _run([python, "-m", "teachkit", "--help"], cwd=work).stdout

    _run([teachkit, "site", base_export, "--out", work / "dist"], cwd=work)
    dist = work / "dist"
    assert (dist / "index.html").is_file()
    # The page's files are the installed package's, byte for byte (not the checkout's: it may differ).
    page = installed / "site" / "page"
    scripts = sorted(p.name for p in (dist / "js").iterdir())
    assert "loader.js" in scripts
    for name in scripts:
        assert (dist / "js" / name).read_bytes() == (page / "js" / name).read_bytes(), f"js/{name}"
    assert (dist / "site.css").read_bytes() == (page / "static" / "site.css").read_bytes()


def test_pip_install_of_the_repository_installs_the_same_files(built: tuple[Path, Path], tmp_path: Path) -> None:
    """``pip install .`` (not editable) from a clone: the same package as the wheel, and it runs."""
    wheel, _ = built
    tree = _copy_checkout(tmp_path / "checkout")
    python, _ = _fresh_venv(tmp_path / "env")
    _pip("--python", python, "install", "--no-deps", "--no-compile", tree, cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    installed = _assert_installed_copy(python, tmp_path / "env", work)
    assert "usage: teachkit" in _run([python, "-m", "teachkit", "--help"], cwd=work).stdout
    site_packages = installed.parent
    files = {p.relative_to(site_packages).as_posix() for p in installed.rglob("*") if p.is_file()}
    with zipfile.ZipFile(wheel) as z:
        in_wheel = {n for n in z.namelist() if n.startswith("teachkit/")}
    assert files == in_wheel, f"pip install . differs from the wheel: {sorted(files ^ in_wheel)}"

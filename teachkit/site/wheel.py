"""The app's Python as a pure-Python wheel that Pyodide installs with ``loadPackage``.

The wheel holds the page's package (``page/app/teachkit_app``) with the site's compiled message
catalogs (``teachkit_app/locale``), and the shared core (``teachkit/core/``, standard library only)
byte for byte: the page runs the very files the build
step runs. The wheel is built deterministically (fixed timestamps, sorted entries) so
that the same sources give the same bytes, and it is added to Pyodide's lock file so that
``pyodide.loadPackage("teachkit-app")`` finds it inside dist/.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path

import teachkit
import teachkit.core
from teachkit import __version__
from teachkit.site import i18n
from teachkit.site.sources import APP

NAME = "teachkit-app"
DIST_NAME = "teachkit_app"
TEACHKIT = Path(teachkit.__file__).parent
#: The shared pure-Python core that runs unchanged in Pyodide (see docs/ARCHITECTURE.md), with
#: the package's ``__init__.py`` that makes ``teachkit.core`` importable there.
CORE = Path(teachkit.core.__file__).parent


def filename(version: str = __version__) -> str:
    return f"{DIST_NAME}-{version}-py3-none-any.whl"


def sources() -> dict[str, bytes]:
    """Archive path -> bytes of every module the wheel carries."""
    files = {"teachkit/__init__.py": (TEACHKIT / "__init__.py").read_bytes()}
    for path in sorted(CORE.glob("*.py")):
        files[f"teachkit/core/{path.name}"] = path.read_bytes()
    for path in sorted(APP.rglob("*.py")):
        files[f"teachkit_app/{path.relative_to(APP).as_posix()}"] = path.read_bytes()
    return files


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build(version: str = __version__) -> bytes:
    """The wheel's bytes."""
    info = f"{DIST_NAME}-{version}.dist-info"
    # The catalogs compiled from the same .po files as the templates' (teachkit_app/i18n.py reads them).
    files = {**sources(), **i18n.wheel_files()}
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\nSummary: Teachkit's page logic, run in Pyodide\n"
    ).encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: teachkit\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/top_level.txt"] = b"teachkit\nteachkit_app\n"
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in sorted(files.items()))
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files):
            entry = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, files[path])
    return buf.getvalue()


def add_to_lock(lock: bytes, wheel: bytes, version: str = __version__) -> bytes:
    """Pyodide's lock file with the app's wheel as one more package (file name relative to the
    ``packageBaseUrl`` the loader passes)."""
    data = json.loads(lock)
    data["packages"][NAME] = {
        "name": NAME,
        "version": version,
        "file_name": filename(version),
        "install_dir": "site",
        "sha256": hashlib.sha256(wheel).hexdigest(),
        "package_type": "package",
        "imports": ["teachkit", "teachkit_app"],
        "depends": [],
        "unvendored_tests": False,
    }
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()

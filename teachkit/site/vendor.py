"""The browser runtime (Pyodide, TF.js): fetched once from the npm registry, verified, cached per user.

Packages and the files the site uses are pinned in ``teachkit/site/vendor-lock.json`` by version and by
the registry's integrity hash (sha512 of the tarball). Tarballs are fetched with the ``npm`` client
(``npm pack``), never by URL, checked against the lock, and kept in the user's cache so that later
builds work offline.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from teachkit.errors import SiteError
from teachkit.paths import user_cache
from teachkit.site.sources import LOCK


@dataclass(frozen=True)
class Package:
    """One pinned npm package: its name, version, integrity and the files the site copies."""

    name: str
    version: str
    integrity: str
    files: tuple[str, ...]

    @property
    def tarball_name(self) -> str:
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


def read_lock(path: Path = LOCK) -> list[Package]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Package(name, spec["version"], spec["integrity"], tuple(spec["files"]))
        for name, spec in data["packages"].items()
    ]


def integrity_of(path: Path) -> str:
    """The npm-style Subresource Integrity string (sha512, base64) of a file."""
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha512-" + base64.b64encode(h.digest()).decode("ascii")


def _npm_pack(pkg: Package, dest: Path) -> Path:
    """Download the tarball with the npm client into ``dest``; a clear error when that fails."""
    npm = shutil.which("npm")
    offline_hint = (
        f"The site's browser runtime ({pkg.name} {pkg.version}) is not in the cache at {user_cache() / 'npm'}, "
        "and it could not be downloaded. The first site build needs the npm registry once (Node.js's `npm` "
        "command and a network connection); later builds work offline."
    )
    if npm is None:
        raise SiteError(offline_hint + " `npm` was not found: install Node.js.")
    try:
        out = subprocess.run(
            [npm, "pack", f"{pkg.name}@{pkg.version}", "--pack-destination", str(dest), "--json"],
            cwd=dest,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SiteError(offline_hint + " (npm took too long)") from None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no message"])[-1]
        raise SiteError(f"{offline_hint} npm said: {last}")
    tgz = dest / pkg.tarball_name
    if not tgz.is_file():
        found = sorted(dest.glob("*.tgz"))
        if len(found) != 1:
            raise SiteError(f"npm pack {pkg.name}@{pkg.version} did not produce a tarball.")
        tgz = found[0]
    return tgz


def tarball(pkg: Package) -> Path:
    """The verified tarball of ``pkg`` from the cache, downloading it first if needed."""
    cached = user_cache() / "npm" / pkg.tarball_name
    if cached.is_file() and integrity_of(cached) == pkg.integrity:
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="teachkit-npm-", dir=cached.parent) as tmp:
        tgz = _npm_pack(pkg, Path(tmp))
        got = integrity_of(tgz)
        if got != pkg.integrity:
            raise SiteError(
                f"The downloaded {pkg.name} {pkg.version} does not match teachkit/site/vendor-lock.json "
                f"(integrity {got}, expected {pkg.integrity}); it was not used."
            )
        os.replace(tgz, cached)
    return cached


def files(pkg: Package) -> dict[str, bytes]:
    """The files of ``pkg`` the site uses, by their path inside the package."""
    wanted = {f"package/{f}": f for f in pkg.files}
    out: dict[str, bytes] = {}
    with tarfile.open(tarball(pkg), "r:gz") as tar:
        for member in tar.getmembers():
            if member.name in wanted and member.isfile():
                data = tar.extractfile(member)
                assert data is not None
                out[wanted[member.name]] = data.read()
    missing = set(pkg.files) - set(out)
    if missing:
        raise SiteError(
            f"{pkg.name} {pkg.version} lacks {', '.join(sorted(missing))} (see teachkit/site/vendor-lock.json)."
        )
    return out


def runtime() -> dict[str, dict[str, bytes]]:
    """Every pinned package's used files: ``{package name: {path: bytes}}``."""
    return {pkg.name: files(pkg) for pkg in read_lock()}


#: Standard-library modules that the page never imports and that are of no use in a web page:
#: debuggers, test runners, profilers, the interactive console, documentation tools, processes,
#: mail and network servers (a page has no sockets or processes). About 0.5 MB compressed.
#: Everything else stays even when the page does not import it: library code may import it on a
#: rare path. tests/site/test_site_stdlib.py imports every module that is left, in the page.
STDLIB_UNUSED = (
    "_pyrepl",
    "pdb.py",
    "bdb.py",
    "doctest.py",
    "pydoc.py",
    "unittest",
    "multiprocessing",
    "concurrent/futures/process.py",
    "xmlrpc",
    "wsgiref",
    "http/server.py",
    "imaplib.py",
    "smtplib.py",
    "poplib.py",
    "ftplib.py",
    "tabnanny.py",
    "trace.py",
    "cProfile.py",
    "profile.py",
    "pstats.py",
    "timeit.py",
    "pickletools.py",
    "zipapp.py",
    "pyclbr.py",
    "this.py",
    "antigravity.py",
    "__hello__.py",
    "__phello__",
)


def unused_stdlib(name: str) -> bool:
    """Whether ``name`` (a path inside python_stdlib.zip) belongs to a module in STDLIB_UNUSED."""
    return any(name == u or name.startswith(u + "/") for u in STDLIB_UNUSED)


def slim_stdlib(data: bytes) -> bytes:
    """Pyodide's python_stdlib.zip without STDLIB_UNUSED, its files stored uncompressed: the site
    gzips each asset whole (assets.py), which compresses the archive better than zip's deflate
    file by file (2.2 MB instead of 2.5 MB). Zip imports read stored files directly."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            if unused_stdlib(info.filename):
                continue
            stored = copy.copy(info)  # writestr sets the sizes and method on the ZipInfo it gets
            stored.compress_type = zipfile.ZIP_STORED
            dst.writestr(stored, src.read(info))
    return out.getvalue()


def slim_lock(data: bytes) -> bytes:
    """pyodide-lock.json without its packages: the site ships none of them (the app's wheel is
    added by wheel.add_to_lock), so their entries could only point at files that are not there."""
    lock = json.loads(data)
    lock["packages"] = {}
    return json.dumps(lock, separators=(",", ":")).encode("utf-8")

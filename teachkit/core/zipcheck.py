"""A zip's members checked before a byte is inflated: the build's export reader and the page's "Open".

Standard library only: ``teachkit.model.files`` runs it on a Teachable Machine export .zip before
extracting, and the Teach page runs this very file in Pyodide on a zip a pupil opens. Every
refusal is a ``Refused`` whose ``kind`` says what was wrong (the page words its own sentence per
kind, in the pupil's language) and whose message is the build's sentence.

A zip bomb is refused from its directory alone: the sizes the members declare add up to more than
the limit, or one member declares more than ``MAX_RATIO`` times its compressed size (deflate
reaches about 1000:1 at best; photos and weights compress less than 2:1, JSON about 10:1).
``read`` then never inflates more than a member declares, so a directory that lies is caught too.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from pathlib import PurePosixPath

MAX_NAME_BYTES = 255  # the longest file name (one path component) Linux, macOS and Windows allow
#: Compression methods Python's zipfile reads (stored, deflate, bzip2, lzma).
METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
#: Declared size over compressed size above which a member is a bomb, not a file: a real
#: export's weights.bin deflates 1.1:1 and its model.json 12:1; 42.zip's members are ~1000:1.
MAX_RATIO = 200
#: Members this small are never bombs, whatever their ratio (an empty file, a folder).
RATIO_FLOOR = 1 << 20


class Refused(ValueError):
    """A zip that will not be opened; ``kind`` is one of: ``count``, ``path``, ``link``,
    ``encrypted``, ``method``, ``twice``, ``size``, ``bomb``, ``damaged``."""

    def __init__(self, kind: str, message: str, member: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        #: The member's name in the zip, where one is to blame ("" for the zip as a whole).
        self.member = member


def check_members(members: list[zipfile.ZipInfo], where: str, max_members: int, max_bytes: int) -> None:
    """Refuse, before anything is inflated or written, every member that could escape (a path
    outside, a link), clash, not be read (encrypted, an unknown method) or swell (a bomb)."""
    if len(members) > max_members:
        raise Refused("count", f"{where} holds {len(members)} files; at most {max_members} are read.")
    total = 0
    files: set[str] = set()
    folders: set[str] = set()
    for m in members:
        name = PurePosixPath(m.filename)
        if name.is_absolute() or ".." in name.parts or "\\" in m.filename or ":" in m.filename:
            raise Refused(
                "path", f"{where} has a file with an unsafe path ({m.filename!r}); nothing was extracted.", m.filename
            )
        if stat.S_ISLNK(m.external_attr >> 16):
            raise Refused("link", f"{where} has a link in it ({m.filename!r}); nothing was extracted.", m.filename)
        if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in name.parts):
            raise Refused(
                "path", f"{where} has a file whose name is too long to be written ({m.filename[:60]!r}...).", m.filename
            )
        if m.flag_bits & 0x1:
            raise Refused(
                "encrypted",
                f"{where} is encrypted ({m.filename!r}); make the zip again without a password.",
                m.filename,
            )
        if m.compress_type not in METHODS:
            raise Refused(
                "method",
                f"{where} uses a compression method Teachkit cannot read ({m.filename!r}); "
                "zip the files again with ordinary (deflate) compression.",
                m.filename,
            )
        if m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise Refused(
                "bomb",
                f"{where} holds {m.filename!r}, which would swell from {m.compress_size} bytes to "
                f"{m.file_size // 2**20} MB (a zip bomb); nothing was extracted.",
                m.filename,
            )
        key = name.as_posix()
        if key in files or (not m.is_dir() and key in folders):
            raise Refused(
                "twice", f"{where} holds {m.filename!r} twice (or as a file and a folder); it is damaged.", m.filename
            )
        (folders if m.is_dir() else files).add(key)
        folders.update(p.as_posix() for p in name.parents if p.as_posix() != ".")
        total += m.file_size
    clash = files & folders
    if clash:
        first = sorted(clash)[0]
        raise Refused("twice", f"{where} holds {first!r} as a file and as a folder; nothing was extracted.", first)
    if total > max_bytes:
        raise Refused(
            "size",
            f"{where} unpacks to {total // 2**20} MB, more than the {max_bytes // 2**20} MB allowed; "
            "nothing was extracted.",
        )


def read(zf: zipfile.ZipFile, m: zipfile.ZipInfo, where: str) -> bytes:
    """One member's bytes, never more than its header declares (a lying directory is damaged)."""
    chunks = []
    remaining = m.file_size
    try:
        with zf.open(m) as src:
            while chunk := src.read(min(1 << 20, remaining + 1)):
                remaining -= len(chunk)
                if remaining < 0:  # more than declared: zipfile stops there too, we stop first
                    raise Refused("damaged", f"{where} is damaged ({m.filename!r} is larger than it says).", m.filename)
                chunks.append(chunk)
    # A bad CRC, a deflate stream that is not one, a file cut short, a method this Python lacks:
    # the zip is damaged, whatever zipfile calls it.
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as e:
        raise Refused(
            "damaged", f"{where} is damaged ({m.filename!r}: {e}); nothing of it was used.", m.filename
        ) from None
    return b"".join(chunks)

"""Reading and writing files safely: the one place that does it.

- Reads are bounded and never block: a named pipe, a device (``/dev/zero``) or a file over the
  limit is refused with a sentence, before a byte is read.
- Files are written atomically (a temporary file beside the target, then a rename), so a reader
  never sees half a file and an interrupted run leaves the previous one.
- Folders (a model, a site) are built beside their target and swapped in with two renames. An
  interruption between the two leaves the previous folder under a fixed name that the next run
  puts back (``recover``); the next run also removes the temporary folders that killed runs
  left behind. Nothing is ever removed that does not carry Teachkit's staging mark.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from teachkit.errors import OutputError

#: Written first into every staging folder: what ``recover`` may delete carries it.
STAGING_MARK = ".teachkit-staging"


def parse_json(data: bytes) -> Any:
    """JSON as JSON means it: UTF-8, no NaN or Infinity (Python's json reads them; JSON, TF.js and
    the page do not), bounded nesting; ``ValueError`` for anything else."""
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _describe(err: OSError) -> str:
    return err.strerror or err.__class__.__name__


def check_regular(path: Path, what: str = "file") -> os.stat_result:
    """The stat of ``path`` (links followed) if it is a regular file; else a ``ValueError`` in words."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise ValueError(f"the {what} cannot be read ({_describe(e).lower()})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ValueError(f"the {what} is a folder")
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"the {what} is not a regular file (a pipe, a device or a socket)")
    return st


def read_bytes(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ``ValueError`` in words otherwise.

    The file is opened without blocking and checked after opening too, so a named pipe swapped in
    between cannot hang the read.
    """
    check_regular(path, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise ValueError(f"the {what} cannot be read ({_describe(e).lower()})") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"the {what} is not a regular file (a pipe, a device or a socket)")
        if st.st_size > limit:
            raise ValueError(f"the {what} is too large ({st.st_size // 2**20} MB; at most {limit // 2**20} MB)")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"the {what} is too large (more than {limit // 2**20} MB)")
    return data


def _unwritable(path: Path, err: OSError) -> OutputError:
    if err.errno in (errno.ENOTDIR, errno.EEXIST) or (err.errno == errno.ENOENT and not path.parent.exists()):
        return OutputError(f"Teachkit cannot write {path}: a part of that path is a file, not a folder.")
    if err.errno == errno.EISDIR or path.is_dir():
        return OutputError(f"Teachkit cannot write {path}: it is a folder; give a file name.")
    return OutputError(f"Teachkit cannot write {path} ({_describe(err).lower()}).")


def check_writable_file(path: Path) -> None:
    """Refuse, before any work, an output file that is a folder or lies under a file."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"Teachkit cannot write {path}: it is a folder; give a file name.")
    _check_nearest_folder(path.absolute().parent, f"write {path}")


def check_writable_folder(path: Path) -> None:
    """Refuse, before any work, an output folder that is a file, lies under a file, or cannot be
    made (``/proc``, a read-only disk)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"Teachkit cannot write into {path}: it is a file, not a folder.")
    _check_nearest_folder(path.absolute(), f"write into {path}")


def _check_nearest_folder(start: Path, doing: str) -> None:
    """The nearest existing one of ``start`` and its parents must be a folder we may write in."""
    for folder in (start, *start.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(f"Teachkit cannot {doing}: {folder} is a file, not a folder.")
            if not os.access(folder, os.W_OK | os.X_OK) or _pseudo(folder):
                raise OutputError(f"Teachkit cannot {doing}: the folder {folder} is not writable.")
            return


def _pseudo(folder: Path) -> bool:
    """/proc and /sys: root may "write" there, but they hold no files of ours."""
    parts = folder.resolve().parts
    return len(parts) > 1 and parts[1] in ("proc", "sys")


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, making its folder; ``OutputError`` when it cannot."""
    path = Path(path)
    check_writable_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _unwritable(path, e) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model or a site is read by others
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _unwritable(path, e) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, value: Any, indent: int | None = 1) -> None:
    """Write JSON atomically (UTF-8, non-ASCII kept, NaN refused: JSON has no NaN)."""
    write_text(path, json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False) + "\n")


# -- Folders swapped in whole -------------------------------------------------------------------


def _old(target: Path) -> Path:
    return target.with_name(f".{target.name}.old")


def _stagings(target: Path) -> list[Path]:
    prefix = f".{target.name}.tmp-"
    try:
        return [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _ours(folder: Path) -> bool:
    """A staging folder Teachkit made: it carries the mark (or is empty: killed right after mkdtemp)."""
    try:
        return (folder / STAGING_MARK).is_file() or not any(folder.iterdir())
    except OSError:
        return False


def recover(target: Path) -> None:
    """Undo what an interrupted run left beside ``target``: put the previous folder back if the
    swap was cut in half, and remove the staging folders of runs that are no longer running."""
    old = _old(target)
    if old.is_dir() and not old.is_symlink() and (old / STAGING_MARK).is_file():
        if not target.exists() and not target.is_symlink():
            os.replace(old, target)  # the new one never arrived: the previous one is the last good
            (target / STAGING_MARK).unlink(missing_ok=True)
        else:
            shutil.rmtree(old, ignore_errors=True)  # the swap finished; only the removal was cut
    for folder in _stagings(target):
        pid = folder.name.rsplit("-", 2)[-2] if folder.name.count("-") >= 2 else ""
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            continue  # another Teachkit is writing this very output right now
        if folder.is_dir() and not folder.is_symlink() and _ours(folder):
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A new empty folder beside ``target`` to fill; on a clean exit it replaces ``target``.

    On an exception the staging folder is removed and ``target`` stays as it was.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _unwritable(target, e) from None
    recover(target)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; a web host must read it
        (staging / STAGING_MARK).write_bytes(b"")
    except OSError as e:
        raise _unwritable(target, e) from None
    try:
        yield staging
        _swap(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, target: Path) -> None:
    """Two renames: the previous folder to its fixed old name (marked, so ``recover`` knows it),
    the new one into place; then the old one is removed."""
    if not target.exists():
        (staging / STAGING_MARK).unlink()
        os.replace(staging, target)
        return
    old = _old(target)
    (target / STAGING_MARK).write_bytes(b"")  # mark before moving: an interruption is recoverable
    os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        os.replace(old, target)
        (target / STAGING_MARK).unlink(missing_ok=True)
        raise
    (target / STAGING_MARK).unlink(missing_ok=True)
    shutil.rmtree(old, ignore_errors=True)

"""Teachkit's errors: one root, and the kinds the command line prints.

Each message is one plain sentence a teacher can act on. The command line catches
``TeachkitError`` alone, prints the message and exits with code 2, never a traceback; library
code raises these and never names a command-line flag (``option`` says which setting a message
is about; the command line names the flag).
"""

from __future__ import annotations


class TeachkitError(Exception):
    """Something the user can fix; printed as it is, without a traceback.

    ``option`` names the setting the sentence is about (``"out"``, ``"base_from"``, ...), so that
    the command line can add its flag: library code speaks of settings, never of flags.
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class PhotoError(TeachkitError):
    """A problem with the user's photos that stops the work."""


class UnreadablePhoto(PhotoError, ValueError):
    """One photo that cannot be used (damaged, not an image, too large, a pipe...): it is skipped
    with this reason, which names no file (the caller lists it with its path). A ``ValueError``
    too, as a bad value of a photo is."""


class ModelError(TeachkitError):
    """A model that cannot be used (damaged, of another kind, inconsistent)."""


class SiteError(TeachkitError):
    """The site cannot be rendered (no runtime while offline, a folder it must not replace...)."""


class OutputError(TeachkitError):
    """An output path Teachkit cannot or must not write (a folder of the user's, under a file...)."""


class UsageError(TeachkitError):
    """An option with a value that cannot work (a port out of range, an empty name...)."""


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape codes that could clear the screen
    or hide a line) are shown as ``\\x1b``-style escapes, and undecodable bytes of file names
    (surrogates) as ``\\udcff``-style ones; everything else, any script, is kept."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\t":
            out.append(ch)
        elif code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000 or ch in "\u2028\u2029\u202e\u202d":
            out.append(ch.encode("unicode_escape", "backslashreplace").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)

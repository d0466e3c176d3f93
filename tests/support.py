"""Helpers the tests share: the CLI's answer to bad input, and a kill at the swap."""

from __future__ import annotations

import textwrap

import pytest

from teachkit import cli


def main_err(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    """Run the CLI in-process; its exit code and what it printed on stderr."""
    code = cli.main(list(args))
    err = capsys.readouterr().err
    return code, err


def one_sentence(err: str) -> None:
    """What the brief promises for bad input: one plain sentence, no traceback."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("teachkit: "), err


#: Run as `python -c KILLED_AT_SWAP - OUTNAME ARGS...`: the CLI, killed with SIGKILL exactly at
#: the rename that moves the new output (`.OUTNAME.tmp-*`) into place.
KILLED_AT_SWAP = textwrap.dedent(
    """
    import os, signal, sys
    real = os.replace
    def replace(src, dst):
        # the second rename of the swap: the old output has just been moved aside
        if str(src).rsplit("/", 1)[-1].startswith("." + sys.argv[2] + ".tmp-"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(src, dst)
    os.replace = replace
    from teachkit import cli
    sys.exit(cli.main(sys.argv[3:]))
    """
)

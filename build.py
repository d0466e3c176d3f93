#!/usr/bin/env python3
"""Teachkit's command line: `python build.py PHOTOS` trains a model and renders dist/.

A thin entry point; the same CLI is installed as the `teachkit` command. See `--help`.
"""

import sys

from teachkit.cli import main

if __name__ == "__main__":
    sys.exit(main())

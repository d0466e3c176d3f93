"""``python -m teachkit``: the same command line as ``teachkit`` and ``python build.py``."""

import sys

from teachkit.cli import main

sys.exit(main())

"""Where Teachkit keeps things on the user's computer: one rule for the user cache.

``$TEACHKIT_CACHE`` when set, else ``$XDG_CACHE_HOME/teachkit``, else ``~/.cache/teachkit``.
It holds what is downloaded once (the browser runtime from the npm registry), what is slow to
make again (its compressed copies) and the demo's drawn photos; deleting it costs time, never
work. A model's own caches (embeddings, the converted base) live beside the models instead.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache() -> Path:
    """The user cache folder (it may not exist yet)."""
    if os.environ.get("TEACHKIT_CACHE"):
        return Path(os.environ["TEACHKIT_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "teachkit"

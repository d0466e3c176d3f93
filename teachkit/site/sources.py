"""The page's own sources, shipped inside the package: templates, static files, the JavaScript
and the page's Python (``page/``), and the pinned browser runtime (``vendor-lock.json``).

Found through ``importlib.resources``, so an installed Teachkit renders sites from any folder.
pip installs packages as plain folders, so these are paths on disk.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PAGE = Path(str(resources.files("teachkit.site") / "page"))
TEMPLATES = PAGE / "templates"
STATIC = PAGE / "static"
SCRIPTS = PAGE / "js"
APP = PAGE / "app" / "teachkit_app"
LOCK = Path(str(resources.files("teachkit.site") / "vendor-lock.json"))

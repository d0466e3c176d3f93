"""The site step's error, kept here for its importers: it is ``teachkit.errors.SiteError``."""

from __future__ import annotations

from teachkit.errors import SiteError

__all__ = ["SiteError"]

"""The one error type of the site step: a message a teacher can act on, printed without a traceback."""

from __future__ import annotations

from teachkit.cli import UserError


class SiteError(UserError):
    """The site cannot be rendered (no runtime in the cache while offline, a model it cannot use...)."""

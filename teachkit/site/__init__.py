"""Rendering dist/: the static site where Pyodide runs the app and TF.js runs the model.

``vendor`` fetches and verifies the browser runtime, ``assets`` packs binaries so file:// pages
can read them, ``wheel`` packages the page's Python, ``render`` writes the site, ``serve``
previews it.
"""

from teachkit.site.render import build_site
from teachkit.site.serve import serve

__all__ = ["build_site", "serve"]

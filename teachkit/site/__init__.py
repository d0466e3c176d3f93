"""Stage 6, a model to dist/: the static site where Pyodide runs the page's logic and TF.js runs
the model.

``sources`` finds the page's own files (``page/``: templates, static files, JavaScript, the page's
Python), ``vendor`` fetches and verifies the browser runtime, ``assets`` packs binaries so file:// pages
can read them, ``wheel`` packages the page's Python, ``render`` writes the site (with the model card's page,
``card_page`` and ``charts``), ``serve`` previews it.
"""

from teachkit.site.render import build_site
from teachkit.site.serve import serve

__all__ = ["build_site", "serve"]

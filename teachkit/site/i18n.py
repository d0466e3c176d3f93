"""The site's languages: Babel message catalogs, one for the templates and the page's Python.

The catalogs are ``page/locale/<lang>/LC_MESSAGES/messages.po`` (extracted into
``page/locale/messages.pot``, see docs/translating.md). They are compiled here, with Babel's API,
at every render: the templates get them through Jinja2's i18n extension, the page's Python gets
the same ``.mo`` bytes inside its wheel (read with the standard library's ``gettext`` in Pyodide).
Nothing compiled is kept in the repository.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from babel.messages import mofile, pofile
from babel.support import Translations

from teachkit.errors import SiteError
from teachkit.site import sources

#: Every language the site speaks, by its code (BCP 47 = the catalog's folder), in its own words.
LANGUAGES = {"en": "English", "nl": "Nederlands", "fr": "Français", "de": "Deutsch", "es": "Español"}
#: The language the messages are written in (the catalogs' msgids): it needs no catalog.
SOURCE = "en"
DOMAIN = "messages"
LOCALE = sources.PAGE / "locale"
#: Where the page's Python finds the compiled catalogs inside its wheel (teachkit_app/i18n.py).
WHEEL_DIR = "teachkit_app/locale"


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for "mark only, translate later"
    return message


#: The loading screen's lines, written by js/loader.js and js/tfstart.js (JavaScript has no
#: gettext here): they reach the page translated in its config (``loader_text``), keyed by these.
LOADER_MESSAGES = (
    N_("Loading %(what)s… %(mb)s MB left"),
    N_(" and "),
    N_("Starting Python…"),
    N_("Starting the app…"),
    N_("Starting TensorFlow.js…"),
    N_("Loading the model…"),
    N_("Warming up the model…"),
    N_("The page could not start: %(error)s"),
)


def check(lang: str | None) -> str | None:
    """``lang`` if the site speaks it (None: no choice, the browser's language decides)."""
    if lang is None or lang in LANGUAGES:
        return lang
    raise SiteError(
        f"The site has no language {lang!r}; it speaks {', '.join(LANGUAGES)}.",
        option="lang",
    )


@functools.cache
def compiled(lang: str) -> bytes:
    """The ``.mo`` bytes of ``lang``'s catalog (empty for the source language): fuzzy entries,
    which a translator has not confirmed, are left out and show in English."""
    if lang == SOURCE:
        return b""
    path = LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        catalog = pofile.read_po(f, locale=lang, domain=DOMAIN)
    out = io.BytesIO()
    mofile.write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def translations(lang: str) -> Any:
    """The catalog for Jinja2's ``install_gettext_translations`` (gettext, ngettext, ...)."""
    if lang == SOURCE:
        return Translations()  # no catalog: every message as written
    return Translations(io.BytesIO(compiled(lang)), domain=DOMAIN)


def wheel_files() -> dict[str, bytes]:
    """The compiled catalogs as the app's wheel carries them (archive path -> bytes)."""
    return {f"{WHEEL_DIR}/{lang}/LC_MESSAGES/{DOMAIN}.mo": compiled(lang) for lang in LANGUAGES if lang != SOURCE}


def loader_text(lang: str) -> dict[str, str]:
    """The loading screen's lines in ``lang``, keyed by their English (js/loader.js looks them up)."""
    t = translations(lang)
    return {m: t.gettext(m) for m in LOADER_MESSAGES if t.gettext(m) != m}

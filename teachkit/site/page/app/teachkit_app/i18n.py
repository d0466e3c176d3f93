"""The page's messages in the page's language, with the standard library's ``gettext``.

The catalogs are the templates' own (teachkit/site/page/locale/*/messages.po), compiled at build
into this package's ``locale/`` (teachkit/site/wheel.py). ``main.start`` picks the language of the
page (``<html lang>``); until then, and for a language without a catalog, messages stay English.
Labels are the teacher's words and never pass through here.
"""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALE = Path(__file__).parent / "locale"
_catalog: gettext.NullTranslations = gettext.NullTranslations()


def use(lang: str) -> None:
    """Speak ``lang`` (a page's ``<html lang>``, e.g. "nl"; "en" or an unknown one: English)."""
    global _catalog
    _catalog = gettext.translation("messages", LOCALE, languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` in the page's language."""
    return _catalog.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for ``n`` things, in the page's language."""
    return _catalog.ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for "mark only, translate later"
    """Marks ``message`` for the catalog where it is defined; ``_`` translates it where shown."""
    return message
